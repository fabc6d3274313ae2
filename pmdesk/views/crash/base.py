"""What the crash docks share: the crash session (the crash model, memory, disassembly) for the symbol paths
the user set, and the thread and frame chosen in the Threads and Symbolicated stack docks."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import QMenu, QTableWidget

from pmdesk.base.crash import Frame
from pmdesk.model.crash import report
from pmdesk.model.crash.session import CrashSession
from pmdesk.model.dump import Dump
from pmdesk.model.formats import Kind
from pmdesk.views.common.annotate_dialog import annotate_dialog
from pmdesk.views.common.base import DockView
from pmdesk.views.common.colours import tint
from pmdesk.views.common.selection import CrashFrameSelected, SelectionBus


class CrashView(DockView):
    KINDS = (Kind.CRASH,)

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.session: CrashSession | None = None
        self.tid: int | None = None
        self.depth = 0

    def load(self, dump: Dump | None) -> None:
        super().load(dump)
        self.session = CrashSession.of(dump, self.bus.symbol_paths) if dump is not None and \
            dump.has(Kind.CRASH) else None
        crashed = self.session.crash.crashed_thread if self.session is not None else None
        self.tid = crashed.tid if crashed is not None else None
        self.depth = report.start_depth(self.session.crash) if self.session is not None else 0
        self.show_crash()

    def on_message(self, msg: object) -> None:
        if isinstance(msg, CrashFrameSelected) and msg.dump is self.dump and msg.source != self.VIEW_ID:
            self.tid, self.depth = msg.tid, msg.depth
            self.selection_changed()

    def choose(self, tid: int, depth: int) -> None:
        self.tid, self.depth = tid, depth
        if self.dump is not None:
            self.bus.selected.emit(CrashFrameSelected(self.dump, tid, depth, self.VIEW_ID))

    def annotate_menu(self, table: QTableWidget, pos: Any, kind: str, target: str, label: str,
                      copy: str | None = None) -> None:
        """The right-click menu of a thread or frame row: Copy (`copy`: the frame or the thread's stack) and
        Annotate… (what the Annotations dock lists)."""
        menu = QMenu(self)
        if copy:
            menu.addAction("Copy", lambda: QGuiApplication.clipboard().setText(copy))
        menu.addAction("Annotate…", lambda: annotate_dialog(self, self.bus.annotations, self.dump, kind, target,
                                                             label))
        menu.exec(table.viewport().mapToGlobal(pos))

    def mark_of(self, kind: str, target: str) -> QColor | None:
        """The colour of the annotation pinned to this thread or frame, if any."""
        colour = self.bus.annotations.colour_of(self.dump.content_key, kind, target) if self.dump else None
        return tint(colour) if colour else None

    def frame(self) -> Frame | None:
        t = self.session.thread(self.tid) if self.session is not None else None
        return t.frames[self.depth] if t and 0 <= self.depth < len(t.frames) else None

    def show_crash(self) -> None:
        """Redraw for self.session (None: no crash open)."""
        self.selection_changed()

    def selection_changed(self) -> None:
        """The chosen thread or frame changed."""
