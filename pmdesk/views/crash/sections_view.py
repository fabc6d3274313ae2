"""The Report sections dock: the free text a crash carries besides its stacks — a minidump's Linux /proc
streams, Crashpad annotations, memory info, handles, unloaded modules; an Apple report's notes; a tombstone's
open files — one section at a time, with a word filter over its lines."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QPlainTextEdit, QSplitter, QVBoxLayout, QWidget

from pmdesk.base.crash import Section
from pmdesk.model.crash.logcat import has_sections, text_sections
from pmdesk.model.dump import Dump
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.crash.base import CrashView


class CrashSectionsView(CrashView):
    VIEW_ID = "crash_sections"
    TITLE = "Report sections"
    AREA = Qt.DockWidgetArea.BottomDockWidgetArea
    TAB_WITH = "crash_modules"

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.titles = QListWidget()
        self.titles.currentRowChanged.connect(self._fill)
        self.filter = QLineEdit(placeholderText="filter: lines holding these words")
        self.filter.textChanged.connect(self._fill)
        self.count = QLabel()
        self.text = QPlainTextEdit(readOnly=True)
        self.text.setFont(QFont("monospace"))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.filter)
        rl.addWidget(self.text, 1)
        rl.addWidget(self.count)
        split = QSplitter()
        split.addWidget(self.titles)
        split.addWidget(right)
        split.setStretchFactor(1, 4)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(split)
        self.sections: list[Section] = []

    def applies_to(self, dump: Dump | None) -> bool:
        return super().applies_to(dump) and dump is not None and has_sections(dump)

    def show_crash(self) -> None:
        self.sections = text_sections(self.session.crash) if self.session is not None else []
        self.titles.clear()
        self.titles.addItems([s.title for s in self.sections])
        if self.sections:
            self.titles.setCurrentRow(0)
        self._fill()

    def _fill(self) -> None:
        row = self.titles.currentRow()
        if not 0 <= row < len(self.sections):
            self.text.clear()
            self.count.clear()
            return
        lines = self.sections[row].text.split("\n")
        words = self.filter.text().lower().split()
        shown = [ln for ln in lines if all(w in ln.lower() for w in words)]
        self.text.setPlainText("\n".join(shown))
        self.count.setText(f"{len(shown):,} of {len(lines):,} lines" if words else f"{len(lines):,} lines")
