"""The Findings dock of a JFR recording: every automated rule's verdict (critical, warning, info, ok, n/a),
worst first, with what it found in words and the numbers behind it — for the chosen time range."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QSplitter, QVBoxLayout, QWidget

from pmdesk.model.jfr.findings import SEVERITIES, Finding, findings
from pmdesk.views.common.base import readonly_table
from pmdesk.views.common.colours import tint_brush
from pmdesk.views.common.roles import Role
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.jfr.base import JfrView, SortableItem, fill

COLOURS = {"critical": "#f4b6b6", "warning": "#fde3a7", "info": "#d6e6f8", "ok": "#d9f2d9", "n/a": "#eeeeee"}


class JfrFindingsView(JfrView):
    VIEW_ID = "jfr_findings"
    TITLE = "Findings"
    AREA = Qt.DockWidgetArea.RightDockWidgetArea

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.found: list[Finding] = []
        box = QWidget()
        self.table = readonly_table(box, ["Severity", "Rule", "Finding"], fit_columns=2)
        self.table.setWordWrap(True)
        self.table.setSortingEnabled(True)
        self.table.currentCellChanged.connect(lambda r, _c, _pr, _pc: self._show(r))
        self.evidence = QPlainTextEdit(readOnly=True)
        self.scope = QLabel()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(box)
        split.addWidget(self.evidence)
        split.setSizes([300, 100])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.scope)
        lay.addWidget(split, 1)

    def refresh(self) -> None:
        self.found = findings(self.rec, self.window) if self.rec is not None else []
        rows = []
        for i, f in enumerate(self.found):
            sev = SortableItem(f.severity.upper(), SEVERITIES.index(f.severity))
            sev.setData(Role.ROW, i)
            sev.setBackground(tint_brush(COLOURS[f.severity]))
            rows.append([sev, SortableItem(f.title), SortableItem(f.summary)])
        fill(self.table, rows)
        self.table.sortItems(0, Qt.SortOrder.AscendingOrder)  # worst first
        self.table.resizeRowsToContents()
        worst = self.found[0].severity if self.found else "ok"
        self.scope.setText(f"{len(self.found)} rules over the {self.window_text()} — worst: {worst}")
        self.evidence.clear()

    def _show(self, row: int) -> None:
        item = self.table.item(row, 0)
        if item is None:
            return
        f = self.found[item.data(Role.ROW)]
        self.evidence.setPlainText(f"{f.title} ({f.rule})\n{f.summary}\n\n{json.dumps(f.evidence, indent=1)}")
