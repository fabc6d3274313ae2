"""A list of stack traces with how many events each carried (the blocking stacks of a lock, the allocating
stacks of a class): a tree with one row per stack, its frames below."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from pmdesk.model.jfr.recording import Recording
from pmdesk.views.common.base import fit_header
from pmdesk.views.common.columns import RIGHT

MOST = 50


class StackList(QTreeWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["Stack trace (top frame first)", "Events"])
        fit_header(self.header())

    def show_stacks(self, rec: Recording | None, counts: dict[int, int]) -> None:
        """counts: stack trace pool row -> events."""
        self.clear()
        if rec is None:
            return
        for stack, n in sorted(counts.items(), key=lambda kv: -kv[1])[:MOST]:
            rows = rec.stacks.methods(stack).tolist()
            top = rec.method_names[rows[0]] if rows else "(no stack trace)"
            item = QTreeWidgetItem([top, f"{n:,}"])
            item.setTextAlignment(1, RIGHT)
            for m in rows:
                item.addChild(QTreeWidgetItem([rec.method_names[m] if m >= 0 else "?"]))
            self.addTopLevelItem(item)
        if self.topLevelItemCount():
            self.topLevelItem(0).setExpanded(True)


def info_above_stacks(view: QWidget, top: QWidget) -> tuple[QLabel, StackList]:
    """Lay out a dock as a line of information, then `top` above the stack list of what is chosen in it."""
    stacks = StackList()
    info = QLabel()
    split = QSplitter(Qt.Orientation.Vertical)
    split.addWidget(top)
    split.addWidget(stacks)
    lay = QVBoxLayout(view)
    lay.setContentsMargins(2, 2, 2, 2)
    lay.addWidget(info)
    lay.addWidget(split, 1)
    return info, stacks
