"""Table model of the class histogram (class, objects, shallow bytes, retained bytes)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from pmdesk.model.heap.histogram import HistogramRow
from pmdesk.views.common.columns import RIGHT, NamedColumns
from pmdesk.views.common.roles import Role

Index = QModelIndex | QPersistentModelIndex


class HistogramModel(NamedColumns, QAbstractTableModel):
    COLUMNS = ("Class", "Objects", "Shallow bytes", "Retained bytes")

    def __init__(self, rows: list[HistogramRow] | None = None) -> None:
        super().__init__()
        self._rows: list[HistogramRow] = rows or []
        self.marks: dict[str, str] = {}  # class name -> annotation colour

    def set_rows(self, rows: list[HistogramRow]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def row_at(self, row: int) -> HistogramRow:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r = self._rows[index.row()]
        col = index.column()
        value = (r.name, r.count, r.shallow_bytes, r.retained_bytes)[col]
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return value
            return "" if value is None else f"{value:,}"
        if role == Role.SORT:
            return value if value is not None else -1
        if role == Qt.ItemDataRole.TextAlignmentRole and col > 0:
            return RIGHT
        if role == Qt.ItemDataRole.BackgroundRole and col == 0 and r.name in self.marks:
            return QColor(self.marks[r.name])
        if role == Qt.ItemDataRole.ToolTipRole and col == 3 and value is None:
            return "Retained sizes come with the dominator tree"
        return None

