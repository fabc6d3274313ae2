"""Lazy tree model of a heap dump's dominator tree: children are fetched 200 at a time as rows are
expanded or scrolled to, so a root with a million children opens instantly. Optionally the root's
children are grouped by class (MAT's "group by class")."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt

from pmdesk.model.heap.graph import ROOT, HeapGraph
from pmdesk.views.common.colours import tint
from pmdesk.views.common.columns import RIGHT, NamedColumns
from pmdesk.views.common.roles import Role

Index = QModelIndex | QPersistentModelIndex
CHUNK = 200


@dataclass(eq=False)
class Item:
    parent: Item | None
    node: int = ROOT                 # a graph node, or ROOT for the invisible root and class groups
    group: str | None = None         # class name when this item groups the root's children by class
    members: np.ndarray | None = None  # a group's nodes (largest retained first)
    children: list[Item] = field(default_factory=list)
    row: int = 0
    uid: int = 0  # position in DominatorModel._items; the QModelIndex's internalId

    def child_nodes(self, g: HeapGraph) -> np.ndarray:
        if self.members is not None:
            return self.members
        start, kids = g._dom
        v = len(g.idom) if self.node == ROOT else self.node
        seg = kids[start[v]:start[v + 1]]
        if self.node == ROOT:
            seg = seg[g.reach[seg] == 0]
        return seg


class DominatorModel(NamedColumns, QAbstractItemModel):
    COLUMNS = ("Object", "Shallow bytes", "Retained bytes", "% of heap")

    def __init__(self) -> None:
        super().__init__()
        self.g: HeapGraph | None = None
        self.marks: dict[int, str] = {}  # object id -> annotation colour
        self.by_class = False
        self.root = Item(None)
        self._items: list[Item] = [self.root]  # indexes carry ids into this list, not Python pointers
        self._labels: dict[int, str] = {}

    def set_graph(self, g: HeapGraph | None, by_class: bool = False) -> None:
        self.beginResetModel()
        self.g = g
        self.by_class = by_class
        self.root = Item(None)
        self._items = [self.root]
        self._labels = {}
        if g is not None and by_class:
            self._group_root()
        self.endResetModel()

    def _group_root(self) -> None:
        g = self.g
        assert g is not None
        nodes = self.root.child_nodes(g)
        cls = g.node_class[nodes]
        groups = []
        for c in np.unique(cls):
            members = nodes[cls == c]
            groups.append((int(g.retained[members].sum()), int(c), members))
        groups.sort(key=lambda t: -t[0])
        for row, (_ret, c, members) in enumerate(groups):
            self._add(self.root, Item(self.root, ROOT, g.class_names.get(c, "?"), members, row=row))

    def _add(self, parent: Item, it: Item) -> None:
        it.uid = len(self._items)
        self._items.append(it)
        parent.children.append(it)

    # ---- navigation
    def item(self, index: Index) -> Item:
        return self._items[index.internalId()] if index.isValid() else self.root

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        it = self.item(parent)
        if 0 <= row < len(it.children) and 0 <= column < len(self.COLUMNS):
            return self.createIndex(row, column, it.children[row].uid)
        return QModelIndex()

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        p = self.item(index).parent
        if p is None or p is self.root:
            return QModelIndex()
        return self.createIndex(p.row, 0, p.uid)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self.item(parent).children) if self.g is not None else 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.COLUMNS)

    def _total(self, it: Item) -> int:
        if self.g is None:
            return 0
        if it is self.root and self.by_class:
            return len(it.children)
        if it.members is not None:
            return len(it.members)
        return len(it.child_nodes(self.g)) if it.node == ROOT else self.g.child_count(it.node)

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        if self.g is None or (parent.isValid() and parent.column() != 0):
            return False
        return self._total(self.item(parent)) > 0

    def canFetchMore(self, parent: Index) -> bool:
        if self.g is None:
            return False
        it = self.item(parent)
        return len(it.children) < self._total(it)

    def fetchMore(self, parent: Index) -> None:
        g = self.g
        if g is None:
            return
        it = self.item(parent)
        nodes = it.child_nodes(g)
        first = len(it.children)
        last = min(first + CHUNK, len(nodes))
        if last <= first:
            return
        self.beginInsertRows(parent, first, last - 1)
        for row in range(first, last):
            self._add(it, Item(it, int(nodes[row]), row=row))
        self.endInsertRows()

    def index_of_item(self, it: Item) -> QModelIndex:
        return self.createIndex(it.row, 0, it.uid)

    def loaded_items(self) -> list[Item]:
        """The rows fetched so far (not the invisible root)."""
        return self._items[1:]

    def fetch_until(self, parent: Index, row: int) -> None:
        while len(self.item(parent).children) <= row and self.canFetchMore(parent):
            self.fetchMore(parent)

    # ---- contents
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        try:
            return self._value(index, role)
        except (sqlite3.Error, OSError):  # an exception must never cross into Qt's C++ (PySide aborts)
            return None

    def _value(self, index: Index, role: int) -> Any:
        g = self.g
        if g is None or not index.isValid():
            return None
        it = self.item(index)
        col = index.column()
        if role == Role.NODE:
            return it.node if it.group is None else None
        if role == Qt.ItemDataRole.DisplayRole or role == Qt.ItemDataRole.ToolTipRole and col == 0:
            if col == 0:
                return self._label(it)
            if col == 3:
                ret = int(g.retained[it.members].sum()) if it.group is not None else int(g.retained[it.node])
                return f"{ret / max(g.heap_bytes, 1):.2%}"
            column = g.shallow if col == 1 else g.retained
            return f"{int(column[it.members].sum() if it.group is not None else column[it.node]):,}"
        if role == Qt.ItemDataRole.TextAlignmentRole and col > 0:
            return RIGHT
        if role == Qt.ItemDataRole.BackgroundRole and it.group is None and self.marks:
            colour = self.marks.get(int(g.ids[it.node]))
            return tint(colour) if colour else None
        return None


    def _label(self, it: Item) -> str:
        """The first column's text (an object's label is looked up once: painting asks for it again and again)."""
        if it.group is not None:
            n = len(it.members)  # type: ignore[arg-type]
            return f"{it.group} ({n:,} object{'s' if n != 1 else ''})"
        got = self._labels.get(it.node)
        if got is None:
            got = self._labels[it.node] = self.g.label(it.node)  # type: ignore[union-attr]
        return got

    # ---- finding a node
    def index_of(self, node: int) -> QModelIndex:
        """Load the rows down to `node` along its dominator chain; its index (invalid if not shown)."""
        g = self.g
        if g is None:
            return QModelIndex()
        chain = list(reversed(g.dominator_chain(node)))
        parent = QModelIndex()
        if self.by_class:
            top_cls = g.class_names.get(int(g.node_class[chain[0]]))
            row = next((i for i, c in enumerate(self.root.children) if c.group == top_cls), None)
            if row is None:
                return QModelIndex()
            parent = self.index(row, 0, parent)
        for v in chain:
            nodes = self.item(parent).child_nodes(g)
            where = np.nonzero(nodes == v)[0]
            if not len(where):
                return QModelIndex()
            row = int(where[0])
            self.fetch_until(parent, row)
            parent = self.index(row, 0, parent)
        return parent
