"""The main window offscreen: open a dump off the GUI thread, rows appear, sort, filter, cancel, errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from pmdesk.app.main_window import MainWindow
from pmdesk.model.dump import Dump
from pmdesk.model.heap import histogram as heap
from pmdesk.views.heap.histogram_model import HistogramModel
from pmdesk.views.registry import VIEWS
from tests.conftest import NOCOOPS, SAMPLE


@pytest.fixture
def window(qtbot, tmp_path: Path) -> MainWindow:  # noqa: ANN001 - pytest-qt fixture
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(index_dir=str(tmp_path / "idx"), settings=settings, autosave=str(tmp_path / "autosave.pmdesk"))
    qtbot.addWidget(w)
    w.show()
    return w


def wait_idle(qtbot, w: MainWindow) -> None:  # noqa: ANN001
    qtbot.waitUntil(w.is_idle, timeout=60000)


def test_docks_come_from_the_registry(window: MainWindow) -> None:
    assert list(window.docks) == [v.VIEW_ID for v in VIEWS]
    for view_id, (dock, _view) in window.docks.items():
        assert dock.objectName() == view_id


def test_open_sort_filter(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    window.open_path(str(NOCOOPS))
    wait_idle(qtbot, window)
    view = window.view("heap_histogram")
    assert view.proxy.rowCount() > 300
    first = view.model.row_at(view.proxy.mapToSource(view.proxy.index(0, 0)).row())
    assert first.name == "byte[]"  # sorted by shallow bytes, largest first
    view.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    counts = [int(view.proxy.index(r, 1).data().replace(",", "")) for r in range(view.proxy.rowCount())]
    assert counts == sorted(counts, reverse=True)
    view.filter.setText(r"^com\.example\.")
    names = {view.proxy.index(r, 0).data() for r in range(view.proxy.rowCount())}
    assert "com.example.leak.Session" in names and all(n.startswith("com.example.") for n in names)
    assert "of" in view.totals.text()
    view.filter.setText("(")  # invalid regex: keeps the last good filter, no exception
    assert view.proxy.rowCount() == len(names)
    view.table.selectRow(0)
    view.copy()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text().startswith("Class\t")
    overview = window.view("overview")
    labels = [overview.table.item(r, 0).text() for r in range(overview.table.rowCount())]
    assert "Object layout" in labels


def test_two_dumps_open_at_once(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    window.open_path(str(NOCOOPS))
    window.open_path(str(SAMPLE))
    wait_idle(qtbot, window)
    assert window.dump_box.count() == 2
    window.dump_box.setCurrentIndex(0)
    assert window.current is not None and window.current.path == str(NOCOOPS)


def test_cancel_indexing(qtbot, window: MainWindow, tmp_path: Path) -> None:  # noqa: ANN001
    f = tmp_path / "to-cancel.hprof.gz"
    shutil.copyfile(SAMPLE, f)
    window.open_path(str(f))
    assert window.cancel_button.isVisible() and window.progress_bar.isVisible()
    window.cancel_button.click()  # indexing takes far longer than this click
    wait_idle(qtbot, window)
    assert "cancelled" in window.status_label.text()
    assert window.dumps == [] and not window.cancel_button.isVisible()
    assert not list((tmp_path / "idx").glob("*"))  # neither an index nor a temp file is left


def test_unreadable_file_shows_dialog(qtbot, window: MainWindow, tmp_path: Path) -> None:  # noqa: ANN001
    f = tmp_path / "notes.txt"
    f.write_text("not a dump")
    window.open_path(str(f))
    wait_idle(qtbot, window)
    box = window.last_message
    assert box is not None and box.icon() == QMessageBox.Icon.Critical
    assert str(f) in box.text() and "\n" not in box.text()


def test_truncated_dump_shows_warning(qtbot, window: MainWindow, tmp_path: Path) -> None:  # noqa: ANN001
    f = tmp_path / "cut.hprof"
    f.write_bytes(NOCOOPS.read_bytes()[:3_000_000])
    window.open_path(str(f))
    wait_idle(qtbot, window)
    assert window.last_message is not None and "truncated" in window.last_message.text()
    assert window.view("heap_histogram").proxy.rowCount() > 0
    diags = window.view("diagnostics").table
    assert any(diags.item(r, 2) and diags.item(r, 2).text() == "hprof.truncated" for r in range(diags.rowCount()))


def test_histogram_model_passes_qtmodeltester(qtmodeltester, tmp_path: Path) -> None:  # noqa: ANN001
    with Dump.open(str(NOCOOPS), index_dir=tmp_path) as d:
        model = HistogramModel(heap.histogram(d))
    qtmodeltester.check(model)


def test_drop_file_opens_it_and_remembers_it(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(NOCOOPS))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    wait_idle(qtbot, window)
    assert [d.path for d in window.dumps] == [str(NOCOOPS)]
    window._fill_recent()
    assert [a.text() for a in window.recent_menu.actions()] == [str(NOCOOPS)]


def test_heap_docks_follow_one_selection(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    from pmdesk.model.heap.graph import graph_of
    from pmdesk.views.common.roles import Role

    window.open_path(str(SAMPLE))
    wait_idle(qtbot, window)  # opening, then the dominator tree in the background
    g = graph_of(window.current)
    assert g is not None
    tree = window.view("dominator_tree")
    assert tree.stack.currentIndex() == 1 and tree.model.rowCount() > 10
    first = tree.model.index(0, 0)
    assert "LeakApp" in first.data()  # the class holding the leak retains the most
    tree.tree.setCurrentIndex(first)
    node = first.data(Role.NODE)
    inspector = window.view("object_inspector")
    assert inspector.node == node and "LeakApp" in inspector.header.text()
    assert inspector.fields.rowCount() > 0  # the class's static fields
    paths = window.view("gc_paths")
    assert paths.node == node and paths.tree.topLevelItemCount() == 1
    report = window.view("leak_suspects").browser.toHtml()
    assert "Problem suspect 1" in report and "node:" in report
    assert window.view("duplicate_strings").table.rowCount() > 0
    assert window.view("heap_threads").tree.topLevelItemCount() > 0
    hist = window.view("heap_histogram")
    assert all(r.retained_bytes is not None for r in hist.model._rows)


def test_dominator_model_is_a_valid_qt_model(qtbot, qtmodeltester, tmp_path: Path) -> None:  # noqa: ANN001
    from pmdesk.model.heap.graph import ensure_graph, heap_graph
    from pmdesk.views.heap.dominator_model import DominatorModel

    dump = Dump.open(SAMPLE, index_dir=tmp_path)
    ensure_graph(dump)
    for by_class in (False, True):
        model = DominatorModel()
        model.set_graph(heap_graph(dump), by_class)
        model.fetchMore(model.index(-1, -1))
        model.fetchMore(model.index(0, 0))
        qtmodeltester.check(model)
    dump.close()


def test_cancelled_dominator_tree_can_be_computed_later(qtbot, window: MainWindow, monkeypatch) -> None:  # noqa: ANN001
    import time

    from pmdesk.app import jobs

    real = jobs.build_graph

    def slow(dump, progress):  # noqa: ANN001 - stands in for a pass on a huge dump
        while True:
            progress.update(0.1, "reading references")
            time.sleep(0.01)

    monkeypatch.setattr(jobs, "build_graph", slow)
    window.open_path(str(SAMPLE))
    qtbot.waitUntil(lambda: isinstance(window.job, jobs.HeapGraphJob), timeout=60000)
    assert window.cancel_button.isVisible()
    window.cancel_button.click()
    wait_idle(qtbot, window)
    tree = window.view("dominator_tree")
    assert tree.stack.currentIndex() == 0 and "not computed" in window.status_label.text()
    assert window.view("heap_histogram").model.rowCount() > 0  # the histogram stays usable
    monkeypatch.setattr(jobs, "build_graph", real)
    tree.compute_button.click()
    wait_idle(qtbot, window)
    assert tree.stack.currentIndex() == 1 and tree.model.rowCount() > 0


def test_returning_none_from_a_model_keeps_none_alive(qtbot) -> None:  # noqa: ANN001
    """PySide6 6.12.0 dropped a reference to None whenever a Python override returned None; on Python 3.11
    the interpreter aborts once None's count runs out. pyproject excludes that version; this catches it."""
    import gc
    import sys

    from PySide6.QtCore import QSortFilterProxyModel

    model = HistogramModel([])
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    header = proxy.headerData
    gc.collect()
    before = sys.getrefcount(None)
    for _ in range(1000):
        header(0, Qt.Orientation.Vertical)  # the model answers None
    gc.collect()
    assert sys.getrefcount(None) - before > -100


