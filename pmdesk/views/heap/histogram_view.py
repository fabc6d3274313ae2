"""The Heap histogram dock: classes with object counts and sizes; sort, regex filter, totals, copy."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QRegularExpression, QSortFilterProxyModel, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QTableView,
    QVBoxLayout,
)

from pmdesk.model.dump import Dump
from pmdesk.model.formats import Kind
from pmdesk.model.heap import histogram as heap
from pmdesk.model.heap.graph import graph_of
from pmdesk.views.common.annotate_dialog import annotate_dialog
from pmdesk.views.common.base import DockView, fit_header
from pmdesk.views.common.roles import Role
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.heap.class_query_dialog import ClassQueryDialog
from pmdesk.views.heap.histogram_model import HistogramModel


class HeapHistogramView(DockView):
    VIEW_ID = "heap_histogram"
    TITLE = "Heap histogram"
    AREA = Qt.DockWidgetArea.LeftDockWidgetArea
    KINDS = (Kind.HEAP_GRAPH,)
    REQUIRES = ("heap_histogram",)

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.model = HistogramModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Role.SORT)
        self.proxy.setFilterKeyColumn(0)
        self.filter = QLineEdit(placeholderText="Filter classes (regular expression)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter_changed)
        self.totals = QLabel()
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        fit_header(self.table.horizontalHeader())
        self.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._menu)
        self.bus.annotations.changed.connect(self._marks)
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.totals)

    def load(self, dump: Dump | None) -> None:
        super().load(dump)
        self.model.set_rows(heap.histogram(dump) if dump is not None else [])
        self._marks()
        self._update_totals()

    def _marks(self) -> None:
        key = self.dump.content_key if self.dump is not None else ""
        self.model.marks = {a.target: a.colour for a in self.bus.annotations.session.annotations_for(key, "class")}
        self.table.viewport().update()

    def _menu(self, pos: Any) -> None:
        idx = self.table.indexAt(pos)
        if not idx.isValid():
            return
        row = self.model.row_at(self.proxy.mapToSource(idx).row())
        menu = QMenu(self)
        g = graph_of(self.dump)
        for label, what in (("List objects (biggest retained first)", "objects"),
                            ("Merged paths from GC roots", "paths"), ("Immediate dominators", "dominators"),
                            ("Retained set", "retained"), ("Group by value", "values")):
            action = menu.addAction(label, lambda what=what: self._ask(row.class_idx, what))
            action.setEnabled(g is not None)  # (these need the dominator tree)
        menu.addSeparator()
        menu.addAction("Copy class name", lambda: QGuiApplication.clipboard().setText(row.name))
        menu.addAction("Annotate…", lambda: annotate_dialog(self, self.bus.annotations, self.dump, "class", row.name,
                                                             f"class {row.name}"))
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def _ask(self, class_idx: int, what: str) -> None:
        """One of MAT's class questions, answered in a window of its own."""
        g = graph_of(self.dump)
        if g is None or self.dump is None:
            return
        dump = self.dump
        ClassQueryDialog(self, g, class_idx, what, lambda node: self.bus.select_object(dump, node, self.VIEW_ID),
                         self.show_class).show()

    def show_class(self, name: str) -> None:
        """This histogram narrowed to one class."""
        self.filter.setText(f"^{re.escape(name)}$")

    def _filter_changed(self, text: str) -> None:
        valid = True
        try:
            re.compile(text)
        except re.error:
            valid = False
        self.filter.setStyleSheet("" if valid else "QLineEdit { background: #ffd6d6; }")
        self.filter.setToolTip("" if valid else "Not a valid regular expression")
        if valid:
            self.proxy.setFilterRegularExpression(QRegularExpression(text))
            self._update_totals()

    def _update_totals(self) -> None:
        n = self.proxy.rowCount()
        objects = shallow = 0
        for r in range(n):
            row = self.model.row_at(self.proxy.mapToSource(self.proxy.index(r, 0)).row())
            objects += row.count
            shallow += row.shallow_bytes
        of = f" of {self.model.rowCount():,}" if n != self.model.rowCount() else ""
        self.totals.setText(f"{n:,}{of} classes · {objects:,} objects · {shallow:,} bytes shallow")

    def copy_text(self) -> str | None:
        """The selected classes with their counts and sizes as numbers (no thousands separators)."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        lines = ["\t".join(HistogramModel.COLUMNS)]
        for r in rows:
            row = self.model.row_at(self.proxy.mapToSource(self.proxy.index(r, 0)).row())
            ret = "" if row.retained_bytes is None else str(row.retained_bytes)
            lines.append(f"{row.name}\t{row.count}\t{row.shallow_bytes}\t{ret}")
        return "\n".join(lines) + "\n" if rows else None

    def view_state(self) -> dict[str, Any]:
        hh = self.table.horizontalHeader()
        return {"filter": self.filter.text(), "sort_column": hh.sortIndicatorSection(),
                "sort_order": "asc" if hh.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder else "desc"}

    def restore_state(self, state: dict[str, Any]) -> None:
        self.filter.setText(state.get("filter", ""))
        order = Qt.SortOrder.AscendingOrder if state.get("sort_order") == "asc" else Qt.SortOrder.DescendingOrder
        self.table.sortByColumn(int(state.get("sort_column", 2)), order)
