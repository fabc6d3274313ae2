"""The Event browser of a JFR recording: every event type the recording declares as a tree by category
(@Category, as JDK Mission Control groups them) with counts and bytes — what `jfr summary` prints — and the
events of the chosen type in a table with all their fields, in time order, within the chosen time range.
Rows are resolved only when shown, so a type with millions of events opens at once."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSplitter,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pmdesk.model.jfr import events as jfr
from pmdesk.model.jfr.recording import Recording, Window
from pmdesk.views.common.base import fit_header
from pmdesk.views.common.columns import RIGHT
from pmdesk.views.common.roles import Role
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.jfr.base import JfrView

Index = QModelIndex | QPersistentModelIndex


def duration_text(ns: int) -> str:
    """A JFR duration in the unit that reads best: ns below a µs, µs below a ms, else ms."""
    if ns < 1_000:
        return f"{ns} ns"
    if ns < 1_000_000:
        return f"{ns / 1e3:,.1f} µs"
    return f"{ns / 1e6:,.3f} ms"


def event_text(rec: Recording, event: dict[str, Any]) -> str:
    """One event's fields, a line each, and its stack trace in full (the Event browser's properties pane)."""
    lines = []
    for name, value in event.items():
        if isinstance(value, dict) and "frames" in value:
            continue
        if name == "startTime" and isinstance(value, int):
            text = f"{(value - rec.start_ns) / 1e9:,.6f} s after the recording started"
        elif name == "duration" and isinstance(value, int):
            text = duration_text(value)
        else:
            text = jfr.brief(value)
        lines.append(f"{name}: {text}")
    for name, value in event.items():
        if isinstance(value, dict) and "frames" in value:
            lines.append(f"{name}:" + ("" if value.get("frames") else " (empty)"))
            lines += [f"    at {jfr.method_text(f.get('method'))} line {f.get('lineNumber')}"
                      for f in value.get("frames") or []]
    return "\n".join(lines)


class EventTableModel(QAbstractTableModel):
    """The events of one type: a row per event (by start time), a column per top-level field."""

    def __init__(self, rec: Recording | None = None, type_name: str = "", window: Window = None) -> None:
        super().__init__()
        self.rec = rec
        self.fields: list[str] = []
        self.rows = np.empty(0, np.int64)
        self.cache: dict[int, dict[str, Any]] = {}
        self.ev = None
        if rec is not None and type_name:
            table = rec.table(type_name)
            ev = rec.events(type_name, window)
            self.table = table
            self.fields = [f["name"] for f in table.fields] if table is not None else []
            if table is not None:
                self.ev = ev
                self.rows = ev.row[np.argsort(ev.start_ns, kind="stable")]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Rows by a column's values: times and numbers as numbers, strings as text; a column of references
        (threads, stacks, classes) keeps the order it has."""
        keys = self._sort_keys(self.fields[column]) if 0 <= column < len(self.fields) else None
        if keys is None:
            return
        self.layoutAboutToBeChanged.emit()
        order_idx = np.argsort(keys, kind="stable")
        if order == Qt.SortOrder.DescendingOrder:
            order_idx = order_idx[::-1]
        self.rows = self.ev.row[order_idx]  # type: ignore[union-attr]
        self.layoutChanged.emit()

    def _sort_keys(self, name: str) -> np.ndarray | None:
        ev, rec = self.ev, self.rec
        if ev is None or rec is None:
            return None
        if name == "startTime":
            return ev.start_ns
        if name == "duration":
            return ev.duration_ns
        kinds = {f["kind"] for f in self.table.fields if f["name"] == name}
        raw = rec.field(ev, name)
        if raw is None or not kinds <= {"simple", "boolean", "char", "float", "double", "timestamp", "string"}:
            return None
        if kinds == {"string"}:  # string ids: sort by the text
            ids, inverse = np.unique(raw, return_inverse=True)
            texts = np.array([rec.string(int(i)) or "" for i in ids])
            return np.argsort(np.argsort(texts, kind="stable"), kind="stable")[inverse]
        if kinds == {"double"}:  # IEEE bits as the column keeps them
            return raw.astype(np.int64).view(np.float64)
        if kinds == {"float"}:
            return (raw.astype(np.int64) & 0xFFFFFFFF).astype(np.uint32).view(np.float32)
        return raw

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's API
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's API
        return 0 if parent.isValid() else len(self.fields)

    def event(self, row: int) -> dict[str, Any]:
        r = int(self.rows[row])
        if r not in self.cache:
            if len(self.cache) > 5000:
                self.cache.clear()
            self.cache[r] = self.rec.values.row(self.table, r)
        return self.cache[r]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = self.event(index.row()).get(self.fields[index.column()])
            if self.fields[index.column()] == "startTime" and isinstance(value, int) and self.rec is not None:
                return f"{(value - self.rec.start_ns) / 1e9:,.6f} s"
            if self.fields[index.column()] == "duration" and isinstance(value, int):
                return duration_text(value)
            if role == Qt.ItemDataRole.ToolTipRole and isinstance(value, dict) and "frames" in value:
                return "\n".join(f"{jfr.method_text(f['method'])} line {f.get('lineNumber')}"
                                 for f in value["frames"][:30])
            return jfr.brief(value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            value = self.event(index.row()).get(self.fields[index.column()])
            return RIGHT if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt's name
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self.fields):  # Qt asks of the old model's sections during a model swap
            return self.fields[section]
        return None


