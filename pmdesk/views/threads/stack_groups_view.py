"""The Stack groups dock: threads with identical stacks (and state) bucketed with counts, biggest first —
an idle pool of 200 workers becomes one row."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidgetItem, QVBoxLayout, QWidget

from pmdesk.model.threads.dumps import groups
from pmdesk.views.common.base import readonly_table
from pmdesk.views.common.columns import RIGHT
from pmdesk.views.common.roles import Role
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.threads.base import ThreadDumpView


class StackGroupsView(ThreadDumpView):
    VIEW_ID = "stack_groups"
    TITLE = "Stack groups"
    AREA = Qt.DockWidgetArea.LeftDockWidgetArea
    TAB_WITH = "threads"

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        box = QWidget()
        self.table = readonly_table(box, ["Threads", "State", "Top frames", "Names"], fit_columns=2)
        self.table.currentCellChanged.connect(lambda r, _c, _pr, _pc: self._row(r))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(box)

    def show_dump(self) -> None:
        dv = self.current
        gs = groups(dv.threads) if dv is not None else []
        self.table.setRowCount(len(gs))
        for r, g in enumerate(gs):
            top = " ← ".join(str(f) for f in g.frames[:3]) or "(no frames)"
            names = ", ".join(t.name for t in g.threads[:8]) + (" …" if len(g.threads) > 8 else "")
            for c, text in enumerate([f"{len(g.threads):,}", g.state, top, names]):
                item = QTableWidgetItem(text)
                item.setData(Role.ROW, g.threads[0].idx)
                if c == 0:
                    item.setTextAlignment(RIGHT)
                self.table.setItem(r, c, item)

    def _row(self, row: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.select_thread(item.data(Role.ROW))
