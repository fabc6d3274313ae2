"""Base of the docks that need a heap dump's dominator tree: until it is computed they show what is
happening and a button to start it; then they show their content."""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QPushButton, QStackedLayout, QVBoxLayout, QWidget

from pmdesk.model.dump import Dump
from pmdesk.model.formats import Kind
from pmdesk.model.heap.graph import HeapGraph, graph_of
from pmdesk.views.common.base import DockView
from pmdesk.views.common.selection import GraphRequested, ObjectSelected, SelectionBus


class HeapGraphView(DockView):
    KINDS: ClassVar[tuple[Kind, ...]] = (Kind.HEAP_GRAPH,)
    REQUIRES: ClassVar[tuple[str, ...]] = ("heap_histogram",)
    FOLLOWS_SELECTION: ClassVar[bool] = False  # show_object() is called for objects selected elsewhere
    RAISE_ON_SELECTION: ClassVar[bool] = False  # and the dock comes to the front of its tab group

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.graph: HeapGraph | None = None
        self.node: int | None = None  # the object shown, in views that show one
        self.stack = QStackedLayout(self)
        waiting = QWidget()
        lay = QVBoxLayout(waiting)
        self.waiting_label = QLabel("The dominator tree and retained sizes are computed in the background after "
                                    "the dump opens (progress in the status bar).")
        self.waiting_label.setWordWrap(True)
        self.waiting_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.compute_button = QPushButton("Compute now")
        self.compute_button.clicked.connect(self._request)
        lay.addStretch(1)
        lay.addWidget(self.waiting_label)
        lay.addWidget(self.compute_button, 0, Qt.AlignmentFlag.AlignCenter)
        lay.addStretch(1)
        self.stack.addWidget(waiting)
        self.stack.addWidget(self.build_content())

    def set_computing(self, computing: bool) -> None:
        """While the dominator pass runs for the dump shown, say so and hide Compute now."""
        self.compute_button.setVisible(not computing)
        self.waiting_label.setText(
            "Computing the dominator tree and retained sizes (progress in the status bar; Cancel stops it)."
            if computing else "The dominator tree and retained sizes are computed in the background after the "
            "dump opens (progress in the status bar).")

    def build_content(self) -> QWidget:
        raise NotImplementedError

    def show_graph(self, graph: HeapGraph | None) -> None:
        """Fill the content from `graph` (None: clear)."""
        raise NotImplementedError

    def show_object(self, node: int) -> None:
        """React to an object selected in another view (FOLLOWS_SELECTION views)."""

    def load(self, dump: Dump | None) -> None:
        super().load(dump)
        self.graph = graph_of(dump)
        self.stack.setCurrentIndex(1 if self.graph is not None or dump is None else 0)
        self.show_graph(self.graph)

    def select(self, node: int) -> None:
        """Announce that the user selected `node` here."""
        if self.dump is not None:
            self.bus.select_object(self.dump, node, self.VIEW_ID)

    def _request(self) -> None:
        if self.dump is not None:
            self.bus.selected.emit(GraphRequested(self.dump))

    def on_message(self, msg: object) -> None:
        if (self.FOLLOWS_SELECTION and isinstance(msg, ObjectSelected) and msg.dump is self.dump
                and msg.source != self.VIEW_ID and self.graph is not None):
            self.show_object(msg.node)
            dock = self.parentWidget()
            if self.RAISE_ON_SELECTION and isinstance(dock, QDockWidget) and dock.isVisible():
                dock.raise_()
