"""What a dock view is: a widget with a stable id, a title, an area and the tables it needs."""

from __future__ import annotations

from collections import deque
from typing import Any, ClassVar

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pmdesk.model.dump import Dump
from pmdesk.model.formats import Kind
from pmdesk.views.common.selection import SelectionBus


class _Loader(QObject):
    """Loads the docks a dump opens one per turn of the event loop (a zero timer restarted after each), so the
    window repaints and answers between them instead of stalling for their sum."""

    _instance: _Loader | None = None

    def __init__(self) -> None:
        super().__init__(QApplication.instance())
        self.queue: deque[DockView] = deque()
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._next)

    @classmethod
    def get(cls) -> _Loader:
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def add(self, view: DockView) -> None:
        if view not in self.queue:
            self.queue.append(view)
        self.timer.start(0)

    def _next(self) -> None:
        if self.queue:
            self.queue.popleft().ensure_loaded()
        if self.queue:
            self.timer.start(0)


def selected_rows_text(view: QAbstractItemView) -> str | None:
    """The selected rows of a table or tree (the current row when none is selected) with the header's labels,
    tab-separated, one line a row; None when there is nothing to copy."""
    model = view.model()
    if model is None:
        return None
    rows = sorted({(i.parent(), i.row()) for i in view.selectionModel().selectedIndexes()},
                  key=lambda pr: (pr[0].row() if pr[0].isValid() else -1, pr[1])) if view.selectionModel() else []
    if not rows and view.currentIndex().isValid():
        rows = [(view.currentIndex().parent(), view.currentIndex().row())]
    if not rows:
        return None
    columns = model.columnCount(rows[0][0])
    header = [str(model.headerData(c, Qt.Orientation.Horizontal) or "") for c in range(columns)]
    lines = ["\t".join(header)] if any(header) else []
    for parent, r in rows:
        lines.append("\t".join(str(model.index(r, c, parent).data() or "") for c in range(columns)))
    return "\n".join(lines) + "\n"


def docks_loading() -> bool:
    """Whether docks are still waiting for their turn to load a dump."""
    return _Loader._instance is not None and bool(_Loader._instance.queue)


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
        copy = QShortcut(QKeySequence.StandardKey.Copy, self, activated=self.copy)
        copy.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def copy(self) -> None:
        """Ctrl+C: the dock's copy_text() to the clipboard."""
        text = self.copy_text()
        if text:
            QGuiApplication.clipboard().setText(text)

    def copy_text(self) -> str | None:
        """What Ctrl+C copies: the selected rows of the table or tree with the focus (else the dock's first),
        with their header, tab-separated. Docks override it where a row stands for more (a thread: its stack)."""
        views = [w for w in self.findChildren(QAbstractItemView) if w.isVisible()]
        focus = QApplication.focusWidget()
        view = next((v for v in views if v is focus or v.isAncestorOf(focus)), views[0] if views else None)
        return selected_rows_text(view) if view is not None else None

    def set_dump(self, dump: Dump | None) -> None:
        """Show `dump` soon if the dock is on screen — on a later turn of the event loop, so that the docks a
        dump opens in load one by one and the window stays responsive between them — (at once when `dump` is
        None), else when it is first shown."""
        if dump is None:
            self._handed = None
            self.load(None)
            return
        self._handed = (dump,)
        if self.isVisible():
            _Loader.get().add(self)

    def ensure_loaded(self) -> None:
        """Load the dump handed over while hidden, then replay the selections made since."""
        if self._handed is None:
            return
        (dump,) = self._handed
        self._handed = None
        if dump is not None and dump.closed:  # closed while this load waited its turn
            return
        heard = self.bus.remembered(dump) if dump is not None else []  # before the load's own selections
        self.load(dump)
        for msg in heard:
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


RESIZE_PRECISION = 0  # columns fit the rows on screen: a fit over every row of a big tree froze each expand


class _ColumnFitter(QObject):
    """Fits a view's columns after the first to their header and the rows on screen once its model is reset or
    gets top-level rows (coalesced into one fit) — never on an expand or a scroll, whose cost grew with the
    rows already open (Qt's ResizeToContents refits on every change)."""

    def __init__(self, view: QAbstractItemView, header: QHeaderView) -> None:
        super().__init__(view)
        self.view, self.header = view, header
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.fit)
        model = view.model()
        model.modelReset.connect(self.timer.start)
        model.layoutChanged.connect(self.timer.start)
        model.rowsInserted.connect(lambda parent, *_a: None if parent.isValid() else self.timer.start())

    def fit(self) -> None:
        for c in range(1, self.header.count()):
            width = self.view.sizeHintForColumn(c)
            self.header.resizeSection(c, max(width, self.header.sectionSizeHint(c)))


def fit_header(header: QHeaderView) -> None:
    """First column takes the room, the others fit their contents (tables and trees of the docks) — the rows on
    screen, measured when rows arrive, so the cost of a fit never grows with the dump."""
    header.setResizeContentsPrecision(RESIZE_PRECISION)
    header.setStretchLastSection(False)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for c in range(1, header.count()):
        header.setSectionResizeMode(c, QHeaderView.ResizeMode.Interactive)
    view = header.parent()
    if isinstance(view, QAbstractItemView) and view.model() is not None:
        _ColumnFitter(view, header)


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
    hh.setResizeContentsPrecision(RESIZE_PRECISION)
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