def test_thread_dump_docks(qtbot, window: MainWindow, tmp_path: Path) -> None:  # noqa: ANN001
    from tests.conftest import DATA

    one = (DATA / "threads" / "deadlock-sync.sigquit.stdout.log").read_text()
    log = tmp_path / "service.log"
    log.write_text("starting\n" * 20 + one + "ok\n" * 5 + one)
    window.open_path(str(log))
    wait_idle(qtbot, window)
    threads = window.view("threads")
    assert window.docks["threads"][0].isVisible() and not window.docks["heap_histogram"][0].isVisible()
    assert threads.which.count() == 2 and threads.table.rowCount() == 22
    row = next(r for r in range(threads.table.rowCount()) if threads.table.item(r, 0).text() == "deadlock-A")
    assert threads.table.item(row, 1).background().color().name() == "#e06666"  # deadlocked: red
    threads.table.setCurrentCell(row, 0)
    stack = window.view("thread_stack")
    assert stack.thread is not None and stack.thread.name == "deadlock-A" and "DEADLOCKED" in stack.header.text()
    assert stack.table.rowCount() > len(stack.thread.frames)  # frames plus the lock lines between them
    graph = window.view("lock_graph")
    assert "1 deadlock cycle" in graph.info.text() and len(graph.scene.items()) > 4
    series = window.view("thread_series")
    assert series.table.columnCount() == 3 and "deadlock-A" in {series.table.item(r, 0).text().split("  ")[0]
                                                               for r in range(series.table.rowCount())}
    assert window.view("stack_groups").table.rowCount() > 3
    threads.filter.setText("^deadlock")
    assert threads.table.rowCount() == 2
    threads.table.setCurrentCell(0, 0)
    text = threads.copy_text()  # Ctrl+C on a thread: its whole stack
    assert text.startswith('"deadlock-') and text.count("\tat ") == len(window.view("thread_stack").thread.frames)
    threads.filter.setText("(")  # an invalid regular expression is said, not silently ignored
    assert "not a regular expression" in threads.summary.text() and threads.table.rowCount() == 22


