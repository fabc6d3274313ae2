"""The main window: docks built from the view registry, open dumps, progress and Cancel, recent files."""

from __future__ import annotations

import contextlib
import gc
import os
from collections import deque
from pathlib import Path

import platformdirs
from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QIcon, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QToolBar,
)

from pmdesk import __version__
from pmdesk.app.jobs import HeapGraphJob, Job, OpenDumpJob
from pmdesk.app.symbol_paths_dialog import SymbolPathsDialog, load_paths
from pmdesk.app.welcome import WelcomePage
from pmdesk.base.errors import PmdeskError
from pmdesk.index.derive.heap_graph import has_graph
from pmdesk.index.store import dump_key
from pmdesk.model import session as sessions
from pmdesk.model.crash.session import current_diagnostics
from pmdesk.model.dump import Dump
from pmdesk.model.formats import Kind, formats
from pmdesk.native.symbol_files import SearchPaths
from pmdesk.views.common.base import DockView, docks_loading
from pmdesk.views.common.selection import GoTo, GraphRequested, SelectionBus, ShowDock
from pmdesk.views.heap.graph_base import HeapGraphView
from pmdesk.views.registry import VIEWS
from pmdesk.views.triage.triage_window import TriageWindow

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
SAMPLE_DUMP = RESOURCES / "samples" / "leak-phase1.hprof.gz"
MAX_RECENT = 10
AUTOSAVE_MS = 30_000


def file_filters() -> str:
    return ";;".join([f.file_filter for f in formats()] + ["All files (*)"])


MENU_GROUPS = ((Kind.HEAP_GRAPH, "Heap dumps"), (Kind.EVENTS, "JFR recordings"), (Kind.THREADS, "Thread dumps"),
               (Kind.CRASH, "Crashes"))  # the View menu's sections, by the kind a dock shows


TRIAGE_STATE = "triage"  # the Triage window's state in a session's views


