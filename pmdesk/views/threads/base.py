"""Base of the thread-dump docks: the series of dumps in the open file, which dump of it is shown, and
thread selection through the bus."""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtGui import QColor

from pmdesk.model.dump import Dump
from pmdesk.model.formats import Kind
from pmdesk.model.threads.dumps import DumpView, ThreadInfo, series_of
from pmdesk.views.common.base import DockView
from pmdesk.views.common.colours import tint
from pmdesk.views.common.selection import SelectionBus, SeriesPositionChosen, ThreadSelected

STATE_COLOURS = {  # Java states, and the Go/Python states that mean the same
    "RUNNABLE": "#d7f5d7", "running": "#d7f5d7", "runnable": "#d7f5d7", "current": "#d7f5d7",
    "BLOCKED": "#f8c9c9", "semacquire": "#f8c9c9", "sync.Mutex.Lock": "#f8c9c9",
    "WAITING": "#fbe6bf", "TIMED_WAITING": "#fff5cc", "chan receive": "#fbe6bf", "chan send": "#fbe6bf",
    "select": "#fbe6bf", "sleep": "#fff5cc", "IO wait": "#fff5cc",
}
DEADLOCKED = "#e06666"


def state_colour(t: ThreadInfo) -> QColor | None:
    if t.wait_status == "deadlocked":
        return tint(DEADLOCKED)
    c = STATE_COLOURS.get(t.state)
    return tint(c) if c else None


class ThreadDumpView(DockView):
    KINDS: ClassVar[tuple[Kind, ...]] = (Kind.THREADS,)
    REQUIRES: ClassVar[tuple[str, ...]] = ("td_thread",)  # a core holds goroutines only when it is a Go program's

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.series: list[DumpView] = []
        self.position = 0

    def load(self, dump: Dump | None) -> None:
        super().load(dump)
        self.series = series_of(dump) if dump is not None else []
        self.position = len(self.series) - 1
        self.show_dump()

    @property
    def current(self) -> DumpView | None:
        return self.series[self.position] if 0 <= self.position < len(self.series) else None

    def show_dump(self) -> None:
        """Show dump `self.position` of the series (none: clear)."""
        raise NotImplementedError

    def show_thread(self, thread_idx: int) -> None:
        """React to a thread selected elsewhere."""

    def select_thread(self, thread_idx: int, position: int | None = None) -> None:
        if self.dump is not None:
            self.bus.selected.emit(ThreadSelected(self.dump, self.position if position is None else position,
                                                  thread_idx, self.VIEW_ID))

    def choose_position(self, position: int) -> None:
        if self.dump is not None:
            self.bus.selected.emit(SeriesPositionChosen(self.dump, position, self.VIEW_ID))

    def on_message(self, msg: object) -> None:
        if not isinstance(msg, ThreadSelected | SeriesPositionChosen) or msg.dump is not self.dump:
            return
        if msg.position != self.position and msg.source != self.VIEW_ID:
            self.position = msg.position
            self.show_dump()
        if isinstance(msg, ThreadSelected) and msg.source != self.VIEW_ID:
            self.show_thread(msg.thread_idx)
