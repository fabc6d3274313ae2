"""The Compare dock: two open heap dumps of one process side by side — what grew by class, and which
holders (paths of classes and fields from the GC roots) hold the growth, as a tree; selecting a holder
selects its object in whichever of the two dumps is shown."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt, QThread, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pmdesk.model.dump import Dump
from pmdesk.model.formats import Kind
from pmdesk.model.heap.diff import Comparison, HolderDelta, compare
from pmdesk.model.heap.graph import graph_of
from pmdesk.views.common.base import DockView, fit_header, readonly_table
from pmdesk.views.common.columns import RIGHT
from pmdesk.views.common.roles import Role
from pmdesk.views.common.selection import SelectionBus


class _Number(QTableWidgetItem):
    """A table cell that sorts by its number."""

    def __init__(self, value: int | None) -> None:
        super().__init__("" if value is None else f"{value:,}")
        self.value = value if value is not None else -(1 << 62)
        self.setTextAlignment(RIGHT)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        return self.value < getattr(other, "value", 0)


class _CompareJob(QThread):
    done = Signal(object)
    failed = Signal(str)

    def __init__(self, a: Dump, b: Dump) -> None:
        super().__init__()
        self.a, self.b = a, b

    def run(self) -> None:
        ga, gb = graph_of(self.a), graph_of(self.b)
        if ga is None or gb is None:
            self.failed.emit("both dumps need their dominator tree first (it is computed after they open)")
            return
        try:
            self.done.emit(compare(ga, gb))
        except Exception as e:  # shown in the dock, never raised into Qt
            self.failed.emit(f"comparison failed: {type(e).__name__}: {e}")


class CompareView(DockView):
    VIEW_ID = "compare"
    TITLE = "Compare"
    AREA = Qt.DockWidgetArea.LeftDockWidgetArea
    TAB_WITH = "heap_histogram"
    KINDS = (Kind.HEAP_GRAPH,)

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.open_dumps: list[Dump] = []
        self.result: Comparison | None = None
        self.job: _CompareJob | None = None
        self.a_box, self.b_box = QComboBox(), QComboBox()
        self.go = QPushButton("Compare")
        self.go.clicked.connect(self.run)
        self.info = QLabel("Open two heap dumps of one process (earlier as A, later as B).")
        self.info.setWordWrap(True)
        top = QHBoxLayout()
        for label, box in (("A (before):", self.a_box), ("B (after):", self.b_box)):
            top.addWidget(QLabel(label))
            top.addWidget(box, 1)
        top.addWidget(self.go)
        self.tabs = QTabWidget()
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Holder path", "Growth", "Retained A", "Retained B", "Objects A", "Objects B"])
        fit_header(self.tree.header())
        self.tree.currentItemChanged.connect(lambda cur, _prev: self._holder(cur))
        self.tabs.addTab(self.tree, "Holders")
        page = QWidget()
        self.filter = QLineEdit(placeholderText="Filter classes (regular expression)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter_classes)
        inner = QWidget()
        self.classes = readonly_table(inner, ["Class", "Objects A", "Objects B", "Shallow A", "Shallow B",
                                              "Retained A", "Retained B", "Shallow growth", ""], fit_columns=8)
        fit_header(self.classes.horizontalHeader())  # the class name takes the room: the growth stays in view
        self.classes.setSortingEnabled(True)
        self.unchanged = QCheckBox("Show unchanged classes")
        self.unchanged.toggled.connect(lambda _on: self._filter_classes(self.filter.text()))
        bar = QHBoxLayout()
        bar.addWidget(self.filter, 1)
        bar.addWidget(self.unchanged)
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(bar)
        box.addWidget(inner, 1)
        self.tabs.addTab(page, "Classes")
        page = QWidget()
        self.collections = readonly_table(page, ["Collection (holder path)", "Class", "Size A", "Size B",
                                                 "Growth"], fit_columns=0)
        fit_header(self.collections.horizontalHeader())
        self.tabs.addTab(page, "Collections")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.info)
        lay.addWidget(self.tabs, 1)

    def open_dumps_changed(self, dumps: list[Dump]) -> None:
        self.open_dumps = [d for d in dumps if d.has(Kind.HEAP_GRAPH)]
        for box, pick in ((self.a_box, 0), (self.b_box, 1)):
            box.blockSignals(True)
            box.clear()
            for d in self.open_dumps:
                box.addItem(d.name, d.path)
            box.setCurrentIndex(min(pick, len(self.open_dumps) - 1))
            box.blockSignals(False)
        self.go.setEnabled(len(self.open_dumps) >= 2)

    def run(self) -> None:
        ia, ib = self.a_box.currentIndex(), self.b_box.currentIndex()
        if ia < 0 or ib < 0 or ia == ib or self.job is not None:
            self.info.setText("Choose two different heap dumps.")
            return
        self.info.setText("Comparing…")
        self.go.setEnabled(False)
        self.job = _CompareJob(self.open_dumps[ia], self.open_dumps[ib])
        self.job.done.connect(self._show)
        self.job.failed.connect(self._failed)
        self.job.finished.connect(self._finished)
        self.job.start()

    def _finished(self) -> None:
        self.job = None
        self.go.setEnabled(len(self.open_dumps) >= 2)

    def _failed(self, why: str) -> None:
        self.info.setText(why)

    def _show(self, c: Comparison) -> None:
        self.result = c
        grown = c.holders[0] if c.holders else None
        self.info.setText(
            (f"Grew most: {' ▸ '.join(grown.path)} (+{grown.growth:,} bytes). " if grown and grown.growth > 0 else "")
            + (f"Only {c.matched_fraction:.0%} of B's heap lies under paths A has too: are these dumps of the same "
               "program?" if c.matched_fraction < 0.5 else ""))
        self._fill_holders(c.holders)
        self.classes.setSortingEnabled(False)
        self.classes.setRowCount(len(c.classes))
        for r, d in enumerate(c.classes):
            cells: list[QTableWidgetItem] = [QTableWidgetItem(d.name)]
            cells += [_Number(v) for v in (d.count_a, d.count_b, d.shallow_a, d.shallow_b, d.retained_a, d.retained_b,
                                           d.shallow_b - d.shallow_a)]
            cells.append(QTableWidgetItem(d.status))
            for col, item in enumerate(cells):
                self.classes.setItem(r, col, item)
        self.classes.setSortingEnabled(True)
        self.classes.sortByColumn(7, Qt.SortOrder.DescendingOrder)
        self._filter_classes(self.filter.text())
        self.collections.setSortingEnabled(False)
        self.collections.setRowCount(len(c.collections))
        for r, col in enumerate(c.collections):
            for k, item in enumerate([QTableWidgetItem(" ▸ ".join(col.path)), QTableWidgetItem(col.cls),
                                      _Number(col.size_a), _Number(col.size_b), _Number(col.size_b - col.size_a)]):
                self.collections.setItem(r, k, item)
        self.collections.setSortingEnabled(True)
        self.collections.sortByColumn(4, Qt.SortOrder.DescendingOrder)  # what grew most first

    def _filter_classes(self, text: str) -> None:
        try:
            rx = re.compile(text) if text else None
        except re.error:
            return
        show_same = self.unchanged.isChecked()
        for r in range(self.classes.rowCount()):
            item = self.classes.item(r, 0)
            same = not show_same and all(self.classes.item(r, a) is not None and self.classes.item(r, a).text() ==
                                         self.classes.item(r, b).text() for a, b in ((1, 2), (3, 4)))
            self.classes.setRowHidden(r, same or rx is not None and item is not None and not rx.search(item.text()))

    def _fill_holders(self, holders: list[HolderDelta]) -> None:
        """The holder paths as a tree, each level largest growth first."""
        self.tree.clear()
        items: dict[tuple[str, ...], QTreeWidgetItem] = {}
        for h in sorted(holders, key=lambda x: (len(x.path), -x.growth)):
            parent = items.get(h.path[:-1])
            if len(h.path) > 1 and parent is None:
                continue
            cells = [h.path[-1], f"{h.growth:+,}", f"{h.retained_a:,}", f"{h.retained_b:,}", f"{h.objects_a:,}",
                     f"{h.objects_b:,}"]
            item = QTreeWidgetItem(cells) if parent is None else QTreeWidgetItem(parent, cells)
            if parent is None:
                self.tree.addTopLevelItem(item)
            item.setData(0, Role.HOLDER, h.path)
            for col in range(1, 6):
                item.setTextAlignment(col, RIGHT)
            items[h.path] = item
        best = holders[0].path if holders else None
        if best in items:  # open the way to the holder that grew most
            it = items[best]
            self.tree.setCurrentItem(it)
            while it.parent() is not None:
                it.parent().setExpanded(True)
                it = it.parent()

    def _holder(self, item: QTreeWidgetItem | None) -> None:
        if item is None or self.result is None or self.dump is None:
            return
        path = item.data(0, Role.HOLDER)
        h = next((x for x in self.result.holders if x.path == tuple(path)), None)
        if h is None or self.job is not None:
            return
        nodes = h.nodes_b if self.dump is self.open_dumps[self.b_box.currentIndex()] else h.nodes_a
        if self.dump in (self.open_dumps[self.a_box.currentIndex()], self.open_dumps[self.b_box.currentIndex()]) \
                and nodes:
            self.bus.select_object(self.dump, nodes[0], self.VIEW_ID)
