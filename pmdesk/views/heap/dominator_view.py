"""The Dominator tree dock: what keeps what alive, biggest first — retained bytes and share of the
heap, optional grouping of the top level by class, search by object id or class name."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QMenu, QTreeView, QVBoxLayout, QWidget

from pmdesk.model.heap.graph import HeapGraph, format_id, parse_id
from pmdesk.views.common.annotate_dialog import annotate_dialog
from pmdesk.views.common.base import fit_header
from pmdesk.views.common.roles import Role
from pmdesk.views.common.selection import SelectionBus, ShowDock
from pmdesk.views.heap.dominator_model import DominatorModel
from pmdesk.views.heap.graph_base import HeapGraphView


class DominatorTreeView(HeapGraphView):
    VIEW_ID = "dominator_tree"
    TITLE = "Dominator tree"
    AREA = Qt.DockWidgetArea.LeftDockWidgetArea
    TAB_WITH = "heap_histogram"
    FOLLOWS_SELECTION = True

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        self._found: list[int] = []
        self._found_for = ""
        self._next = 0
        super().__init__(parent, bus)

    def build_content(self) -> QWidget:
        w = QWidget()
        self.model = DominatorModel()
        self.search = QLineEdit(placeholderText="Find: object id (0x…) or class name (regular expression), Enter "
                                                "for the next")
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(self.find_next)
        self.by_class = QCheckBox("Group by class")
        self.by_class.toggled.connect(lambda _on: self.show_graph(self.graph))
        self.status = QLabel()
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        fit_header(self.tree.header())
        # the first children at once (Qt fetches them on its next layout): an expanded node has rows to select
        self.tree.expanded.connect(lambda index: self.model.fetch_until(index, 0))
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._menu)
        self.bus.annotations.changed.connect(self._marks)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.by_class)
        lay = QVBoxLayout(w)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.tree, 1)
        lay.addWidget(self.status)
        return w

    def _marks(self) -> None:
        key = self.dump.content_key if self.dump is not None else ""
        notes = self.bus.annotations.session.annotations_for(key, "object")
        self.model.marks = {int(a.target, 16): a.colour for a in notes}
        self.tree.viewport().update()

    def _menu(self, pos: Any) -> None:
        node = self.model.data(self.tree.indexAt(pos), Role.NODE)
        if node is None or self.graph is None:
            return
        g = self.graph
        menu = QMenu(self)
        menu.addAction("Inspect", lambda: self._inspect(node, "object_inspector"))
        menu.addAction("Paths to GC roots", lambda: self._inspect(node, "gc_paths"))
        menu.addSeparator()
        menu.addAction("Copy object id", lambda: QGuiApplication.clipboard().setText(format_id(int(g.ids[node]))))
        menu.addAction("Copy label", lambda: QGuiApplication.clipboard().setText(g.label(node)))
        menu.addAction("Annotate…", lambda: annotate_dialog(self, self.bus.annotations, self.dump, "object",
                                                             format_id(int(g.ids[node])), g.label(node)))
        menu.exec(self.tree.viewport().mapToGlobal(pos))

    def _inspect(self, node: int, view_id: str) -> None:
        """The object selected everywhere, and the dock that answers the question brought forward."""
        self.select(node)
        if self.dump is not None:
            self.bus.selected.emit(ShowDock(view_id))

    def show_graph(self, graph: HeapGraph | None) -> None:
        self.model.set_graph(graph, self.by_class.isChecked())
        self._marks()
        self._apply_pending()
        self._found = []
        if graph is None:
            self.status.setText("")
            return
        if self.model.canFetchMore(QModelIndex()):
            self.model.fetchMore(QModelIndex())
        m = graph.meta
        self.status.setText(f"{graph.heap_bytes:,} bytes reachable · {m['graph.nodes']:,} objects · "
                            f"{m['graph.edges']:,} references · computed in {m['graph.seconds']:.1f} s")

    def show_object(self, node: int) -> None:
        idx = self.model.index_of(node)
        if idx.isValid():
            self.tree.selectionModel().currentChanged.disconnect(self._current_changed)
            self.tree.setCurrentIndex(idx)
            self.tree.scrollTo(idx)
            self.tree.selectionModel().currentChanged.connect(self._current_changed)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        node = self.model.data(current, Role.NODE)
        if node is not None:
            self.select(node)

    def find_next(self) -> None:
        g = self.graph
        text = self.search.text().strip()
        if g is None or not text:
            return
        if not self._found or self._found_for != text:
            self._found_for = text
            self._found = self._matches(g, text)
            self._next = 0
        if not self._found:
            self.status.setText(f"nothing matches '{text}'")
            return
        node = self._found[self._next % len(self._found)]
        self._next += 1
        self.show_object(node)
        self.select(node)
        self.status.setText(f"match {((self._next - 1) % len(self._found)) + 1} of {len(self._found):,}: "
                            f"{g.label(node)}")

    @staticmethod
    def _matches(g: HeapGraph, text: str) -> list[int]:
        """Objects with this id, or the biggest objects (by retained size) of classes matching the regex."""
        try:
            node = g.node_of(parse_id(text))
            if node is not None:
                return [node]
        except ValueError:
            pass
        try:
            rx = re.compile(text)
        except re.error:
            return []
        classes = [c for c, name in g.class_names.items() if rx.search(name)]
        if not classes:
            return []
        nodes = np.nonzero(np.isin(g.node_class[:g.n_objects], classes))[0]
        nodes = nodes[np.argsort(-g.retained[nodes], kind="stable")][:1000]
        return nodes.tolist()

    def view_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"group_by_class": self.by_class.isChecked(), "search": self.search.text()}
        g = self.graph
        if g is not None:
            current = self.model.data(self.tree.currentIndex(), Role.NODE)
            expanded = [it.node for it in self.model.loaded_items()
                        if it.group is None and self.tree.isExpanded(self.model.index_of_item(it))]
            state["selected"] = format_id(int(g.ids[current])) if current is not None else None
            state["expanded"] = [format_id(int(g.ids[v])) for v in expanded[:500]]
        return state

    def restore_state(self, state: dict[str, Any]) -> None:
        self.by_class.setChecked(bool(state.get("group_by_class")))
        self.search.setText(state.get("search", ""))
        self._pending = state  # expanded rows and the selection come back once the tree is there
        self._apply_pending()

    def _apply_pending(self) -> None:
        state, g = getattr(self, "_pending", None), self.graph
        if not state or g is None:
            return
        self._pending = None
        for text in state.get("expanded", []):
            node = g.node_of(parse_id(text))
            idx = self.model.index_of(node) if node is not None else None
            if idx is not None and idx.isValid():
                self.tree.expand(idx)
        if state.get("selected"):
            node = g.node_of(parse_id(state["selected"]))
            if node is not None:
                self.show_object(node)
