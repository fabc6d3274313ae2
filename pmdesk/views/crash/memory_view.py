"""The Memory dock of a crash: a hex and ASCII view of any address the dump (or a mapped binary) has —
type an address, or it follows the chosen thread's stack pointer."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QVBoxLayout

from pmdesk.model.crash.logcat import has_memory
from pmdesk.model.dump import Dump
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.crash.base import CrashView

ROWS = 32


class CrashMemoryView(CrashView):
    VIEW_ID = "crash_memory"
    TITLE = "Memory"
    AREA = Qt.DockWidgetArea.BottomDockWidgetArea
    TAB_WITH = "crash_modules"

    def applies_to(self, dump: Dump | None) -> bool:
        """Only for a dump with process memory (a core; not a report or tombstone, which list the map)."""
        return super().applies_to(dump) and dump is not None and has_memory(dump)

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.address = QLineEdit(placeholderText="address (0x7ffd… or decimal), Enter to show")
        self.address.returnPressed.connect(lambda: self.show_at(self.address.text()))
        self.info = QLabel()
        self.hex = QPlainTextEdit(readOnly=True)
        self.hex.setFont(QFont("monospace"))
        self.hex.setMinimumHeight(40)
        top = QHBoxLayout()
        top.addWidget(QLabel("Address:"))
        top.addWidget(self.address, 1)
        top.addWidget(self.info)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.hex, 1)

    def selection_changed(self) -> None:
        if self.session is None or self.tid is None:
            self.hex.clear()
            return
        t = self.session.thread(self.tid)
        regs = t.registers if t else {}
        sp = regs.get("rsp", regs.get("sp"))
        if sp is not None and not self.address.text():
            self.show_at(f"0x{sp:x}")

    def show_at(self, text: str) -> None:
        if self.session is None:
            return
        try:
            addr = int(text, 0)
        except ValueError:
            self.info.setText("not an address")
            return
        data = self.session.read(addr, ROWS * 16)
        if data is None:
            data = self.session.read(addr, 16)
        if data is None:
            self.info.setText(f"0x{addr:x} is not in the dump or a mapped file")
            self.hex.clear()
            return
        self.info.setText(self.session.describe(addr))
        lines = []
        for at in range(0, len(data), 16):
            chunk = data[at:at + 16]
            text_part = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
            lines.append(f"{addr + at:016x}  {chunk.hex(' '):<47}  {text_part}")
        self.hex.setPlainText("\n".join(lines))
