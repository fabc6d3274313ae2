"""The Object inspector dock: the selected heap object's class, sizes, GC-root status, field values
(Strings as text), array elements, and the objects it refers to and that refer to it."""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget

from pmdesk.base.errors import PmdeskError
from pmdesk.model.heap.graph import HeapGraph
from pmdesk.views.common.base import readonly_table
from pmdesk.views.common.roles import Role
from pmdesk.views.heap.graph_base import HeapGraphView


class ObjectInspectorView(HeapGraphView):
    VIEW_ID = "object_inspector"
    TITLE = "Object inspector"
    AREA = Qt.DockWidgetArea.RightDockWidgetArea
    TAB_WITH = "overview"
    FOLLOWS_SELECTION = True
    RAISE_ON_SELECTION = True

    def build_content(self) -> QWidget:
        w = QWidget()
        self.header = QLabel("Select an object in the dominator tree, a path, a report or a table.")
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tabs = QTabWidget()
        pages = []
        for title, headers in (("Fields", ["Name", "Type", "Value"]), ("Refers to", ["Via", "Object", "Retained"]),
                               ("Referred to by", ["Object", "Retained", ""])):
            page = QWidget()
            table = readonly_table(page, headers, fit_columns=2 if title == "Fields" else 1)
            table.cellDoubleClicked.connect(lambda r, _c, t=table: self._follow(t, r))
            self.tabs.addTab(page, title)
            pages.append(table)
        self.fields, self.referents, self.referrers = pages
        lay = QVBoxLayout(w)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.header)
        lay.addWidget(self.tabs, 1)
        return w

    def show_graph(self, graph: HeapGraph | None) -> None:
        self.node = None
        for t in (self.fields, self.referents, self.referrers):
            t.setRowCount(0)
        self.header.setText("Select an object in the dominator tree, a path, a report or a table."
                            if graph is not None else "")

    def show_object(self, node: int) -> None:
        g = self.graph
        if g is None:
            return
        self.node = node
        try:
            d = g.object_reader().details(node)
        except PmdeskError as e:
            self.header.setText(e.one_line())
            return
        lines = [f"<b>{escape(d.label)}</b>",
                 f"{d.kind} · shallow {d.obj.shallow_bytes:,} B · retained {d.obj.retained_bytes:,} B "
                 f"({d.obj.retained_bytes / max(g.heap_bytes, 1):.2%} of the heap) · {d.reachability}"]
        if d.gc_roots:
            lines.append("GC root: " + ", ".join(d.gc_roots))
        if d.dominator is not None:
            lines.append(f"dominated by {escape(g.label(d.dominator.node))}")
        if d.length is not None:
            cut = f" (first {len(d.fields)} shown)" if d.length > len(d.fields) else ""
            lines.append(f"length {d.length:,}{cut}")
        if d.text is not None:
            lines.append(f"value: <tt>{escape(repr(d.text))}</tt>")
        self.header.setText("<br>".join(lines))
        self._fill(self.fields, [(f.name, f.type, f.text, f.node) for f in d.fields])
        rows = [(via, g.label(o.node), f"{o.retained_bytes:,}", o.node) for o, via in d.referents]
        if d.referent_count > len(rows):
            rows.append(("", f"… and {d.referent_count - len(rows):,} more", "", None))
        self._fill(self.referents, rows)
        more = d.referrer_count - len(d.referrers)
        rows = [(g.label(o.node), f"{o.retained_bytes:,}", "weak" if weak else "", o.node) for o, weak in d.referrers]
        if more > 0:
            rows.append((f"… and {more:,} more", "", "", None))
        self._fill(self.referrers, rows)
        self.tabs.setTabText(2, f"Referred to by ({d.referrer_count:,})")
        self.tabs.setTabText(1, f"Refers to ({d.referent_count:,})")

    @staticmethod
    def _fill(table: QTableWidget, rows: list[tuple[Any, ...]]) -> None:
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            *cells, node = row
            for c, text in enumerate(cells):
                item = QTableWidgetItem(str(text))
                item.setData(Role.NODE, node)
                if node is not None:
                    item.setToolTip("Double-click to inspect")
                table.setItem(r, c, item)

    def _follow(self, table: QTableWidget, row: int) -> None:
        item = table.item(row, 0)
        node = item.data(Role.NODE) if item is not None else None
        if node is not None:
            self.show_object(node)
            self.select(node)

