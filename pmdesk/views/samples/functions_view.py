"""The Functions dock of a profile: every function with its self and total weight (total counts a sample
once however often the function is on its stack), sortable and filtered by name; compared with another
profile, the functions by change (A, B and the difference). Selecting one shows its callers and callees in
the Sandwich dock."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRegularExpression,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QLineEdit, QTableView, QVBoxLayout

from pmdesk.views.common.base import fit_header
from pmdesk.views.common.columns import RIGHT
from pmdesk.views.common.roles import Role
from pmdesk.views.common.selection import FunctionSelected, SelectionBus
from pmdesk.views.samples.base import ProfileView, weight_text

Index = QModelIndex | QPersistentModelIndex


class RowsModel(QAbstractTableModel):
    """Rows of (shown text, sort value) cells; column 0 is the function."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[str] = []
        self.rows: list[list[tuple[str, Any]]] = []

    def set_rows(self, headers: list[str], rows: list[list[tuple[str, Any]]]) -> None:
        self.beginResetModel()
        self.headers, self.rows = headers, rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's API
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's API
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        text, value = self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return text
        if role == Role.SORT:
            return value
        if role == Qt.ItemDataRole.ToolTipRole and isinstance(value, str) and value != text:
            return value
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0 and isinstance(value, (int, float)):
            return int(RIGHT)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt's name
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None


def _share(w: float, whole: float, unit: str) -> str:
    return f"{weight_text(w, unit)}  {w / whole:6.1%}"


def _module(path: str | None) -> tuple[str, str]:
    """A module cell: the file's name (the path sorts and is in the tooltip)."""
    return (path.rsplit("/", 1)[-1] if path else "", path or "")


class ProfileFunctionsView(ProfileView):
    VIEW_ID = "profile_functions"
    TITLE = "Functions"

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.model = RowsModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Role.SORT)
        self.proxy.setFilterKeyColumn(0)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.selectionModel().currentRowChanged.connect(self._current)
        fit_header(self.table.horizontalHeader())  # the columns after the first fit when rows arrive
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter functions (regex)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter)
        self.info = QLabel()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.filter)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.info)

    def refresh(self) -> None:
        prof, d, problem = self.shown()
        if prof is None:
            self.model.set_rows([], [])
            self.info.setText(problem)
            return
        st = self.profile_state()
        u = prof.unit
        if d is None:
            whole = prof.total or 1.0
            funcs = prof.functions()
            rows = [[(f["function"], f["function"]), (_share(f["self"], whole, u), f["self"]),
                     (_share(f["total"], whole, u), f["total"]), _module(f["module"])] for f in funcs]
            self.model.set_rows(["Function", "Self", "Total", "Module"], rows)
            self.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
            self.info.setText(f"{len(funcs):,} functions")
        else:
            funcs = d.functions()
            rows = [[(f["function"], f["function"]), (weight_text(f["a_total"], u), f["a_total"]),
                     (weight_text(f["b_total"], u), f["b_total"]),
                     (("+" if f["delta_total"] > 0 else "") + weight_text(f["delta_total"], u), f["delta_total"]),
                     (weight_text(f["a_self"], u), f["a_self"]), (weight_text(f["b_self"], u), f["b_self"]),
                     _module(f["module"])] for f in funcs]
            self.model.set_rows(["Function", "Total A", "Total B", "Δ total", "Self A", "Self B", "Module"], rows)
            self.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
            self.info.setText(f"{len(funcs):,} functions; A = {st.compare.name}, B = {self.dump.name}")
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

    def _filter(self, text: str) -> None:
        rx = QRegularExpression(text, QRegularExpression.PatternOption.CaseInsensitiveOption)
        self.proxy.setFilterRegularExpression(rx if rx.isValid() else QRegularExpression(
            QRegularExpression.escape(text)))

    def _current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid() and self.dump is not None:
            name = self.proxy.index(current.row(), 0).data(Role.SORT)
            self.bus.selected.emit(FunctionSelected(self.dump, name, self.VIEW_ID))

    def copy_text(self) -> str | None:
        from pmdesk.views.common.base import selected_rows_text

        return selected_rows_text(self.table)

    def view_state(self) -> dict[str, Any]:
        return {"filter": self.filter.text()}

    def restore_state(self, state: dict[str, Any]) -> None:
        self.filter.setText(state.get("filter", ""))
