"""The Logcat dock: the log lines a tombstone carries, coloured by level, filtered by words (tag or message)
and by the lowest level shown; lines of the crashing thread stand out."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QTableWidgetItem, QVBoxLayout, QWidget

from pmdesk.model.crash.logcat import LEVELS, LogLine, has_logcat, log_lines
from pmdesk.model.dump import Dump
from pmdesk.views.common.base import readonly_table
from pmdesk.views.common.colours import accent_brush
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.crash.base import CrashView

COLOURS = {"V": "#808080", "D": "#3070b0", "I": "#2a8a2a", "W": "#b07800", "E": "#c02020", "F": "#a000a0"}


class CrashLogcatView(CrashView):
    VIEW_ID = "crash_logcat"
    TITLE = "Logcat"
    AREA = Qt.DockWidgetArea.BottomDockWidgetArea
    TAB_WITH = "crash_modules"

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.filter = QLineEdit(placeholderText="filter: words in the tag or message")
        self.level = QComboBox()
        self.level.addItems(["Verbose", "Debug", "Info", "Warning", "Error", "Fatal"])
        self.filter.textChanged.connect(self._fill)
        self.level.currentIndexChanged.connect(self._fill)
        self.count = QLabel()
        box = QWidget()
        self.table = readonly_table(box, ["Time", "PID", "TID", "Level", "Tag", "Message"], fit_columns=5)
        bar = QHBoxLayout()
        bar.addWidget(self.filter, 1)
        bar.addWidget(QLabel("at least"))
        bar.addWidget(self.level)
        bar.addWidget(self.count)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(bar)
        lay.addWidget(box, 1)
        self.lines: list[LogLine] = []

    def applies_to(self, dump: Dump | None) -> bool:
        return super().applies_to(dump) and dump is not None and has_logcat(dump)

    def show_crash(self) -> None:
        self.lines = log_lines(self.session.crash) if self.session is not None else []
        self._fill()

    def _fill(self) -> None:
        words = self.filter.text().lower().split()
        lowest = self.level.currentIndex()
        crashed = self.session.crash.crashed_thread if self.session is not None else None
        shown = [ln for ln in self.lines if (not ln.level or LEVELS.index(ln.level) >= lowest)
                 and all(w in f"{ln.tag} {ln.message}".lower() for w in words)]
        self.table.setRowCount(len(shown))
        for r, ln in enumerate(shown):
            cells = [ln.time, "" if ln.pid is None else str(ln.pid), "" if ln.tid is None else str(ln.tid),
                     ln.level, ln.tag, ln.message]
            colour = accent_brush(COLOURS[ln.level]) if ln.level in COLOURS else None
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if colour is not None:
                    item.setForeground(colour)
                if crashed is not None and ln.tid == crashed.tid:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)
        self.count.setText(f"{len(shown):,} of {len(self.lines):,} lines")
