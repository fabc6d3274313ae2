"""The Query dock: SQL (or MAT's OQL) over the open dump's index — an editor that completes view and column names
(Ctrl+Space, or as you type), Run (Ctrl+Return) off the GUI thread with Cancel, the rows in a table whose
object ids are links (double-click: the object in every heap dock), and saved queries kept by the session.
Its twin is `pmdesk query`."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QStringListModel, Qt, QThread, Signal
from PySide6.QtGui import QFont, QKeyEvent, QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pmdesk.base.errors import Cancelled, PmdeskError
from pmdesk.base.progress import Progress
from pmdesk.model.dump import Dump
from pmdesk.model.formats import Kind
from pmdesk.model.query.console import QueryConsole, Result
from pmdesk.model.query.views import views_of
from pmdesk.views.common.base import DockView, readonly_table
from pmdesk.views.common.selection import SelectionBus

SHOWN_ROWS = 10_000
KEYWORDS = ("SELECT", "FROM", "WHERE", "GROUP BY", "ORDER BY", "LIMIT", "COUNT", "SUM", "AVG", "DESC", "JOIN",
            "INSTANCEOF", "LIKE", "AND", "OR", "NOT", "DISTINCT", "HAVING", "field", "value")
EXAMPLES = {  # per kind: what a first query might be
    Kind.HEAP_GRAPH: ("SELECT class, count(*) AS n, sum(retained_bytes) AS retained FROM objects GROUP BY class "
                      "ORDER BY retained DESC LIMIT 20"),
    Kind.THREADS: "SELECT state, count(*) FROM threads GROUP BY state ORDER BY 2 DESC",
    Kind.CRASH: "SELECT thread, depth, function, file, line FROM crash_frames ORDER BY thread_idx, depth",
    Kind.EVENTS: "SELECT type, count(*), sum(duration_ns) / 1e6 AS ms FROM events GROUP BY type ORDER BY 2 DESC",
}


class SqlEditor(QPlainTextEdit):
    """A plain-text editor completing the word under the cursor from a list (views, columns, keywords)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(QFont("monospace"))
        self.words = QStringListModel(list(KEYWORDS), self)
        self.completer = QCompleter(self.words, self)
        self.completer.setWidget(self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.activated.connect(self._complete)

    def set_words(self, words: list[str]) -> None:
        self.words.setStringList(sorted(set(words) | set(KEYWORDS), key=str.lower))

    def _prefix(self) -> str:
        cursor = self.textCursor()
        cursor.select(QTextCursor.SelectionType.WordUnderCursor)
        return cursor.selectedText()

    def _complete(self, word: str) -> None:
        cursor = self.textCursor()
        cursor.select(QTextCursor.SelectionType.WordUnderCursor)
        cursor.insertText(word)
        self.setTextCursor(cursor)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        popup = self.completer.popup()
        if popup.isVisible() and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab):
            index = popup.currentIndex()
            if index.isValid():
                self._complete(index.data())
            popup.hide()
            return
        forced = event.key() == Qt.Key.Key_Space and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        if not forced:
            super().keyPressEvent(event)
        prefix = self._prefix()
        if forced or (len(prefix) >= 2 and event.text().isalnum()):
            self.completer.setCompletionPrefix(prefix)
            if self.completer.completionCount():
                rect = self.cursorRect()
                rect.setWidth(260)
                popup.setCurrentIndex(self.completer.completionModel().index(0, 0))
                self.completer.complete(rect)
                return
        popup.hide()


