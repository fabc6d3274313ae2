"""A flame graph widget: a call tree drawn as stacked boxes, callers below their callees' row (root at the
bottom, like Brendan Gregg's), each box as wide as its share of the samples. Click a box to zoom into it,
click the root row (or double-click anywhere) to zoom back out; hovering shows the method and its share."""

from __future__ import annotations

import zlib
from collections.abc import Callable

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from pmdesk.model.jfr.profile import Node

ROW = 18


class FlameGraph(QWidget):
    method_clicked = Signal(int)  # method id of the box clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setMinimumHeight(120)
        self.root: Node | None = None
        self.focus: Node | None = None
        self.names: Callable[[int], str] = str
        self.boxes: list[tuple[QRectF, Node]] = []

    def set_tree(self, root: Node | None, names: Callable[[int], str]) -> None:
        self.root = self.focus = root
        self.names = names
        self.update()

    def depth(self, node: Node | None) -> int:
        if node is None or not node.children:
            return 1
        return 1 + max(self.depth(c) for c in node.children.values())

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Base))
        self.boxes = []
        if self.focus is None or self.focus.weight <= 0:
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No samples")
            return
        fm = QFontMetrics(p.font())
        bottom = self.height() - 2
        self._draw(p, fm, self.focus, 0.0, float(self.width()), bottom, self.width() / self.focus.weight)
        p.end()

    def _draw(self, p: QPainter, fm: QFontMetrics, node: Node, x: float, w: float, y: float, scale: float) -> None:
        if w < 0.5 or y < ROW:
            return
        rect = QRectF(x, y - ROW, w, ROW - 1)
        self.boxes.append((rect, node))
        name = self.names(node.method) if node.method >= 0 else "all"
        hue = zlib.crc32(name.encode()) % 40
        p.fillRect(rect, QColor.fromHsv(hue, 150 + hue, 240))
        p.setPen(QPen(QColor("#333333")))  # on the box's own light colour, whatever the palette
        if w > 30:
            p.drawText(rect.adjusted(3, 0, -2, 0), Qt.AlignmentFlag.AlignVCenter,
                       fm.elidedText(name, Qt.TextElideMode.ElideRight, int(w - 5)))
        cx = x
        for child in node.sorted_children():
            cw = child.weight * scale
            self._draw(p, fm, child, cx, cw, y - ROW, scale)
            cx += cw

    def node_at(self, x: float, y: float) -> Node | None:
        return next((n for r, n in reversed(self.boxes) if r.contains(x, y)), None)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        pos = event.position()
        node = self.node_at(pos.x(), pos.y())
        if node is not None and self.root is not None and self.root.weight:
            name = self.names(node.method) if node.method >= 0 else "all samples"
            QToolTip.showText(event.globalPosition().toPoint(),
                              f"{name}\n{node.weight:,.0f} ({node.weight / self.root.weight:.1%}), "
                              f"self {node.self_weight:,.0f}", self)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        pos = event.position()
        node = self.node_at(pos.x(), pos.y())
        if node is None:
            return
        self.focus = self.root if node is self.focus else node
        if node.method >= 0:
            self.method_clicked.emit(node.method)
        self.update()

    def mouseDoubleClickEvent(self, _event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self.focus = self.root
        self.update()
