"""The Duplicate strings dock: String values held by many String objects, with the bytes the copies
waste; selecting a row selects one of the Strings."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTableWidgetItem, QVBoxLayout, QWidget

from pmdesk.model.heap.graph import HeapGraph
from pmdesk.model.heap.report import DUPLICATES_SHOWN, duplicate_strings
from pmdesk.views.common.base import readonly_table
from pmdesk.views.common.columns import RIGHT
from pmdesk.views.common.roles import Role
from pmdesk.views.heap.graph_base import HeapGraphView

SHOWN = DUPLICATES_SHOWN


class DuplicateStringsView(HeapGraphView):
    VIEW_ID = "duplicate_strings"
    TITLE = "Duplicate strings"
    AREA = Qt.DockWidgetArea.LeftDockWidgetArea
    TAB_WITH = "heap_histogram"

    def build_content(self) -> QWidget:
        w = QWidget()
        inner = QWidget()
        self.table = readonly_table(inner, ["Copies", "Wasted bytes", "Length", "Value"], fit_columns=3)
        self.table.setSortingEnabled(False)
        self.table.currentCellChanged.connect(lambda r, _c, _pr, _pc: self._row(r))
        self.total = QLabel()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(inner, 1)
        lay.addWidget(self.total)
        return w

    def show_graph(self, graph: HeapGraph | None) -> None:
        rows = duplicate_strings(graph, SHOWN) if graph is not None else []
        self.table.setRowCount(len(rows))
        for r, d in enumerate(rows):
            cells = [f"{d.count:,}", f"{d.wasted_bytes:,}", f"{d.value_bytes:,}", d.text[:500]]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Role.NODE, d.example.node)
                if c < 3:
                    item.setTextAlignment(RIGHT)
                self.table.setItem(r, c, item)
        groups = graph.meta.get("graph.duplicate_string_groups", 0) if graph is not None else 0
        wasted = sum(d.wasted_bytes for d in rows)
        self.total.setText("" if graph is None else
                           f"{groups:,} values held more than once; the {len(rows):,} shown waste {wasted:,} bytes"
                           if graph.meta.get("graph.strings_known", True) else
                           "This heap does not say which of its objects are strings (a Go heap dump's objects carry "
                           "no types): there are no duplicate strings to find.")

    def _row(self, row: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.select(item.data(Role.NODE))
