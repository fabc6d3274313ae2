"""pyqtgraph plots the way the docks draw them: white background, dark axes, no context menu."""

from __future__ import annotations

import pyqtgraph as pg


def plot_widget(bottom: str, left: str | None = None) -> pg.PlotWidget:
    pg.setConfigOptions(antialias=False, background="w", foreground="k")
    plot = pg.PlotWidget()
    plot.setLabel("bottom", bottom)
    if left:
        plot.setLabel("left", left)
    plot.getPlotItem().setMenuEnabled(False)
    return plot
