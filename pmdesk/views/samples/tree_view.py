"""The Call tree dock of a profile: top-down (the outermost callers first) or bottom-up (where the samples
were taken first, their callers below), children filled when a node opens, the hottest path opened."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QTreeWidget, QTreeWidgetItem, QVBoxLayout

from pmdesk.model.samples.profile import Profile
from pmdesk.views.common.base import fit_header
from pmdesk.views.common.columns import RIGHT
from pmdesk.views.common.roles import Role
from pmdesk.views.common.selection import FunctionSelected, SelectionBus
from pmdesk.views.samples.base import ProfileView, weight_text

PLACEHOLDER = -1


class ProfileTreeView(ProfileView):
    VIEW_ID = "profile_tree"
    TITLE = "Call tree"
    TAB_WITH = "profile_functions"

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.shown: Profile | None = None
        self.direction = QComboBox()
        self.direction.addItems(["Top-down (callers first)", "Bottom-up (where samples were taken first)"])
        self.direction.currentIndexChanged.connect(lambda _i: self.refresh())
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Function", "Total %", "Total", "Self"])
        fit_header(self.tree.header())
        self.tree.itemExpanded.connect(self._expand)
        self.tree.currentItemChanged.connect(self._current)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.direction)
        lay.addWidget(self.tree, 1)

    def refresh(self) -> None:
        self.tree.clear()
        prof = self.profile() if self.dump is not None else None
        if prof is None:
            self.shown = None
            return
        self.shown = prof.inverted() if self.direction.currentIndex() == 1 else prof
        self._add_children(self.tree.invisibleRootItem(), 0)
        item = self.tree.topLevelItem(0)
        whole = self.shown.total or 1.0
        while item is not None:  # open the hottest path, down to 5 %
            node = item.data(0, Role.CALL_NODE)
            if node is None or node == PLACEHOLDER or self.shown.total_w[node] < whole * 0.05:
                break
            item.setExpanded(True)
            item = item.child(0) if item.childCount() else None

    def _add_children(self, parent: QTreeWidgetItem, node: int) -> None:
        p = self.shown
        whole = p.total or 1.0
        for child in p.children(node):
            w, s = float(p.total_w[child]), float(p.self_w[child])
            item = QTreeWidgetItem([p.name(child), f"{w / whole:.1%}", weight_text(w, p.unit), weight_text(s, p.unit)])
            for c in (1, 2, 3):
                item.setTextAlignment(c, RIGHT)
            item.setData(0, Role.CALL_NODE, child)
            if p.children(child):
                ph = QTreeWidgetItem(["…"])
                ph.setData(0, Role.CALL_NODE, PLACEHOLDER)
                item.addChild(ph)
            parent.addChild(item)

    def _expand(self, item: QTreeWidgetItem) -> None:
        if item.childCount() == 1 and item.child(0).data(0, Role.CALL_NODE) == PLACEHOLDER:
            item.takeChild(0)
            self._add_children(item, item.data(0, Role.CALL_NODE))

    def _current(self, item: QTreeWidgetItem | None, _prev: QTreeWidgetItem | None) -> None:
        node = item.data(0, Role.CALL_NODE) if item is not None else None
        if node not in (None, PLACEHOLDER) and self.dump is not None and self.shown is not None:
            self.bus.selected.emit(FunctionSelected(self.dump, self.shown.name(node), self.VIEW_ID))

    def view_state(self) -> dict[str, Any]:
        return {"bottom_up": self.direction.currentIndex() == 1}

    def restore_state(self, state: dict[str, Any]) -> None:
        self.direction.setCurrentIndex(1 if state.get("bottom_up") else 0)
