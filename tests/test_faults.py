"""Faults must not cost an index: a pmdesk killed while writing (a hot journal left beside the index), killed at
random points of indexing and of the graph pass, two processes on one dump at once, the window and the
command line on one dump, a full disk and a read-only
index folder (small tmpfs mounts, as root; skipped where mounting is not allowed)."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import NOCOOPS

PMDESK = [sys.executable, "-m", "pmdesk"]


def pmdesk(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PMDESK, *args], capture_output=True, text=True, timeout=timeout)


def outcome(r: subprocess.CompletedProcess[str]) -> str:
    if r.returncode == 0:
        return "ok"
    return "traceback" if "Traceback" in r.stderr else f"rc {r.returncode}: {r.stderr.strip()[-200:]}"


def biggest(dump: Path, idx: Path) -> str:
    r = pmdesk("biggest", str(dump), "--index-dir", str(idx), "--top", "1", "--json")
    return outcome(r) if r.returncode or json.loads(r.stdout)["objects"] else "empty"


def test_a_pass_killed_while_writing_is_rolled_back(tmp_path: Path) -> None:
    """A graph pass killed mid-transaction leaves a hot rollback journal: the next command rolls it back
    (read-only connections cannot) and finds the index as it was; --force rebuilds over it cleanly."""
    idx = tmp_path / "idx"
    assert pmdesk("index", str(NOCOOPS), "--index-dir", str(idx), "--no-graph").returncode == 0
    index = next(idx.glob("*.sqlite"))
    code = ("import sqlite3, os, sys; c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA cache_size=1'); "
            "c.execute('BEGIN'); c.execute('DELETE FROM array_chunk'); c.execute('DELETE FROM meta'); os._exit(9)")
    subprocess.run([sys.executable, "-c", code, str(index)], check=False)
    assert Path(f"{index}-journal").exists()
    with pytest.raises(sqlite3.OperationalError):  # what every command hit before: the index stuck
        sqlite3.connect(f"file:{index}?mode=ro", uri=True).execute("SELECT COUNT(*) FROM meta").fetchone()
    assert biggest(NOCOOPS, idx) == "ok"
    assert not Path(f"{index}-journal").exists()
    assert pmdesk("index", str(NOCOOPS), "--index-dir", str(idx), "--force").returncode == 0


def test_killed_at_random_points_of_every_pass(tmp_path: Path) -> None:
    """kill -9 while indexing, while the graph pass runs, while rebuilding: the next command answers."""
    rng = random.Random(7)
    idx = tmp_path / "idx"
    seen: Counter[str] = Counter()
    for trial in range(8):
        if trial % 3 == 0:
            shutil.rmtree(idx, ignore_errors=True)
        args = ["index", str(NOCOOPS), "--index-dir", str(idx)] + (["--force"] if trial % 2 else [])
        p = subprocess.Popen([*PMDESK, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 2.5))
        p.send_signal(signal.SIGKILL)
        p.wait()
        seen[biggest(NOCOOPS, idx)] += 1
    assert seen == Counter({"ok": 8}), seen


def test_two_processes_on_one_dump(tmp_path: Path) -> None:
    """Whoever loses the race waits for the winner's index and says so; never a traceback."""
    seen: Counter[str] = Counter()
    for trial in range(3):
        idx = tmp_path / f"idx{trial}"
        procs = [subprocess.Popen([*PMDESK, cmd, str(NOCOOPS), "--index-dir", str(idx), *extra], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for cmd, extra in (("index", []), ("biggest", ["--top", "1"]), ("histogram", ["--top", "1"]))]
        for p in procs:
            out, err = p.communicate(timeout=300)
            seen[outcome(subprocess.CompletedProcess(p.args, p.returncode, out, err))] += 1
    assert seen == Counter({"ok": 9}), seen


@pytest.fixture
def small_mount(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "mnt"
    where.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_a_full_disk_is_one_line_and_leaves_nothing(small_mount: Path) -> None:
    r = pmdesk("histogram", str(NOCOOPS), "--index-dir", str(small_mount / "idx"))
    assert r.returncode == 2 and "Traceback" not in r.stderr and "no space left" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and str(small_mount / "idx") in r.stderr
    assert not list((small_mount / "idx").iterdir())


def test_a_read_only_index_folder_gets_its_graph_computed_elsewhere(small_mount: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    idx = small_mount / "idx"
    shutil.rmtree(idx, ignore_errors=True)
    subprocess.run(["umount", "-l", str(small_mount)], capture_output=True)
    assert subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(small_mount)]).returncode == 0
    assert pmdesk("index", str(NOCOOPS), "--index-dir", str(idx), "--no-graph").returncode == 0
    assert subprocess.run(["mount", "-o", "remount,ro", str(small_mount)]).returncode == 0
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    r = subprocess.run([*PMDESK, "biggest", str(NOCOOPS), "--index-dir", str(idx), "--top", "1"], capture_output=True,
                       text=True, env=env, timeout=300)
    assert r.returncode == 0 and "read-only" in r.stderr and "Traceback" not in r.stderr
    assert "com.example.leak.LeakApp" in r.stdout


def test_killed_while_comparing_two_dumps(tmp_path: Path) -> None:
    """A diff writes each dump's holder summary into its index: kill -9 at random points, then compare again."""
    from tests.conftest import DATA

    other = DATA / "leak-phase2.hprof.gz"
    idx = tmp_path / "idx"
    rng = random.Random(11)
    seen: Counter[str] = Counter()
    for _ in range(4):
        p = subprocess.Popen([*PMDESK, "diff", str(NOCOOPS), str(other), "--index-dir", str(idx)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 6.0))
        p.send_signal(signal.SIGKILL)
        p.wait()
        seen[outcome(pmdesk("diff", str(NOCOOPS), str(other), "--index-dir", str(idx), "--json"))] += 1
    assert seen == Counter({"ok": 4}), seen


def test_the_window_and_the_command_line_on_one_dump(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    """The window and `pmdesk index` building the same dump's index at once (the command started while the
    window indexes): both get it, no error dialog, and a later command reads it."""
    from tests.test_session import graph_of, idle, make_window

    w = make_window(qtbot, tmp_path, "faults")
    w.open_path(str(NOCOOPS))
    qtbot.wait(300)
    p = subprocess.Popen([*PMDESK, "index", str(NOCOOPS), "--index-dir", str(tmp_path / "idx")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    idle(qtbot, w)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0 and "Traceback" not in err, err
    assert w.last_message is None and w.current is not None and graph_of(w.current) is not None
    assert biggest(NOCOOPS, tmp_path / "idx") == "ok"
