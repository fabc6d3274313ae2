"""Python heap snapshots (pmdesk.capture) on the heap-graph model, against what the interpreter itself said of
the same process: what a full collection freed (tracemalloc) when the leak's last reference was dropped
right after the snapshot, and sys.getsizeof over the leak's objects (tests/data/heaps/python/leak_program.py,
run here with the interpreter under test)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pmdesk import cli
from pmdesk.base.errors import PmdeskError
from pmdesk.index.derive.dominators import subtree_sizes
from pmdesk.model.dump import Dump
from pmdesk.model.heap import diff as heap_diff
from pmdesk.model.heap.graph import ensure_graph, heap_graph
from pmdesk.model.heap.report import leak_suspects, threads
from tests.conftest import DATA, ROOT, assert_read_only_dump_untouched, run_cli

PROGRAM = DATA / "heaps" / "python" / "leak_program.py"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _capture(out: Path, sessions: int) -> tuple[Path, dict]:
    snap, truth = out / f"leak-{sessions}.pyheap", out / f"leak-{sessions}.json"
    subprocess.run([sys.executable, str(PROGRAM), str(snap), str(truth), str(sessions)], check=True, env=_env(),
                   timeout=120)
    return snap, json.loads(truth.read_text())


@pytest.fixture(scope="module")
def snaps(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, dict]]:
    out = tmp_path_factory.mktemp("py")
    return {n: _capture(out, n) for n in (2000, 3000)}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("index")


def opened(path: Path, index: Path) -> Dump:
    d = Dump.open(path, index_dir=index)
    ensure_graph(d)
    return d


@pytest.mark.parametrize("n", [2000, 3000])
def test_leak_retains_what_a_collection_freed_when_it_was_dropped(snaps: dict, index: Path, n: int) -> None:
    path, t = snaps[n]
    g = heap_graph(opened(path, index))
    node = g.node_of(t["cache_id"])
    assert node is not None
    assert int(g.retained[node]) == t["cache_freed_bytes"] == t["cache_getsizeof_bytes"]
    start, kids = g._dom
    # the dict, its 2n keys, n tuples of (upper key, Session), each Session's key and list of two
    assert int(subtree_sizes(len(g.idom), start, kids)[node]) == 1 + 8 * n
    suspects, _heap = leak_suspects(g)
    assert any(s.objects and s.objects[0].node == node for s in suspects)


def test_objects_and_types_are_what_the_capture_wrote(snaps: dict, index: Path) -> None:
    path, t = snaps[2000]
    d = Dump.open(path, index_dir=index)
    assert d.meta["summary.objects"] == t["objects"]
    rows = dict(d.conn.execute("SELECT name, count FROM heap_histogram"))
    assert rows["__main__.Session"] == 2000
    assert rows["threading.Thread"] == 1 and rows["threading._MainThread"] == 1
    assert d.meta["pyheap.python"] == t["python"]


def test_a_thread_holds_its_frames_locals(snaps: dict, index: Path) -> None:
    path, t = snaps[2000]
    g = heap_graph(opened(path, index))
    by_name = {th.name.split(" (")[0]: th for th in threads(g)}
    assert set(by_name) == {"thread MainThread", "thread holder"}
    holder = by_name["thread holder"]
    worker = next(f for f in holder.frames if f.method == "worker")
    waits = 1 + PROGRAM.read_text().splitlines().index("    done.wait()")
    assert worker.location == f"{PROGRAM}:{waits}"
    buffers = [o for o in worker.locals if o.class_name == "bytearray"]
    assert len(buffers) == 1 and buffers[0].shallow_bytes >= t["holder_buffer_bytes"]
    assert buffers[0].retained_bytes == buffers[0].shallow_bytes
    assert holder.obj.retained_bytes >= t["holder_buffer_bytes"]


def test_paths_name_keys_attributes_and_locals(snaps: dict, index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, t = snaps[2000]
    rc, out, err = run_cli(capsys, "paths", str(path), hex(t["cache_id"]), "--index-dir", str(index), "--json")
    assert rc == 0, err
    vias = [[s["via"] for s in p] for p in json.loads(out)["paths"]]
    assert ["", "['__main__']", "__dict__", "['CACHE']"] in vias  # sys.modules → module → its globals
    assert any(v[-1] == "CACHE" and v[-2].startswith("frame ") for v in vias)  # the running module frame's local
    g = heap_graph(opened(path, index))
    session = g.node_of(t["cache_id"])
    labels = g.object_reader().edge_labels(session, [v for v, _w in g.referents(session)])
    assert "['session-000000']" in labels.values()


def test_duplicate_strings_are_grouped(snaps: dict, index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, t = snaps[2000]
    opened(path, index)
    rc, out, err = run_cli(capsys, "strings", str(path), "--index-dir", str(index), "--json")
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["strings_known"]
    top = next(s for s in doc["strings"] if s["value"].startswith("copy-copy"))
    assert top["count"] == t["duplicates"]
    assert top["wasted_bytes"] == (t["duplicates"] - 1) * t["duplicate_bytes"]


def test_compare_two_snapshots_finds_what_grew(snaps: dict, index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (a, ta), (b, tb) = snaps[2000], snaps[3000]
    c = heap_diff.compare(heap_graph(opened(a, index)), heap_graph(opened(b, index)))
    grew = {x.name: x for x in c.classes}
    assert grew["__main__.Session"].count_b - grew["__main__.Session"].count_a == 1000
    top = c.holders[0]  # the dicts below the roots: the cache among them
    assert top.path == ("dict",)
    assert top.retained_b - top.retained_a >= tb["cache_freed_bytes"] - ta["cache_freed_bytes"]
    rc, out, _err = run_cli(capsys, "diff", str(a), str(b), "--index-dir", str(index), "--json")
    assert rc == 0 and {"a", "b", "classes", "holders"} <= set(json.loads(out))


def test_heap_commands_give_the_hprof_json_shapes(snaps: dict, index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, t = snaps[2000]
    f = str(path)
    cache = hex(t["cache_id"])
    want = {"histogram": {"file", "classes"}, "biggest": {"file", "objects"}, "dominators": {"file", "of", "objects"},
            "suspects": {"file", "suspects"}, "object": {"file", "fields", "gc_roots"}}
    for cmd, keys in want.items():
        rc, out, err = run_cli(capsys, cmd, f, *([cache] if cmd == "object" else []), "--index-dir", str(index),
                               "--json")
        assert rc == 0, err
        assert keys <= set(json.loads(out)), cmd
    rc, out, _err = run_cli(capsys, "info", f, "--index-dir", str(index))
    assert "Python heap snapshot" in out and "Threads" in out


# ---------------------------------------------------------------- the capture module
def test_capture_imports_with_the_standard_library_only() -> None:
    code = ("import sys, pmdesk.capture; "
            "print(sorted(m for m in ('numpy', 'numba', 'PySide6', 'sqlite3', 'pmdesk.model') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, env=_env(), capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("trigger", ["exception", "memory error", "signal", "exit"])
def test_install_writes_a_snapshot_when_told(tmp_path: Path, trigger: str) -> None:
    if trigger == "signal" and not hasattr(signal, "SIGUSR2"):
        pytest.skip("no SIGUSR2 here")
    how = {"exception": "on_exception=True", "memory error": "", "signal": "signal_number=signal.SIGUSR2",
           "exit": "at_exit=True"}[trigger]
    then = {"exception": "raise ValueError('boom')", "memory error": "raise MemoryError",
            "signal": "os.kill(os.getpid(), signal.SIGUSR2)", "exit": "pass"}[trigger]
    code = textwrap.dedent(f"""
        import os, signal, pmdesk.capture
        keep = {{"alive": list(range(10))}}
        pmdesk.capture.install({str(tmp_path / 'snap-{pid}.pyheap')!r}, {how})
        {then}
    """)
    proc = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True, timeout=120)
    written = list(tmp_path.glob("snap-*.pyheap"))
    assert len(written) == 1, proc.stderr
    assert "pmdesk.capture:" in proc.stderr and not list(tmp_path.glob("*.part"))
    if trigger in ("exception", "memory error"):
        assert proc.returncode == 1 and "Traceback" in proc.stderr  # the program's own error still said
    d = Dump.open(written[0], index_dir=tmp_path / "i")
    assert d.meta["summary.objects"] > 1000


# ---------------------------------------------------------------- bad input
def test_a_cut_snapshot_indexes_what_it_holds_and_says_where(snaps: dict, tmp_path: Path) -> None:
    path, t = snaps[2000]
    data = path.read_bytes()
    cut = tmp_path / "cut.pyheap"
    cut.write_bytes(data[:len(data) // 2 + 3])
    d = Dump.open(cut, index_dir=tmp_path / "i")
    assert 0 < d.meta["summary.objects"] < t["objects"]
    assert d.meta["pyheap.truncated_at"] <= len(data) // 2 + 3
    assert any(x.code == "pyheap.truncated" for x in d.diagnostics())
    ensure_graph(d)


def _word(v: int) -> bytes:
    return int(v).to_bytes(8, "little", signed=True)


@pytest.mark.parametrize(("what", "damage"), [
    ("empty", lambda b: b""),
    ("header only", lambda b: b[:16]),
    ("unknown tag", lambda b: b[:16] + _word(99) + b[24:]),
    ("string longer than the file", lambda b: b[:16] + _word(1) + _word(1 << 40) + b[32:]),
    ("object with more references than the file", lambda b: b[:16] + _word(3) + _word(1) + _word(2) + _word(8)
     + _word(1 << 40) + b[56:]),
    ("negative count", lambda b: b[:16] + _word(3) + _word(1) + _word(2) + _word(8) + _word(-5) + b[56:]),
    ("wrong format", lambda b: b"JAVA PROFILE 1.0.2\0" + b[19:]),
])
def test_damaged_snapshots_give_one_line(snaps: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         what: str, damage) -> None:  # noqa: ANN001
    bad = tmp_path / "bad.pyheap"
    bad.write_bytes(damage(snaps[2000][0].read_bytes()))
    rc, _out, err = run_cli(capsys, "histogram", str(bad), "--index-dir", str(tmp_path / "i"))
    lines = [ln for ln in err.splitlines() if not ln.startswith("warning:")]
    if rc == 0:  # a cut: what is there is read, and a warning says so
        assert "cut short" in err, what
    else:
        assert rc == cli.EXIT_UNREADABLE and len(lines) == 1 and str(bad) in lines[0], (what, err)
    assert "Traceback" not in err


def test_the_snapshot_is_never_written(snaps: dict, tmp_path: Path) -> None:
    assert_read_only_dump_untouched(snaps[2000][0], tmp_path, ".pyheap")


def test_not_a_snapshot_is_refused_by_the_reader(tmp_path: Path) -> None:
    from pmdesk.readers.pyheap.reader import PyHeapScan

    other = tmp_path / "x.pyheap"
    other.write_bytes(b"JAVA PROFILE 1.0.2\0" + b"\0" * 64)
    with pytest.raises(PmdeskError, match="not a Python heap snapshot"):
        PyHeapScan(str(other), None, None).run()  # type: ignore[arg-type]