class MainWindow(QMainWindow):
    def __init__(self, index_dir: str | None = None, settings: QSettings | None = None,
                 autosave: str | None = None) -> None:
        super().__init__()
        self.index_dir = index_dir
        self.settings = settings or QSettings("pmdesk", "pmdesk")
        self.setWindowTitle("pmdesk")
        icon = RESOURCES / "icons" / "pmdesk.svg"
        if icon.exists():
            self.setWindowIcon(QIcon(str(icon)))
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.dumps: list[Dump] = []
        self.current: Dump | None = None
        self.jobs: deque[Job] = deque()
        self.job: Job | None = None
        self.bus = SelectionBus(self)
        self.bus.symbol_paths = load_paths(self.settings)
        self.bus.selected.connect(self._bus_message)
        self.bus.annotations.changed.connect(self._annotations_changed)
        self.last_message: QMessageBox | None = None
        self.docks: dict[str, tuple[QDockWidget, DockView]] = {}
        self._closed: set[str] = {str(v) for v in self.settings.value("window/closed_docks", []) or []}
        self._build_docks()
        self._initial_state = self.saveState()  # what View › Reset layout goes back to
        self._build_actions()
        self._build_status()
        self.welcome = WelcomePage(self.open_dialog, self.open_sample, self.open_path, self.triage_dialog, self)
        self.setCentralWidget(self.welcome)
        state = self.settings.value("window/state")
        self._needs_default_layout = not (isinstance(state, QByteArray) and self.restoreState(state))
        self._auto_layout = self._needs_default_layout  # a layout the user kept is not resized per format
        self._laid_out: frozenset[str] = frozenset()
        self._show_current()  # no dump yet: every dock hidden, so they do not force the window's size
        self.layout().activate()  # (the minimum size the hidden docks set is recomputed only now)
        screen = QApplication.primaryScreen()
        room = screen.availableGeometry() if screen is not None else None
        # the first start fills most of the screen, as MAT and JMC do (a saved geometry wins, refitted below)
        self.resize(max(1280, room.width() * 9 // 10) if room else 1280,
                    max(800, room.height() * 9 // 10) if room else 800)
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        self._fit_screen()
        self.session_path: str | None = None
        self.missing: list[sessions.SessionDump] = []  # dumps of the opened session not found yet
        self.locate_dialog: QFileDialog | None = None
        state = Path(platformdirs.user_state_dir("pmdesk", appauthor=False))
        self.autosave_path = Path(autosave) if autosave else state / f"autosave{sessions.SUFFIX}"
        self.autosave = QTimer(self)
        self.autosave.timeout.connect(self.save_autosave)
        self.autosave.start(AUTOSAVE_MS)

    # ------------------------------------------------------------------ construction
    def _build_docks(self) -> None:
        for cls in VIEWS:
            view = cls(self, self.bus)
            dock = QDockWidget(cls.TITLE, self)
            dock.setObjectName(cls.VIEW_ID)
            dock.setWidget(view)
            self.addDockWidget(cls.AREA, dock)
            self.docks[cls.VIEW_ID] = (dock, view)
            dock.visibilityChanged.connect(lambda visible, v=view: v.ensure_loaded() if visible else None)
            dock.installEventFilter(self)  # its close button: the user closed it
            dock.toggleViewAction().triggered.connect(lambda on, vid=cls.VIEW_ID: self._dock_toggled(vid, on))
        for dock, view in self.docks.values():
            if view.TAB_WITH in self.docks:
                self.tabifyDockWidget(self.docks[view.TAB_WITH][0], dock)
        for dock, view in self.docks.values():
            if view.TAB_WITH is None:
                dock.raise_()
            for table in view.findChildren(QAbstractItemView):
                table.setTabKeyNavigation(False)  # Tab leaves a table for the next control, as in MAT
            for label in view.findChildren(QLabel):  # a line of text wraps rather than widen the dock (and the
                label.setWordWrap(True)               # window past a small or scaled screen)

    def _default_layout(self) -> None:
        """First-run sizes: the left docks wide, right-hand dock groups stacked with the first one tallest."""
        by_area: dict[Qt.DockWidgetArea, list[QDockWidget]] = {}
        for dock, view in self.docks.values():
            if view.TAB_WITH is None:  # one per tab group
                by_area.setdefault(view.AREA, []).append(dock)
        left = by_area.get(Qt.DockWidgetArea.LeftDockWidgetArea, [])
        right = by_area.get(Qt.DockWidgetArea.RightDockWidgetArea, [])
        if left and right:
            self.resizeDocks([left[0], right[0]], [int(self.width() * 0.6), int(self.width() * 0.4)],
                             Qt.Orientation.Horizontal)
        if len(right) > 1:
            rest = max(self.height() * 2 // 5 // (len(right) - 1), 80)
            self.resizeDocks(right, [self.height() - rest * (len(right) - 1)] + [rest] * (len(right) - 1),
                             Qt.Orientation.Vertical)

    def _build_actions(self) -> None:
        m = self.menuBar().addMenu("&File")
        self.open_action = QAction("&Open…", self, shortcut=QKeySequence.StandardKey.Open, triggered=self.open_dialog)
        m.addAction(self.open_action)
        m.addAction(QAction("Open JFR &repository…", self, triggered=self.open_repository_dialog))
        m.addAction(QAction("Open &sample", self, triggered=self.open_sample))
        m.addAction(QAction("S&ymbol paths…", self, triggered=self.symbol_paths_dialog))
        self.program_action = QAction("Type by the &program that wrote it…", self, triggered=self.program_dialog,
                                      statusTip="A Go heap dump: its objects typed and its globals named by the "
                                      "program's DWARF")
        m.addAction(self.program_action)
        m.addAction(QAction("&Triage a folder…", self, triggered=self.triage_dialog,
                            statusTip="A folder's dumps grouped into buckets by signature, each openable here"))
        self.recent_menu = m.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        m.addAction(QAction("&Close dump", self, shortcut=QKeySequence.StandardKey.Close,
                            triggered=self.close_current))
        m.addSeparator()
        m.addAction(QAction("Open s&ession…", self, triggered=self.open_session_dialog))
        m.addAction(QAction("&Save session…", self, shortcut=QKeySequence.StandardKey.Save,
                            triggered=self.save_session_dialog))
        m.addAction(QAction("Reopen the &last session (autosaved)", self,
                            triggered=lambda: self.open_session(str(self.autosave_path))))
        m.addSeparator()
        m.addAction(QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit, triggered=self.close))
        views = self.menuBar().addMenu("&View")
        for kind, title in MENU_GROUPS:
            views.addSection(title)
            for dock, view in self.docks.values():
                if view.KINDS[:1] == (kind,):
                    views.addAction(dock.toggleViewAction())
        views.addSection("Every dump")
        for dock, view in self.docks.values():
            if not view.KINDS:
                views.addAction(dock.toggleViewAction())
        views.addSeparator()
        views.addAction(QAction("&Go to… (a dock, command, thread or class)", self,
                                shortcut=QKeySequence("Ctrl+K"), triggered=self.command_palette))
        views.addAction(QAction("&Next dock", self, shortcut=QKeySequence(Qt.Key.Key_F6),
                                triggered=lambda: self.focus_dock(1)))
        views.addAction(QAction("&Previous dock", self, shortcut=QKeySequence("Shift+F6"),
                                triggered=lambda: self.focus_dock(-1)))
        views.addAction(QAction("&Reset layout", self, triggered=self.reset_layout))
        tb = QToolBar("Dumps", self)
        tb.setObjectName("dumps_toolbar")
        tb.addAction(self.open_action)
        tb.addWidget(QLabel(" Dump: "))
        self.dump_box = QComboBox()
        self.dump_box.setMinimumContentsLength(40)
        self.dump_box.currentIndexChanged.connect(self._dump_chosen)
        tb.addWidget(self.dump_box)
        self.addToolBar(tb)

    def _build_status(self) -> None:
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setMaximumWidth(260)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_jobs)
        self.status_label = QLabel()
        self.diagnostics_badge = QPushButton()
        self.diagnostics_badge.setFlat(True)
        self.diagnostics_badge.setToolTip("What the reader found wrong or missing in this dump: show Diagnostics")
        self.diagnostics_badge.clicked.connect(self._show_diagnostics)
        sb = self.statusBar()
        sb.addWidget(self.status_label, 1)
        sb.addPermanentWidget(self.diagnostics_badge)
        sb.addPermanentWidget(self.progress_bar)
        sb.addPermanentWidget(self.cancel_button)
        self._set_busy(False)

    # ------------------------------------------------------------------ opening
    def open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open dump", "", file_filters())
        for p in paths:
            self.open_path(p)

    triage_window: TriageWindow | None = None

    def triage(self, folder: str | None) -> TriageWindow:
        """The Triage window (made once), shown; triaging `folder` when given."""
        if self.triage_window is None:
            self.triage_window = TriageWindow(self.index_dir, self)
            self.triage_window.open_requested.connect(self._open_from_triage)
        self.triage_window.show()
        self.triage_window.raise_()
        if folder:
            self.triage_window.triage(folder)
        return self.triage_window

    def triage_dialog(self) -> None:
        self.triage(None).choose_folder()

    def _open_from_triage(self, path: str) -> None:
        self.open_path(path)
        self.raise_()
        self.activateWindow()

    def symbol_paths_dialog(self) -> None:
        """Where cores' binaries and debug files are; the core docks are redrawn with them."""
        if SymbolPathsDialog(self.settings, self).exec():
            self.set_symbol_paths(load_paths(self.settings))

    def program_dialog(self) -> None:
        """Reopen the current Go heap dump with the program that wrote it (its index by that program is
        built once, beside the plain one)."""
        dump = self.current
        if dump is None or not (dump.has(Kind.HEAP_GRAPH) and dump.reader.SPEC.symbol_paths):
            self._message(QMessageBox.Icon.Information, "Type by the program",
                          "Open a Go heap dump first: its objects can be typed by the program that wrote it.")
            return
        exe, _ = QFileDialog.getOpenFileName(self, f"The program that wrote {dump.name}", os.path.dirname(dump.path))
        if exe:
            path = dump.path
            self.close_current()
            self._queue(OpenDumpJob(path, self.index_dir, self, exe=exe), self._job_opened)

    def set_symbol_paths(self, paths: SearchPaths | None) -> None:
        self.bus.symbol_paths = paths
        self._show_current()

    def open_repository_dialog(self) -> None:
        """A JFR repository directory (the chunk files of a recording, e.g. of a JVM that died)."""
        path = QFileDialog.getExistingDirectory(self, "Open JFR repository")
        if path:
            self.open_path(path)

    def open_from_elsewhere(self, paths: list[str]) -> None:
        """Files handed over by a later `pmdesk FILE` (a double-click): open them and come to the front."""
        for p in paths:
            self.open_path(p)
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.show()
        self.raise_()
        self.activateWindow()

    def is_idle(self) -> bool:
        """No job running or queued, and every dock on screen has loaded what it shows."""
        return self.job is None and not self.jobs and not docks_loading()

    def open_sample(self) -> None:
        if not SAMPLE_DUMP.exists():
            self._message(QMessageBox.Icon.Critical, "Open sample", f"{SAMPLE_DUMP}: the bundled sample is missing")
            return
        self.open_path(str(SAMPLE_DUMP))

    def open_path(self, path: str) -> None:
        """Queue `path` to be opened (indexed first when needed) off the GUI thread; a session file opens
        its session."""
        path = os.path.abspath(path)
        if path.endswith(sessions.SUFFIX):
            self.open_session(path)
            return
        for i, d in enumerate(self.dumps):
            if d.path == path:
                self.dump_box.setCurrentIndex(i)
                return
        self._queue(OpenDumpJob(path, self.index_dir, self), self._job_opened)

    def compute_graph(self, dump: Dump) -> None:
        """Queue the dominator-tree pass of an open heap dump (no-op when done or already queued)."""
        if not dump.has(Kind.HEAP_GRAPH) or has_graph(dump.conn) or dump not in self.dumps:
            return
        if any(isinstance(j, HeapGraphJob) and j.dump is dump for j in [*self.jobs, self.job] if j is not None):
            return
        self._queue(HeapGraphJob(dump, self), self._graph_done)

    def _queue(self, job: Job, on_done: object) -> None:
        job.progressed.connect(self._job_progress)
        job.done.connect(on_done)
        job.failed.connect(self._job_failed)
        job.cancelled.connect(self._job_cancelled)
        job.finished.connect(self._next_job)
        self.jobs.append(job)
        if self.job is None:
            self._next_job()

    def _next_job(self) -> None:
        self.job = self.jobs.popleft() if self.jobs else None
        computing = self.job.dump if isinstance(self.job, HeapGraphJob) else None
        for _dock, view in self.docks.values():
            if isinstance(view, HeapGraphView):
                view.set_computing(computing is not None and computing is self.current)
        if self.job is None:
            self._set_busy(False)
            return
        self._set_busy(True)
        self.status_label.setText(f"{self.job.verb} {self.job.name}…")
        self.progress_bar.setValue(0)
        # What exists now (modules, Qt's wrappers, open dumps' models) lives on: left out of the collector's
        # full passes, which otherwise walk all of it while the job allocates and hold the GIL 70-140 ms
        gc.freeze()
        self.job.start()

    def cancel_jobs(self) -> None:
        for job in list(self.jobs):
            job.deleteLater()
        self.jobs.clear()
        if self.job is not None:
            self.job.cancel()

    def _job_progress(self, fraction: float, message: str) -> None:
        self.progress_bar.setValue(int(fraction * 1000))
        if self.job is not None:
            self.status_label.setText(f"{self.job.name}: {message}")

    def _job_opened(self, dump: Dump) -> None:
        self.dumps.append(dump)
        self._add_recent(dump.path)
        self.dump_box.addItem(dump.name, dump.path)
        self.dump_box.setCurrentIndex(len(self.dumps) - 1)
        m = dump.meta
        how = f"indexed in {m.get('index.seconds', 0):.2f} s" if dump.built else "index reused"
        what = dump.spec.status_line(dump)
        self.status_label.setText(f"{dump.name}: {what} ({how})")
        warnings = dump.warnings()
        if warnings:
            self._message(QMessageBox.Icon.Warning, "Incomplete dump", "\n".join(warnings))
        self.compute_graph(dump)

    def _graph_done(self, dump: Dump) -> None:
        m = dump.meta
        self.status_label.setText(f"{dump.name}: dominator tree of {m.get('graph.objects', 0):,} objects and "
                                  f"{m.get('graph.edges', 0):,} references in {m.get('graph.seconds', 0):.1f} s")
        if dump is self.current:
            self._show_current()

    def _bus_message(self, msg: object) -> None:
        if isinstance(msg, GraphRequested):
            self.compute_graph(msg.dump)
        elif isinstance(msg, ShowDock) and msg.view_id in self.docks:
            self.bring_forward(msg.view_id)
        elif isinstance(msg, GoTo) and msg.dump in self.dumps:
            self.dump_box.setCurrentIndex(self.dumps.index(msg.dump))

    # ------------------------------------------------------------------ sessions
    def session_now(self) -> sessions.Session:
        """The session as it stands: open dumps, layout, dock states, annotations."""
        s = self.bus.annotations.session
        s.dumps = [sessions.SessionDump(d.path, int(d.meta.get("dump.size", 0)), d.content_key) for d in self.dumps]
        s.current = self.dumps.index(self.current) if self.current in self.dumps else -1
        s.layout = bytes(self.saveState().toBase64().data()).decode()
        s.views = {vid: st for vid, (_d, view) in self.docks.items() if (st := view.view_state())}
        if self.triage_window is not None and (st := self.triage_window.view_state()):
            s.views[TRIAGE_STATE] = st
        return s

    def save_session(self, path: str) -> None:
        try:
            sessions.save(self.session_now(), path)
        except OSError as e:
            self._message(QMessageBox.Icon.Critical, "Save session", f"{path}: {e.strerror or e}")
            return
        self.session_path = path
        self.status_label.setText(f"session saved to {path}")

    def save_autosave(self) -> None:
        if self.dumps or self.bus.annotations.session.annotations:
            with contextlib.suppress(OSError):
                self.autosave_path.parent.mkdir(parents=True, exist_ok=True)
                sessions.save(self.session_now(), self.autosave_path)

    def save_session_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save session", self.session_path or "",
                                              f"pmdesk sessions (*{sessions.SUFFIX})")
        if path:
            self.save_session(path if path.endswith(sessions.SUFFIX) else path + sessions.SUFFIX)

    def open_session_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open session", "", f"pmdesk sessions (*{sessions.SUFFIX})")
        if path:
            self.open_session(path)

    def open_session(self, path: str) -> None:
        """Open a session's dumps (found again by content if they moved), layout, dock states and notes;
        say which dumps could not be found and how many annotations that leaves unplaced."""
        try:
            s = sessions.load(path)
        except PmdeskError as e:
            self._message(QMessageBox.Icon.Critical, "Open session", e.one_line())
            return
        missing = []
        for entry in s.dumps:
            where = sessions.locate(entry, path, lambda p: dump_key(p).content)
            if where is None:
                missing.append(entry)
            else:
                self.open_path(where)
        if s.layout:
            self.restoreState(QByteArray.fromBase64(s.layout.encode()))
            self._auto_layout = False
        if isinstance(s.views.get(TRIAGE_STATE), dict):
            try:
                self.triage(None).restore_state(s.views[TRIAGE_STATE])
            except OSError as e:
                s.skipped.append(f"the triage inbox ({e.strerror or e})")
        for vid, state in s.views.items():
            if vid in self.docks:
                try:
                    self.docks[vid][1].restore_state(state)
                except (TypeError, ValueError, KeyError, AttributeError, OverflowError, SystemError, IndexError):
                    s.skipped.append(f"the state of dock {vid!r} (not what that dock keeps)")
        self.bus.annotations.use(s)
        self.session_path = path
        if s.skipped:
            self._message(QMessageBox.Icon.Warning, "Open session", f"{path}: opened; left out: "
                          + "; ".join(s.skipped[:8]) + ("…" if len(s.skipped) > 8 else ""))
        if missing:
            lost = sum(len(s.annotations_for(e.content_key)) for e in missing)
            names = ", ".join(os.path.basename(e.path) for e in missing)
            self._message(QMessageBox.Icon.Warning, "Open session",
                          f"{path}: {len(missing)} dump(s) not found or changed since the session was saved "
                          f"({names}); {lost} annotation(s) on them cannot be placed until they are found.")
            self.missing = list(missing)
            self._ask_for_missing()

    def _ask_for_missing(self) -> None:
        """Ask where each missing dump is now (one window-modal dialog at a time, not blocking)."""
        if not self.missing:
            return
        entry = self.missing[0]
        dlg = QFileDialog(self, f"Where is {os.path.basename(entry.path)} now?")
        dlg.setFileMode(QFileDialog.FileMode.ExistingFile)
        dlg.fileSelected.connect(lambda p: self.relocate(entry, p))
        dlg.rejected.connect(lambda: self._skip_missing(entry))
        dlg.open()
        self.locate_dialog = dlg

    def _skip_missing(self, entry: sessions.SessionDump) -> None:
        if entry in self.missing:
            self.missing.remove(entry)
        self._ask_for_missing()

    def relocate(self, entry: sessions.SessionDump, path: str) -> bool:
        """The user says the session's dump is at `path`: open it if its content is that dump's."""
        try:
            same = dump_key(path).content == entry.content_key
        except OSError:
            same = False
        if not same:
            self.status_label.setText(f"{path}: not the dump the session had ({os.path.basename(entry.path)})")
        else:
            self.open_path(path)
        if entry in self.missing:
            self.missing.remove(entry)
        self._ask_for_missing()
        return same

    def _job_failed(self, line: str) -> None:
        self.status_label.setText(line)
        self._message(QMessageBox.Icon.Critical, "Cannot open", line)

    def _job_cancelled(self, path: str) -> None:
        what = "retained sizes not computed" if isinstance(self.sender(), HeapGraphJob) else "cancelled"
        self.status_label.setText(f"{os.path.basename(path)}: {what} (cancelled)" if what != "cancelled"
                                  else f"{os.path.basename(path)}: cancelled")

    def _set_busy(self, busy: bool) -> None:
        self.progress_bar.setVisible(busy)
        self.cancel_button.setVisible(busy)

    def _message(self, icon: QMessageBox.Icon, title: str, text: str) -> None:
        """A non-blocking message box (the window keeps working while it is shown)."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
        self.last_message = box

    # ------------------------------------------------------------------ current dump
    def _dump_chosen(self, index: int) -> None:
        self.current = self.dumps[index] if 0 <= index < len(self.dumps) else None
        self.dump_box.setToolTip(self.current.path if self.current else "")
        self._show_current()

    def _fit_screen(self) -> None:
        """Keep the window within the screen it is on (a saved geometry from a bigger screen, a scaled display)."""
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            return
        room = screen.availableGeometry()
        deco_w = max(self.frameGeometry().width() - self.width(), 0)  # the window manager's frame, once shown
        deco_h = max(self.frameGeometry().height() - self.height(), 0)
        w, h = min(self.width(), room.width() - deco_w), min(self.height(), room.height() - deco_h)
        if (w, h) != (self.width(), self.height()):
            self.resize(w, h)
        frame = self.frameGeometry()
        x = min(max(frame.x(), room.x()), room.x() + room.width() - frame.width())
        y = min(max(frame.y(), room.y()), room.y() + room.height() - frame.height())
        self.move(max(x, room.x()), max(y, room.y()))

    def _show_current(self) -> None:
        for _dock, view in self.docks.values():
            view.open_dumps_changed(self.dumps)
        dump = self.current
        self.setWindowTitle(f"{dump.name} — pmdesk" if dump else f"pmdesk {__version__}")
        self.welcome.setVisible(dump is None)  # an empty window shows the welcome page, not empty docks
        if dump is None:
            self.welcome.set_recent(self._recent())
        for vid, (dock, view) in self.docks.items():
            applies = view.applies_to(dump)
            dock.setVisible(applies and dump is not None and vid not in self._closed)
            if applies or dump is None:
                view.set_dump(dump if applies else None)
        count = len(current_diagnostics(dump, self.bus.symbol_paths)) if dump is not None else 0
        self.diagnostics_badge.setText(f"⚠ {count} diagnostic{'s' if count != 1 else ''}")
        self.diagnostics_badge.setVisible(count > 0)
        if dump is not None and self._auto_layout:
            QTimer.singleShot(0, self._size_shown_docks)
        for ms in (0, 600):  # a dock's first content can grow the window past the screen: bring it back
            QTimer.singleShot(ms, self._fit_screen)

    def _dock_toggled(self, vid: str, on: bool) -> None:
        """A dock the user closes (its close button, or the View menu) stays closed for every dump until the
        user shows it again; hiding docks of other formats, restoring a layout or tabbing docks is not that."""
        if on:
            self._closed.discard(vid)
        else:
            self._closed.add(vid)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Close and isinstance(obj, QDockWidget):
            self._dock_toggled(obj.objectName(), False)
        return super().eventFilter(obj, event)

    def command_palette(self) -> None:
        """Ctrl+K: find a dock, command, thread or class by name and go there."""
        from pmdesk.app.command_palette import CommandPalette

        self.palette_box = CommandPalette(self)
        self.palette_box.move(self.geometry().center() - self.palette_box.rect().center())
        self.palette_box.show()

    def focus_dock(self, step: int) -> None:
        """F6 / Shift+F6: the keyboard focus to the next (previous) dock on screen, brought forward."""
        shown = [(vid, dock) for vid, (dock, _v) in self.docks.items() if dock.isVisible()]
        if not shown:
            return
        focus = QApplication.focusWidget()
        here = next((i for i, (_vid, dock) in enumerate(shown) if focus is not None and dock.isAncestorOf(focus)),
                    -1 if step > 0 else 0)
        vid, dock = shown[(here + step) % len(shown)]
        dock.raise_()
        target = next(iter(dock.widget().findChildren(QAbstractItemView)), None) or dock.widget()
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def bring_forward(self, vid: str) -> None:
        """A dock shown (even one the user closed) and brought to the front of its tab group."""
        dock = self.docks[vid][0]
        self._closed.discard(vid)
        dock.show()
        dock.raise_()
        self.docks[vid][1].ensure_loaded()

    def show_class(self, name: str) -> None:
        """The heap histogram showing one class."""
        self.bring_forward("heap_histogram")
        self.view("heap_histogram").show_class(name)

    def _annotations_changed(self) -> None:
        """The first note of a session brings the Annotations dock up (unless the user closed it)."""
        dock, view = self.docks.get("annotations", (None, None))
        if dock is not None and dock.isHidden() and view.applies_to(self.current) and "annotations" not in \
                self._closed:
            dock.show()
            dock.raise_()
            view.set_dump(self.current)

    def _show_diagnostics(self) -> None:
        dock = self.docks["diagnostics"][0]
        self._closed.discard("diagnostics")
        dock.show()
        dock.raise_()

    def reset_layout(self) -> None:
        """View › Reset layout: every dock where it first was, closed ones back, sized for the dump shown."""
        self._closed.clear()
        self.restoreState(self._initial_state)
        self._auto_layout = True
        self._show_current()

        def size() -> None:
            self._default_layout()
            self._laid_out = frozenset()
            self._size_shown_docks()

        QTimer.singleShot(0, size)

    def _size_shown_docks(self) -> None:
        """Per format, the first time its set of docks shows: the right-hand dock groups shown stacked with the
        first one tallest (a crash's stack, a heap's paths to GC roots), the others sharing two fifths."""
        shown = frozenset(vid for vid, (dock, _v) in self.docks.items() if not dock.isHidden())
        if not shown or shown == self._laid_out or not self._auto_layout:
            return
        self._laid_out = shown
        secondary = self._tab_secondary_docks(shown)
        groups: dict[str, QDockWidget] = {}
        for vid, (dock, view) in self.docks.items():
            root = view.TAB_WITH if view.TAB_WITH in self.docks else vid
            if vid in shown and vid not in secondary and view.AREA == Qt.DockWidgetArea.RightDockWidgetArea:
                groups.setdefault(root, dock)
        right = self._squeeze(list(groups.values()))
        left = next((d for vid, (d, v) in self.docks.items() if vid in shown and not d.isHidden()
                     and self.dockWidgetArea(d) == Qt.DockWidgetArea.LeftDockWidgetArea), None)
        if left is not None and right:  # the left column the wider, the right one wide enough for a stack
            self.resizeDocks([left, right[0]], [int(self.width() * 0.56), int(self.width() * 0.44)],
                             Qt.Orientation.Horizontal)
        if len(right) > 1:
            total = sum(d.height() for d in right)  # the column's height, between the toolbar and bottom docks
            rest = max(total * 2 // 5 // (len(right) - 1), 60)
            self.resizeDocks(right, [total - rest * (len(right) - 1)] + [rest] * (len(right) - 1),
                             Qt.Orientation.Vertical)

    def _tab_secondary_docks(self, shown: frozenset[str]) -> set[str]:
        """A dump of several kinds (a JFR recording's events and samples, a Go heap's graph and memory profile)
        lays out by its first: the docks of its other kinds become tabs of the first dock of that kind on
        their side (so the heap's histogram, the recording's timeline keep their room). Returns their ids."""
        dump = self.current
        if dump is None or len(dump.spec.kinds) < 2:
            return set()
        primary = dump.spec.kinds[0]
        hosts: dict[Qt.DockWidgetArea, QDockWidget] = {}
        for vid, (dock, view) in self.docks.items():
            if vid in shown and primary in view.KINDS and view.TAB_WITH not in self.docks:
                hosts.setdefault(self.dockWidgetArea(dock), dock)
        out = set()
        for vid, (dock, view) in self.docks.items():
            host = hosts.get(self.dockWidgetArea(dock))
            if vid in shown and view.KINDS and primary not in view.KINDS and host is not None:
                self.tabifyDockWidget(host, dock)
                out.add(vid)
        for host in hosts.values():
            host.raise_()
        return out

    def _squeeze(self, right: list[QDockWidget]) -> list[QDockWidget]:
        """On a screen too short for the docks stacked (a scaled display, a small laptop), the right-hand groups
        join the one above them as tabs, the last first, until the window's minimum height fits; the right-hand
        groups left."""
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            return right
        room = screen.availableGeometry().height() - max(self.frameGeometry().height() - self.height(), 0)
        width = screen.availableGeometry().width() - max(self.frameGeometry().width() - self.width(), 0)
        self.layout().activate()
        while len(right) > 1 and self.minimumSizeHint().height() > room:
            self.tabifyDockWidget(right[-2], right[-1])
            right[-2].raise_()  # the group above keeps its place in front
            right = right[:-1]
            self.layout().activate()
        left = [d for d, v in self.docks.values() if not d.isHidden() and v.AREA == Qt.DockWidgetArea.LeftDockWidgetArea
                and v.TAB_WITH not in self.docks]
        bottom = [d for d, v in self.docks.values() if not d.isHidden()
                  and self.dockWidgetArea(d) == Qt.DockWidgetArea.BottomDockWidgetArea]
        if left and bottom and self.minimumSizeHint().height() > room:  # still too tall: the bottom row as tabs
            for d in bottom:
                self.tabifyDockWidget(left[0], d)
            left[0].raise_()
            self.layout().activate()
        if left and self.minimumSizeHint().width() > width:  # too narrow for two columns: one, of tabs
            for d in [d for d, v in self.docks.values() if not d.isHidden()
                      and self.dockWidgetArea(d) == Qt.DockWidgetArea.RightDockWidgetArea]:
                self.tabifyDockWidget(left[0], d)
            left[0].raise_()
            self.layout().activate()
            return []
        return right

    def close_current(self) -> None:
        if self.current is None:
            return
        i = self.dumps.index(self.current)
        for job in [j for j in self.jobs if isinstance(j, HeapGraphJob) and j.dump is self.current]:
            self.jobs.remove(job)
            job.deleteLater()
        if isinstance(self.job, HeapGraphJob) and self.job.dump is self.current:
            self.job.cancel()
            self.job.wait()
        dump = self.dumps.pop(i)
        gc.unfreeze()  # what the closed dump held may be garbage in cycles: the collector may see it again
        if not self.dumps:
            self.current = None
            self._show_current()
        self.dump_box.removeItem(i)  # shows another open dump, if any, before this one's index closes
        dump.close()

    def view(self, view_id: str) -> DockView:
        """A dock's view, showing the current dump (loaded now if it was waiting to be shown)."""
        view = self.docks[view_id][1]
        view.ensure_loaded()
        return view

    # ------------------------------------------------------------------ recent files, drag and drop
    def _add_recent(self, path: str) -> None:
        recent = [p for p in self._recent() if p != path]
        self.settings.setValue("recent", [path, *recent][:MAX_RECENT])

    def _recent(self) -> list[str]:
        value = self.settings.value("recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for p in self._recent():
            self.recent_menu.addAction(p, lambda p=p: self.open_path(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(none)").setEnabled(False)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._needs_default_layout:  # dock sizes only apply once the window has its size
            self._needs_default_layout = False
            QTimer.singleShot(0, self._default_layout)
        for ms in (0, 400):  # again once the window manager has framed it (its frame comes a moment later)
            QTimer.singleShot(ms, self._fit_screen)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.open_path(url.toLocalFile())
        event.acceptProposedAction()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.save_autosave()
        if self.triage_window is not None:
            self.triage_window.close()
        self.cancel_jobs()
        if self.job is not None:
            self.job.wait(5000)
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/closed_docks", sorted(self._closed))
        for _dock, view in self.docks.values():
            view.load(None)  # nothing may read a dump's index once it is closed
        for d in self.dumps:
            d.close()
        super().closeEvent(event)
