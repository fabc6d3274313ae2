"""The command palette (Ctrl+K): one box that finds, by words of its name, any dock, any menu command, a thread
of the dump shown (thread dumps and crashes) or a class of the heap shown — Enter goes there: the dock comes
forward, the command runs, the thread is selected in every dock, the histogram shows the class."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout

from pmdesk.model.formats import Kind
from pmdesk.views.common.selection import CrashFrameSelected, ThreadSelected

if TYPE_CHECKING:
    from pmdesk.app.main_window import MainWindow

SHOWN = 200  # entries listed at once: the box narrows them


@dataclass
class Entry:
    kind: str   # "dock", "command", "thread", "class"
    name: str
    go: Callable[[], None]


def entries(w: MainWindow) -> list[Entry]:
    """What the palette can find in the window as it is now."""
    out: list[Entry] = []
    for vid, (_dock, view) in w.docks.items():
        if view.applies_to(w.current) and w.current is not None:
            out.append(Entry("dock", view.TITLE, lambda vid=vid: w.bring_forward(vid)))
    for action in w.menuBar().actions():
        sub = action.menu()
        for a in sub.actions() if sub is not None else []:  # (the View menu's dock toggles are the docks)
            if a.text() and not a.isSeparator() and a.menu() is None and a.isEnabled() and not a.isCheckable():
                out.append(Entry("command", a.text().replace("&", ""), a.trigger))
    dump = w.current
    if dump is not None and dump.has(Kind.THREADS):
        view = w.view("threads")
        dv = view.current
        for t in dv.threads if dv is not None else []:
            out.append(Entry("thread", t.name, lambda t=t, pos=view.position: w.bus.selected.emit(
                ThreadSelected(dump, pos, t.idx, "command_palette"))))
    if dump is not None and dump.has(Kind.CRASH):
        session = w.view("crash_threads").session
        for t in session.crash.threads if session is not None else []:
            out.append(Entry("thread", f"{t.tid} {t.name or ''}".strip(), lambda t=t: w.bus.selected.emit(
                CrashFrameSelected(dump, t.tid, 0, "command_palette"))))
    if dump is not None and "heap_histogram" in w.docks and w.docks["heap_histogram"][1].applies_to(dump):
        hist = w.view("heap_histogram")
        for r in range(hist.model.rowCount()):
            name = hist.model.row_at(r).name
            out.append(Entry("class", name, lambda name=name: w.show_class(name)))
    return out


class CommandPalette(QDialog):
    """The Ctrl+K box: type words, arrows to choose, Enter to go, Escape to leave."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window, Qt.WindowType.Popup)
        self.setWindowTitle("Go to")
        self.items = entries(window)
        self.box = QLineEdit(placeholderText="a dock, a command, a thread or a class — words of its name")
        self.box.textChanged.connect(self._narrow)
        self.list = QListWidget()
        self.list.itemActivated.connect(self._go)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.box)
        lay.addWidget(self.list)
        self.resize(min(640, window.width() - 40), min(420, window.height() - 80))
        self._narrow("")
        self.box.setFocus()

    def _narrow(self, text: str) -> None:
        words = text.lower().split()
        self.list.clear()
        for e in (e for e in self.items if all(w in e.name.lower() for w in words)):
            item = QListWidgetItem(f"{e.name}    — {e.kind}")
            item.setData(Qt.ItemDataRole.UserRole, e)
            self.list.addItem(item)
            if self.list.count() >= SHOWN:
                break
        if self.list.count():
            self.list.setCurrentRow(0)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            self.list.keyPressEvent(event)
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.list.currentItem() is not None:
            self._go(self.list.currentItem())
        else:
            super().keyPressEvent(event)

    def _go(self, item: QListWidgetItem) -> None:
        entry: Entry = item.data(Qt.ItemDataRole.UserRole)
        self.accept()
        entry.go()
