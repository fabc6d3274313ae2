"""File ▸ Symbol paths…: where pmdesk finds a core's program binary, its shared libraries and debug files,
and an Apple report's dSYMs (`--exe`, `--search-dir`, `--debug-dir` of `pmdesk stack`), kept in the
settings; DEBUGINFOD_URLS from the environment is used too."""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from pmdesk.native.symbol_files import SearchPaths


def load_paths(settings: QSettings) -> SearchPaths | None:
    exe = str(settings.value("symbols/exe", "") or "")
    search = [d for d in str(settings.value("symbols/search", "") or "").split(os.pathsep) if d]
    debug = [d for d in str(settings.value("symbols/debug", "") or "").split(os.pathsep) if d]
    if not (exe or search or debug):
        return None
    return SearchPaths(exe=exe or None, search_dirs=search, debug_dirs=debug)


class SymbolPathsDialog(QDialog):
    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Symbol paths")
        self.settings = settings
        self.exe = QLineEdit(str(settings.value("symbols/exe", "") or ""))
        self.search = QLineEdit(str(settings.value("symbols/search", "") or ""))
        self.debug = QLineEdit(str(settings.value("symbols/debug", "") or ""))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        exe_row = QHBoxLayout()
        exe_row.addWidget(self.exe, 1)
        exe_row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow(QLabel("Where a crash's binaries and debug files are — a core's, a minidump's (with Breakpad "
                           ".sym files), a tombstone's .so files, an Apple report's dSYMs — folders separated by "
                           f"'{os.pathsep}'; build-ids, debug ids and UUIDs are checked."))
        form.addRow("Program binary:", exe_row)
        form.addRow("Library directories:", self.search)
        self.search.setPlaceholderText("folders holding the libraries, .sym files and the program's source files "
                                       "(looked up by name when a file is not at its recorded path)")
        self.debug.setPlaceholderText("folders with .build-id trees, debug files, or .dSYM bundles (any layout)")
        form.addRow("Debug directories:", self.debug)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Program binary")
        if path:
            self.exe.setText(path)

    def _save(self) -> None:
        self.settings.setValue("symbols/exe", self.exe.text().strip())
        self.settings.setValue("symbols/search", self.search.text().strip())
        self.settings.setValue("symbols/debug", self.debug.text().strip())
        self.accept()
