"""The Modules dock of a crash: every loaded image with its load address, build-id, whether symbols
were found (the debug file used) and, as a tooltip, everywhere pmdesk looked."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidgetItem, QVBoxLayout, QWidget

from pmdesk.views.common.base import readonly_table
from pmdesk.views.common.colours import accent_brush
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.crash.base import CrashView


class CrashModulesView(CrashView):
    VIEW_ID = "crash_modules"
    TITLE = "Modules"
    AREA = Qt.DockWidgetArea.BottomDockWidgetArea

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        box = QWidget()
        self.table = readonly_table(box, ["Module", "Base", "Build-id / UUID", "Arch", "Symbols", "Debug file"],
                                    fit_columns=5)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(box)

    def show_crash(self) -> None:
        super().show_crash()
        if self.session is None:
            self.table.setRowCount(0)
            return
        mods = self.session.crash.modules
        self.table.setRowCount(len(mods))
        for r, m in enumerate(mods):
            cells = [m.name, f"0x{m.base:x}", m.build_id or "", m.arch or "", "found" if m.symbols else "missing",
                     m.debug_file or m.warning or ""]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if not m.symbols:
                    item.setForeground(accent_brush("#a01010"))
                item.setToolTip("\n".join([*([m.warning] if m.warning else []), "Looked in:", *m.looked]))
                self.table.setItem(r, c, item)