def test_compare_dock(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    from tests.conftest import DATA

    window.open_path(str(SAMPLE))
    window.open_path(str(DATA / "leak-phase2.hprof.gz"))
    wait_idle(qtbot, window)
    view = window.view("compare")
    assert view.a_box.count() == 2 and view.go.isEnabled()
    view.go.click()
    qtbot.waitUntil(lambda: view.job is None and view.result is not None, timeout=60000)
    current = view.tree.currentItem()
    assert current is not None and current.text(0) == "static SESSIONS: java.util.HashMap"
    assert current.text(1).startswith("+") and "SESSIONS" in view.info.text()
    assert view.classes.rowCount() > 300
    shown = sum(not view.classes.isRowHidden(r) for r in range(view.classes.rowCount()))
    assert 0 < shown < view.classes.rowCount()  # unchanged classes folded away
    view.unchanged.setChecked(True)
    assert all(not view.classes.isRowHidden(r) for r in range(view.classes.rowCount()))
    inspector = window.view("object_inspector")
    view.tree.setCurrentItem(current.parent())
    view.tree.setCurrentItem(current)
    assert inspector.node is not None and "HashMap" in inspector.header.text()


def test_compare_dock_filters_classes_and_lists_collections(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    from tests.conftest import DATA

    window.open_path(str(SAMPLE))
    window.open_path(str(DATA / "leak-phase2.hprof.gz"))
    wait_idle(qtbot, window)
    view = window.view("compare")
    view.go.click()
    qtbot.waitUntil(lambda: view.job is None and view.result is not None, timeout=60000)
    view.filter.setText(r"^com\.example\.leak\.Session$")
    shown = [r for r in range(view.classes.rowCount()) if not view.classes.isRowHidden(r)]
    assert [view.classes.item(r, 0).text() for r in shown] == ["com.example.leak.Session"]
    r = shown[0]
    assert (view.classes.item(r, 1).text(), view.classes.item(r, 2).text()) == ("1,500", "3,350")
    sizes = {view.collections.item(r, 1).text(): view.collections.item(r, 3).text()
             for r in range(view.collections.rowCount())}
    assert sizes["java.util.HashMap"] == "3,350"


def test_second_start_hands_its_file_to_the_running_window(qtbot, window: MainWindow,  # noqa: ANN001
                                                             tmp_path: Path) -> None:
    import os
    import socket

    from pmdesk.app.single_instance import InstanceServer, hand_over

    name = f"pmdesk-test-{tmp_path.name}"
    assert not hand_over([str(SAMPLE)], name)  # nobody is listening yet
    server = InstanceServer(name, window)
    assert server.listening and not server.stale_removed
    server.open_requested.connect(window.open_from_elsewhere)
    assert hand_over([str(SAMPLE)], name)
    qtbot.waitUntil(lambda: bool(window.dumps) and window.dumps[0].path == str(SAMPLE), timeout=60000)
    wait_idle(qtbot, window)
    server.server.close()
    # a pmdesk that crashed leaves its socket file behind: the next one replaces it
    from PySide6.QtCore import QDir

    stale = f"pmdesk-stale-{os.getpid()}"
    where = Path(QDir.tempPath()) / stale  # where Qt keeps the socket
    where.unlink(missing_ok=True)
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(where))  # a socket file nobody listens on
    s.close()
    again = InstanceServer(stale, window)
    assert again.listening and hand_over([], stale)  # the dead socket was replaced by a live one
    again.server.close()


def test_a_start_on_another_display_opens_its_own_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """A second pmdesk hands its files over only to the window on its own display (or Wayland session)."""
    import time

    from pmdesk.app.single_instance import hand_over, server_name

    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":7")
    seven = server_name()
    monkeypatch.setenv("DISPLAY", ":8.0")
    assert server_name() != seven and server_name().endswith("-_8.0")
    t = time.monotonic()
    assert not hand_over([str(SAMPLE)])  # nobody on display :8: the caller starts its own window, at once
    assert time.monotonic() - t < 0.5


