"""The Symbolicated stack dock of a crash: the chosen thread's frames — inlined and tail-call frames as
their own rows, how each was found (CFI, frame pointer, stack scan) — and, below, the source around the
chosen frame's line when the source file is on this machine."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pmdesk.base.crash import Frame, frame_name
from pmdesk.model.crash import report
from pmdesk.model.crash.session import source_lines
from pmdesk.views.common.base import readonly_table
from pmdesk.views.common.colours import accent_brush
from pmdesk.views.common.selection import CRASH_FRAME, SelectionBus
from pmdesk.views.crash.base import CrashView

TRUST = {"context": "registers", "cfi": "CFI", "leaf": "leaf return", "frame_pointer": "frame pointer",
         "cfi_scan": "CFI and a scan", "scan": "stack scan (a guess)", "symbolicated-by-report": "the report"}


class CrashStackView(CrashView):
    VIEW_ID = "crash_stack"
    TITLE = "Symbolicated stack"
    AREA = Qt.DockWidgetArea.RightDockWidgetArea

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        box = QWidget()
        self.table = readonly_table(box, ["#", "Function", "Location", "pc", "Module", "Found by"], fit_columns=0)
        hh = self.table.horizontalHeader()
        for c, width in ((0, 28), (1, 300), (2, 150), (3, 120), (4, 110)):
            hh.setSectionResizeMode(c, QHeaderView.ResizeMode.Interactive)
            self.table.setColumnWidth(c, width)
        self.table.currentCellChanged.connect(lambda r, _c, _pr, _pc: self._row(r))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._menu)
        self.bus.annotations.changed.connect(self._marks)
        self.source = QPlainTextEdit(readOnly=True)
        self.source.setFont(QFont("monospace"))
        self.source_label = QLabel()
        below = QWidget()
        bl = QVBoxLayout(below)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(self.source_label)
        bl.addWidget(self.source)
        self.source.setMinimumHeight(40)  # the dock must fit a laptop's 768 px beside three others
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(box)
        split.addWidget(below)
        split.setSizes([300, 150])
        split.setStretchFactor(0, 3)  # a short dock gives the frames most of its height
        split.setStretchFactor(1, 1)
        self.title = QLabel()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.title)
        lay.addWidget(split, 1)

    def selection_changed(self) -> None:
        t = self.session.thread(self.tid) if self.session is not None else None
        frames = t.frames if t else []
        self.title.setText(report.thread_label(t) if t else "")
        self.table.blockSignals(True)
        self.table.setRowCount(len(frames))
        for r, f in enumerate(frames):
            loc = os.path.basename(f.file) + (f":{f.line}" if f.line is not None else "") if f.file else ""
            pc = f"0x{f.pc:x}" if f.pc or f.trust != "symbolicated-by-report" else ""  # a report's Java frame: none
            cells = [str(r), frame_name(f) + ("  (inlined)" if f.inlined else ""), loc, pc,
                     os.path.basename(f.module or "") or report.FRAME_KINDS.get(f.kind or "", ""),
                     TRUST.get(f.trust, f.trust)]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if f.trust in ("scan", "cfi_scan"):
                    item.setForeground(accent_brush("#a06000"))
                if c == 2 and f.file:
                    item.setToolTip(f.file)
                elif c == 1:
                    item.setToolTip(text)
                self.table.setItem(r, c, item)
        self.table.blockSignals(False)
        self._marks()
        if 0 <= self.depth < len(frames):
            self.table.setCurrentCell(self.depth, 1)
        self._show_source(frames[self.depth] if 0 <= self.depth < len(frames) else None)

    def _marks(self) -> None:
        """Annotated frames get their annotation's colour on the first cell."""
        for r in range(self.table.rowCount()):
            colour = self.mark_of(CRASH_FRAME, f"{self.tid}:{r}")
            if colour is not None:
                self.table.item(r, 0).setBackground(colour)

    def _menu(self, pos: Any) -> None:
        item = self.table.itemAt(pos)
        t = self.session.thread(self.tid) if self.session is not None else None
        if item is None or t is None or not 0 <= item.row() < len(t.frames):
            return
        f = t.frames[item.row()]
        where = f" at {f.file}:{f.line}" if f.file else f" from {f.module}" if f.module else ""
        self.annotate_menu(self.table, pos, CRASH_FRAME, f"{t.tid}:{item.row()}",
                           f"{report.thread_label(t)} frame #{item.row()}: {frame_name(f)}",
                           f"#{item.row()} 0x{f.pc:x} in {frame_name(f)}{where}")

    def _row(self, row: int) -> None:
        if self.tid is not None and row >= 0:
            self.choose(self.tid, row)
            t = self.session.thread(self.tid)
            self._show_source(t.frames[row] if t and row < len(t.frames) else None)

    def _show_source(self, f: Frame | None) -> None:
        found = source_lines(f.file, f.line, dirs=self.session.source_dirs()) if f and self.session is not None \
            else None
        if f is None or not f.file:
            self.source_label.setText("No source line for this frame.")
            self.source.clear()
        elif found is None:
            self.source_label.setText(f"{f.file}:{f.line} — the source file is not on this machine")
            self.source.clear()
        else:
            where, lines = found
            self.source_label.setText(f"{where}:{f.line}")
            self.source.setPlainText("\n".join(f"{'→' if n == f.line else ' '} {n:5}  {text}"
                                               for n, text in lines))
