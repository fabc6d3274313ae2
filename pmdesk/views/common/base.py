"""What a dock view is: a widget with a stable id, a title, an area and the tables it needs."""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pmdesk.model.dump import Dump
from pmdesk.model.formats import Kind
from pmdesk.views.common.selection import SelectionBus


class DockView(QWidget):
    """Base of every dock. The main window creates one per class in views.registry.VIEWS.

    VIEW_ID is also the dock's objectName, so QMainWindow.saveState/restoreState keep the layout.
    The window hands each dock the dump to show with `set_dump(dump)` (None: no dump open), also when a
    background pass added to the dump's index (e.g. the dominator tree arrived); the dock `load`s it when
    it is shown — at once if it is on screen, else when its tab is first raised — and then hears again the
    selections made meanwhile (`on_message`). Views talk to each other only through `bus`
    (views/common/selection.py).
    """

    VIEW_ID: ClassVar[str]
    TITLE: ClassVar[str]
    AREA: ClassVar[Qt.DockWidgetArea] = Qt.DockWidgetArea.RightDockWidgetArea
    KINDS: ClassVar[tuple[Kind, ...]] = ()  # data kinds this view shows (any of them); () = every dump
    REQUIRES: ClassVar[tuple[str, ...]] = ()  # index tables that must have rows
    TAB_WITH: ClassVar[str | None] = None  # VIEW_ID of the dock this one shares a tabbed area with

    def __init__(self, parent: QWidget | None = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent)
        self.dump: Dump | None = None
        self.bus = bus or SelectionBus(self)
        self._handed: tuple[Dump | None] | None = None  # a dump handed over while the dock was hidden
        self.bus.selected.connect(self._heard)

    def set_dump(self, dump: Dump | None) -> None:
        """Show `dump` now if the dock is on screen (or `dump` is None), else when it is first shown."""
        if dump is None or self.isVisible():
            self._handed = None
            self.load(dump)
        else:
            self._handed = (dump,)

    def ensure_loaded(self) -> None:
        """Load the dump handed over while hidden, then replay the selections made since."""
        if self._handed is None:
            return
        (dump,) = self._handed
        self._handed = None
        self.load(dump)
        if dump is not None:
            for msg in self.bus.remembered(dump):
                self.on_message(msg)

    def _heard(self, msg: object) -> None:
        if self._handed is None:
            self.on_message(msg)

    def on_message(self, msg: object) -> None:
        """A message on the bus (a selection in another dock, a request…), heard while loaded."""

    def applies_to(self, dump: Dump | None) -> bool:
        if dump is None:
            return not self.KINDS and not self.REQUIRES
        if self.KINDS and not any(dump.has(k) for k in self.KINDS):
            return False
        return all(dump.has_rows(t) for t in self.REQUIRES)

    def load(self, dump: Dump | None) -> None:
        self.dump = dump

    def open_dumps_changed(self, dumps: list[Dump]) -> None:
        """The dumps open in the window changed (views that compare dumps need them all)."""

    def view_state(self) -> dict[str, Any]:
        return {}

    def restore_state(self, state: dict[str, Any]) -> None:
        pass


def fit_header(header: QHeaderView) -> None:
    """First column takes the room, the others fit their contents (tables and trees of the docks)."""
    header.setStretchLastSection(False)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for c in range(1, header.count()):
        header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)


MIN_TABLE_HEIGHT = 50  # a header and a row: four docks stacked must fit a 768 px laptop screen


def readonly_table(parent: QWidget, headers: list[str], fit_columns: int) -> QTableWidget:
    """A read-only QTableWidget filling `parent`: the first `fit_columns` fit their contents, the last stretches."""
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(22)
    table.setMinimumHeight(MIN_TABLE_HEIGHT)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    hh = table.horizontalHeader()
    for c in range(fit_columns):
        hh.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
    hh.setStretchLastSection(True)
    lay = QVBoxLayout(parent)
    lay.setContentsMargins(2, 2, 2, 2)
    lay.addWidget(table)
    return table


def fill_pairs(table: QTableWidget, pairs: list[tuple[str, str]]) -> None:
    """A two-column table of facts: the name in bold, the value (also its tooltip, for long ones)."""
    table.setRowCount(len(pairs))
    for r, (name, value) in enumerate(pairs):
        key = QTableWidgetItem(name)
        font = key.font()
        font.setBold(True)
        key.setFont(font)
        table.setItem(r, 0, key)
        item = QTableWidgetItem(value)
        item.setToolTip(value)
        table.setItem(r, 1, item)
