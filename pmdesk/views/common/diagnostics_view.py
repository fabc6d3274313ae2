"""The Diagnostics dock: recoverable problems the reader found (offset, severity, message)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidgetItem

from pmdesk.model.crash.session import current_diagnostics
from pmdesk.model.dump import Dump
from pmdesk.views.common.base import DockView, readonly_table
from pmdesk.views.common.colours import accent_brush
from pmdesk.views.common.selection import SelectionBus

_COLOURS = {"error": "#c62828", "warning": "#b26a00", "info": "#546e7a"}


class DiagnosticsView(DockView):
    """Shown only for a dump with diagnostics (the status bar's badge counts them and brings this forward)."""

    VIEW_ID = "diagnostics"
    TITLE = "Diagnostics"
    AREA = Qt.DockWidgetArea.RightDockWidgetArea
    TAB_WITH = "gc_paths"
    REQUIRES = ("diagnostic",)

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.table = readonly_table(self, ["Severity", "Offset", "Code", "Message"], fit_columns=3)

    def load(self, dump: Dump | None) -> None:
        super().load(dump)
        diags = current_diagnostics(dump, self.bus.symbol_paths) if dump is not None else []
        self.table.setRowCount(len(diags))
        for i, d in enumerate(diags):
            sev = QTableWidgetItem(d.severity)
            sev.setForeground(accent_brush(_COLOURS.get(d.severity, "#000000")))
            self.table.setItem(i, 0, sev)
            self.table.setItem(i, 1, QTableWidgetItem("" if d.offset is None else f"{d.offset:,}"))
            self.table.setItem(i, 2, QTableWidgetItem(d.code))
            self.table.setItem(i, 3, QTableWidgetItem(d.message))
        if not diags:
            self.table.setRowCount(1)
            self.table.setItem(0, 3, QTableWidgetItem("No problems found" if dump else ""))
