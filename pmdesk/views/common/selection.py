"""The selection bus: views announce what the user selected (and what they need done) as typed messages
and react to others' messages, without knowing each other or the window."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from pmdesk.model.dump import Dump


@dataclass(frozen=True)
class ObjectSelected:
    """A heap object (graph node) of `dump` was selected."""

    dump: Dump
    node: int
    source: str  # VIEW_ID of the view that announced it (it need not react to its own message)


@dataclass(frozen=True)
class GraphRequested:
    """A view asks for the dump's dominator tree to be computed (e.g. after a cancelled run)."""

    dump: Dump


@dataclass(frozen=True)
class ThreadSelected:
    """Thread `thread_idx` of dump `position` in the series of thread dumps in `dump` was selected."""

    dump: Dump
    position: int
    thread_idx: int
    source: str


@dataclass(frozen=True)
class SeriesPositionChosen:
    """Which dump of a thread-dump series the thread docks show."""

    dump: Dump
    position: int
    source: str


@dataclass(frozen=True)
class TimeRangeSelected:
    """A time range of a JFR recording was chosen (event start times in [start_ns, end_ns)); None = all."""

    dump: Dump
    window: tuple[int, int] | None
    source: str


CRASH_THREAD, CRASH_FRAME = "crash_thread", "crash_frame"  # annotation kinds; targets '<tid>', '<tid>:<depth>'


@dataclass(frozen=True)
class CrashFrameSelected:
    """Frame `depth` of thread `tid` of a crash was selected (depth 0 when a thread was chosen)."""

    dump: Dump
    tid: int
    depth: int
    source: str


@dataclass(frozen=True)
class ProfileChanged:
    """What part of a profile's samples the profile docks show changed (bus.dump_state(dump)['profile'])."""

    dump: Dump
    source: str


@dataclass(frozen=True)
class FunctionSelected:
    """A function of a profile was selected (the sandwich shows its callers and callees)."""

    dump: Dump
    function: str
    source: str


@dataclass(frozen=True)
class GoTo:
    """Show this dump (the window switches to it)."""

    dump: Dump


@dataclass(frozen=True)
class ShowDock:
    """Bring this dock forward (shown even if the user closed it)."""

    view_id: str


class SelectionBus(QObject):
    selected = Signal(object)  # one of the message dataclasses above

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        from pmdesk.views.common.annotation_store import AnnotationStore

        self.annotations = AnnotationStore(self)  # the session's notes, shared by all docks
        self.symbol_paths = None  # SearchPaths for cores (File > Symbol paths…); None = the defaults
        self._dump_state: weakref.WeakKeyDictionary[Dump, dict[str, Any]] = weakref.WeakKeyDictionary()
        self.selected.connect(self._remember)

    def _remember(self, msg: object) -> None:
        dump = getattr(msg, "dump", None)
        if dump is not None:
            last = self.dump_state(dump).setdefault("messages", {})
            last.pop(type(msg), None)  # the newest of each kind last
            last[type(msg)] = msg

    def remembered(self, dump: Dump) -> list[object]:
        """The last message of each kind about `dump`, oldest first (for a dock loaded late)."""
        return list(self.dump_state(dump).get("messages", {}).values())

    def dump_state(self, dump: Dump) -> dict[str, Any]:
        """What the docks keep about an open dump between loads (a JFR's chosen time range…): view state,
        kept here rather than on the model's objects."""
        return self._dump_state.setdefault(dump, {})

    def select_object(self, dump: Dump, node: int, source: str) -> None:
        self.selected.emit(ObjectSelected(dump, node, source))
