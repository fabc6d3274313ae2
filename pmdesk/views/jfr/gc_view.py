"""The GC dock of a JFR recording: every garbage collection (collector, cause, duration, pauses, heap used
before and after) in a table, and a plot of heap used before and after each collection over time with its
pause times — within the chosen time range."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from pmdesk.model.jfr.insights import garbage_collections
from pmdesk.views.common.base import readonly_table
from pmdesk.views.common.plots import LazyPlot, pyqtgraph
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.jfr.base import JfrView, SortableItem, fill, ms, number

MB = 1 << 20


class JfrGcView(JfrView):
    VIEW_ID = "jfr_gc"
    TITLE = "GC"
    AREA = Qt.DockWidgetArea.RightDockWidgetArea
    TAB_WITH = "jfr_findings"

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.chart = LazyPlot("seconds since the recording started", "heap used (MB)", minimum_height=110)
        box = QWidget()
        self.table = readonly_table(box, ["GC id", "Collector", "Cause", "Start (s)", "Duration", "Pauses",
                                          "Longest pause", "Heap before (MB)", "Heap after (MB)"], fit_columns=8)
        self.table.setSortingEnabled(True)
        self.info = QLabel()
        self._pending_chart: tuple[list[dict], int] = ([], 0)
        self._chart_timer = QTimer(self)
        self._chart_timer.setSingleShot(True)
        self._chart_timer.timeout.connect(self._draw_chart)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.chart)
        split.addWidget(box)
        split.setSizes([220, 200])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.info)
        lay.addWidget(split, 1)

    def refresh(self) -> None:
        if self.chart.made:
            self.chart.plot.clear()
        gcs = sorted(garbage_collections(self.rec, self.window), key=lambda g: g["start_ns"]) if self.rec else []
        t0 = self.rec.start_ns if self.rec else 0

        def mb(v: int | None) -> SortableItem:
            return number(-1, "") if v is None else number(v, f"{v / MB:,.1f}")

        fill(self.table, [[number(g["gc_id"]), SortableItem(g["name"]), SortableItem(g["cause"]),
                           number(g["start_ns"], f"{(g['start_ns'] - t0) / 1e9:,.3f}"),
                           number(g["duration_ns"], ms(g["duration_ns"])),
                           number(g["sum_of_pauses_ns"] or 0, ms(g["sum_of_pauses_ns"] or 0)),
                           number(g["longest_pause_ns"] or 0, ms(g["longest_pause_ns"] or 0)),
                           mb(g["heap_before"]), mb(g["heap_after"])] for g in gcs])
        self.table.sortItems(3, Qt.SortOrder.AscendingOrder)  # in time order
        with_heap = [g for g in gcs if g["heap_before"] is not None and g["heap_after"] is not None]
        self._chart_timer.stop()
        self._pending_chart = (with_heap, t0)
        self._chart_timer.start(0)  # the chart on the next turn of the event loop: two short stalls, not one long
        pauses = sum(g["sum_of_pauses_ns"] or 0 for g in gcs)
        longest = max((g["longest_pause_ns"] or 0 for g in gcs), default=0)
        self.info.setText(f"{len(gcs):,} collections, {ms(pauses)} paused in total, longest pause {ms(longest)} "
                          f"— {self.window_text()}")

    def _draw_chart(self) -> None:
        with_heap, t0 = self._pending_chart
        if with_heap:
            pg = pyqtgraph()
            plot = self.chart.plot
            # the key in the title, above the plot: a legend inside it covered the points
            plot.setTitle("<span style='color:#e15759'>●</span> heap before GC &nbsp; "
                          "<span style='color:#4e79a7'>●—</span> heap after GC", size="9pt")
            t = np.array([(g["start_ns"] - t0) / 1e9 for g in with_heap])
            before = np.array([g["heap_before"] for g in with_heap]) / MB
            after = np.array([g["heap_after"] for g in with_heap]) / MB
            plot.plot(t, before, pen=None, symbol="o", symbolSize=4, symbolBrush="#e15759", name="before GC")
            plot.plot(t, after, pen=pg.mkPen("#4e79a7", width=1), symbol="o", symbolSize=4,
                           symbolBrush="#4e79a7", name="after GC")
