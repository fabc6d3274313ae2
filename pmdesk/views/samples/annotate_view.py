"""The Annotate dock of a profile (perf annotate's view): the function selected elsewhere, its instructions
from the binary with the share of its samples taken at each (the hot ones tinted) and their source lines —
worked out off the GUI thread (the binary's DWARF may be big)."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QThread, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableWidgetItem, QVBoxLayout, QWidget

from pmdesk.base.errors import PmdeskError
from pmdesk.model.samples import profile as model
from pmdesk.model.samples.annotate import Annotation, annotate
from pmdesk.views.common.base import readonly_table
from pmdesk.views.common.colours import tint_brush
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.samples.base import FunctionView, weight_text

HOT_SHARE = 0.05  # instructions with at least this share of the function's samples are tinted


class _AnnotateJob(QThread):
    done = Signal(object)
    failed = Signal(str)

    def __init__(self, samples: model.Samples, function: str, sel: model.Selection) -> None:
        super().__init__()
        self.samples, self.function, self.sel = samples, function, sel

    def run(self) -> None:
        try:
            self.done.emit(annotate(self.samples, self.function, None, self.sel))
        except PmdeskError as e:
            self.failed.emit(e.one_line())
        except Exception as e:  # shown in the dock, never raised into Qt
            self.failed.emit(f"annotating {self.function} failed: {type(e).__name__}: {e}")


class ProfileAnnotateView(FunctionView):
    VIEW_ID = "profile_annotate"
    TITLE = "Annotate"
    TAB_WITH = "profile_sandwich"

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.job: _AnnotateJob | None = None
        self._running: set[_AnnotateJob] = set()  # kept until they finish (a QThread must not be dropped running)
        self.info = QLabel("Select a function (in the flame graph, Functions or Call tree)")
        self.info.setWordWrap(True)
        box = QWidget()
        self.table = readonly_table(box, ["Share", "Address", "Instruction", "Source"], fit_columns=3)
        self.table.setFont(QFont("monospace"))
        share = self.table.horizontalHeader()  # room for "100.00%" whichever rows the header measures
        share.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        self.table.setColumnWidth(0, QFontMetrics(self.table.font()).horizontalAdvance("100.00%") + 12)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.info)
        lay.addWidget(box, 1)

    def applies_to(self, dump: Any) -> bool:
        """Only for a profile that keeps instruction addresses (perf.data)."""
        return super().applies_to(dump) and dump is not None and dump.meta.get("perf.binaries") is not None

    def refresh(self) -> None:
        self.table.setRowCount(0)
        if self.dump is None or not self.function:
            return
        self.info.setText(f"{self.function}: reading its code…")
        job = self.job = _AnnotateJob(model.load(self.dump), self.function, self.profile_state().selection)
        job.done.connect(lambda a, j=job: self._show(a) if j is self.job else None)
        job.failed.connect(lambda m, j=job: self.info.setText(m) if j is self.job else None)
        job.finished.connect(lambda j=job: self._running.discard(j))
        self._running.add(job)
        job.start()

    def _show(self, a: Annotation) -> None:
        where = f" in {a.binary}" if a.binary else ""
        self.info.setText(f"{a.function}{where}: {weight_text(a.total, a.unit)} as the innermost frame"
                          + (f" — {a.problem}" if a.problem else ""))
        self.table.setRowCount(len(a.instructions))
        hottest = max(range(len(a.instructions)), key=lambda r: a.instructions[r].weight, default=None)
        for r, ins in enumerate(a.instructions):
            share = ins.weight / a.total if a.total else 0.0
            cells = (f"{share:.2%}" if ins.weight else "", f"{ins.address:x}", ins.text,
                     os.path.basename(ins.source) if ins.source else "")
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 3 and ins.source:
                    item.setToolTip(ins.source)
                if share >= HOT_SHARE:
                    item.setBackground(tint_brush("#f4c7c7" if share >= 0.25 else "#fde3a7"))
                self.table.setItem(r, c, item)
        if hottest is not None:  # now, and again once the rows are laid out
            self._scroll_to(hottest)
            QTimer.singleShot(0, lambda: self._scroll_to(hottest))

    def _scroll_to(self, row: int) -> None:
        if row < self.table.rowCount():
            self.table.scrollTo(self.table.model().index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