class QueryJob(QThread):
    done = Signal(object)
    failed = Signal(str)
    progressed = Signal(float, str)

    def __init__(self, console: QueryConsole, text: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.console, self.text = console, text
        self.progress = Progress(callback=self.progressed.emit, path=console.dump.path)

    def run(self) -> None:
        try:
            self.done.emit(self.console.run(self.text, SHOWN_ROWS, self.progress))
        except Cancelled:
            self.failed.emit("cancelled")
        except PmdeskError as e:
            self.failed.emit(e.what)


class QueryView(DockView):
    VIEW_ID = "query"
    TITLE = "Query"
    AREA = Qt.DockWidgetArea.RightDockWidgetArea
    TAB_WITH = "overview"

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.console: QueryConsole | None = None
        self.job: QueryJob | None = None
        self.result: Result | None = None
        self.saved: list[str] = []
        self.editor = SqlEditor()
        self.editor.setPlaceholderText("SQL over the views (hover Views) or OQL: SELECT * FROM java.util.HashMap "
                                       "WHERE size > 1000 — Ctrl+Return runs it")
        self.run_button = QPushButton("Run", clicked=self.run_query)
        self.cancel_button = QPushButton("Cancel", clicked=self.cancel)
        self.cancel_button.setEnabled(False)
        self.save_button = QPushButton("Save", clicked=self.save_query, toolTip="Keep this query in the session")
        self.saved_box = QComboBox()
        self.saved_box.setPlaceholderText("Saved queries")
        self.saved_box.activated.connect(lambda i: self.editor.setPlainText(self.saved_box.itemText(i)))
        self.views_label = QLabel("Views")
        bar = QHBoxLayout()
        for w in (self.run_button, self.cancel_button, self.save_button):
            bar.addWidget(w)
        bar.addWidget(self.saved_box, 1)
        bar.addWidget(self.views_label)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.editor)
        tl.addLayout(bar)
        rows = QWidget()
        self.table = readonly_table(rows, [], fit_columns=0)
        self.table.cellDoubleClicked.connect(self._open_cell)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(rows)
        split.setStretchFactor(1, 3)
        split.setSizes([120, 10_000])   # a few lines of query, the rest for its rows
        self.editor.setMinimumHeight(48)
        self.status = QLabel()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(split, 1)
        lay.addWidget(self.status)
        QShortcut(QKeySequence("Ctrl+Return"), self.editor, activated=self.run_query)

    def applies_to(self, dump: Dump | None) -> bool:
        """Shown for a dump with views to query (a profile has none yet)."""
        return dump is not None and bool(views_of(dump.spec.kinds))

    def load(self, dump: Dump | None) -> None:
        super().load(dump)
        self.console = QueryConsole(dump) if dump is not None else None
        if self.console is None:
            return
        names = self.console.names
        self.editor.set_words([*names, *{c for cols in names.values() for c in cols}])
        self.views_label.setToolTip("\n".join(f"{v.name}({', '.join(v.columns)}): {v.what}"
                                              for v in self.console.views))
        if not self.editor.toPlainText():
            kind = next((k for k in EXAMPLES if dump.has(k)), None)
            if kind is not None:
                self.editor.setPlainText(EXAMPLES[kind])

    def run_query(self) -> None:
        if self.console is None or self.job is not None:
            return
        self.job = QueryJob(self.console, self.editor.toPlainText(), self)
        self.job.done.connect(self._show)
        self.job.failed.connect(lambda line: self.status.setText(line))
        self.job.progressed.connect(lambda _f, m: self.status.setText(m))
        self.job.finished.connect(self._finished)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText("running…")
        self.job.start()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.progress.cancel()

    def _finished(self) -> None:
        self.job = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _show(self, r: Result) -> None:
        self.result = r
        t = self.table
        t.clear()
        t.setColumnCount(len(r.columns))
        t.setHorizontalHeaderLabels(r.columns)
        t.setRowCount(len(r.rows))
        for i, row in enumerate(r.rows):
            for c, v in enumerate(row):
                text = "NULL" if v is None else f"{v & 0xFFFFFFFFFFFFFFFF:#x}" if c in r.id_columns and \
                    isinstance(v, int) else str(v)
                item = QTableWidgetItem(text)
                if c in r.id_columns and isinstance(v, int):
                    item.setToolTip("double-click: this object in the heap docks")
                    font = item.font()
                    font.setUnderline(True)
                    item.setFont(font)
                t.setItem(i, c, item)
        said = f"{len(r.rows):,} rows" + (f" (the first {SHOWN_ROWS:,})" if r.truncated else "")
        self.status.setText(said + (" · OQL, run as SQL (hover to see it)" if r.oql else ""))
        self.status.setToolTip(r.sql if r.oql else "")

    def _open_cell(self, row: int, col: int) -> None:
        r = self.result
        if r is None or self.dump is None or col not in r.id_columns:
            return
        v = r.rows[row][col]
        from pmdesk.model.heap.graph import graph_of

        g = graph_of(self.dump)
        node = g.node_of(v & 0xFFFFFFFFFFFFFFFF) if g is not None and isinstance(v, int) else None
        if node is not None:
            self.bus.select_object(self.dump, node, self.VIEW_ID)

    def save_query(self) -> None:
        text = self.editor.toPlainText().strip()
        if text and text not in self.saved:
            self.saved.append(text)
            self.saved_box.addItem(text)

    def view_state(self) -> dict[str, Any]:
        return {"saved": list(self.saved)} if self.saved else {}

    def restore_state(self, state: dict[str, Any]) -> None:
        for text in state.get("saved", []):
            if isinstance(text, str) and text not in self.saved:
                self.saved.append(text)
                self.saved_box.addItem(text)
