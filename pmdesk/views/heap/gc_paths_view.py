"""The Paths to GC roots dock: why the selected object is alive — the shortest chains of strong
references from GC roots to it, merged into one tree that starts at the object (as MAT shows them)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pmdesk.model.heap.graph import HeapGraph
from pmdesk.views.common.base import fit_header
from pmdesk.views.common.columns import RIGHT
from pmdesk.views.common.roles import Role
from pmdesk.views.heap.graph_base import HeapGraphView


class GCPathsView(HeapGraphView):
    VIEW_ID = "gc_paths"
    TITLE = "Paths to GC roots"
    AREA = Qt.DockWidgetArea.RightDockWidgetArea
    FOLLOWS_SELECTION = True
    RAISE_ON_SELECTION = True

    def build_content(self) -> QWidget:
        w = QWidget()
        self.info = QLabel("Select an object to see what keeps it alive (weak and soft references excluded).")
        self.info.setWordWrap(True)
        self.max_paths = QSpinBox(minimum=1, maximum=100, value=10, prefix="paths from up to ", suffix=" roots")
        self.max_paths.valueChanged.connect(lambda _v: self.node is not None and self.show_object(self.node))
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Object", "Via", "Shallow", "Retained", "GC root"])
        self.tree.setUniformRowHeights(True)
        fit_header(self.tree.header())
        self.tree.itemActivated.connect(self._activated)
        top = QHBoxLayout()
        top.addWidget(self.info, 1)
        top.addWidget(self.max_paths)
        lay = QVBoxLayout(w)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.tree, 1)
        return w

    def show_graph(self, graph: HeapGraph | None) -> None:
        self.node = None
        self.tree.clear()

    def show_object(self, node: int) -> None:
        g = self.graph
        if g is None:
            return
        self.node = node
        self.tree.clear()
        paths = g.paths_from_roots(node, self.max_paths.value())
        reader = g.object_reader()
        root_kinds = {p[0]: ", ".join(reader.root_kinds(p[0])) or "root" for p in paths}
        top = self._item(None, g, node, "", root_kinds.get(node, ""))
        items: dict[tuple[int, ...], QTreeWidgetItem] = {(node,): top}
        for p in paths:
            rev = list(reversed(p))  # object, its referrer, …, GC root
            for depth in range(1, len(rev)):
                key = tuple(rev[:depth + 1])
                if key in items:
                    continue
                src, dst = rev[depth], rev[depth - 1]
                via = reader.edge_labels(src, [dst])[dst]
                items[key] = self._item(items[key[:-1]], g, src, via, root_kinds.get(src, "") if depth == len(rev) - 1
                                        else "")
        self.tree.expandAll()
        if not paths:
            why = {1: "only weak or soft references reach it", 2: "nothing reaches it"}.get(int(g.reach[node]), "")
            self.info.setText(f"{g.label(node)} is not reachable from a GC root through strong references: {why}.")
        else:
            self.info.setText(f"{len(paths)} shortest path{'s' if len(paths) > 1 else ''} from GC roots to "
                              f"{g.label(node)} (strong references only)")

    def _item(self, parent: QTreeWidgetItem | None, g: HeapGraph, node: int, via: str, root: str) -> QTreeWidgetItem:
        cells = [g.label(node), via, f"{int(g.shallow[node]):,}", f"{int(g.retained[node]):,}", root]
        item = QTreeWidgetItem(cells) if parent is None else QTreeWidgetItem(parent, cells)
        if parent is None:
            self.tree.addTopLevelItem(item)
        item.setData(0, Role.NODE, node)
        for c in (2, 3):
            item.setTextAlignment(c, RIGHT)
        return item

    def _activated(self, item: QTreeWidgetItem, _col: int) -> None:
        node = item.data(0, Role.NODE)
        if node is not None:
            self.select(node)

    def view_state(self) -> dict[str, Any]:
        return {"max_paths": self.max_paths.value()}

    def restore_state(self, state: dict[str, Any]) -> None:
        self.max_paths.setValue(int(state.get("max_paths", 10)))
