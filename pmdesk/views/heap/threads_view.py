"""The Threads dock of a heap dump (MAT's thread overview): each thread object with its retained
size, its stack as the dump recorded it, and per frame the objects its local variables hold."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from pmdesk.model.heap.graph import HeapGraph
from pmdesk.model.heap.report import threads
from pmdesk.model.heap.requests import requests
from pmdesk.views.common.base import fit_header
from pmdesk.views.common.columns import RIGHT
from pmdesk.views.common.roles import Role
from pmdesk.views.heap.graph_base import HeapGraphView


class HeapThreadsView(HeapGraphView):
    VIEW_ID = "heap_threads"
    TITLE = "Thread overview"
    AREA = Qt.DockWidgetArea.LeftDockWidgetArea
    TAB_WITH = "heap_histogram"

    def build_content(self) -> QWidget:
        w = QWidget()
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Thread / frame / local", "Retained bytes", "Max locals' retained", "Location"])
        fit_header(self.tree.header())
        self.tree.currentItemChanged.connect(lambda cur, _prev: self._current(cur))
        lay = QVBoxLayout(w)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.tree)
        return w

    def show_graph(self, graph: HeapGraph | None) -> None:
        self.tree.clear()
        if graph is None:
            return
        serving = {r.thread: r for r in requests(graph) if r.thread}
        for t in threads(graph):
            label = graph.label(t.obj.node)
            title = label if t.name == label else f"{t.name or '(unnamed)'} — {label}"  # a goroutine is its label
            if t.name in serving:   # what the thread was doing for whom (the Requests dock has the rest)
                title += f" — serving {serving[t.name].method} {serving[t.name].uri}"
            top = QTreeWidgetItem([title, f"{t.obj.retained_bytes:,}", f"{t.max_locals_retained:,}", ""])
            top.setData(0, Role.NODE, t.obj.node)
            for c in (1, 2):
                top.setTextAlignment(c, RIGHT)
            self.tree.addTopLevelItem(top)
            for f in t.frames:
                fi = QTreeWidgetItem(top, [f"at {f.method}", f"{f.retained_bytes:,}" if f.locals else "", "",
                                           f.location])
                fi.setTextAlignment(1, RIGHT)
                for o in f.locals:
                    li = QTreeWidgetItem(fi, [graph.label(o.node), f"{o.retained_bytes:,}", "", "local"])
                    li.setData(0, Role.NODE, o.node)
                    li.setTextAlignment(1, RIGHT)
            for o in t.locals_without_frame:
                li = QTreeWidgetItem(top, [graph.label(o.node), f"{o.retained_bytes:,}", "", "native stack / JNI"])
                li.setData(0, Role.NODE, o.node)

    def _current(self, item: QTreeWidgetItem | None) -> None:
        node = item.data(0, Role.NODE) if item is not None else None
        if node is not None:
            self.select(node)
