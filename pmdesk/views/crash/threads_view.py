"""The Threads dock of a crash: every thread (crashing one first and marked) with its signal and top
frames; choosing one shows its stack, registers and code in the other crash docks."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidgetItem, QVBoxLayout, QWidget

from pmdesk.base.crash import frame_name
from pmdesk.model.crash import report
from pmdesk.views.common.base import readonly_table
from pmdesk.views.common.colours import tint_brush
from pmdesk.views.common.roles import Role
from pmdesk.views.common.selection import CRASH_THREAD, SelectionBus
from pmdesk.views.crash.base import CrashView


class CrashThreadsView(CrashView):
    VIEW_ID = "crash_threads"
    TITLE = "Crash threads"
    AREA = Qt.DockWidgetArea.LeftDockWidgetArea
    TAB_WITH = "crash_summary"

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        box = QWidget()
        self.table = readonly_table(box, ["Thread", "Frames", "Top of stack"], fit_columns=2)
        self.table.currentCellChanged.connect(lambda r, _c, _pr, _pc: self._row(r))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._menu)
        self.bus.annotations.changed.connect(self._marks)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(box)

    def show_crash(self) -> None:
        crash = self.session.crash if self.session is not None else None
        threads = report.crashed_first(crash) if crash is not None else []
        crashed = crash.crashed_thread if crash is not None else None
        self.table.blockSignals(True)
        self.table.setRowCount(len(threads))
        for r, t in enumerate(threads):
            names = [frame_name(f) for f in t.frames[:3]]
            mark = f"  ({report.crashed_mark(crash)})" if t is crashed else ""
            # a thread the report lists without a stack says at least its state (a JVM error log's threads)
            top = " ← ".join(names) or (f"[{t.state}]" if t.state else "")
            cells = [report.thread_label(t) + mark, str(len(t.frames)), top]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Role.TID, t.tid)
                if t is crashed:  # red when it crashed; a snapshot's current thread only stands out
                    item.setBackground(tint_brush("#f4c7c7" if "crashed" in mark else "#d6e4f5"))
                self.table.setItem(r, c, item)
        self.table.blockSignals(False)
        self._marks()
        if threads:
            self.table.setCurrentCell(0, 0)

    def _marks(self) -> None:
        """Annotated threads get their annotation's colour on the first cell."""
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            colour = self.mark_of(CRASH_THREAD, str(item.data(Role.TID)))
            if colour is not None:
                item.setBackground(colour)

    def copy_text(self) -> str | None:
        """Ctrl+C on threads: each selected thread's whole stack, as gdb prints it."""
        rows = sorted({i.row() for i in self.table.selectedIndexes()}) or [self.table.currentRow()]
        items = [self.table.item(r, 0) for r in rows if r >= 0]
        threads = [self.session.thread(it.data(Role.TID)) for it in items if it is not None] if self.session else []
        arch = self.session.crash.process.arch if self.session else None
        return "\n".join(report.stack_text(t, arch) for t in threads if t is not None) or None

    def _menu(self, pos: Any) -> None:
        item = self.table.itemAt(pos)
        t = self.session.thread(item.data(Role.TID)) if item is not None and self.session is not None else None
        if t is not None:
            self.annotate_menu(self.table, pos, CRASH_THREAD, str(t.tid), report.thread_label(t),
                           report.stack_text(t, self.session.crash.process.arch))

    def _row(self, row: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.choose(item.data(Role.TID), 0)