class JfrEventBrowserView(JfrView):
    VIEW_ID = "jfr_events"
    TITLE = "Event browser"
    AREA = Qt.DockWidgetArea.LeftDockWidgetArea

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.filter = QLineEdit(placeholderText="Filter event types (regular expression)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter)
        self.types = QTreeWidget()
        self.types.setHeaderLabels(["Event type", "Count", "Size (bytes)"])
        fit_header(self.types.header())
        self.types.currentItemChanged.connect(lambda cur, _prev: self._choose(cur))
        self.table = QTableView()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setModel(EventTableModel())
        self.properties = QPlainTextEdit(readOnly=True, placeholderText="Choose an event to see its fields and "
                                                                        "its whole stack trace")
        self.properties.setMinimumHeight(40)  # the dock must fit a small screen with the timeline below it
        self.info = QLabel()
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.filter)
        ll.addWidget(self.types)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(left)
        split.addWidget(self.table)
        split.addWidget(self.properties)
        split.setSizes([220, 220, 120])
        self.total = 0
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(split, 1)
        lay.addWidget(self.info)
        self.chosen = "jdk.ExecutionSample"  # what most people open a recording for

    def refresh(self) -> None:
        self.types.clear()
        self.items: dict[str, QTreeWidgetItem] = {}
        if self.rec is None:
            self.table.setModel(EventTableModel())
            self.info.clear()
            return
        counts = self._counts()
        total = 0
        for name, count, size, label, category in self.dump.conn.execute(
                "SELECT name, count, bytes, label, category FROM jfr_event_type ORDER BY category, name"):
            if self.window is not None:
                count, size = counts.get(name, 0), None
            parent = self._category(category or "(no category)")
            item = QTreeWidgetItem([name, f"{count:,}", "" if size is None else f"{size:,}"])
            item.setToolTip(0, label or name)
            item.setData(0, Role.EVENT_TYPE, name)
            for c in (1, 2):
                item.setTextAlignment(c, RIGHT)
            parent.addChild(item)
            self.items[name] = item
            total += count
            while parent is not None:
                parent.setData(1, Role.EVENT_TYPE, (parent.data(1, Role.EVENT_TYPE) or 0) + count)
                parent.setText(1, f"{parent.data(1, Role.EVENT_TYPE):,}")
                parent.setTextAlignment(1, RIGHT)
                parent = parent.parent()
        self.types.expandToDepth(0)
        self.total = total
        self.info.setText(f"{total:,} records, {self.window_text()}")
        self._filter(self.filter.text())
        if self.chosen in self.items:
            self.types.setCurrentItem(self.items[self.chosen])
            self._choose(self.items[self.chosen])

    def _counts(self) -> dict[str, int]:
        if self.window is None:
            return {}
        return {name: len(self.rec.events(name, self.window)) for name in self.rec.type_names}

    def _category(self, path: str) -> QTreeWidgetItem:
        parent = self.types.invisibleRootItem()
        key = ""
        for part in path.split("/"):
            key += "/" + part
            item = self.items.get(key)
            if item is None:
                item = self.items[key] = QTreeWidgetItem([part])
                f = item.font(0)
                f.setBold(True)
                item.setFont(0, f)
                parent.addChild(item)
            parent = item
        return parent

    def _choose(self, item: QTreeWidgetItem | None) -> None:
        name = item.data(0, Role.EVENT_TYPE) if item is not None else None
        if not name or self.rec is None:
            return
        self.chosen = name
        model = EventTableModel(self.rec, name, self.window)
        self.table.setModel(model)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # by start time
        self.table.selectionModel().currentRowChanged.connect(self._event_chosen)
        self.properties.clear()
        for c in range(model.columnCount()):
            self.table.setColumnWidth(c, 140)
        self.info.setText(f"{model.rowCount():,} {name} events of {self.total:,} records, {self.window_text()}")

    def _event_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        model = self.table.model()
        if isinstance(model, EventTableModel) and current.isValid() and self.rec is not None:
            self.properties.setPlainText(event_text(self.rec, model.event(current.row())))

    def _filter(self, text: str) -> None:
        try:
            rx = re.compile(text, re.IGNORECASE) if text else None
        except re.error:
            return
        for name, item in self.items.items():
            if not name.startswith("/"):
                item.setHidden(rx is not None and not rx.search(name))
        for key, item in sorted(self.items.items(), key=lambda kv: -kv[0].count("/")):
            if key.startswith("/"):
                item.setHidden(all(item.child(i).isHidden() for i in range(item.childCount())))
        if rx is not None:
            self.types.expandAll()
