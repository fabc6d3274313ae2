"""The Timeline of a JFR recording (pyqtgraph): a GC-pause lane on top, then one lane per thread with its
spans — monitor enter, park, wait, sleep, file and socket I/O — and its CPU samples as ticks. Wheel zooms,
drag pans; dragging the shaded range (or its edges) chooses a time range that every JFR dock narrows to."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from pmdesk.views.common.plots import LazyPlot, pyqtgraph
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.jfr.base import JfrView

GC_LANE = "GC pauses"
# event type -> (legend, colour); spans are drawn in this order, later ones on top
SPANS = (
    ("jdk.ThreadSleep", "Sleep", "#b0b0b0"),
    ("jdk.JavaMonitorWait", "Wait", "#f2d45c"),
    ("jdk.ThreadPark", "Park", "#f28e2b"),
    ("jdk.JavaMonitorEnter", "Monitor enter", "#e15759"),
    ("jdk.FileRead", "File read", "#4e79a7"),
    ("jdk.FileWrite", "File write", "#76b7b2"),
    ("jdk.SocketRead", "Socket read", "#59a14f"),
    ("jdk.SocketWrite", "Socket write", "#8cd17d"),
)
SAMPLE_COLOUR = "#6a3d9a"
GC_COLOUR = "#d62728"


class JfrTimelineView(JfrView):
    VIEW_ID = "jfr_timeline"
    TITLE = "Timeline"
    AREA = Qt.DockWidgetArea.BottomDockWidgetArea

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.chart = LazyPlot("seconds since the recording started", minimum_height=120)
        self.region: Any = None
        self.plot: Any = None
        self.samples = QCheckBox("CPU samples", checked=True)
        self.samples.toggled.connect(lambda _on: self.refresh())
        self.use_range = QCheckBox("Narrow the other docks to the shaded range")
        self.use_range.toggled.connect(self._region_moved)
        reset = QPushButton("Whole recording")
        reset.clicked.connect(self._reset)
        self.info = QLabel()
        legend = QLabel("  ".join(f'<span style="color:{c}">■</span> {label}' for _t, label, c in
                                  (("", "GC pause", GC_COLOUR), *SPANS, ("", "CPU sample", SAMPLE_COLOUR))))
        bar = QHBoxLayout()
        bar.addWidget(self.samples)
        bar.addWidget(self.use_range)
        bar.addWidget(reset)
        bar.addStretch(1)
        bar.addWidget(self.info)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(bar)
        lay.addWidget(legend)
        lay.addWidget(self.chart, 1)
        self.lanes: list[str] = []

    def _ensure_plot(self) -> Any:
        """The plot and the range item, made on first use (pyqtgraph is imported then)."""
        plot = self.chart.plot
        if self.region is None:
            pg = pyqtgraph()
            plot.showGrid(x=True, y=False, alpha=0.2)
            self.region = pg.LinearRegionItem(brush=pg.mkBrush(80, 120, 200, 40))
            self.region.setZValue(-10)
            self.region.sigRegionChangeFinished.connect(self._region_moved)
        return plot

    def refresh(self) -> None:
        if self.chart.made:
            self.chart.plot.clear()
        if self.rec is None:
            self.info.clear()
            return
        pg = pyqtgraph()
        self.plot = self._ensure_plot()
        rec = self.rec
        t0 = rec.start_ns
        per_type = {t: rec.events(t) for t, _l, _c in SPANS}
        samples = rec.events("jdk.ExecutionSample")
        threads = set(samples.thread.tolist()) if self.samples.isChecked() else set()
        for ev in per_type.values():
            threads.update(ev.thread.tolist())
        threads.discard(-1)
        ordered = sorted(threads, key=lambda t: rec.thread_name(t).lower())
        lane = {t: i + 1 for i, t in enumerate(ordered)}
        self.lanes = [GC_LANE] + [rec.thread_name(t) for t in ordered]

        def lane_of(threads_col: np.ndarray) -> np.ndarray:
            lut = np.full(max(max(lane, default=0), int(threads_col.max(initial=0))) + 2, -1.0)
            for t, y in lane.items():
                lut[t] = y
            return lut[np.clip(threads_col, -1, len(lut) - 2)]

        gc = rec.events("jdk.GCPhasePause")
        self._bars((gc.start_ns - t0) / 1e9, np.maximum(gc.duration_ns, 1) / 1e9, np.zeros(len(gc)), GC_COLOUR)
        for t, _label, colour in SPANS:
            ev = per_type[t]
            y = lane_of(ev.thread) if len(ev) else np.empty(0)
            keep = y >= 0
            self._bars(((ev.start_ns - t0) / 1e9)[keep], (np.maximum(ev.duration_ns, 1) / 1e9)[keep], y[keep],
                       colour)
        if self.samples.isChecked() and len(samples):
            y = lane_of(samples.thread)
            keep = y >= 0
            scatter = pg.ScatterPlotItem(x=((samples.start_ns - t0) / 1e9)[keep], y=y[keep], symbol="|", size=9,
                                         pen=pg.mkPen(SAMPLE_COLOUR), brush=None)
            self.plot.addItem(scatter)
        axis = self.plot.getAxis("left")
        axis.setTicks([[(i, name[:28]) for i, name in enumerate(self.lanes)]])
        self.plot.invertY(True)
        span = rec.duration_ns / 1e9
        self.plot.setXRange(0, span, padding=0.01)
        self.plot.setYRange(-0.6, min(len(self.lanes), 25) - 0.4, padding=0)
        self.plot.setLimits(xMin=-span * 0.05, xMax=span * 1.05, yMin=-1, yMax=len(self.lanes) + 1)
        w = self.window or (t0 + rec.duration_ns // 4, t0 + rec.duration_ns // 2)
        self.region.blockSignals(True)
        self.region.setRegion(((w[0] - t0) / 1e9, (w[1] - t0) / 1e9))
        self.region.blockSignals(False)
        self.plot.addItem(self.region)
        self.use_range.blockSignals(True)
        self.use_range.setChecked(self.window is not None)
        self.use_range.blockSignals(False)
        self.region.setVisible(self.window is not None)  # shaded only while it narrows the other docks
        self.info.setText(f"{len(self.lanes) - 1} threads, {span:,.1f} s — {self.window_text()}")

    def _bars(self, x0: np.ndarray, width: np.ndarray, y: np.ndarray, colour: str) -> None:
        if not len(x0):
            return
        pg = pyqtgraph()
        self.plot.addItem(pg.BarGraphItem(x0=x0, width=width, y0=y - 0.35, height=np.full(len(y), 0.7),
                                          brush=pg.mkBrush(colour), pen=pg.mkPen(None)))

    def _region_moved(self, *_args: Any) -> None:
        if self.rec is None or self.region is None:
            return
        self.region.setVisible(self.use_range.isChecked())
        if not self.use_range.isChecked():
            if self.window is not None:
                self.choose_window(None)
            return
        a, b = self.region.getRegion()
        t0 = self.rec.start_ns
        self.choose_window((t0 + int(a * 1e9), t0 + int(b * 1e9)))
        self.info.setText(f"{len(self.lanes) - 1} threads — {self.window_text()}")

    def _reset(self) -> None:
        self.use_range.setChecked(False)
        self.choose_window(None)
