"""The answers to MAT's class questions (model/heap/class_queries.py) in a window of their own: a class's
objects, its instances' immediate dominators, their retained set, or the merged shortest paths from GC roots.
Double-clicking an object selects it in every heap dock (inspector, paths); a class, shows it in the
histogram."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QTableWidgetItem, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from pmdesk.model.heap import class_queries as q
from pmdesk.model.heap.graph import HeapGraph
from pmdesk.views.common.base import readonly_table
from pmdesk.views.common.columns import RIGHT

LISTED = 1000  # objects listed (biggest retained first)


class ClassQueryDialog(QDialog):
    """One answer: `what` is "objects", "dominators", "retained", "values" or "paths"."""

    def __init__(self, parent: QWidget, g: HeapGraph, class_idx: int, what: str,
                 select_object: Callable[[int], None], show_class: Callable[[str], None]) -> None:
        super().__init__(parent)
        self.g, self.select_object, self.show_class = g, select_object, show_class
        name = g.class_names.get(class_idx, "?")
        nodes = q.instances(g, class_idx)
        self.info = QLabel()
        self.info.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.info)
        box = QWidget()
        lay.addWidget(box, 1)
        self.resize(760, 460)
        titles = {"objects": "Objects of", "dominators": "Immediate dominators of", "retained": "Retained set of",
                  "paths": "Merged paths from GC roots to", "values": "Values of"}
        self.setWindowTitle(f"{titles[what]} {name}")
        n = f"{len(nodes):,} object{'s' if len(nodes) != 1 else ''}"
        if what == "objects":
            self._objects(box, nodes)
            self.info.setText(f"{n} of {name}, biggest retained first" + (f" (the first {LISTED:,})"
                                                                           if len(nodes) > LISTED else ""))
        elif what == "dominators":
            rows, by_root = q.immediate_dominators(g, nodes)
            self._classes(box, rows, ["Class", "Objects", "Dominated", "Shallow bytes", "Retained bytes"])
            self.info.setText(f"What immediately dominates the {n} of {name}, by class"
                              + (f"; {by_root:,} hang directly below the root" if by_root else ""))
        elif what == "retained":
            rows = q.retained_set(g, nodes)
            self._classes(box, rows, ["Class", "Objects", "Shallow bytes"])
            total = sum(r.shallow_bytes for r in rows)
            self.info.setText(f"The {n} of {name} keep {sum(r.objects for r in rows):,} objects "
                              f"({total:,} bytes) alive together, by class")
        elif what == "values":
            values, without = q.group_by_value(g, nodes)
            table = readonly_table(box, ["Value", "Objects", "Shallow bytes", "Retained bytes"], fit_columns=0)
            table.setRowCount(min(len(values), LISTED))
            for r, v in enumerate(values[:LISTED]):
                for c, text in enumerate([v.value[:200], f"{v.objects:,}", f"{v.shallow_bytes:,}",
                                          f"{v.retained_bytes:,}"]):
                    item = QTableWidgetItem(text)
                    if c:
                        item.setTextAlignment(RIGHT)
                    table.setItem(r, c, item)
            self.info.setText(f"The {n} of {name} by value: {len(values):,} values, the most common first"
                              + (f"; {without:,} have no value to compare (not a string or a boxed number)"
                                 if without else ""))
        else:
            top = q.merged_paths(g, nodes)
            self._paths(box, top)
            self.info.setText(f"The shortest path from a GC root of each of the {top.objects:,} biggest of the "
                              f"{n} of {name}, merged by class; counts are instances whose path passes there")

    def _objects(self, box: QWidget, nodes: np.ndarray) -> None:
        table = readonly_table(box, ["Object", "Shallow bytes", "Retained bytes"], fit_columns=0)
        objs = self.g.objs(nodes[:LISTED].tolist())
        table.setRowCount(len(objs))
        for r, o in enumerate(objs):
            cells = [self.g.label(o.node), f"{o.shallow_bytes:,}", f"{o.retained_bytes:,}"]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, o.node)
                if c:
                    item.setTextAlignment(RIGHT)
                table.setItem(r, c, item)
        table.itemDoubleClicked.connect(lambda item: self.select_object(item.data(Qt.ItemDataRole.UserRole)))

    def _classes(self, box: QWidget, rows: list[q.ClassRow], headers: list[str]) -> None:
        table = readonly_table(box, headers, fit_columns=0)
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            values: list[Any] = [row.name, row.objects, row.dominated, row.shallow_bytes, row.retained_bytes] \
                if len(headers) == 5 else [row.name, row.objects, row.shallow_bytes]
            for c, v in enumerate(values):
                item = QTableWidgetItem(v if c == 0 else f"{v:,}")
                if c:
                    item.setTextAlignment(RIGHT)
                table.setItem(r, c, item)
        table.itemDoubleClicked.connect(lambda item: self.show_class(table.item(item.row(), 0).text()))

    def _paths(self, box: QWidget, top: q.PathNode) -> None:
        tree = QTreeWidget()
        tree.setHeaderLabels(["Class on the path", "Instances"])
        QVBoxLayout(box).addWidget(tree)

        def add(parent: QTreeWidget | QTreeWidgetItem, node: q.PathNode) -> None:
            for child in sorted(node.children.values(), key=lambda c: -c.objects):
                item = QTreeWidgetItem(parent, [child.label, f"{child.objects:,}"])
                item.setTextAlignment(1, RIGHT)
                add(item, child)

        add(tree, top)
        tree.expandToDepth(6)
        tree.resizeColumnToContents(0)
