"""The Triage window offscreen: a folder triaged off the GUI thread (the window keeps answering), buckets and a
bucket's dumps shown, a bucket marked known with a note (kept for the folder, and by a session), a dump opened
in the main window with the index triage built, Cancel."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLineEdit

from pmdesk.app.main_window import TRIAGE_STATE, MainWindow
from pmdesk.model.triage import inbox as inboxes
from tests.conftest import main_window

DATA = Path(__file__).parent / "data"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "dumps"
    d.mkdir()
    for name in ("deadlock-sync.jstack.txt", "deadlock-sync.jcmd-thread-print.txt", "deadlock-rlock.jstack.txt",
                 "busy-pool.jstack.txt"):
        shutil.copy(DATA / "threads" / name, d / name)
    for p in sorted((DATA / "hserr").glob("jdk*-native-*.log")):
        shutil.copy(p, d / p.name)
    (d / "broken.hprof").write_bytes(b"JAVA PROFILE 1.0.2\0\0\0\0\x07")
    return d


@pytest.fixture
def window(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MainWindow:  # noqa: ANN001
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))   # where inboxes are kept
    return main_window(qtbot, tmp_path)


def test_triage_mark_open_and_keep_in_a_session(qtbot, window: MainWindow, folder: Path, tmp_path: Path) -> None:  # noqa: ANN001
    gaps: list[float] = []
    last = [time.monotonic()]

    def tick() -> None:
        now = time.monotonic()
        gaps.append(now - last[0])
        last[0] = now

    beat = QTimer()
    beat.timeout.connect(tick)
    beat.start(10)
    tw = window.triage(str(folder))
    qtbot.waitUntil(lambda: tw.job is None, timeout=120000)
    beat.stop()
    assert max(gaps[1:] or [0]) < 0.1, "the GUI thread stalled while triaging"
    sigs = [tw.buckets_table.item(r, 6).text() for r in range(tw.buckets_table.rowCount())]
    sync = next(i for i, s in enumerate(sigs) if "SyncDeadlock" in s)
    assert tw.buckets_table.item(sync, 1).text() == "2"
    assert tw.tabs.tabText(1) == "Unreadable (1)" and tw.errors_table.item(0, 0).text().endswith("broken.hprof")
    tw.buckets_table.selectRow(sync)
    assert tw.dumps_table.rowCount() == 2
    tw.note.setPlainText("known: the transfer lock order, fixed in 2.4")
    tw.set_mark("known")
    row = next(r for r in range(tw.buckets_table.rowCount()) if "SyncDeadlock" in tw.buckets_table.item(r, 6).text())
    assert tw.buckets_table.item(row, 0).text() == "known"
    saved = inboxes.load(inboxes.folder_key([str(folder)]))
    st = next(v for k, v in saved.buckets.items() if "SyncDeadlock" in k)
    assert st.mark == "known" and st.note.startswith("known: the transfer")

    tw.buckets_table.selectRow(row)
    tw.dumps_table.selectRow(1)
    tw.annotate_dump()
    tw.note_dialog.findChild(QLineEdit).setText("the customer's")
    tw.note_dialog.accept()
    assert tw.dumps_table.item(1, 3).text() == "the customer's"
    assert inboxes.load(inboxes.folder_key([str(folder)])).annotated == {
        tw.current_bucket().rows[1]["content_key"]: "the customer's"}
    tw.open_row(0)
    qtbot.waitUntil(lambda: window.is_idle() and window.current is not None, timeout=60000)
    assert window.current.path == tw.current_bucket().rows[0]["path"]
    assert not window.current.built   # triage's index, not a second indexing

    session = tmp_path / "s.pmdesk"
    window.save_session(str(session))
    assert window.session_now().views[TRIAGE_STATE]["folder"] == str(folder)
    inboxes.inbox_file(inboxes.folder_key([str(folder)])).unlink()   # a colleague's machine: no inbox there
    other = main_window(qtbot, tmp_path, "other")   # its own settings; the same index folder
    other.open_session(str(session))
    qtbot.waitUntil(lambda: other.triage_window is not None and other.triage_window.job is None
                    and other.triage_window.buckets_table.rowCount() > 0, timeout=120000)
    marks = {other.triage_window.buckets_table.item(r, 6).text(): other.triage_window.buckets_table.item(r, 0).text()
             for r in range(other.triage_window.buckets_table.rowCount())}
    assert next(m for s, m in marks.items() if "SyncDeadlock" in s) == "known"
    qtbot.waitUntil(other.is_idle, timeout=60000)


def test_cancel_triage(qtbot, window: MainWindow, folder: Path) -> None:  # noqa: ANN001
    for i in range(30):
        shutil.copy(DATA / "threads" / "busy-pool.jstack.txt", folder / f"copy{i}.txt")
        with open(folder / f"copy{i}.txt", "a") as f:
            f.write(f"\n{i}\n")   # other contents: each indexed on its own
    tw = window.triage(str(folder))
    qtbot.waitUntil(lambda: tw.progress.value() > 0 or tw.job is None, timeout=60000)
    tw.cancel_job()
    qtbot.waitUntil(lambda: tw.job is None, timeout=30000)
    assert "cancelled" in tw.summary.text() or tw.buckets_table.rowCount() > 0
    assert not _workers_of(os.getpid()), "a cancelled triage left its worker processes running"


def _workers_of(pid: int) -> list[int]:
    """This process's triage worker children still alive."""
    out = []
    for d in Path("/proc").iterdir():
        try:
            cmd = (d / "cmdline").read_bytes()
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and b"pmdesk.model.triage.worker" in cmd:
            out.append(int(d.name))
    return out
