"""The Lock contention dock of a JFR recording: monitor enters (JavaMonitorEnter) by monitor class, parks
(ThreadPark) by the class parked on and monitor waits by monitor class — events, total and longest time
blocked — with the blocking stacks of the chosen row, within the chosen time range."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from pmdesk.model.jfr.insights import lock_contention
from pmdesk.views.common.base import fit_header, readonly_table
from pmdesk.views.common.roles import Role
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.jfr.base import JfrView, SortableItem, fill, ms, number
from pmdesk.views.jfr.stacks import info_above_stacks

KIND = {"jdk.JavaMonitorEnter": "Monitor enter", "jdk.ThreadPark": "Park", "jdk.JavaMonitorWait": "Wait"}


class JfrLocksView(JfrView):
    VIEW_ID = "jfr_locks"
    TITLE = "Lock contention"
    AREA = Qt.DockWidgetArea.RightDockWidgetArea
    TAB_WITH = "jfr_findings"

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        box = QWidget()
        self.table = readonly_table(box, ["Class", "Kind", "Events", "Total blocked", "Longest"], fit_columns=0)
        fit_header(self.table.horizontalHeader())
        self.table.setSortingEnabled(True)
        self.table.currentCellChanged.connect(lambda r, _c, _pr, _pc: self._stacks(r))
        self.info, self.stacks = info_above_stacks(self, box)

    def refresh(self) -> None:
        groups = lock_contention(self.rec, self.window) if self.rec is not None else []
        rows = []
        for g in groups:
            name = SortableItem(g["class"])
            name.setData(Role.STACKS, g["stacks"])
            rows.append([name, SortableItem(KIND.get(g["event"], g["event"])), number(g["count"]),
                         number(g["total_ns"], ms(g["total_ns"])), number(g["max_ns"], ms(g["max_ns"]))])
        fill(self.table, rows)
        self.table.sortItems(3, Qt.SortOrder.DescendingOrder)
        self.stacks.show_stacks(self.rec, {})
        self.info.setText(f"{sum(g['count'] for g in groups):,} blocking events on {len(groups)} classes — "
                          f"{self.window_text()}")
        if rows:
            self.table.setCurrentCell(0, 0)
            self._stacks(0)  # (no signal when row 0 was already current: its stacks must show all the same)

    def _stacks(self, row: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.stacks.show_stacks(self.rec, item.data(Role.STACKS) or {})
