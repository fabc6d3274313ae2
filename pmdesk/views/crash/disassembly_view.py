"""The Disassembly dock of a crash (capstone): the code around the chosen frame's pc, read from the dump's
memory (an ELF core's, or its mapped binary); the faulting instruction (or the frame's return point) marked."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QTableWidgetItem, QVBoxLayout, QWidget

from pmdesk.model.crash.logcat import has_memory
from pmdesk.model.dump import Dump
from pmdesk.views.common.base import readonly_table
from pmdesk.views.common.colours import tint_brush
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.crash.base import CrashView


class CrashDisassemblyView(CrashView):
    VIEW_ID = "crash_disassembly"
    TITLE = "Disassembly"
    AREA = Qt.DockWidgetArea.RightDockWidgetArea

    def applies_to(self, dump: Dump | None) -> bool:
        """Only for a dump with process memory (a core; not a report or tombstone, which list the map)."""
        return super().applies_to(dump) and dump is not None and has_memory(dump)

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        box = QWidget()
        self.table = readonly_table(box, ["", "Address", "Bytes", "Instruction"], fit_columns=3)
        self.table.setFont(QFont("monospace"))
        self.info = QLabel()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.info)
        lay.addWidget(box, 1)

    def selection_changed(self) -> None:
        f = self.frame()
        if self.session is None or f is None:
            self.table.setRowCount(0)
            self.info.clear()
            return
        pc = f.pc
        mark = pc
        if self.depth > 0 and any(not x.inlined for x in self.session.thread(self.tid).frames[:self.depth]):
            # a caller: pc is the return address; the call is the instruction before it
            rows = self.session.disassemble(pc)
            before = [a for a, _b, _t in rows if a < pc]
            mark = before[-1] if before else pc
        rows = self.session.disassemble(pc)
        self.table.setRowCount(len(rows))
        for r, (addr, raw, text) in enumerate(rows):
            here = addr == mark
            for c, cell in enumerate(["▶" if here else "", f"0x{addr:x}", raw, text]):
                item = QTableWidgetItem(cell)
                if here:
                    item.setBackground(tint_brush("#f4c7c7" if self.depth == 0 else "#fde3a7"))
                self.table.setItem(r, c, item)
            if here:
                self.table.scrollToItem(self.table.item(r, 1))
        snapshot = self.session.crash.snapshot  # a gcore or a dump on request: nothing faulted
        what = ("where the thread stood" if snapshot else "faulting instruction") if self.depth == 0 \
            else "the call this frame is in"
        self.info.setText(f"{f.function or '??'} — {what} marked" if rows else
                          "The code is neither in the dump nor in a binary pmdesk found.")
