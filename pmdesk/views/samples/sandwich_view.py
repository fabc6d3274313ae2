"""The Sandwich dock of a profile (as speedscope has it): for the function selected elsewhere, its callers
above — the function at the bottom, who called it over it — and its callees below, as an icicle; each merged
over every stack through the function (from its outermost occurrence, so recursion counts once)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout

from pmdesk.views.common.flame_graph import FlameGraph
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.samples.base import FunctionView, ProfileSource, weight_text


class ProfileSandwichView(FunctionView):
    VIEW_ID = "profile_sandwich"
    TITLE = "Sandwich"

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.info = QLabel("Select a function (in the flame graph, Functions or Call tree)")
        self.info.setWordWrap(True)
        self.callers = FlameGraph()
        self.callees = FlameGraph()
        self.callees.set_icicle(True)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.callers)
        split.addWidget(self.callees)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.info)
        lay.addWidget(split, 1)

    def refresh(self) -> None:
        prof = self.profile() if self.dump is not None and self.function else None
        if prof is None:
            self.callers.set_source(None)
            self.callees.set_source(None)
            return
        callees, callers = prof.stacks_through(self.function)
        for graph, part in ((self.callers, callers), (self.callees, callees)):  # rooted at the function itself
            top = part.children(0)
            graph.set_source(ProfileSource(part, prof.total, top[0]) if top else None)
        self.info.setText(f"{self.function}: {weight_text(callees.total, prof.unit)} "
                          f"({callees.total / (prof.total or 1):.2%}) — callers above, callees below")
