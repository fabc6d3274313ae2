"""The Stack dock: the selected thread's frames, innermost first, with the locks it holds or wants at
the frame where the dump names them, and who owns the lock it waits for."""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QHeaderView, QLabel, QMenu, QTableWidgetItem, QVBoxLayout, QWidget

from pmdesk.model.threads.dumps import ThreadInfo
from pmdesk.views.common.annotate_dialog import annotate_dialog
from pmdesk.views.common.base import readonly_table
from pmdesk.views.common.colours import accent, tint
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.threads.base import ThreadDumpView


def frame_target(t: ThreadInfo, depth: int, function: str) -> str:
    """How an annotation names a stack frame: thread, depth and function."""
    return f"{t.name} {t.ident} #{depth} {function}"


RELATION_TEXT = {"locked": "- locked", "waiting_to_lock": "- waiting to lock", "waiting_on": "- waiting on",
                 "parking": "- parking to wait for", "owns": "- owns"}


class StackView(ThreadDumpView):
    VIEW_ID = "thread_stack"
    TITLE = "Stack"
    AREA = Qt.DockWidgetArea.RightDockWidgetArea
    TAB_WITH = "overview"

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.thread: ThreadInfo | None = None
        self.header = QLabel("Select a thread.")
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box = QWidget()
        self.table = readonly_table(box, ["#", "Frame", "Location"], fit_columns=1)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._menu)
        self.bus.annotations.changed.connect(lambda: self.thread is not None and self.show_thread(self.thread.idx))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.header)
        lay.addWidget(box, 1)

    def show_dump(self) -> None:
        self.thread = None
        self.table.setRowCount(0)
        self.header.setText("Select a thread." if self.current is not None else "")

    def show_thread(self, thread_idx: int) -> None:
        dock = self.parentWidget()
        if isinstance(dock, QDockWidget) and dock.isVisible():
            dock.raise_()
        dv = self.current
        if dv is None or not 0 <= thread_idx < len(dv.threads):
            return
        t = self.thread = dv.threads[thread_idx]
        lines = [f"<b>{escape(t.name)}</b> ({escape(t.ident)}) · {escape(t.state)} {escape(t.detail)}"]
        if t.waits_for:
            owner = next((lk.owner for lk in dv.locks if lk.id == t.waits_for), None)
            red = accent("#cc0000").name()
            status = f" — <b style='color:{red}'>DEADLOCKED</b>" if t.wait_status == "deadlocked" else ""
            lines.append(f"waits for {escape(t.waits_for)}" + (f", held by {escape(owner)}" if owner else "") + status)
        if t.holds:
            lines.append("holds " + ", ".join(escape(h) for h in t.holds))
        self.header.setText("<br>".join(lines))
        rows: list[tuple[str, str, str]] = []
        by_depth: dict[int, list[tuple[str, str]]] = {}
        for rel, lock_id, cls, depth in self._locks(thread_idx):
            by_depth.setdefault(depth, []).append((RELATION_TEXT.get(rel, rel), f"<{lock_id}> ({cls})"))
        for i, f in enumerate(t.frames):
            rows.append((str(i), f.function, f"{f.file}:{f.line}" if f.file and f.line else (f.file or "")))
            rows.extend(("", f"{what} {lock}", "") for what, lock in by_depth.get(i, []))
        if t.created_by:  # a goroutine: who started it
            rows.append(("", f"created by {t.created_by}", ""))
        for a in t.ancestors:  # GODEBUG=tracebackancestors: the goroutines that started it, nearest first
            rows.append(("", f"[originating from goroutine {a.ident}]:", ""))
            rows.extend(("", f"    {f}", "") for f in a.frames)
            if a.created_by:
                rows.append(("", f"created by {a.created_by}", ""))
        self.table.clearSpans()
        self.table.setRowCount(len(rows))
        key = self.dump.content_key if self.dump is not None else ""
        for r, cells in enumerate(rows):
            mark = (self.bus.annotations.colour_of(key, "frame", frame_target(t, int(cells[0]), cells[1]))
                    if cells[0] else None)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if mark is not None:
                    item.setBackground(tint(mark))
                self.table.setItem(r, c, item)
            if not cells[0]:  # a lock line: across Frame and Location, so it widens neither column
                self.table.setSpan(r, 1, 1, 2)
        top = t.top_frame  # a goroutine's first frame outside the runtime: where the reader looks first
        if top is not None and top in t.frames:
            row = next(r for r, cells in enumerate(rows) if cells[0] == str(t.frames.index(top)))
            self.table.setCurrentCell(row, 1)

    def _menu(self, pos: Any) -> None:
        item = self.table.item(self.table.rowAt(pos.y()), 0)
        t = self.thread
        if item is None or not item.text() or t is None:
            return
        depth = int(item.text())
        function = t.frames[depth].function
        menu = QMenu(self)
        menu.addAction("Copy frame", lambda: QGuiApplication.clipboard().setText(f"at {t.frames[depth]}"))
        menu.addAction("Copy the thread's stack", lambda: QGuiApplication.clipboard().setText(t.stack_text()))
        menu.addAction("Annotate…", lambda: annotate_dialog(self, self.bus.annotations, self.dump, "frame",
                                                             frame_target(t, depth, function),
                                                             f"{t.name} frame {depth}: {function}"))
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def _locks(self, thread_idx: int) -> list[tuple[str, str, str, int]]:
        assert self.dump is not None
        # the position in the series is the dump_idx within this file
        return self.dump.conn.execute("SELECT relation, lock_id, class, depth FROM td_lock WHERE dump_idx = ? AND "
                                      "thread_idx = ? ORDER BY depth", (self.position, thread_idx)).fetchall()
