"""A flame graph widget over any call tree (`FlameSource`): stacked boxes as wide as their share, callers below
their callees (root at the bottom, as Brendan Gregg draws it) or, as an icicle, the root on top. Click a box
to zoom into it (its callers stay, greyed, as the path back), click the root or double-click to zoom out; a
search highlights the matching boxes and says what share their samples make (each sample once). A source may
colour boxes itself (the differential flame graph: red grew, blue shrank). Only boxes half a pixel wide or
more are drawn, so a million-node tree draws as fast as a small one."""

from __future__ import annotations

import re
import zlib
from collections.abc import Hashable
from typing import Protocol

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QToolTip, QWidget

ROW = 18


class FlameSource(Protocol):
    """A call tree as the widget reads it; nodes are any hashable values."""

    def root(self) -> Hashable: ...

    def children(self, node: Hashable) -> list[Hashable]: ...  # heaviest first

    def parent(self, node: Hashable) -> Hashable | None: ...

    def weight(self, node: Hashable) -> float: ...

    def self_weight(self, node: Hashable) -> float: ...

    def name(self, node: Hashable) -> str: ...

    def colour(self, node: Hashable) -> QColor | None: ...  # None: the name's own warm colour

    def tooltip(self, node: Hashable) -> str: ...


def warm(name: str) -> QColor:
    """FlameGraph's palette: a warm colour chosen by the name, the same each time."""
    h = zlib.crc32(name.encode())
    return QColor.fromHsv(h % 40, 150 + (h >> 8) % 80, 240)


class FlameGraph(QWidget):
    node_clicked = Signal(object)  # the node of the box clicked
    matched = Signal(float)        # the share of the root's weight the search matches (each sample once)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setMinimumHeight(80)
        self.source: FlameSource | None = None
        self.focus: Hashable | None = None
        self.icicle = False
        self.search: re.Pattern[str] | None = None
        self.boxes: list[tuple[QRectF, Hashable]] = []

    def set_source(self, source: FlameSource | None) -> None:
        self.source = source
        self.focus = source.root() if source is not None else None
        self._search_changed()
        self.update()

    def set_icicle(self, on: bool) -> None:
        self.icicle = on
        self.update()

    def set_search(self, pattern: str) -> None:
        """Highlight boxes whose name matches `pattern` (a regular expression, or plain text if it is none)."""
        try:
            self.search = re.compile(pattern, re.IGNORECASE) if pattern else None
        except re.error:
            self.search = re.compile(re.escape(pattern), re.IGNORECASE)
        self._search_changed()
        self.update()

    def _search_changed(self) -> None:
        if self.source is None or self.search is None:
            self.matched.emit(-1.0)
            return
        src, rx = self.source, self.search
        root = src.root()
        whole = src.weight(root) or 1.0
        total = 0.0
        todo = [root]
        while todo:  # the topmost matching boxes: a sample under two matches counts once
            n = todo.pop()
            if n != root and rx.search(src.name(n)):
                total += src.weight(n)
            else:
                todo.extend(src.children(n))
        self.matched.emit(total / whole)

    def zoom_to(self, node: Hashable | None) -> None:
        if self.source is not None:
            self.focus = node if node is not None else self.source.root()
            self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Base))
        self.boxes = []
        src = self.source
        if src is None or self.focus is None or src.weight(self.focus) <= 0:
            p.setPen(self.palette().color(QPalette.ColorRole.Text))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No samples")
            p.end()
            return
        fm = QFontMetrics(p.font())
        # the path from the root to the zoomed box, full width and greyed
        path = []
        n = self.focus
        while n is not None:
            path.append(n)
            n = src.parent(n)
        path.reverse()
        for depth, node in enumerate(path[:-1]):
            self._box(p, fm, node, 0.0, float(self.width()), depth, dim=True)
        self._draw(p, fm, self.focus, 0.0, float(self.width()), len(path) - 1,
                   self.width() / src.weight(self.focus))
        p.end()

    def _row_y(self, depth: int) -> float:
        return depth * ROW if self.icicle else self.height() - 2 - (depth + 1) * ROW

    def _box(self, p: QPainter, fm: QFontMetrics, node: Hashable, x: float, w: float, depth: int,
             dim: bool = False) -> bool:
        y = self._row_y(depth)
        if w < 0.5 or y < 0 or y + ROW > self.height() + 1:
            return False
        src = self.source
        rect = QRectF(x, y, w, ROW - 1)
        self.boxes.append((rect, node))
        name = src.name(node)
        colour = src.colour(node) or warm(name)
        if dim:
            colour = QColor.fromHsv(colour.hue(), 30, 225)
        elif self.search is not None and self.search.search(name):
            colour = QColor("#e040e0")
        p.fillRect(rect, colour)
        p.setPen(QPen(QColor("#222222")))  # on the box's own light colour, whatever the palette
        if w > 30:
            p.drawText(rect.adjusted(3, 0, -2, 0), Qt.AlignmentFlag.AlignVCenter,
                       fm.elidedText(name, Qt.TextElideMode.ElideRight, int(w - 5)))
        return True

    def _draw(self, p: QPainter, fm: QFontMetrics, node: Hashable, x: float, w: float, depth: int,
              scale: float) -> None:
        if not self._box(p, fm, node, x, w, depth):
            return
        cx = x
        for child in self.source.children(node):
            cw = self.source.weight(child) * scale
            if cw < 0.5:
                break  # heaviest first: the rest are narrower still
            self._draw(p, fm, child, cx, cw, depth + 1, scale)
            cx += cw

    def node_at(self, x: float, y: float) -> Hashable | None:
        return next((n for r, n in reversed(self.boxes) if r.contains(x, y)), None)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        pos = event.position()
        node = self.node_at(pos.x(), pos.y())
        if node is not None and self.source is not None:
            QToolTip.showText(event.globalPosition().toPoint(), self.source.tooltip(node), self)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        pos = event.position()
        node = self.node_at(pos.x(), pos.y())
        if node is None or self.source is None:
            return
        self.focus = self.source.parent(node) or self.source.root() if node == self.focus else node
        if node != self.source.root():
            self.node_clicked.emit(node)
        self.update()

    def mouseDoubleClickEvent(self, _event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self.zoom_to(None)
