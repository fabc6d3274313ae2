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
    QHeaderView,
    QLabel,
    QLineEdit,
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


class EventTableModel(QAbstractTableModel):
    """The events of one type: a row per event (by start time), a column per top-level field."""

    def __init__(self, rec: Recording | None = None, type_name: str = "", window: Window = None) -> None:
        super().__init__()
        self.rec = rec
        self.fields: list[str] = []
        self.rows = np.empty(0, np.int64)
        self.cache: dict[int, dict[str, Any]] = {}
        if rec is not None and type_name:
            table = rec.table(type_name)
            ev = rec.events(type_name, window)
            self.table = table
            self.fields = [f["name"] for f in table.fields] if table is not None else []
            self.rows = ev.row[np.argsort(ev.start_ns, kind="stable")] if table is not None else self.rows

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
        self.table.setModel(EventTableModel())
        self.info = QLabel()
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.filter)
        ll.addWidget(self.types)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(left)
        split.addWidget(self.table)
        split.setSizes([250, 250])
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
        for c in range(model.columnCount()):
            self.table.setColumnWidth(c, 140)

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
