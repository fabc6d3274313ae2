"""The Hot methods dock of a JFR recording: methods by self and total samples (jdk.ExecutionSample), the call
tree top-down (callers first) or bottom-up (hot methods first, their callers below), and a flame graph —
for all threads or one, within the chosen time range."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pmdesk.model.jfr.profile import Node, Profile, profile
from pmdesk.views.common.base import fit_header, readonly_table
from pmdesk.views.common.columns import RIGHT
from pmdesk.views.common.flame_graph import FlameGraph
from pmdesk.views.common.roles import Role
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.jfr.base import JfrView, SortableItem, fill, number


class CallTreeSource:
    """A recording's call tree (model/jfr/profile.Node) as the flame graph reads it."""

    def __init__(self, root: Node, names: Callable[[int], str]) -> None:
        self._root, self.names = root, names
        self._parents: dict[int, Node] = {}

    def root(self) -> Node:
        return self._root

    def children(self, node: Node) -> list[Node]:
        kids = node.sorted_children()
        for k in kids:
            self._parents[id(k)] = node
        return kids

    def parent(self, node: Node) -> Node | None:
        return self._parents.get(id(node))

    def weight(self, node: Node) -> float:
        return node.weight

    def self_weight(self, node: Node) -> float:
        return node.self_weight

    def name(self, node: Node) -> str:
        return self.names(node.method) if node.method >= 0 else "all"

    def colour(self, node: Node) -> None:
        return None

    def tooltip(self, node: Node) -> str:
        whole = self._root.weight or 1.0
        return f"{self.name(node)}\n{node.weight:,.0f} ({node.weight / whole:.1%}), self {node.self_weight:,.0f}"


class JfrHotMethodsView(JfrView):
    VIEW_ID = "jfr_hot_methods"
    TITLE = "Hot methods"
    AREA = Qt.DockWidgetArea.RightDockWidgetArea
    TAB_WITH = "jfr_findings"

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.profile: Profile | None = None
        self.thread = QComboBox()
        self.thread.currentIndexChanged.connect(lambda _i: self.refresh())
        self.direction = QComboBox()
        self.direction.addItems(["Top-down (callers first)", "Bottom-up (hot methods first)"])
        self.direction.currentIndexChanged.connect(lambda _i: self._fill_tree())
        self.info = QLabel()
        top = QHBoxLayout()
        top.addWidget(QLabel("Thread:"))
        top.addWidget(self.thread, 1)
        top.addWidget(self.info)

        box = QWidget()
        self.table = readonly_table(box, ["Method", "Self", "Self %", "Total", "Total %"], fit_columns=0)
        self.table.setSortingEnabled(True)
        fit_header(self.table.horizontalHeader())
        tree_box = QWidget()
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Method", "Total %", "Samples", "Self"])
        fit_header(self.tree.header())
        self.tree.itemExpanded.connect(self._expand)
        tl = QVBoxLayout(tree_box)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.direction)
        tl.addWidget(self.tree)
        self.flame = FlameGraph()
        self.tabs = QTabWidget()
        self.tabs.addTab(box, "Methods")
        self.tabs.addTab(tree_box, "Call tree")
        self.tabs.addTab(self.flame, "Flame graph")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.tabs, 1)

    def load(self, dump: Any) -> None:
        self.thread.blockSignals(True)
        self.thread.clear()
        self.thread.addItem("All threads", None)
        self.thread.blockSignals(False)
        super().load(dump)
        if self.rec is not None:
            threads = sorted(set(self.rec.events("jdk.ExecutionSample").thread.tolist()), key=self.rec.thread_name)
            self.thread.blockSignals(True)
            for t in threads:
                self.thread.addItem(self.rec.thread_name(t), t)
            self.thread.blockSignals(False)

    def refresh(self) -> None:
        if self.rec is None:
            self.profile = None
            fill(self.table, [])
            self.tree.clear()
            self.flame.set_source(None)
            return
        p = self.profile = profile(self.rec, window=self.window, thread=self.thread.currentData())
        n = p.samples or 1
        rows = [[SortableItem(m["method"]), number(m["self"]), number(m["self"] / n, f"{m['self'] / n:.1%}"),
                 number(m["total"]), number(m["total"] / n, f"{m['total'] / n:.1%}")] for m in p.hot_methods()]
        fill(self.table, rows)
        self.table.sortItems(1, Qt.SortOrder.DescendingOrder)
        self.info.setText(f"{int(p.samples):,} samples, {self.window_text()}")
        self._fill_tree()
        self.flame.set_source(CallTreeSource(p.tree(), p.name))

    def _fill_tree(self) -> None:
        self.tree.clear()
        if self.profile is None:
            return
        root = self.profile.tree(bottom_up=self.direction.currentIndex() == 1)
        self._total = root.weight or 1
        self._add_children(self.tree.invisibleRootItem(), root)
        item = self.tree.topLevelItem(0)
        while item is not None:  # open the hottest path
            item.setExpanded(True)
            item = item.child(0) if item.childCount() and item.child(0).data(1, Role.CALL_NODE) is not None else None
            if item is not None and item.data(1, Role.CALL_NODE).weight < self._total * 0.05:
                break

    def _add_children(self, parent: QTreeWidgetItem, node: Node) -> None:
        for child in node.sorted_children():
            item = QTreeWidgetItem([self.profile.name(child.method), f"{child.weight / self._total:.1%}",
                                    f"{child.weight:,.0f}", f"{child.self_weight:,.0f}"])
            for c in (1, 2, 3):
                item.setTextAlignment(c, RIGHT)
            item.setData(1, Role.CALL_NODE, child)
            if child.children:
                item.addChild(QTreeWidgetItem(["…"]))  # filled when expanded
            parent.addChild(item)

    def _expand(self, item: QTreeWidgetItem) -> None:
        if item.childCount() == 1 and item.child(0).data(1, Role.CALL_NODE) is None:
            item.takeChild(0)
            self._add_children(item, item.data(1, Role.CALL_NODE))
