"""Goroutines of a Go program's core (tests/data/native/go/make.sh: Debian's Go 1.19, GOTRACEBACK=crash; amd64,
and arm64 under qemu-user) against the traceback the runtime itself printed as it aborted into that core
(crash.traceback.txt): every goroutine's id, state, frames (function, file:line, pc) and creator, and (amd64)
the mutex a goroutine waits for."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from pmdesk.native.symbol_files import SearchPaths
from pmdesk.readers.elfcore.core import Core
from pmdesk.readers.elfcore.goroutines import GoCore, go_program
from tests.conftest import DATA
from tests.conftest import run_cli as run

GO = DATA / "native" / "go"
# the runtime's traceback prints a few runtime functions by the names users know them by (traceback.go)
PRINTED_AS = {"panic": "runtime.gopanic"}


ARCHES = {"amd64": ("crash.core.gz", "crash.bin", "crash.traceback.txt"),
          "arm64": ("crash.arm64.core.gz", "crash.arm64", "crash.arm64.traceback.txt")}


def truth(arch: str = "amd64") -> dict[int, dict]:
    """Each goroutine of the runtime's own traceback: state, frames (function, file, line, pc or None for an
    inlined call) and the function that created it."""
    out: dict[int, dict] = {}
    text = (GO / ARCHES[arch][2]).read_text()
    for block in re.split(r"\n\n(?=goroutine \d+ \[)", text[text.index("goroutine "):]):
        head = re.match(r"goroutine (\d+) \[([^\]]+)\]:", block)
        lines = block.splitlines()[1:]
        frames, created = [], None
        i = 0
        while i < len(lines):
            if lines[i].startswith("created by "):
                created = lines[i].removeprefix("created by ").split(" in goroutine")[0]
                i += 2
                continue
            fn = lines[i].rsplit("(", 1)[0]
            loc = re.match(r"\t(\S+):(\d+)(?: \+0x[0-9a-f]+)?(?: .*pc=(0x[0-9a-f]+))?", lines[i + 1])
            frames.append((PRINTED_AS.get(fn, fn), loc.group(1), int(loc.group(2)),
                           int(loc.group(3), 16) if loc.group(3) else None))
            i += 2
        out[int(head.group(1))] = {"state": head.group(2), "frames": frames, "created_by": created}
    return out


def unpacked(d: Path, arch: str) -> Path:
    core, program, _ = ARCHES[arch]
    path = d / core.removesuffix(".gz")
    path.write_bytes(gzip.decompress((GO / core).read_bytes()))
    (d / program).write_bytes((GO / program).read_bytes())  # the program beside its core
    return path


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unpacked(tmp_path_factory.mktemp("gocore"), "amd64")


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_goroutines_equal_the_runtimes_traceback(arch: str, tmp_path: Path) -> None:
    c = Core(str(unpacked(tmp_path, arch)), SearchPaths())
    try:
        exe = go_program(c)
        assert exe is not None and Path(exe).name == ARCHES[arch][1]
        sp = "rsp" if arch == "amd64" else "sp"
        threads = {t.tid: (t.registers[sp], c.frames(t.registers, past_main=True)) for t in c.notes.threads}
        mine = {g.goid: g for g in GoCore(c, exe).goroutines(threads)}
    finally:
        c.close()
    want = truth(arch)
    assert set(mine) == set(want) and len(want) == 9
    for goid, t in want.items():
        g = mine[goid]
        assert (g.wait_reason or g.status) == t["state"], goid
        assert g.created_by == t["created_by"], goid
        got = [(f.function, f.file, f.line, None if f.inlined else f.pc) for f in g.frames]
        frames = [(fn, file, line, pc) for fn, file, line, pc in t["frames"]]
        if goid == 1:  # running: the thread's frames from the abort down, the traceback's from the panic
            assert got[0][0] == "runtime.raise"  # through the signal frame into the interrupted context
            assert got[-len(frames):] == frames
        else:
            assert got == frames, goid
    syscall = next(k for k, t in want.items() if t["state"] == "syscall")
    assert mine[syscall].thread is not None and mine[1].thread is not None  # in a system call, running
    if arch == "amd64":
        lock = re.search(r"sync\.\(\*Mutex\)\.lockSlow\((0x[0-9a-f]+)\)", (GO / ARCHES[arch][2]).read_text())
        waiting = next(k for k, t in want.items() if t["state"] == "semacquire")
        assert mine[waiting].mutex == int(lock.group(1), 16)
        assert all(g.mutex is None for k, g in mine.items() if k != waiting)


def test_threads_of_a_go_core(capsys: pytest.CaptureFixture[str], core: Path, tmp_path: Path) -> None:
    rc, out, err = run(capsys, "threads", str(core), "--json", "--index-dir", str(tmp_path))
    assert rc == 0, err
    doc = json.loads(out)
    want = truth()
    assert doc["dumps"] == 1 and {int(t["id"]) for t in doc["threads"]} == set(want)
    waiting = next(t for t in doc["threads"] if want[int(t["id"])]["state"] == "semacquire")
    assert waiting["state"] == "semacquire" and waiting["waits_for"] == doc["locks"][0]["id"]
    assert doc["locks"][0]["class"] == "sync.Mutex"
    for t in doc["threads"]:
        frames = [(f["function"], f["file"], f["line"]) for f in t["frames"]]
        assert frames[-len(want[int(t["id"])]["frames"]):] == [f[:3] for f in want[int(t["id"])]["frames"]]
    rc, out, err = run(capsys, "stack", str(core), "--json", "--index-dir", str(tmp_path))
    doc = json.loads(out)
    names = {t["tid"]: t["name"] for t in doc["threads"]}
    syscall = next(k for k, t in want.items() if t["state"] == "syscall")
    assert "goroutine 1" in names.values() and f"goroutine {syscall}" in names.values()
    said = (GO / "crash.traceback.txt").read_text().splitlines()[0].removeprefix("panic: ")
    assert doc["crash_info"]["assertion"] == said  # the panic value, read from the goroutine's _panic
    rc, out, _ = run(capsys, "stack", str(core), "--index-dir", str(tmp_path))
    assert out.splitlines()[0].endswith(f"Go panic: {said} — goroutine 1 in main.walk at crash.go:54")


def test_threads_of_a_core_that_is_not_go(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "segv_chain.core"  # a C program's core, with its program beside it
    path.write_bytes((DATA / "native" / "cores" / "segv_chain.core").read_bytes())
    (tmp_path / "segv_chain").write_bytes((DATA / "native" / "bin" / "segv_chain").read_bytes())
    rc, _, err = run(capsys, "threads", str(path), "--index-dir", str(tmp_path / "idx"))
    assert rc == 2 and "not Go" in err and f"pmdesk stack {path}" in err and len(err.strip().splitlines()) == 1


def test_a_go_core_without_its_program(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "alone.core"
    path.write_bytes(gzip.decompress((GO / "crash.core.gz").read_bytes()))
    rc, _, err = run(capsys, "threads", str(path), "--index-dir", str(tmp_path / "idx"))
    assert rc == 2 and "crash.bin) is not here" in err and "pmdesk index --force" in err
