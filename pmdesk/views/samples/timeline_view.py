"""The Timeline dock of a profile with sample times (perf): samples per moment, one lane per thread — or per
CPU, when the source says which (the busiest 12) — and a range that narrows every profile dock to the samples
taken in it."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from pmdesk.model.dump import Dump
from pmdesk.model.samples.profile import load
from pmdesk.views.common.plots import LazyPlot, pyqtgraph
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.samples.base import ProfileView

LANES = 12
BINS = 400


class ProfileTimelineView(ProfileView):
    VIEW_ID = "profile_timeline"
    TITLE = "Samples over time"
    AREA = Qt.DockWidgetArea.BottomDockWidgetArea

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.chart = LazyPlot("seconds since the first sample", minimum_height=80)
        self.region: Any = None
        self.use_range = QCheckBox("Narrow the other docks to the shaded range")
        self.use_range.toggled.connect(self._region_moved)
        reset = QPushButton("All samples")
        reset.clicked.connect(lambda: self.use_range.setChecked(False))
        self.info = QLabel()
        self.lanes = QComboBox()
        self.lanes.addItem("Lanes: threads", "thread")
        self.lanes.addItem("Lanes: CPUs", "cpu")
        self.lanes.currentIndexChanged.connect(self._lanes_chosen)
        bar = QHBoxLayout()
        bar.addWidget(self.lanes)
        bar.addWidget(self.use_range)
        bar.addWidget(reset)
        bar.addStretch(1)
        bar.addWidget(self.info)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(bar)
        lay.addWidget(self.chart, 1)
        self._drawn: Dump | None = None

    def applies_to(self, dump: Dump | None) -> bool:
        return super().applies_to(dump) and dump is not None and bool(dump.meta.get("samples.has_time"))

    def refresh(self) -> None:
        if self.dump is None or self._drawn is self.dump:
            return  # the lanes show every sample: drawn once per dump, the range kept
        self._drawn = self.dump
        s = load(self.dump)
        if s.time_ns is None or not len(s.time_ns):
            return
        pg = pyqtgraph()
        plot = self.chart.plot
        plot.clear()
        t0 = int(s.time_ns.min())
        seconds = (s.time_ns - t0) / 1e9
        span = float(seconds.max()) or 1e-3
        by_cpu = self.lanes.currentData() == "cpu" and s.cpu is not None
        self.lanes.setVisible(s.cpu is not None)
        key = s.cpu if by_cpu else s.thread
        counts = np.bincount(key[key >= 0], minlength=1 if by_cpu else len(s.threads))
        busiest = np.argsort(-counts)[:LANES]
        busiest = busiest[counts[busiest] > 0]
        edges = np.linspace(0, span, BINS + 1)
        ticks = []
        for lane, t in enumerate(busiest.tolist()):
            h, _ = np.histogram(seconds[key == t], bins=edges)
            peak = h.max() or 1
            plot.addItem(pg.BarGraphItem(x0=edges[:-1], width=np.diff(edges), y0=lane + 0.45 - 0.8 * h / peak,
                                         height=0.8 * h / peak, brush=pg.mkBrush("#d9534f"), pen=pg.mkPen(None)))
            if by_cpu:
                ticks.append((lane, f"CPU {t}"))
                continue
            _pid, tid, name = s.threads[t]
            ticks.append((lane, f"{name or ''} {tid if tid is not None else ''}".strip()[:28]))
        plot.getAxis("left").setTicks([ticks])
        plot.invertY(True)
        plot.setXRange(0, span, padding=0.01)
        plot.setLimits(xMin=-span * 0.05, xMax=span * 1.05, yMin=-1, yMax=len(ticks) + 1)
        self.region = pg.LinearRegionItem(values=(span / 4, span / 2), brush=pg.mkBrush(80, 120, 200, 40))
        self.region.setZValue(-10)
        self.region.sigRegionChangeFinished.connect(self._region_moved)
        self.region.setVisible(False)
        plot.addItem(self.region)
        self.use_range.blockSignals(True)
        self.use_range.setChecked(False)
        self.use_range.blockSignals(False)
        self.info.setText(f"{len(busiest):,} CPUs, {span:,.2f} s" if by_cpu else
                          f"{len(s.threads):,} threads, {span:,.2f} s")

    def _lanes_chosen(self, _index: int) -> None:
        self._drawn = None
        self.refresh()

    def _region_moved(self, *_args: Any) -> None:
        if self.dump is None or self.region is None:
            return
        on = self.use_range.isChecked()
        self.region.setVisible(on)
        a, b = self.region.getRegion() if on else (None, None)
        sel = self.profile_state().selection
        if (sel.from_s, sel.to_s) != (a, b):
            self.change_selection(from_s=a, to_s=b)
            self.info.setText(f"{a:,.3f} – {b:,.3f} s" if on else "")

    def load(self, dump: Dump | None) -> None:
        if dump is not self._drawn:
            self._drawn = None
        super().load(dump)
