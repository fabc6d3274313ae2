"""The Leak suspects dock: Eclipse MAT's leak-suspects report — objects, or one class's instances,
retaining at least 10% of the heap, where the memory accumulates, and the path from a GC root; every
object in it is a link that selects it."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from pmdesk.model.heap.graph import HeapGraph
from pmdesk.model.heap.report import PathStep, leak_suspects
from pmdesk.views.heap.graph_base import HeapGraphView


class LeakSuspectsView(HeapGraphView):
    VIEW_ID = "leak_suspects"
    TITLE = "Leak suspects"
    AREA = Qt.DockWidgetArea.LeftDockWidgetArea
    TAB_WITH = "heap_histogram"

    def build_content(self) -> QWidget:
        w = QWidget()
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.browser.anchorClicked.connect(self._clicked)
        lay = QVBoxLayout(w)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.browser)
        return w

    def show_graph(self, graph: HeapGraph | None) -> None:
        self.browser.setHtml(report_html(graph) if graph is not None else "")

    def _clicked(self, url: QUrl) -> None:
        if url.scheme() == "node":
            self.select(int(url.path()))


def _link(g: HeapGraph, node: int) -> str:
    return f'<a href="node:{node}">{escape(g.label(node))}</a>'


def _steps(g: HeapGraph, steps: list[PathStep], sizes: bool) -> str:
    rows = []
    for depth, s in enumerate(steps):
        via = f"<i>{escape(s.via)}</i> → " if s.via else ""
        size = f" — {s.obj.retained_bytes:,} B retained" if sizes else ""
        rows.append(f"<div style='margin-left:{depth * 14}px'>{via}{_link(g, s.obj.node)}{size}</div>")
    return "".join(rows)


def report_html(g: HeapGraph) -> str:
    suspects, heap_bytes = leak_suspects(g)
    parts = [f"<h3>Leak suspects</h3><p>Heap: {heap_bytes:,} bytes reachable from GC roots. A suspect retains at "
             f"least 10% of it (Eclipse MAT's definition).</p>"]
    if not suspects:
        parts.append("<p>No single object or class retains 10% of the heap.</p>")
    for i, s in enumerate(suspects, 1):
        desc = escape(s.description)
        for o in s.objects[:1]:
            desc = desc.replace(escape(g.label(o.node)), _link(g, o.node))
        parts.append(f"<h4>Problem suspect {i} — {s.fraction:.1%}</h4><p>{desc}</p>")
        if s.kind == "class":
            parts.append("<p>Biggest instances: " + ", ".join(
                f"{_link(g, o.node)} ({o.retained_bytes:,} B)" for o in s.objects[:5]) + "</p>")
        if s.accumulation_point is not None:
            parts.append(f"<p><b>Accumulation point:</b> {_link(g, s.accumulation_point.node)} "
                         f"({s.accumulation_point.retained_bytes:,} B retained)</p>")
        if s.path:
            parts.append("<p><b>Shortest path from a GC root:</b></p>" + _steps(g, s.path, False))
        if len(s.chain) > 1:
            parts.append("<p><b>Where the memory accumulates (dominator chain):</b></p>" + _steps(g, s.chain, True))
    return "".join(parts)

