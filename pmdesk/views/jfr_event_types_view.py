"""The Event types dock of a JFR recording: every event type the recording declares, with how many
events of it there are and their bytes — what `jfr summary` prints — filterable."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QTableWidgetItem, QVBoxLayout, QWidget

from pmdesk.model import jfr
from pmdesk.model.dump import Dump
from pmdesk.views.base import DockView, readonly_table
from pmdesk.views.models.columns import RIGHT
from pmdesk.views.selection import SelectionBus


class JfrEventTypesView(DockView):
    VIEW_ID = "jfr_event_types"
    TITLE = "Event types"
    AREA = Qt.DockWidgetArea.LeftDockWidgetArea
    FORMATS = ("jfr",)

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.filter = QLineEdit(placeholderText="Filter event types (regular expression)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter)
        box = QWidget()
        self.table = readonly_table(box, ["Event type", "Count", "Size (bytes)"], fit_columns=2)
        self.info = QLabel()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.filter)
        lay.addWidget(box, 1)
        lay.addWidget(self.info)

    def load(self, dump: Dump | None) -> None:
        super().load(dump)
        doc = jfr.summary(dump) if dump is not None and dump.format == "jfr" else {"event_types": []}
        types = doc["event_types"]
        self.table.setRowCount(len(types))
        for r, t in enumerate(types):
            self.table.setItem(r, 0, QTableWidgetItem(t["name"]))
            for c, key in ((1, "count"), (2, "bytes")):
                item = QTableWidgetItem(f"{t[key]:,}")
                item.setTextAlignment(RIGHT)
                self.table.setItem(r, c, item)
        self.info.setText(f"{sum(t['count'] for t in types):,} events of {sum(t['count'] > 0 for t in types)} "
                          f"types in {doc.get('chunks') or 0} chunk(s)" if dump is not None else "")
        self._filter(self.filter.text())

    def _filter(self, text: str) -> None:
        try:
            rx = re.compile(text) if text else None
        except re.error:
            return
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            self.table.setRowHidden(r, rx is not None and item is not None and not rx.search(item.text()))
