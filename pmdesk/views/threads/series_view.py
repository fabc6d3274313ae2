"""The Series dock: several dumps of one process side by side — a grid of threads × dumps coloured by
state, threads stuck on the same stack in every dump marked; a cell selects that thread in that dump."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QTableWidgetItem, QVBoxLayout, QWidget

from pmdesk.model.threads.dumps import stuck
from pmdesk.views.common.base import readonly_table
from pmdesk.views.common.roles import Role
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.threads.base import ThreadDumpView, state_colour


class SeriesView(ThreadDumpView):
    VIEW_ID = "thread_series"
    TITLE = "Series"
    AREA = Qt.DockWidgetArea.LeftDockWidgetArea
    TAB_WITH = "threads"

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.info = QLabel()
        self.box = QWidget()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.info)
        lay.addWidget(self.box, 1)
        self.table = readonly_table(self.box, ["Thread"], fit_columns=1)
        self.table.cellClicked.connect(self._cell)

    def load(self, dump: Any) -> None:
        super().load(dump)
        self._fill()

    def show_dump(self) -> None:
        pass  # the grid shows every dump

    def _fill(self) -> None:
        series = self.series
        keys: list[tuple[str, str]] = []
        seen = set()
        for dv in series:
            for t in dv.threads:
                if t.key not in seen:
                    seen.add(t.key)
                    keys.append(t.key)
        stuck_names = set(stuck(series))
        self.table.clear()
        self.table.setColumnCount(len(series) + 1)
        self.table.setHorizontalHeaderLabels(["Thread"] + [f"#{i + 1}" for i in range(len(series))])
        self.table.setRowCount(len(keys))
        index = [{t.key: t for t in dv.threads} for dv in series]
        bold = QFont()
        bold.setBold(True)
        for r, key in enumerate(keys):
            name = QTableWidgetItem(key[0] + ("  — stuck" if key[0] in stuck_names else ""))
            if key[0] in stuck_names:
                name.setFont(bold)
            self.table.setItem(r, 0, name)
            for c, by_key in enumerate(index, 1):
                t = by_key.get(key)
                item = QTableWidgetItem(t.state[:12] if t else "")
                if t is not None:
                    item.setData(Role.CELL, (c - 1, t.idx))
                    colour = state_colour(t)
                    if colour is not None:
                        item.setBackground(colour)
                self.table.setItem(r, c, item)
        self.info.setText(f"{len(series)} dump{'s' if len(series) != 1 else ''}, {len(keys):,} threads; "
                          f"{len(stuck_names)} stuck (same stack in every dump, not idle)" if series else "")

    def _cell(self, row: int, col: int) -> None:
        item = self.table.item(row, col)
        cell = item.data(Role.CELL) if item is not None else None
        if cell is not None:
            position, idx = cell
            self.select_thread(idx, position)
