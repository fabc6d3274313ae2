"""The Registers dock of a crash: the chosen thread's registers as the core saved them, each value
annotated with the function or mapping it points into, then its floating-point and vector registers."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QTableWidgetItem, QVBoxLayout, QWidget

from pmdesk.model.crash import report
from pmdesk.views.common.base import readonly_table
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.crash.base import CrashView


class CrashRegistersView(CrashView):
    VIEW_ID = "crash_registers"
    TITLE = "Registers"
    AREA = Qt.DockWidgetArea.RightDockWidgetArea
    TAB_WITH = "crash_disassembly"

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        box = QWidget()
        self.table = readonly_table(box, ["Register", "Value", "Points into"], fit_columns=2)
        self.table.setFont(QFont("monospace"))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(box)
        self.shown: int | None = None

    def selection_changed(self) -> None:
        if self.session is None or self.tid is None:
            self.table.setRowCount(0)
            self.shown = None
            return
        if self.shown == self.tid:
            return
        self.shown = self.tid
        t = self.session.thread(self.tid)
        regs = t.registers if t else {}
        fp = t.extra_registers if t else []
        digits = report.address_digits(self.session.crash.process.arch)
        rows = [(name, f"0x{value:0{digits}x}", self.session.describe(value) if value > 0xFFFF else "")
                for name, value in regs.items()]
        if fp:
            rows += [("", "floating point / vector", ""), *((name, text, "") for name, text in fp)]
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
