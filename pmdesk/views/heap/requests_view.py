"""The Requests dock: the HTTP requests in flight when a Java heap was dumped (model/heap/requests.py) — one row
each, with the thread serving it; below, the chosen one's headers, body and the thread's application locals
and thread-locals; Copy as curl, Copy as JSON; double-click selects the request object in every heap dock.
Shown for heap dumps that hold a recognised request class."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pmdesk.model.dump import Dump
from pmdesk.model.heap.graph import HeapGraph
from pmdesk.model.heap.requests import RECOGNISERS, Request, requests
from pmdesk.views.common.base import readonly_table
from pmdesk.views.heap.graph_base import HeapGraphView


class RequestsView(HeapGraphView):
    VIEW_ID = "heap_requests"
    TITLE = "Requests"
    AREA = Qt.DockWidgetArea.LeftDockWidgetArea
    TAB_WITH = "heap_histogram"

    def applies_to(self, dump: Dump | None) -> bool:
        if not super().applies_to(dump) or dump is None:
            return False
        marks = ", ".join("?" * len(RECOGNISERS))
        return dump.conn.execute(f"SELECT 1 FROM heap_histogram WHERE name IN ({marks}) LIMIT 1",
                                 tuple(RECOGNISERS)).fetchone() is not None

    def build_content(self) -> QWidget:
        self.found: list[Request] = []
        w = QWidget()
        box = QWidget()
        self.table = readonly_table(box, ["Thread", "Framework", "Method", "Body", "URI"], fit_columns=4)
        self.table.setSelectionBehavior(self.table.SelectionBehavior.SelectRows)
        self.table.itemSelectionChanged.connect(self._chosen)
        self.table.cellDoubleClicked.connect(lambda r, _c: self._select(r))
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setFont(QFont("monospace"))
        buttons = QHBoxLayout()
        self.curl = QPushButton("Copy as curl", clicked=lambda: self._copy("curl"))
        self.as_json = QPushButton("Copy as JSON", clicked=lambda: self._copy("json"))
        buttons.addWidget(self.curl)
        buttons.addWidget(self.as_json)
        buttons.addStretch(1)
        lower = QWidget()
        ll = QVBoxLayout(lower)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.detail, 1)
        ll.addLayout(buttons)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(box)
        split.addWidget(lower)
        self.info = QLabel()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(split, 1)
        lay.addWidget(self.info)
        return w

    def show_graph(self, graph: HeapGraph | None) -> None:
        self.found = requests(graph) if graph is not None else []
        t = self.table
        t.setRowCount(len(self.found))
        for i, r in enumerate(self.found):
            body = "—" if r.body is None else f"{len(r.body):,} B"
            for c, text in enumerate([r.thread or "", r.framework, r.method, body, r.uri]):
                t.setItem(i, c, QTableWidgetItem(text))
        self.info.setText(f"{len(self.found)} request{'s' if len(self.found) != 1 else ''} in flight · "
                          "double-click: the request object in the heap docks")
        if self.found:
            t.selectRow(0)

    def current(self) -> Request | None:
        r = self.table.currentRow()
        return self.found[r] if 0 <= r < len(self.found) else None

    def _chosen(self) -> None:
        r = self.current()
        if r is None:
            self.detail.setPlainText("")
            return
        lines = [f"{r.method} {r.uri}"] + [f"{k}: {v}" for k, v in r.headers.items()] + [""]
        b = r.body_json()
        if b["body"]:
            lines.append(b["body"] if b["body_encoding"] == "text" else f"(binary, base64) {b['body']}")
        lines += [f"warning: {p}" for p in r.problems]
        if r.thread:
            lines += ["", f"thread {r.thread}"]
            lines += [f"  local {o['class']} @ {o['id']:#x}  retained {o['retained_bytes']:,}"
                      for o in r.state.get("locals", [])]
            lines += [f"  thread-local {o['class']} @ {o['id']:#x}" + (f"  {o['text']!r}" if "text" in o else "")
                      for o in r.state.get("thread_locals", [])]
        self.detail.setPlainText("\n".join(lines))

    def _copy(self, form: str) -> None:
        r = self.current()
        if r is not None:
            QGuiApplication.clipboard().setText(r.curl() if form == "curl" else json.dumps(r.as_json(), indent=1))

    def _select(self, row: int) -> None:
        if 0 <= row < len(self.found) and self.dump is not None and self.found[row].node >= 0:
            self.bus.select_object(self.dump, self.found[row].node, self.VIEW_ID)

    def copy_text(self) -> Any:
        r = self.current()
        return r.curl() if r is not None else None
