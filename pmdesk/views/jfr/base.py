"""What the JFR docks share: the recording they show, the time range chosen on the timeline (every JFR dock
narrows to it), and tables of numbers that sort as numbers."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

from pmdesk.model.dump import Dump
from pmdesk.model.formats import Kind
from pmdesk.model.jfr.recording import Recording, Window
from pmdesk.views.common.base import DockView
from pmdesk.views.common.columns import RIGHT
from pmdesk.views.common.roles import Role
from pmdesk.views.common.selection import SelectionBus, TimeRangeSelected

SORT_ROLE = int(Role.SORT)  # looked up once: an enum member's lookup cost more than the cell it fills,
ALIGN_ROLE = int(Qt.ItemDataRole.TextAlignmentRole.value)  # and setTextAlignment's overloads cost more still
RIGHT_INT = int(RIGHT.value)


class SortableItem(QTableWidgetItem):
    """A cell showing formatted text that sorts by the value behind it."""

    def __init__(self, text: str, value: Any = None, right: bool = False) -> None:
        super().__init__(text)
        self.setData(SORT_ROLE, text if value is None else value)
        if right:
            self.setData(ALIGN_ROLE, RIGHT_INT)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        a, b = self.data(SORT_ROLE), other.data(SORT_ROLE)
        try:
            return a < b
        except TypeError:
            return str(a) < str(b)


def number(value: float, text: str | None = None) -> SortableItem:
    return SortableItem(text if text is not None else f"{value:,}", value, right=True)


def fill(table: QTableWidget, rows: list[list[QTableWidgetItem]]) -> None:
    """Replace a table's rows (sorting is suspended while filling)."""
    sorting = table.isSortingEnabled()
    table.setSortingEnabled(False)
    table.setRowCount(len(rows))
    for r, cells in enumerate(rows):
        for c, item in enumerate(cells):
            table.setItem(r, c, item)
    table.setSortingEnabled(sorting)


def ms(ns: float) -> str:
    return f"{ns / 1e6:,.1f} ms"


class JfrView(DockView):
    """A dock over a JFR recording; `refresh()` redraws it for `self.rec` within `self.window`."""

    KINDS = (Kind.EVENTS,)

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.rec: Recording | None = None
        self.window: Window = None

    def load(self, dump: Dump | None) -> None:
        super().load(dump)
        self.rec = Recording.of(dump) if dump is not None and dump.has(Kind.EVENTS) else None
        self.window = self.bus.dump_state(dump).get("jfr_window") if dump is not None else None
        self.refresh()

    def on_message(self, msg: object) -> None:
        if isinstance(msg, TimeRangeSelected) and msg.dump is self.dump:
            self.window = msg.window
            if msg.source != self.VIEW_ID:  # the dock that chose the range already shows it
                self.refresh()

    def choose_window(self, window: Window) -> None:
        """Announce a time range to every JFR dock (and keep it for docks loaded later)."""
        if self.dump is not None:
            self.bus.dump_state(self.dump)["jfr_window"] = window
            self.bus.selected.emit(TimeRangeSelected(self.dump, window, self.VIEW_ID))

    def window_text(self) -> str:
        if self.window is None or self.rec is None:
            return "whole recording"
        a, b = ((t - self.rec.start_ns) / 1e9 for t in self.window)
        return f"{a:,.2f} s – {b:,.2f} s"

    def refresh(self) -> None:
        raise NotImplementedError
