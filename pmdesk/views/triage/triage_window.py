"""The Triage window (File ▸ Triage a folder…): the buckets of a folder's dumps — mark, count, kind, when
first and last seen, bytes, signature — the selected bucket's dumps and what it is (reason, the full
proto-signature, versions, its note), and the dumps that could not be read. Triage runs in a worker thread
(the dumps in worker processes, pool.py) with progress and Cancel; double-clicking a dump (or Open) hands it
to the main window, which finds its index ready."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Qt, QThread, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pmdesk.base.errors import Cancelled, PmdeskError
from pmdesk.base.progress import Progress
from pmdesk.base.words import human_bytes
from pmdesk.model.triage import inbox as inboxes
from pmdesk.model.triage.buckets import Bucket, bucket_rows, size_report
from pmdesk.views.common.base import readonly_table
from pmdesk.views.common.roles import Role

MARK_COLOURS = {"known": "#9bd3ae", "ignored": "#bdbdbd"}


class TriageJob(QThread):
    """Finds a folder's dumps and summarises them (in worker processes), off the GUI thread."""

    progressed = Signal(float, str)
    done = Signal(object)      # (rows, errors, skipped)
    failed = Signal(str)

    def __init__(self, folder: str, index_dir: str | None, parent: Any = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.index_dir = index_dir
        self.progress = Progress(callback=self.progressed.emit, path=folder)

    def run(self) -> None:
        from pmdesk.model.triage.pool import summarise_all
        from pmdesk.model.triage.sources import find

        try:
            self.progressed.emit(0.0, "looking for dumps")
            found = find([self.folder])
            rows = summarise_all(found.paths, self.index_dir, progress=self.progress)
        except Cancelled:
            self.failed.emit(f"{self.folder}: triage cancelled")
        except PmdeskError as e:
            self.failed.emit(e.one_line())
        except OSError as e:
            self.failed.emit(f"{self.folder}: {e.strerror or e}")
        else:
            self.done.emit((rows, found.errors, found.skipped))


class TriageWindow(QMainWindow):
    """A folder's triage inbox. `open_requested(path)` asks the main window to open a dump."""

    open_requested = Signal(str)

    def __init__(self, index_dir: str | None = None, parent: QWidget | None = None,
                 inbox_base: str | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("triage_window")
        self.setWindowTitle("Triage — pmdesk")
        self.index_dir = index_dir
        self.inbox_base = inbox_base
        self.folder: str | None = None
        self.inbox = inboxes.Inbox("")
        self.rows: list[dict[str, Any]] = []
        self.errors: list[dict[str, str]] = []
        self.skipped = 0
        self.buckets: list[Bucket] = []
        self.shown: list[Bucket] = []
        self.job: TriageJob | None = None
        self.note_dialog: QDialog | None = None

        top = QWidget()
        bar = QHBoxLayout(top)
        bar.setContentsMargins(4, 4, 4, 0)
        self.folder_label = QLabel("No folder yet: choose one to triage its dumps.")
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.choose = QPushButton("Choose folder…", clicked=self.choose_folder)
        self.rerun = QPushButton("Triage again", clicked=lambda: self.triage(self.folder) if self.folder else None)
        self.cancel = QPushButton("Cancel", clicked=self.cancel_job)
        self.cancel.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(220)
        self.progress.setVisible(False)
        self.hide_ignored = QCheckBox("Hide ignored", toggled=lambda _on: self.fill_buckets())
        bar.addWidget(self.folder_label, 1)
        for w in (self.hide_ignored, self.progress, self.cancel, self.rerun, self.choose):
            bar.addWidget(w)

        self.tabs = QTabWidget()
        buckets_box = QWidget()
        self.buckets_table = readonly_table(buckets_box, ["Mark", "Dumps", "Kind", "Last seen", "First seen", "Size",
                                                          "Signature"], fit_columns=6)
        self.buckets_table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.buckets_table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.buckets_table.itemSelectionChanged.connect(self.bucket_chosen)

        dumps_box = QWidget()
        self.dumps_table = readonly_table(dumps_box, ["Time", "Size", "Format", "Note", "Path"], fit_columns=4)
        self.dumps_table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.dumps_table.setTextElideMode(Qt.TextElideMode.ElideLeft)   # a path's file name stays in sight
        self.dumps_table.cellDoubleClicked.connect(lambda r, _c: self.open_row(r))

        detail = QWidget()
        dl = QVBoxLayout(detail)
        dl.setContentsMargins(2, 2, 2, 2)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText("What this bucket is (kept for the folder, and in the session)")
        self.note.setMaximumHeight(90)
        buttons = QHBoxLayout()
        self.open_button = QPushButton("Open", clicked=lambda: self.open_row(self.dumps_table.currentRow()))
        self.known = QPushButton("Known", clicked=lambda: self.set_mark("known"))
        self.ignored = QPushButton("Ignore", clicked=lambda: self.set_mark("ignored"))
        self.new = QPushButton("New", clicked=lambda: self.set_mark("new"))
        self.save_note = QPushButton("Save note", clicked=self.store_note)
        self.annotate_button = QPushButton("Note on dump…", clicked=self.annotate_dump,
                                           toolTip="A dump with a note is kept by every retention policy")
        for b in (self.open_button, self.annotate_button, self.known, self.ignored, self.new, self.save_note):
            buttons.addWidget(b)
        dl.addWidget(self.detail, 1)
        dl.addWidget(self.note)
        dl.addLayout(buttons)

        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(dumps_box)
        lower.addWidget(detail)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 2)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(buckets_box)
        split.addWidget(lower)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.tabs.addTab(split, "Buckets")
        errors_box = QWidget()
        self.errors_table = readonly_table(errors_box, ["Path", "Why it could not be read"], fit_columns=1)
        self.errors_table.setWordWrap(False)
        self.tabs.addTab(errors_box, "Unreadable")

        self.summary = QLabel()
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 0, 0, 2)
        lay.addWidget(top)
        lay.addWidget(self.tabs, 1)
        lay.addWidget(self.summary)
        self.setCentralWidget(body)
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.dumps_table,
                  activated=lambda: self.open_row(self.dumps_table.currentRow()))
        self.resize(1100, 640)
        self._enable_bucket_actions(False)

    # ------------------------------------------------------------------ running
    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Triage the dumps of a folder", self.folder or "")
        if folder:
            self.triage(folder)

    def triage(self, folder: str) -> None:
        """Triage `folder` in the background (one run at a time)."""
        if self.job is not None:
            return
        self.folder = folder
        self.inbox = inboxes.load(inboxes.folder_key([folder]), self.inbox_base)
        self.folder_label.setText(folder)
        self.job = TriageJob(folder, self.index_dir, self)
        self.job.progressed.connect(self._progressed)
        self.job.done.connect(self._done)
        self.job.failed.connect(self._failed)
        self.job.finished.connect(self._finished)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.cancel.setEnabled(True)
        self.rerun.setEnabled(False)
        self.choose.setEnabled(False)
        self.summary.setText(f"triaging {folder}…")
        self.job.start()

    def cancel_job(self) -> None:
        if self.job is not None:
            self.job.progress.cancel()

    def _progressed(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.progress.setFormat(message or "%p%")

    def _done(self, result: tuple[list[dict[str, Any]], list[dict[str, str]], int]) -> None:
        rows, errors, skipped = result
        self.show_rows(rows, errors, skipped)

    def _failed(self, line: str) -> None:
        self.summary.setText(line)
        if "cancelled" not in line:
            QMessageBox.warning(self, "Triage", line)

    def _finished(self) -> None:
        self.job = None
        self.progress.setVisible(False)
        self.cancel.setEnabled(False)
        self.rerun.setEnabled(True)
        self.choose.setEnabled(True)

    # ------------------------------------------------------------------ showing
    def show_rows(self, rows: list[dict[str, Any]], errors: list[dict[str, str]], skipped: int = 0) -> None:
        """Show a triage's rows (and the files that could not be read)."""
        self.rows = rows
        self.errors = list(errors) + [{"path": r["path"], "error": r["error"]} for r in rows if r.get("error")]
        self.skipped = skipped
        self.buckets = bucket_rows(rows)
        self.fill_buckets()
        self.errors_table.setRowCount(len(self.errors))
        for r, e in enumerate(self.errors):
            self.errors_table.setItem(r, 0, QTableWidgetItem(e["path"]))
            self.errors_table.setItem(r, 1, QTableWidgetItem(e["error"]))
        self.tabs.setTabText(1, f"Unreadable ({len(self.errors)})")
        sizes = size_report(rows)["kinds"]
        on_disk = sum(k["bytes"] for k in sizes.values())
        packed = sum(k["compressed_dumps"] for k in sizes.values())
        index = sum(k["index_bytes"] for k in sizes.values())
        n = sum(b.count for b in self.buckets)
        self.summary.setText(f"{n:,} dumps in {len(self.buckets):,} buckets · {human_bytes(on_disk)} on disk, "
                             f"{packed:,} compressed · indexes {human_bytes(index)}"
                             + (f" · {skipped:,} other files skipped" if skipped else "")
                             + " · double-click a dump to open it")

    def fill_buckets(self) -> None:
        hide = self.hide_ignored.isChecked()
        self.shown = [b for b in self.buckets if not (hide and self.inbox.state(b.signature).mark == "ignored")]
        t = self.buckets_table
        t.setSortingEnabled(False)
        t.setRowCount(len(self.shown))
        for r, b in enumerate(self.shown):
            mark = self.inbox.state(b.signature).mark
            cells = [mark, f"{b.count:,}", b.kind, b.last_seen.replace("T", " ").rstrip("Z"),
                     b.first_seen.replace("T", " ").rstrip("Z"), human_bytes(b.bytes), b.signature]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Role.ROW, r)
                if c == 6:
                    item.setToolTip(b.signature)
                if c == 0 and mark in MARK_COLOURS:
                    item.setBackground(QColor(MARK_COLOURS[mark]))
                    item.setForeground(QColor("#000000"))
                if c in (1, 5):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                t.setItem(r, c, item)
        if self.shown:
            t.selectRow(0)
        else:
            self.bucket_chosen()

    def current_bucket(self) -> Bucket | None:
        r = self.buckets_table.currentRow()
        return self.shown[r] if 0 <= r < len(self.shown) else None

    def _enable_bucket_actions(self, on: bool) -> None:
        for b in (self.open_button, self.annotate_button, self.known, self.ignored, self.new, self.save_note):
            b.setEnabled(on)
        self.note.setEnabled(on)

    def bucket_chosen(self) -> None:
        b = self.current_bucket()
        self._enable_bucket_actions(b is not None)
        rows = b.rows if b else []
        self.dumps_table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            cells = [row["time"].replace("T", " ").rstrip("Z"), human_bytes(int(row["bytes"])), row["format"],
                     self.inbox.annotated.get(row.get("content_key") or "", ""), row["path"]]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c in (3, 4):
                    item.setToolTip(row["path"])
                self.dumps_table.setItem(r, c, item)
        if rows:
            self.dumps_table.selectRow(0)
        if b is None:
            self.detail.setText("")
            self.note.setPlainText("")
            return
        st = self.inbox.state(b.signature)
        rep = b.representative
        versions = sorted({r["version"] for r in b.rows if r.get("version")})
        programs = sorted({r["program"] for r in b.rows if r.get("program")})
        lines = [f"<b>{_esc(b.signature)}</b>", f"{b.count:,} dumps of {_esc(rep.get('what') or rep['format'])}"
                 + (f" · {_esc(rep['reason'])}" if rep.get("reason") else "")]
        if programs or versions:
            lines.append("program " + _esc(", ".join(programs) or "?") + (" · versions " + _esc(", ".join(versions))
                                                                          if versions else ""))
        if rep.get("top_frames"):
            lines.append("top: " + _esc(" › ".join(rep["top_frames"])))
        if rep.get("proto_signature") and rep["proto_signature"] != b.signature:
            lines.append(f"<span style='color:gray'>{_esc(rep['proto_signature'][:600])}</span>")
        self.detail.setText("<br>".join(lines))
        self.note.setPlainText(st.note)

    def set_mark(self, mark: str) -> None:
        b = self.current_bucket()
        if b is None:
            return
        self.inbox.mark(b.signature, mark, self.note.toPlainText())
        self._save_inbox()
        row = self.buckets_table.currentRow()
        self.fill_buckets()
        if 0 <= row < self.buckets_table.rowCount():
            self.buckets_table.selectRow(row)

    def store_note(self) -> None:
        b = self.current_bucket()
        if b is not None:
            self.inbox.mark(b.signature, None, self.note.toPlainText())
            self._save_inbox()
            self.summary.setText(f"note saved for '{b.signature[:60]}'")

    def _save_inbox(self) -> None:
        if not self.inbox.folder:
            return
        try:
            inboxes.save(self.inbox, self.inbox_base)
        except OSError as e:
            QMessageBox.warning(self, "Triage", f"{inboxes.inbox_file(self.inbox.folder, self.inbox_base)}: "
                                f"{e.strerror or e}")

    def annotate_dump(self) -> None:
        """Ask (window-modal, the event loop running) for a note on the current dump: kept by retention."""
        b = self.current_bucket()
        row = self.dumps_table.currentRow()
        if b is None or not 0 <= row < len(b.rows) or not b.rows[row].get("content_key"):
            return
        key = b.rows[row]["content_key"]
        dlg = QDialog(self)
        dlg.setWindowTitle("Note on dump")
        form = QFormLayout(dlg)
        form.addRow(QLabel(os.path.basename(b.rows[row]["path"])))
        text = QLineEdit(self.inbox.annotated.get(key, ""))
        form.addRow("Note", text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(dlg.accept)
        buttons.rejected.connect(dlg.reject)
        form.addRow(buttons)
        dlg.accepted.connect(lambda: self.note_dump(key, text.text()))
        dlg.open()
        self.note_dialog = dlg

    def note_dump(self, content_key: str, note: str) -> None:
        """A note on a dump (empty: none): shown beside it, and it keeps the dump whatever the policy."""
        self.inbox.annotate(content_key, note.strip())
        self._save_inbox()
        row = self.dumps_table.currentRow()
        self.bucket_chosen()
        self.dumps_table.selectRow(row)

    def open_row(self, row: int) -> None:
        b = self.current_bucket()
        if b is None or not 0 <= row < len(b.rows):
            return
        path = b.rows[row].get("local") or b.rows[row]["path"]   # a URL's dump: its fetched copy
        if not os.path.exists(path):
            QMessageBox.warning(self, "Triage", f"{path}: no longer there")
            return
        self.open_requested.emit(path)

    # ------------------------------------------------------------------ sessions
    def view_state(self) -> dict[str, Any]:
        """What a session keeps: the folder and its inbox."""
        return {"folder": self.folder, "inbox": self.inbox.to_json()} if self.folder else {}

    def restore_state(self, state: dict[str, Any]) -> None:
        """A session's triage: its inbox written back (marks and notes made elsewhere merged under the
        session's), and the folder triaged again."""
        folder = state.get("folder")
        if not isinstance(folder, str) or not folder:
            return
        saved = inboxes.Inbox.from_json(state.get("inbox") or {})
        here = inboxes.load(inboxes.folder_key([folder]), self.inbox_base)
        here.buckets.update(saved.buckets)
        here.annotated.update(saved.annotated)
        inboxes.save(here, self.inbox_base)
        if os.path.isdir(folder):
            self.triage(folder)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self.cancel_job()
        if self.job is not None:
            self.job.wait(5000)
        super().closeEvent(event)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
