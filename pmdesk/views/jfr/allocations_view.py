"""The Allocations dock of a JFR recording: estimated bytes allocated by class and by the allocating method
(top frame), from jdk.ObjectAllocationSample weights (TLAB events on JDKs before 16); choosing a row lists
the stacks that allocated it — within the chosen time range."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabWidget, QWidget

from pmdesk.model.jfr.insights import allocations
from pmdesk.views.common.base import readonly_table
from pmdesk.views.common.roles import Role
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.jfr.base import JfrView, SortableItem, fill, number
from pmdesk.views.jfr.stacks import info_above_stacks


class JfrAllocationsView(JfrView):
    VIEW_ID = "jfr_allocations"
    TITLE = "Allocations"
    AREA = Qt.DockWidgetArea.RightDockWidgetArea
    TAB_WITH = "jfr_findings"

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.tables = {}
        tabs = QTabWidget()
        for key, title in (("by_class", "By class"), ("by_frame", "By allocating method")):
            box = QWidget()
            table = readonly_table(box, [title[3:].capitalize(), "Bytes (estimated)", "%", "Samples"],
                                   fit_columns=0)
            table.horizontalHeader().setStretchLastSection(False)
            table.horizontalHeader().setSectionResizeMode(0, table.horizontalHeader().ResizeMode.Stretch)
            table.setSortingEnabled(True)
            table.currentCellChanged.connect(lambda r, _c, _pr, _pc, t=table: self._stacks(t, r))
            self.tables[key] = table
            tabs.addTab(box, title)
        self.info, self.stacks = info_above_stacks(self, tabs)

    def refresh(self) -> None:
        a = allocations(self.rec, self.window) if self.rec is not None else {"event": None, "total": 0,
                                                                               "by_class": [], "by_frame": []}
        total = a["total"] or 1
        for key, table in self.tables.items():
            rows = []
            for g in a[key]:
                name = SortableItem(g["key"])
                name.setData(Role.STACKS, g["stacks"])
                rows.append([name, number(g["weight"]), number(g["weight"] / total, f"{g['weight'] / total:.1%}"),
                             number(g["count"])])
            fill(table, rows)
            table.sortItems(1, Qt.SortOrder.DescendingOrder)
        self.stacks.show_stacks(self.rec, {})
        if self.tables["by_class"].rowCount():
            self.tables["by_class"].setCurrentCell(0, 0)
        self.info.setText(f"{a['total'] / (1 << 20):,.0f} MB estimated from {a['event']} — {self.window_text()}"
                          if a["event"] else "No allocation events in the recording.")

    def _stacks(self, table: Any, row: int) -> None:
        item = table.item(row, 0)
        if item is not None:
            self.stacks.show_stacks(self.rec, item.data(Role.STACKS) or {})
