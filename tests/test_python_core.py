"""Python threads of a CPython process's core against faulthandler's traceback written by the same process
as it aborted into that core (made at test time by every CPython 3.8–3.13 here — the one running the tests
and those pyenv installed: four threads — one holding a lock and sleeping, one waiting for it, one sleeping,
the main one recursing into os.abort()): every thread, its frames (function, file, line) and which one held
the GIL; and the Python frames interleaved with the native ones, each run before the evaluation loop's C
frame that ran it (as pystack shows them)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pmdesk.readers.elfcore.python_threads import LAYOUTS, line_at
from tests.conftest import cores_written_here, enable_cores
from tests.conftest import run_cli as run

PROGRAM = '''
import faulthandler, os, threading, time
lock = threading.Lock()
def hold(ready):
    with lock:
        ready.set()
        time.sleep(3600)
def wait_for_lock():
    with lock:
        pass
def nap():
    time.sleep(3600)
def recurse(n):
    if n == 0:
        time.sleep(0.3)
        os.abort()
    return recurse(n - 1)
faulthandler.enable()
ready = threading.Event()
threading.Thread(target=hold, args=(ready,), daemon=True).start()
ready.wait()
threading.Thread(target=wait_for_lock, daemon=True).start()
threading.Thread(target=nap, daemon=True).start()
recurse(3)
'''


def interpreter(version: str) -> str | None:
    """A CPython of that version here: the one running the tests, or one pyenv installed; 'system' is the
    distribution's python3 (Debian's links libpython statically: _PyRuntime is the executable's)."""
    if version == "system":
        return "/usr/bin/python3" if Path("/usr/bin/python3").exists() else None
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == version and sys.implementation.name == "cpython":
        return sys.executable
    found = sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))
    return str(found[-1]) if found else None


VERSIONS = [f"{a}.{b}" for a, b in sorted(LAYOUTS)] + ["system"]


@pytest.fixture(scope="module", params=VERSIONS)
def crashed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    python = interpreter(request.param)
    if python is None or not cores_written_here():
        pytest.skip(f"needs CPython {request.param} and a core_pattern writing a file")
    d = tmp_path_factory.mktemp("pycore")
    (d / "crash.py").write_text(PROGRAM)

    r = subprocess.run([python, str(d / "crash.py")], cwd=d, capture_output=True, text=True,
                       preexec_fn=enable_cores, timeout=120)
    cores = [p for p in d.iterdir() if p.name.startswith("core")]
    if not cores:
        pytest.skip("the interpreter wrote no core here (a core size limit)")
    return cores[0].rename(d / "python.core"), r.stderr


def test_python_threads_equal_faulthandlers(capsys: pytest.CaptureFixture[str], crashed: tuple[Path, str],
                                            tmp_path: Path) -> None:
    core, stderr = crashed
    want = re.findall(r"^(Current thread|Thread) 0x([0-9a-f]+) \(most recent call first\):\n((?:  File .*\n?)*)",
                      stderr, re.M)
    assert len(want) == 4
    rc, out, err = run(capsys, "threads", str(core), "--json", "--index-dir", str(tmp_path))
    assert rc == 0, err
    doc = json.loads(out)
    mine = {int(t["id"], 16): t for t in doc["threads"]}
    assert set(mine) == {int(ident, 16) for _h, ident, _b in want}
    for head, ident, body in want:
        frames = [(fn, file, int(line)) for file, line, fn in re.findall(r'  File "(.*)", line (\d+) in (.*)', body)]
        t = mine[int(ident, 16)]
        assert [(f["function"], f["file"], f["line"]) for f in t["frames"]] == frames
        assert (t["state"] == "holds the GIL") == (head == "Current thread")  # it aborted holding the GIL
    rc, out, err = run(capsys, "stack", str(core), "--json", "--index-dir", str(tmp_path))
    crashed_thread = next(t for t in json.loads(out)["threads"] if t["tid"] == json.loads(out)["crashed_thread"])
    names = [f["function"] for f in crashed_thread["frames"]]
    python = [i for i, f in enumerate(crashed_thread["frames"]) if f["kind"] == "python"]
    assert [names[i] for i in python] == ["recurse"] * 4 + ["<module>"]
    assert names[python[-1] + 1] == "_PyEval_EvalFrameDefault"  # the run before the C frame that ran it
    assert any("abort" in (n or "") for n in names[:python[0]])  # libc's abort(), os.abort()'s C below it


def test_line_table_forms() -> None:
    """The 3.11 location table: short (same line), one-line (+0..2), no-columns and long (signed deltas) and
    no-location entries, each covering its code units."""
    table = bytes([0x80 | 0 << 3 | 1, 0,           # short: 2 units, same line
                   0x80 | 11 << 3 | 0, 1, 2,       # one line +1: 1 unit
                   0x80 | 13 << 3 | 0, 5,          # no columns, delta -2 (zigzag 5): 1 unit
                   0x80 | 15 << 3 | 0,             # no location: 1 unit
                   0x80 | 14 << 3 | 0, 8, 0, 1, 1])  # long, delta +4: 1 unit
    assert [line_at(table, 10, addr) for addr in (0, 2, 4, 6, 8, 10)] == [10, 10, 11, 9, None, 13]
    assert line_at(table, 10, 12) is None
