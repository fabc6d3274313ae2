"""The Lock graph dock: threads and the locks they wait for or hold, drawn as a graph — a thread points
at the lock it waits for, a lock at the thread holding it; deadlock cycles in red; clicking a thread
selects it."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QMouseEvent, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QLabel,
    QVBoxLayout,
)

from pmdesk.views.common.colours import accent, tint
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.threads.base import DEADLOCKED, ThreadDumpView

THREAD_ROLE = 1  # QGraphicsItem data key holding a thread index
RED = QColor(DEADLOCKED)


class _View(QGraphicsView):
    def __init__(self, owner: LockGraphView) -> None:
        super().__init__()
        self.owner = owner
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        item = self.itemAt(event.position().toPoint())
        while item is not None and item.data(THREAD_ROLE) is None:
            item = item.parentItem()
        if item is not None:
            self.owner.select_thread(int(item.data(THREAD_ROLE)))
        super().mousePressEvent(event)


class LockGraphView(ThreadDumpView):
    VIEW_ID = "lock_graph"
    TITLE = "Lock graph"
    AREA = Qt.DockWidgetArea.RightDockWidgetArea
    TAB_WITH = "gc_paths"

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.scene = QGraphicsScene(self)
        self.view = _View(self)
        self.view.setScene(self.scene)
        self.info = QLabel()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.info)
        lay.addWidget(self.view, 1)

    def show_dump(self) -> None:
        self.scene.clear()
        dv = self.current
        if dv is None:
            self.info.setText("")
            return
        # threads by index, not name: pools reuse names (three cycles of "DeadlockThread-A/-B" are six threads)
        owner_of: dict[str, int] = {}
        for t in dv.threads:
            for lk in t.holds:
                owner_of.setdefault(lk, t.idx)
        by_idx = {t.idx: t for t in dv.threads}
        # waits for a lock someone holds (a condition nobody owns is an idle wait, not contention)
        waiting = [t for t in dv.threads if t.waits_for and t.waits_for in owner_of]
        locks = sorted({t.waits_for for t in waiting if t.waits_for})
        involved = {t.idx for t in waiting} | {owner_of[lk] for lk in locks}
        on_cycle = {t.idx for t in dv.threads if t.wait_status == "deadlocked"}
        if not locks:
            self.info.setText("No thread waits for a lock another thread holds in this dump.")
            return
        names = [by_idx[i].name for i in involved]
        nodes: list[tuple[str, str | int]] = [("lock", lk) for lk in locks] + [
            ("thread", i) for i in sorted(involved, key=lambda i: (by_idx[i].name, i))]
        radius = max(160.0, 36.0 * len(nodes) / math.pi)
        pos: dict[tuple[str, str | int], QPointF] = {}
        for k, node in enumerate(nodes):
            a = 2 * math.pi * k / len(nodes)
            pos[node] = QPointF(radius * math.cos(a), radius * math.sin(a))
        for t in waiting:  # edges first, under the nodes
            lk = t.waits_for or ""
            red = t.idx in on_cycle
            self._edge(pos[("thread", t.idx)], pos[("lock", lk)], red, dashed=True)
            owner = owner_of[lk]
            self._edge(pos[("lock", lk)], pos[("thread", owner)], red and owner in on_cycle, dashed=False)
        font = QFont()
        font.setPointSize(10)
        for kind, key in nodes:
            p = pos[(kind, key)]
            if kind == "thread":
                th = by_idx[int(key)]
                item: Any = QGraphicsEllipseItem(-9, -9, 18, 18)
                item.setBrush(QBrush(RED if th.idx in on_cycle else tint("#9fc5e8")))
                item.setData(THREAD_ROLE, th.idx)
                item.setToolTip(f"{th.name} ({th.ident}): {th.state}")
                label = f"{th.name} ({th.ident})" if names.count(th.name) > 1 else th.name
            else:
                item = QGraphicsRectItem(-7, -7, 14, 14)
                item.setBrush(QBrush(tint("#f6b26b")))
                cls = next((x.cls for x in dv.locks if x.id == key), None)
                item.setToolTip(f"{key} ({cls})")
                short = (cls or "").rsplit(".", 1)[-1]
                at = str(key).rsplit("@", 1)  # ThreadInfo names a lock class@hash: the class once, short
                label = f"{short}@{at[1]}" if len(at) == 2 and short else f"{key} ({short})"
            item.setPos(p)
            self.scene.addItem(item)
            text = self.scene.addSimpleText(label, font)
            text.setBrush(self.palette().color(QPalette.ColorRole.Text))  # readable on the palette's base
            text.setPos(p + QPointF(11, -8))
            if kind == "thread":
                text.setData(THREAD_ROLE, item.data(THREAD_ROLE))
        cycles = len(dv.deadlocks)
        self.info.setText(f"{len(waiting)} threads wait for {len(locks)} locks"
                          + (f"; {cycles} deadlock cycle{'s' if cycles > 1 else ''} in red" if cycles else "")
                          + " · thread → lock: waits for · lock → thread: held by")
        self.view.fitInView(self.scene.itemsBoundingRect().adjusted(-40, -40, 160, 40),
                            Qt.AspectRatioMode.KeepAspectRatio)

    def _edge(self, a: QPointF, b: QPointF, red: bool, dashed: bool) -> None:
        pen = QPen(RED if red else accent("#666666"), 2.5 if red else 1.2)
        if dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        self.scene.addLine(a.x(), a.y(), b.x(), b.y(), pen)
        d = b - a
        length = math.hypot(d.x(), d.y()) or 1.0
        ux, uy = d.x() / length, d.y() / length
        tip = QPointF(b.x() - ux * 11, b.y() - uy * 11)
        for s in (1, -1):  # arrow head
            wing = QPointF(tip.x() - ux * 8 + s * uy * 5, tip.y() - uy * 8 - s * ux * 5)
            self.scene.addLine(tip.x(), tip.y(), wing.x(), wing.y(), QPen(pen.color(), pen.widthF()))
