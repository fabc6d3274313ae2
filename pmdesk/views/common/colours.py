"""Colours that stay readable in the application's palette, light or dark: the docks name their colours as they
look on a light background (pastel row tints, dark text accents) and ask here for the one to paint with — in a
dark palette a tint becomes a dark shade of the same hue under the palette's light text, and a text accent a
light one; the plots take their background and axes from the palette."""

from __future__ import annotations

from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import QApplication


def dark_palette() -> bool:
    """Whether the application's base (the background of tables) is dark."""
    app = QApplication.instance()
    base = app.palette().color(QPalette.ColorRole.Base) if app is not None else QColor("white")  # type: ignore[attr-defined]
    return base.lightness() < 128


def tint(light: str) -> QColor:
    """A row or cell background: `light` as given in a light palette, else the same hue darkened to sit under
    light text."""
    c = QColor(light)
    if not dark_palette():
        return c
    h, s, _l, a = c.getHslF()
    return QColor.fromHslF(max(h, 0.0), min(1.0, max(s, 0.35)), 0.28, a)


def accent(dark: str) -> QColor:
    """A text colour: `dark` as given in a light palette, else the same hue lightened to read on a dark base."""
    c = QColor(dark)
    if not dark_palette():
        return c
    h, s, _l, a = c.getHslF()
    return QColor.fromHslF(max(h, 0.0), s, 0.72, a)


def tint_brush(light: str) -> QBrush:
    return QBrush(tint(light))


def accent_brush(dark: str) -> QBrush:
    return QBrush(accent(dark))


def plot_colours() -> tuple[QColor, QColor]:
    """(background, foreground) for plots: the palette's base and text."""
    app = QApplication.instance()
    if app is None:
        return QColor("white"), QColor("black")
    p = app.palette()  # type: ignore[attr-defined]
    return p.color(QPalette.ColorRole.Base), p.color(QPalette.ColorRole.Text)
