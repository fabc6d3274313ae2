"""pyqtgraph plots the way the docks draw them — white background, dark axes, no context menu — created
only when a plot dock first shows something: importing pyqtgraph costs about half a second, which a
window opening a heap dump should not pay."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from PySide6.QtWidgets import QVBoxLayout, QWidget

from pmdesk.views.common.colours import plot_colours


def pyqtgraph() -> ModuleType:
    import pyqtgraph as pg

    background, foreground = plot_colours()  # the palette's: readable in a dark theme too
    pg.setConfigOptions(antialias=False, background=background, foreground=foreground)
    return pg


class LazyPlot(QWidget):
    """A place for a pyqtgraph PlotWidget; `plot` makes it on first use."""

    def __init__(self, bottom: str, left: str | None = None, minimum_height: int = 0) -> None:
        super().__init__()
        self.labels = (bottom, left)
        self._plot: Any = None
        self.setMinimumHeight(minimum_height)
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(0, 0, 0, 0)

    @property
    def made(self) -> bool:
        return self._plot is not None

    @property
    def plot(self) -> Any:
        if self._plot is None:
            pg = pyqtgraph()
            self._plot = pg.PlotWidget()
            self._plot.setLabel("bottom", self.labels[0])
            if self.labels[1]:
                self._plot.setLabel("left", self.labels[1])
            self._plot.getPlotItem().setMenuEnabled(False)
            self.box.addWidget(self._plot)
        return self._plot
