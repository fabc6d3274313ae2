"""The page an empty window shows instead of empty docks: open a dump, open the sample, the recent files, and
that a dump can be dropped anywhere on the window."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget


class WelcomePage(QWidget):
    def __init__(self, open_dialog: Callable[[], None], open_sample: Callable[[], None],
                 open_path: Callable[[str], None], triage: Callable[[], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.open_path = open_path
        title = QLabel("<h2>pmdesk</h2><p>Open the corpse of a process — a heap dump, a thread dump, a JFR "
                       "recording, an ELF core — or drop it anywhere on this window; or triage a folder of "
                       "them into buckets.</p>")
        title.setWordWrap(True)
        title.setTextFormat(Qt.TextFormat.RichText)
        buttons = QHBoxLayout()
        actions = [("Open a dump…", open_dialog), ("Open the sample heap dump", open_sample)]
        if triage is not None:
            actions.append(("Triage a folder of dumps…", triage))
        for text, slot in actions:
            b = QPushButton(text)
            b.clicked.connect(slot)
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.recent = QListWidget()
        self.recent.itemActivated.connect(lambda item: self.open_path(item.data(Qt.ItemDataRole.UserRole)))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 24, 24, 24)
        lay.addWidget(title)
        lay.addLayout(buttons)
        lay.addWidget(QLabel("Recent files (double-click to open):"))
        lay.addWidget(self.recent, 1)

    def set_recent(self, paths: list[str]) -> None:
        self.recent.clear()
        for p in paths:
            item = QListWidgetItem(f"{os.path.basename(p)}    {os.path.dirname(p)}")
            item.setData(Qt.ItemDataRole.UserRole, p)
            item.setToolTip(p)
            self.recent.addItem(item)
