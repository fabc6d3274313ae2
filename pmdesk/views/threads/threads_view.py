"""The Threads dock of a thread dump: every thread with its state (coloured; deadlocked in red), top
frame and the lock it waits for; a filter; which dump of a series is shown."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pmdesk.model.threads.dumps import ThreadInfo
from pmdesk.views.common.annotate_dialog import annotate_dialog
from pmdesk.views.common.base import readonly_table
from pmdesk.views.common.colours import accent, tint
from pmdesk.views.common.roles import Role
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.threads.base import ThreadDumpView, state_colour


def thread_target(t: ThreadInfo) -> str:
    """How an annotation names a thread (stable across the dumps of a series)."""
    return f"{t.name} {t.ident}"


class ThreadsView(ThreadDumpView):
    VIEW_ID = "threads"
    TITLE = "Threads"
    AREA = Qt.DockWidgetArea.LeftDockWidgetArea

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.which = QComboBox()
        self.which.currentIndexChanged.connect(self._dump_chosen)
        self.filter = QLineEdit(placeholderText="Filter threads: name, state or frame (regular expression)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(lambda _t: self._fill())
        self.summary = QLabel()
        top = QHBoxLayout()
        top.addWidget(self.which)
        top.addWidget(self.filter, 1)
        box = QWidget()
        self.table = readonly_table(box, ["Thread", "State", "Top frame", "Waits for"], fit_columns=2)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.table.currentCellChanged.connect(lambda r, _c, _pr, _pc: self._row(r))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._menu)
        self.bus.annotations.changed.connect(self._fill)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(box, 1)
        lay.addWidget(self.summary)

    def show_dump(self) -> None:
        self.which.blockSignals(True)
        self.which.clear()
        self.which.addItems([f"{i + 1}: {d.label}" for i, d in enumerate(self.series)])
        self.which.setCurrentIndex(self.position)
        self.which.setVisible(len(self.series) > 1)
        self.which.blockSignals(False)
        self._fill()
        self._apply_pending()

    def _fill(self) -> None:
        dv = self.current
        self.table.setRowCount(0)
        if dv is None:
            self.summary.setText("")
            return
        bad = ""
        try:
            rx = re.compile(self.filter.text(), re.I) if self.filter.text() else None
        except re.error as e:
            rx, bad = None, f" · the filter is not a regular expression ({e}): every thread shown"
        self.filter.setStyleSheet(f"border: 1px solid {accent('#cc0000').name()};" if bad else "")
        shown = [t for t in dv.threads if rx is None or rx.search(f"{t.name} {t.state} "
                                                                  f"{t.top_frame or ''}")]
        self.table.setRowCount(len(shown))
        for r, t in enumerate(shown):
            waits = ""
            if t.waits_for:
                owner = next((lk.owner for lk in dv.locks if lk.id == t.waits_for), None)
                waits = t.waits_for + (f" (held by {owner})" if owner else "")
            top = t.top_frame  # a goroutine's first frame outside the Go runtime, not runtime.gopark
            cells = [t.name, f"{t.state} {t.detail}".strip() if t.runtime != "java" else t.state,
                     str(top) if top else "", waits]
            colour = state_colour(t)
            mark = self.bus.annotations.colour_of(self.dump.content_key, "thread", thread_target(t)) \
                if self.dump is not None else None
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Role.ROW, t.idx)
                if colour is not None and c == 1:
                    item.setBackground(colour)
                if mark is not None and c == 0:
                    item.setBackground(tint(mark))
                self.table.setItem(r, c, item)
        dl = len(dv.deadlocks)
        no_locks = ""
        if "-format=json" in dv.title and not dv.locks:
            no_locks = " · this JSON thread dump carries no lock data (JDK 21), so no lock waits or deadlocks show"
        self.summary.setText(f"{len(shown):,} of {len(dv.threads):,} threads · {dv.runtime} · "
                             + (f"{dl} deadlock{'s' if dl > 1 else ''}" if dl else "no deadlock") + no_locks + bad)

    def _menu(self, pos: Any) -> None:
        item = self.table.itemAt(pos)
        dv = self.current
        if item is None or dv is None:
            return
        t = dv.threads[item.data(Role.ROW)]
        menu = QMenu(self)
        menu.addAction("Annotate…", lambda: annotate_dialog(self, self.bus.annotations, self.dump, "thread",
                                                             thread_target(t), f"thread {t.name}"))
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def _row(self, row: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.select_thread(item.data(Role.ROW))

    def _dump_chosen(self, index: int) -> None:
        if 0 <= index < len(self.series) and index != self.position:
            self.position = index
            self._fill()
            self.choose_position(index)

    def show_thread(self, thread_idx: int) -> None:
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            if item is not None and item.data(Role.ROW) == thread_idx:
                self.table.blockSignals(True)
                self.table.setCurrentCell(r, 0)
                self.table.blockSignals(False)
                return

    def copy_text(self) -> str | None:
        """Ctrl+C on threads: each selected thread's whole stack, as the thread dump prints it."""
        dv = self.current
        rows = sorted({i.row() for i in self.table.selectedIndexes()}) or [self.table.currentRow()]
        items = [self.table.item(r, 0) for r in rows if r >= 0]
        if dv is None:
            return None
        return "\n".join(dv.threads[it.data(Role.ROW)].stack_text() for it in items if it is not None) or None

    def view_state(self) -> dict[str, Any]:
        item = self.table.item(self.table.currentRow(), 0) if self.table.currentRow() >= 0 else None
        dv = self.current
        selected = thread_target(dv.threads[item.data(Role.ROW)]) if item is not None and dv is not None else None
        return {"filter": self.filter.text(), "position": self.position, "selected": selected}

    def restore_state(self, state: dict[str, Any]) -> None:
        self.filter.setText(state.get("filter", ""))
        self._pending = state
        self._apply_pending()

    def _apply_pending(self) -> None:
        state, dv = getattr(self, "_pending", None), self.current
        if not state or dv is None:
            return
        self._pending = None
        t = next((t for t in dv.threads if thread_target(t) == state.get("selected")), None)
        if t is not None:
            self.show_thread(t.idx)
            self.select_thread(t.idx)
