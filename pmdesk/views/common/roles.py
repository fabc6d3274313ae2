"""The item data roles the docks store their own values under (one list, so no two mean the same number)."""

from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import Qt

_USER = int(Qt.ItemDataRole.UserRole)


class Role(IntEnum):
    SORT = _USER             # the value a column sorts by (numbers sort as numbers)
    NODE = _USER + 1         # a heap graph node
    ROW = _USER + 2          # the index of the item's row in the dock's own list (thread, annotation, finding)
    HOLDER = _USER + 3       # a holder path (Compare)
    CALL_NODE = _USER + 4    # a call-tree node (hot methods)
    EVENT_TYPE = _USER + 5   # a JFR event type name, or a category's event count
    STACKS = _USER + 6       # the stacks of an insight group (allocations, lock contention)
    TID = _USER + 7          # a crash's thread id
    CELL = _USER + 8         # (dump position, thread index) of a series cell
