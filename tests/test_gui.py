"""The main window offscreen: open a dump off the GUI thread, rows appear, sort, filter, cancel, errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from pmdesk.app.main_window import MainWindow
from pmdesk.model import heap
from pmdesk.model.dump import Dump
from pmdesk.views.models.histogram_model import HistogramModel
from pmdesk.views.registry import VIEWS
from tests.conftest import NOCOOPS, SAMPLE


@pytest.fixture
def window(qtbot, tmp_path: Path) -> MainWindow:  # noqa: ANN001 - pytest-qt fixture
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(index_dir=str(tmp_path / "idx"), settings=settings)
    qtbot.addWidget(w)
    w.show()
    return w


def wait_idle(qtbot, w: MainWindow) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: w.job is None and not w.jobs, timeout=60000)


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
    view.copy_selection()
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
