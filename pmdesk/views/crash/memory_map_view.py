"""The Memory map dock: the process's mappings (a tombstone's memory map, a core's segments) with the fault
address marked where it falls — in a mapping (that row), or before or between them (a row of its own, as
debuggerd's `--->` line says)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QTableWidgetItem, QVBoxLayout, QWidget

from pmdesk.model.crash.logcat import fault_position
from pmdesk.views.common.base import readonly_table
from pmdesk.views.common.colours import tint_brush
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.crash.base import CrashView

FAULT = "#f4c7c7"


class CrashMemoryMapView(CrashView):
    VIEW_ID = "crash_memory_map"
    TITLE = "Memory map"
    AREA = Qt.DockWidgetArea.BottomDockWidgetArea
    TAB_WITH = "crash_modules"
    REQUIRES = ("crash_region",)

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.info = QLabel()
        box = QWidget()
        self.table = readonly_table(box, ["", "Start", "End", "Perms", "Size", "Mapping"], fit_columns=5)
        self.table.setFont(QFont("monospace"))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.info)
        lay.addWidget(box, 1)

    def show_crash(self) -> None:
        crash = self.session.crash if self.session is not None else None
        regions = sorted(crash.regions, key=lambda r: r.start) if crash is not None else []
        fault = crash.cause.fault_address if crash is not None else None
        where = fault_position(regions, fault)
        rows: list[tuple[list[str], bool]] = [
            (["", f"0x{r.start:x}", f"0x{r.end - 1:x}", r.perms, f"{r.end - r.start:,}", r.name or ""], False)
            for r in regions]
        if where is not None:
            i, inside = where
            if inside:
                rows[i] = (["▶", *rows[i][0][1:]], True)
            else:
                rows.insert(i, (["▶", f"0x{fault:x}", "", "", "", "the fault address falls here, in no mapping"],
                                True))
        self.table.setRowCount(len(rows))
        for r, (cells, marked) in enumerate(rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if marked:
                    item.setBackground(tint_brush(FAULT))
                self.table.setItem(r, c, item)
        if where is not None:
            self.table.scrollToItem(self.table.item(where[0], 0))
        self.info.setText(f"{len(regions):,} mappings" + (f" · fault address 0x{fault:x}" if fault is not None
                                                          else ""))
