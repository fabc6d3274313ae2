"""The Annotations dock: every note of the session — on which dump, what it is pinned to, tag, note,
author, time; double-clicking one goes to its item (switching dumps when needed)."""

from __future__ import annotations

import contextlib
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QTableWidgetItem, QVBoxLayout, QWidget

from pmdesk.model.dump import Dump
from pmdesk.model.heap.graph import graph_of, parse_id
from pmdesk.model.session import Annotation
from pmdesk.views.common.base import DockView, readonly_table
from pmdesk.views.common.roles import Role
from pmdesk.views.common.selection import CRASH_FRAME, CRASH_THREAD, CrashFrameSelected, GoTo, SelectionBus


class AnnotationsView(DockView):
    VIEW_ID = "annotations"
    TITLE = "Annotations"
    AREA = Qt.DockWidgetArea.RightDockWidgetArea
    TAB_WITH = "gc_paths"

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.open_dumps: list[Dump] = []
        box = QWidget()
        self.table = readonly_table(box, ["Tag", "Item", "Note", "Dump", "By", "When"], fit_columns=2)
        self.table.cellDoubleClicked.connect(lambda r, _c: self.go_to(r))
        self.info = QLabel()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(box, 1)
        lay.addWidget(self.info)
        self.bus.annotations.changed.connect(self.refresh)

    def applies_to(self, dump: Dump | None) -> bool:
        """Shown once the session has notes (the first Annotate… brings it up): an empty list took a dock's
        room on every screen."""
        return dump is not None and bool(self.bus.annotations.session.annotations)

    def open_dumps_changed(self, dumps: list[Dump]) -> None:
        self.open_dumps = list(dumps)
        self.refresh()

    def refresh(self) -> None:
        notes = self.bus.annotations.session.annotations
        names = {d.content_key: d.name for d in self.open_dumps}
        self.table.setRowCount(len(notes))
        for r, a in enumerate(notes):
            cells = [a.tag, a.label, a.note, names.get(a.dump_key, f"(not open) {a.dump_key[:8]}"), a.author,
                     a.time.replace("T", " ")]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Role.ROW, r)
                if c == 0:
                    item.setBackground(QColor(a.colour))
                self.table.setItem(r, c, item)
        self.info.setText(f"{len(notes)} annotation{'s' if len(notes) != 1 else ''} · double-click one to go to it"
                          if notes else "No annotations yet: right-click an object or a thread to annotate it.")

    def go_to(self, row: int) -> None:
        notes = self.bus.annotations.session.annotations
        if not 0 <= row < len(notes):
            return
        a: Annotation = notes[row]
        dump = next((d for d in self.open_dumps if d.content_key == a.dump_key), None)
        if dump is None:
            self.info.setText(f"{a.label}: its dump is not open")
            return
        self.bus.selected.emit(GoTo(dump))  # the window shows that dump first
        if a.kind in (CRASH_THREAD, CRASH_FRAME):
            tid, _, depth = a.target.partition(":")
            with contextlib.suppress(ValueError):
                self.bus.selected.emit(CrashFrameSelected(dump, int(tid), int(depth or 0), self.VIEW_ID))
            return
        if a.kind == "object":
            g = graph_of(dump)
            node = g.node_of(parse_id(a.target)) if g is not None else None
            if node is not None:
                self.bus.select_object(dump, node, self.VIEW_ID)
