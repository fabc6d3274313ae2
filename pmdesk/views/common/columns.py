"""What the item models share: a fixed list of column titles and right-aligned numbers."""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtCore import Qt

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class NamedColumns:
    """Mixin for a QAbstractItemModel whose horizontal header shows COLUMNS."""

    COLUMNS: ClassVar[tuple[str, ...]] = ()

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt's name
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None
