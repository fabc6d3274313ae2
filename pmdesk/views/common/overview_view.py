"""The Overview dock: what the dump is (file, format, JVM layout, figures) and how it was indexed."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from pmdesk.model.dump import Dump
from pmdesk.model.formats import Kind
from pmdesk.views.common.base import DockView, fill_pairs, readonly_table
from pmdesk.views.common.selection import SelectionBus


class OverviewView(DockView):
    VIEW_ID = "overview"
    TITLE = "Overview"
    AREA = Qt.DockWidgetArea.RightDockWidgetArea

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.table = readonly_table(self, ["", ""], fit_columns=1)
        self.table.horizontalHeader().setVisible(False)
        self.table.setWordWrap(True)

    def applies_to(self, dump: Dump | None) -> bool:
        """Every dump but a crash, whose Crash summary holds these facts."""
        return super().applies_to(dump) and not (dump is not None and dump.has(Kind.CRASH))

    def load(self, dump: Dump | None) -> None:
        super().load(dump)
        if dump is None:
            pairs = [("", "Open a dump: File › Open, drag a file here, or File › Open sample")]
        else:
            pairs = dump.spec.overview(dump)
        fill_pairs(self.table, pairs)
        self.table.resizeRowsToContents()
