"""The Modules dock of an ELF core: every mapped ELF image with its load address, build-id, whether symbols
were found (the debug file used) and, as a tooltip, everywhere pmdesk looked."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QTableWidgetItem, QVBoxLayout, QWidget

from pmdesk.views.common.base import readonly_table
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.crash.base import CoreView


class CoreModulesView(CoreView):
    VIEW_ID = "core_modules"
    TITLE = "Modules"
    AREA = Qt.DockWidgetArea.BottomDockWidgetArea

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        box = QWidget()
        self.table = readonly_table(box, ["Module", "Base", "Build-id", "Symbols", "Debug file"], fit_columns=4)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(box)

    def show_core(self) -> None:
        super().show_core()
        if self.session is None:
            self.table.setRowCount(0)
            return
        looked = {name: json.loads(lk) for name, lk in self.dump.conn.execute("SELECT name, looked FROM core_module")}
        mods = self.session.doc["modules"]
        self.table.setRowCount(len(mods))
        for r, m in enumerate(mods):
            cells = [m["path"], f"0x{m['base']:x}", m["build_id"] or "", m["symbols"], m["debug_file"] or ""]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if m["symbols"] == "missing":
                    item.setForeground(QBrush(QColor("#a01010")))
                item.setToolTip("Looked in:\n" + "\n".join(looked.get(m["path"], [])))
                self.table.setItem(r, c, item)