def test_macos_file_open_event_opens_the_file(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    from PySide6.QtGui import QFileOpenEvent
    from PySide6.QtWidgets import QApplication

    from pmdesk.app.main import FileOpenFilter

    f = FileOpenFilter(window)
    assert f.eventFilter(QApplication.instance(), QFileOpenEvent(str(SAMPLE)))
    wait_idle(qtbot, window)
    assert [d.path for d in window.dumps] == [str(SAMPLE)]


def test_jfr_docks(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    from tests.conftest import DATA

    window.open_path(str(DATA / "jfr" / "workload.jfr"))
    wait_idle(qtbot, window)
    browser = window.view("jfr_events")
    assert window.docks["jfr_events"][0].isVisible()
    item = browser.items["jdk.ExecutionSample"]
    assert item.text(1) == "1,513" and item.parent().text(0) == "Profiling"  # by @Category
    model = browser.table.model()  # ExecutionSample is shown first
    assert model.rowCount() == 1513 and model.fields == ["startTime", "sampledThread", "stackTrace", "state"]
    assert model.data(model.index(0, 1)) in ("cpu-hot-1", "cpu-hot-2")
    browser.filter.setText("GarbageCollection$")
    assert item.isHidden() and not browser.items["jdk.GarbageCollection"].isHidden()
    browser.types.setCurrentItem(browser.items["jdk.GarbageCollection"])
    assert browser.table.model().rowCount() == 582
    hot = window.view("jfr_hot_methods")
    assert hot.table.rowCount() == 12 and hot.profile.samples == 1513
    assert window.view("jfr_findings").table.rowCount() == 15
    assert window.view("jfr_findings").table.item(0, 0).text() == "CRITICAL"
    assert window.view("jfr_locks").table.item(0, 0).text() == "com.example.jfr.ContendedResource"
    assert window.view("jfr_gc").table.rowCount() == 582
    assert window.view("jfr_allocations").tables["by_class"].item(0, 0).text() == "byte[]"
    timeline = window.view("jfr_timeline")
    assert timeline.lanes[0] == "GC pauses" and "cpu-hot-1" in timeline.lanes
    timeline.use_range.setChecked(True)  # the shaded quarter narrows every JFR dock
    assert 0 < hot.profile.samples < 1513 and browser.table.model().rowCount() < 582
    assert "s –" in hot.info.text()
    timeline.use_range.setChecked(False)
    assert hot.profile.samples == 1513


def test_jfr_repository_directory(qtbot, window: MainWindow, tmp_path: Path) -> None:  # noqa: ANN001
    """A JFR repository (chunk files of a JVM killed with -9) opens as one recording; a directory that is not
    one says so in a dialog."""
    from tests.conftest import DATA

    repo = DATA / "jfr" / "killed-repository"
    window.open_path(str(repo))
    wait_idle(qtbot, window)
    assert window.current is not None and window.current.meta["jfr.chunks"] == 3
    assert window.view("jfr_hot_methods").profile.samples == 901
    empty = tmp_path / "not-a-repository"
    empty.mkdir()
    window.open_path(str(empty))
    wait_idle(qtbot, window)
    box = window.last_message
    assert box is not None and str(empty) in box.text() and "without .jfr chunk files" in box.text()


def test_core_docks(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    """A core with the symbol paths set: crash summary in words, threads (signalled first), the stack with
    inlined frames, registers pointing into code, the faulting instruction marked, modules, memory."""
    from pmdesk.native.symbol_files import SearchPaths
    from tests.conftest import DATA

    native = DATA / "native"
    window.set_symbol_paths(SearchPaths(exe=str(native / "bin" / "mutex_deadlock"),
                                        debug_dirs=[str(native / "debug")], debuginfod_urls=[]))
    window.open_path(str(native / "cores" / "mutex_deadlock.core"))
    wait_idle(qtbot, window)
    assert window.docks["crash_summary"][0].isVisible() and not window.docks["heap_histogram"][0].isVisible()
    assert window.view("crash_summary").headline.text().startswith("deadlock: thread 32683 waits for lock_b")
    from pmdesk.model.crash.session import current_diagnostics

    codes = {d.code for d in current_diagnostics(window.current, window.bus.symbol_paths)}
    assert "core.binary_missing" not in codes  # the index recorded it; with the paths set it is found
    threads = window.view("crash_threads").table
    assert threads.rowCount() == 3 and "(current)" in threads.item(0, 0).text()  # a gcore: nothing crashed
    stack = window.view("crash_stack")
    threads.setCurrentCell(1, 0)  # a worker: futex_wait inlined into __GI___lll_lock_wait
    assert stack.table.item(0, 1).text() == "futex_wait  (inlined)"
    assert stack.table.item(4, 1).text() == "take_second"
    regs = window.view("crash_registers").table
    rip = next(r for r in range(regs.rowCount()) if regs.item(r, 0).text() == "rip")
    assert "libc.so.6+0x" in regs.item(rip, 2).text()
    names = [regs.item(r, 0).text() for r in range(regs.rowCount())]
    assert {"st0", "mxcsr", "xmm15"} <= set(names)  # NT_FPREGSET below the general registers
    stack.table.setCurrentCell(4, 1)  # take_second: the call it is in is marked
    dis = window.view("crash_disassembly").table
    marked = [r for r in range(dis.rowCount()) if dis.item(r, 0).text() == "▶"]
    assert len(marked) == 1 and dis.item(marked[0], 3).text().startswith("call")
    modules = window.view("crash_modules").table  # the program, libc, the dynamic linker, the kernel's vDSO
    assert modules.rowCount() == 4 and any("vdso" in modules.item(r, 0).text() for r in range(4))
    memory = window.view("crash_memory")
    assert memory.hex.toPlainText().count("\n") >= 10  # the thread's stack around rsp
    memory.show_at("0x1")
    assert "not in the dump" in memory.info.text()


def test_core_stack_shows_the_source_line(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    """The source of a frame is found beside the program binary when it is not at its recorded path."""
    from pmdesk.native.symbol_files import SearchPaths
    from tests.conftest import DATA

    d = DATA / "native" / "sigtramp"
    window.set_symbol_paths(SearchPaths(exe=str(d / "sigtramp"), debuginfod_urls=[]))
    window.open_path(str(d / "sigtramp.core"))
    wait_idle(qtbot, window)
    stack = window.view("crash_stack")
    assert stack.table.item(0, 1).text() == "store_in_handler"
    assert "→     6  __attribute__((noinline)) static void store_in_handler" in stack.source.toPlainText()
    assert stack.source_label.text().endswith("sigtramp.c:6")  # recorded path, or beside the binary


def test_apple_report_docks(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    """An .ips with its dSYM folder as a symbol path: the exception in words, the report's facts, threads with
    their queues, the stack symbolicated from the dSYM, registers, modules with UUID and arch."""
    from pmdesk.native.symbol_files import SearchPaths
    from tests.conftest import MOBILE

    report = MOBILE / "ips" / "macsym-ios-crash.ips"
    if not report.exists():
        pytest.skip("corpus not present")
    window.set_symbol_paths(SearchPaths(debug_dirs=[str(MOBILE / "dsym")], debuginfod_urls=[]))
    window.open_path(str(report))
    wait_idle(qtbot, window)
    summary = window.view("crash_summary")
    assert summary.headline.text() == (
        "EXC_BREAKPOINT (SIGTRAP) in _assertionFailure(_:_:file:line:flags:) + 308, "
        "called from specialized static CrashClass.pleaseCrash() (<compiler-generated>:0)")
    rows = {summary.table.item(r, 0).text(): summary.table.item(r, 1).text() for r in range(summary.table.rowCount())}
    assert rows["Hardware Model"] == "iPhone14,2" and rows["OS"] == "iPhone OS 15.5 (19F77)"
    assert rows["First frame in the program"].startswith("specialized static CrashClass.pleaseCrash()")
    threads = window.view("crash_threads").table
    assert threads.rowCount() == 9
    assert threads.item(0, 0).text() == "Thread 0  [queue com.apple.main-thread]  (crashed)"
    stack = window.view("crash_stack").table
    assert stack.item(2, 1).text() == "specialized static CrashClass.pleaseCrash()"
    assert stack.item(0, 1).text() == "_assertionFailure(_:_:file:line:flags:) + 308"
    regs = window.view("crash_registers").table
    assert {"x0", "fp", "lr", "sp", "pc"} <= {regs.item(r, 0).text() for r in range(regs.rowCount())}
    mods = window.view("crash_modules").table
    app = next(r for r in range(mods.rowCount()) if mods.item(r, 0).text() == "iOSCrashingTest")
    assert mods.item(app, 2).text() == "82d13d98219e3040b62a07a297007a7c" and mods.item(app, 3).text() == "arm64"
    assert mods.item(app, 4).text() == "found" and mods.item(app, 5).text().endswith("DWARF/iOSCrashingTest")
    assert not window.docks["crash_memory"][0].isVisible()  # a report holds no process memory
    assert not window.docks["crash_disassembly"][0].isVisible()


def test_crash_frames_and_threads_take_annotations(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    """A note pinned to a frame colours it in the stack, is listed in Annotations, and double-clicking it
    there selects that thread and frame again."""
    from tests.conftest import MOBILE

    report = MOBILE / "ips" / "macsym-ios-crash.ips"
    if not report.exists():
        pytest.skip("corpus not present")
    window.open_path(str(report))
    wait_idle(qtbot, window)
    dump = window.current
    store = window.bus.annotations
    store.annotate(dump.content_key, "crash_frame", "1:0", "Thread 1 frame #0", "waits for the main thread")
    store.annotate(dump.content_key, "crash_thread", "1", "Thread 1", "stuck")
    threads = window.view("crash_threads").table
    row = next(r for r in range(threads.rowCount()) if threads.item(r, 0).text().startswith("Thread 1 "))
    assert threads.item(row, 0).background().color().name() == store.colour_of(dump.content_key, "crash_thread", "1")
    threads.setCurrentCell(0, 0)  # back to the crashed thread
    notes = window.view("annotations")
    notes.go_to(0)
    stack = window.view("crash_stack")
    assert stack.tid == 1 and stack.depth == 0 and stack.title.text().startswith("Thread 1")
    assert stack.table.item(0, 0).background().color().name() == \
        store.colour_of(dump.content_key, "crash_frame", "1:0")


def test_tombstone_docks(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    """A tombstone beside its app's obj/local/<abi>: the headline with the source line, the inlined frames, the
    memory map with the fault marked before any mapping, logcat filtered by level and words; no Memory or
    Disassembly dock (a tombstone holds no process memory)."""
    from tests.conftest import DATA

    window.open_path(str(DATA / "android" / "made-tombstone_00.txt"))
    wait_idle(qtbot, window)
    assert window.view("crash_summary").headline.text().startswith(
        "SIGSEGV SEGV_MAPERR at 0x0 in libnative_crash.so!crash_now+4 at native_crash.c:2")
    stack = window.view("crash_stack").table
    assert [stack.item(r, 1).text() for r in range(3)] == ["poke  (inlined)", "fill  (inlined)", "crash_now"]
    window.docks["crash_memory_map"][0].raise_()
    mm = window.view("crash_memory_map")
    mm.ensure_loaded()
    assert mm.table.item(0, 0).text() == "▶" and "in no mapping" in mm.table.item(0, 5).text()
    assert mm.table.rowCount() == 5
    window.docks["crash_logcat"][0].raise_()
    log = window.view("crash_logcat")
    log.ensure_loaded()
    assert log.table.rowCount() == 3
    log.level.setCurrentIndex(3)  # warnings and worse
    assert log.table.rowCount() == 2
    log.filter.setText("null")
    assert log.table.rowCount() == 1 and log.table.item(0, 4).text() == "nativecrash"
    assert not window.docks["crash_memory"][0].isVisible() and not window.docks["crash_disassembly"][0].isVisible()


def test_only_the_formats_docks_show_and_the_window_fits_the_screen(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    """Each format shows only docks of its kinds (a crash without the Overview, whose facts are in the Crash
    summary); what the window needs fits a 1366×768 laptop's screen (less its panel); Diagnostics shows only
    when there are diagnostics, counted by the status bar's badge."""
    from pmdesk.model.formats import Kind
    from tests.conftest import DATA

    for f, kind in ((SAMPLE, Kind.HEAP_GRAPH), (DATA / "threads" / "deadlock-sync.jstack.txt", Kind.THREADS),
                    (DATA / "profiles" / "perf-fp.script.txt", Kind.SAMPLES),
                    (DATA / "minidump" / "segv.dmp", Kind.CRASH)):
        window.open_path(str(f))
        wait_idle(qtbot, window)
        shown = [view for dock, view in window.docks.values() if not dock.isHidden()]
        assert shown and all(not v.KINDS or kind in v.KINDS for v in shown), f
        need = window.minimumSizeHint()
        assert need.width() <= 1366 and need.height() <= 740, (f, need)
    assert window.docks["overview"][0].isHidden()  # the crash: folded into the summary
    summary = window.view("crash_summary").table
    assert "File" in {summary.item(r, 0).text() for r in range(summary.rowCount())}
    assert window.docks["diagnostics"][0].isHidden() and not window.diagnostics_badge.isVisible()


def test_a_closed_dock_stays_closed_until_reset(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    """Closing a dock keeps it closed when another dump of its kind opens; View › Reset layout brings it back."""
    from tests.conftest import DATA

    window.open_path(str(DATA / "minidump" / "segv.dmp"))
    wait_idle(qtbot, window)
    dock = window.docks["crash_registers"][0]
    dock.close()
    window.open_path(str(DATA / "minidump" / "abort.dmp"))
    wait_idle(qtbot, window)
    assert dock.isHidden()
    window.reset_layout()
    wait_idle(qtbot, window)
    assert not dock.isHidden()


def test_command_palette_finds_docks_commands_threads_and_classes(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    """Ctrl+K: words of a name narrow the list; Enter brings a dock forward, selects a thread, shows a class."""
    from pmdesk.app.command_palette import CommandPalette
    from tests.conftest import DATA

    window.open_path(str(SAMPLE))
    wait_idle(qtbot, window)
    box = CommandPalette(window)
    box.box.setText("leak session")
    names = [box.list.item(r).text() for r in range(box.list.count())]
    assert names and names[0].startswith("com.example.leak.Session")
    box._go(box.list.item(0))
    assert window.view("heap_histogram").proxy.rowCount() == 1
    box = CommandPalette(window)
    box.box.setText("dominator")
    assert any("Dominator tree" in box.list.item(r).text() for r in range(box.list.count()))
    box.box.setText("reset layout")
    assert box.list.count() == 1
    window.open_path(str(DATA / "threads" / "deadlock-sync.jstack.txt"))
    wait_idle(qtbot, window)
    box = CommandPalette(window)
    box.box.setText("deadlock-B")
    box._go(box.list.item(0))
    assert window.view("thread_stack").thread.name == "deadlock-B"


def test_class_questions_open_from_the_histogram(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    """The histogram's context menu asks MAT's questions of a class: its objects, merged paths from GC roots,
    immediate dominators, retained set, its objects grouped by value — each answered in a window;
    double-clicking an object selects it."""
    from pmdesk.views.heap.class_query_dialog import ClassQueryDialog

    window.open_path(str(SAMPLE))
    wait_idle(qtbot, window)
    hist = window.view("heap_histogram")
    row = next(hist.model.row_at(r) for r in range(hist.model.rowCount())
               if hist.model.row_at(r).name == "com.example.leak.Session")
    for what in ("objects", "paths", "dominators", "retained"):
        hist._ask(row.class_idx, what)
    dialogs = [w for w in hist.findChildren(ClassQueryDialog)]
    assert len(dialogs) == 4 and all("com.example.leak.Session" in d.windowTitle() for d in dialogs)
    strings = next(hist.model.row_at(r) for r in range(hist.model.rowCount())
                   if hist.model.row_at(r).name == "java.lang.String")
    hist._ask(strings.class_idx, "values")
    from PySide6.QtWidgets import QTableWidget

    values = [w for w in hist.findChildren(ClassQueryDialog) if w not in dialogs][0].findChild(QTableWidget)
    assert values.item(0, 1).text() == "1,500"   # phase 1: 1,500 sessions, each with an event named evt-0
    assert values.item(0, 0).text().startswith("evt-")
    objects = dialogs[0].findChild(QTableWidget)
    assert objects.rowCount() == 1000  # the first 1,000 of 3,350, biggest first
    objects.itemDoubleClicked.emit(objects.item(0, 0))
    assert window.view("object_inspector").node == objects.item(0, 0).data(Qt.ItemDataRole.UserRole)


def test_event_browser_sorts_formats_durations_and_shows_an_events_stack(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    """The Event browser's table sorts by a column (durations as numbers), shows durations in ms/µs, says how
    many events of the chosen type it lists, and shows the chosen event's fields and whole stack below."""
    from tests.conftest import DATA

    window.open_path(str(DATA / "jfr" / "jdk25-vthreads.jfr"))
    wait_idle(qtbot, window)
    browser = window.view("jfr_events")
    name = next(n for n in ("jdk.ThreadSleep", "jdk.ThreadPark", "jdk.JavaMonitorWait", "jdk.GCPhasePause")
                if n in browser.items)
    browser._choose(browser.items[name])
    model = browser.table.model()
    col = model.fields.index("duration")
    model.sort(col, Qt.SortOrder.DescendingOrder)
    durations = [model.ev.duration_ns[list(model.ev.row).index(r)] for r in model.rows[:20]]
    assert durations == sorted(durations, reverse=True)
    text = model.data(model.index(0, col))
    assert text.endswith(("ms", "µs", "ns"))
    assert f"{model.rowCount():,} {name} events of" in browser.info.text()
    browser.table.setCurrentIndex(model.index(0, 0))
    assert "duration:" in browser.properties.toPlainText()


def test_keyboard_moves_between_docks(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    """F6 takes the focus to the next dock on screen (Shift+F6 back); Tab leaves a table instead of moving
    between its cells."""
    from PySide6.QtWidgets import QAbstractItemView, QApplication

    window.open_path(str(SAMPLE))
    wait_idle(qtbot, window)
    assert not any(t.tabKeyNavigation() for _d, v in window.docks.values() for t in v.findChildren(QAbstractItemView))
    seen = set()
    for _ in range(6):
        window.focus_dock(1)
        focus = QApplication.focusWidget()
        seen.add(next(vid for vid, (dock, _v) in window.docks.items() if dock.isAncestorOf(focus)))
    assert len(seen) >= 3


def test_only_the_user_closes_docks(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    """Docks hidden by the window (another format's, a restored layout, the window closing) are not taken for
    docks the user closed: the next start shows them all."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(index_dir=str(tmp_path / "idx"), settings=settings, autosave=str(tmp_path / "a.pmdesk"))
    qtbot.addWidget(w)
    w.show()
    w.open_path(str(SAMPLE))
    wait_idle(qtbot, w)
    w.close()
    w2 = MainWindow(index_dir=str(tmp_path / "idx"), settings=settings, autosave=str(tmp_path / "b.pmdesk"))
    qtbot.addWidget(w2)
    assert w2._closed == set()


def test_profile_tag_field_for_labelled_samples(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    """A Go CPU profile whose samples carry pprof labels: the flame graph's bar offers the Tag field (pprof's
    -tagfocus), which narrows every dock as `pmdesk profile --tag` does; a key no sample has is said in the
    info line; a profile without labels has no such field."""
    from pmdesk.model.samples import profile as model
    from tests.conftest import DATA

    window.open_path(str(DATA / "profiles" / "go" / "cpu.pb.gz"))
    wait_idle(qtbot, window)
    flame = window.view("profile_flame")
    assert flame.tag.isVisibleTo(flame) and "phase" in flame.tag.toolTip()
    whole = flame.profile().total
    flame.tag.setText("phase=hash")
    flame.tag.editingFinished.emit()
    qtbot.waitUntil(lambda: flame.profile() is not None and flame.profile().total < whole)
    want = model.select(model.load(window.current), model.Selection(tag="phase=hash"))
    assert flame.profile().total == want.total and flame.profile().count == want.count
    flame.tag.setText("nope=x")
    flame.tag.editingFinished.emit()
    qtbot.waitUntil(lambda: "has no label 'nope'" in flame.info.text())
    window.open_path(str(DATA / "profiles" / "perf-fp.pl.folded"))
    wait_idle(qtbot, window)
    assert not flame.tag.isVisibleTo(flame)


def test_profile_docks_share_one_selection_and_compare(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    """A perf script: the flame graph, functions, call tree and timeline; a focus typed in the flame graph's
    bar narrows the Functions dock too; a function chosen there fills the sandwich; a second profile opened
    is offered for comparison and the diff shows in the flame graph and the functions by change."""
    from tests.conftest import DATA

    window.open_path(str(DATA / "profiles" / "perf-fp.pl.folded"))
    wait_idle(qtbot, window)
    window.open_path(str(DATA / "profiles" / "perf-fp.script.txt"))
    wait_idle(qtbot, window)
    flame, funcs = window.view("profile_flame"), window.view("profile_functions")
    assert flame.flame.source is not None and flame.flame.source.weight(0) == flame.profile().count
    assert not window.docks["profile_timeline"][0].isHidden()
    names = {funcs.model.rows[r][0][1] for r in range(funcs.model.rowCount())}
    assert {"mix", "hot_a", "hot_b", "deep_c", "recurse", "run", "main"} <= names
    flame.filters["focus"].setText("^hot_b$")
    flame.filters["focus"].editingFinished.emit()
    assert {funcs.model.rows[r][0][1] for r in range(funcs.model.rowCount())} == \
        {"workload", "__libc_start_call_main", "main", "run", "hot_b", "mix"}
    flame.filters["focus"].setText("")
    flame.filters["focus"].editingFinished.emit()
    window.docks["profile_sandwich"][0].raise_()
    sandwich = window.view("profile_sandwich")
    sandwich.ensure_loaded()
    row = next(r for r in range(funcs.proxy.rowCount()) if funcs.proxy.index(r, 0).data() == "recurse")
    funcs.table.setCurrentIndex(funcs.proxy.index(row, 0))
    assert sandwich.function == "recurse" and sandwich.callees.source is not None
    flame.search.setText("hot_a")
    assert "search matches" in flame.info.text()
    assert flame.compare_box.count() == 2
    flame.compare_box.setCurrentIndex(1)
    assert type(flame.flame.source).__name__ == "DiffSource" and "compared with" in flame.info.text()
    assert funcs.model.headers[:4] == ["Function", "Total A", "Total B", "Δ total"]


def test_annotate_dock_shows_a_hot_functions_instructions(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    """perf.data (DWARF mode): a function chosen in the Functions dock is annotated off the GUI thread — its
    instructions from the binary beside the recording, the hottest one's share as perf annotate has it; the
    dock is not offered for a profile without addresses (folded stacks)."""
    from tests.conftest import DATA

    window.open_path(str(DATA / "profiles" / "perf-dwarf.data"))
    wait_idle(qtbot, window)
    funcs, ann = window.view("profile_functions"), window.view("profile_annotate")
    window.docks["profile_annotate"][0].raise_()
    ann.ensure_loaded()
    row = next(r for r in range(funcs.proxy.rowCount()) if funcs.proxy.index(r, 0).data() == "spin")
    funcs.table.setCurrentIndex(funcs.proxy.index(row, 0))
    qtbot.waitUntil(lambda: ann.table.rowCount() > 0, timeout=20000)
    shares = [ann.table.item(r, 0).text() for r in range(ann.table.rowCount())]
    assert "95.31%" in shares and "workload-nofp" in ann.info.text()
    window.open_path(str(DATA / "profiles" / "perf-fp.pl.folded"))
    wait_idle(qtbot, window)
    assert not ann.applies_to(window.current)


def test_a_big_profiles_selection_is_computed_off_the_gui_thread(qtbot, window: MainWindow,  # noqa: ANN001
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A profile over ASYNC_SAMPLES samples (here every one): a new selection is worked out in a worker — the
    docks say so meanwhile, then all show it."""
    from pmdesk.views.samples import base
    from tests.conftest import DATA

    monkeypatch.setattr(base, "ASYNC_SAMPLES", 0)
    window.open_path(str(DATA / "profiles" / "perf-fp.script.txt"))
    wait_idle(qtbot, window)
    flame, funcs = window.view("profile_flame"), window.view("profile_functions")
    flame.filters["focus"].setText("^hot_b$")
    flame.filters["focus"].editingFinished.emit()
    assert flame.info.text().startswith("Adding up")
    qtbot.waitUntil(lambda: not flame.profile_state().busy and flame.flame.source is not None, timeout=20000)
    assert {funcs.model.rows[r][0][1] for r in range(funcs.model.rowCount())} == \
        {"workload", "__libc_start_call_main", "main", "run", "hot_b", "mix"}


def test_timeline_lanes_by_cpu(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    """A recording with the CPU of each sample: the Timeline's lanes by thread, or by CPU."""
    from tests.conftest import DATA

    window.open_path(str(DATA / "profiles" / "perf-fp.data"))
    wait_idle(qtbot, window)
    tl = window.view("profile_timeline")
    tl.ensure_loaded()
    assert tl.lanes.isVisibleTo(tl) and "threads" in tl.info.text()
    tl.lanes.setCurrentIndex(1)
    assert "CPUs" in tl.info.text()


def test_a_go_dump_reopens_typed_by_its_program(qtbot, window: MainWindow, tmp_path: Path,  # noqa: ANN001
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip

    from PySide6.QtWidgets import QFileDialog

    from tests.conftest import DATA

    go = DATA / "heaps" / "go"
    dump, exe = tmp_path / "leak.heapdump", tmp_path / "leakdump"
    dump.write_bytes(gzip.decompress((go / "leak-1000.heapdump.gz").read_bytes()))
    exe.write_bytes(gzip.decompress((go / "leakdump.gz").read_bytes()))
    window.open_path(str(dump))
    wait_idle(qtbot, window)
    names = {c.name for c in heap.histogram(window.current)}
    assert "main.Session" not in names
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(exe), ""))
    window.program_action.trigger()
    wait_idle(qtbot, window)
    assert len(window.dumps) == 1 and window.current.meta.get("goheap.exe") == str(exe)
    assert "main.Session" in {c.name for c in heap.histogram(window.current)}


def test_compare_dock_compares_two_python_snapshots(qtbot, window: MainWindow, tmp_path: Path) -> None:  # noqa: ANN001
    import os
    import subprocess
    import sys

    from tests.conftest import DATA, ROOT

    program = DATA / "heaps" / "python" / "leak_program.py"
    snaps = [tmp_path / f"{n}.pyheap" for n in (200, 300)]
    for n, snap in zip((200, 300), snaps, strict=True):
        subprocess.run([sys.executable, str(program), str(snap), str(tmp_path / f"{n}.json"), str(n)], check=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
        window.open_path(str(snap))
    wait_idle(qtbot, window)
    view = window.view("compare")
    assert view.a_box.count() == 2 and view.go.isEnabled()
    view.go.click()
    qtbot.waitUntil(lambda: view.job is None and view.result is not None, timeout=60000)
    grew = {view.classes.item(r, 0).text(): r for r in range(view.classes.rowCount())}
    assert "__main__.Session" in grew


def test_a_dump_of_two_kinds_is_laid_out_by_its_first(qtbot, window: MainWindow, tmp_path: Path) -> None:  # noqa: ANN001
    """A Go heap dump holds a heap graph and a memory profile: the profile's docks are tabs beside the heap's
    (the histogram keeps its room, not shared with a flame graph stacked below it)."""
    import gzip

    from tests.conftest import DATA

    dump = tmp_path / "leak.heapdump"
    dump.write_bytes(gzip.decompress((DATA / "heaps" / "go" / "leak-1000.heapdump.gz").read_bytes()))
    window.open_path(str(dump))
    wait_idle(qtbot, window)
    qtbot.wait(50)
    flame, histogram = window.docks["profile_flame"][0], window.docks["heap_histogram"][0]
    assert flame in window.tabifiedDockWidgets(histogram)
    functions = window.docks["profile_functions"][0]
    assert any(d.windowTitle() in ("Paths to GC roots", "Object inspector", "Overview")
               for d in window.tabifiedDockWidgets(functions))
