"""aarch64 cores against gdb-multiarch: the corpus programs cross-compiled and run under qemu-user, whose cores
have NT_PRSTATUS per thread, NT_PRPSINFO and NT_AUXV but no NT_FILE and no NT_SIGINFO (made by
`tests/data/native/aarch64/make.sh`). Modules are placed from the program's headers (AT_PHDR) and the dynamic
linker's list; every frame of every thread — function and pc — equals gdb's. Libc frames need the aarch64 libc
the cores ran with (Debian's libc6-arm64-cross, installed by CI); without it those cores are skipped."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

import pytest

from pmdesk import cli
from pmdesk.index.derive.wait_cycles import wait_cycles
from pmdesk.model.crash.session import CrashSession
from pmdesk.model.dump import Dump
from pmdesk.native.symbol_files import SearchPaths, build_id_of_file
from pmdesk.readers.elfcore.core import Core
from tests.conftest import DATA

A64 = DATA / "native" / "aarch64"
SYSROOT_LIB = Path("/usr/aarch64-linux-gnu/lib")


def unpacked(name: str, tmp_path: Path) -> Path:
    out = tmp_path / f"{name}.core"
    with gzip.open(A64 / f"{name}.core.gz") as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return out


def libraries_here() -> bool:
    """This machine's aarch64 libc and dynamic linker are the ones the cores ran with."""
    for line in (A64 / "libraries.txt").read_text().splitlines():
        lib, build_id = line.split()
        if build_id_of_file(str(SYSROOT_LIB / lib)) != build_id:
            return False
    return True


def gdb_threads(name: str, folder: Path = A64) -> dict[int, list[tuple[int | None, str | None]]]:
    """LWP -> [(pc gdb printed or None, function or None for ??)] from gdb's `thread apply all bt`."""
    threads: dict[int, list[tuple[int | None, str | None]]] = {}
    current = None
    for line in (folder / f"{name}.gdb.txt").read_text().splitlines():
        if m := re.match(r"^Thread \d+ \(.*LWP (\d+)\).*:$", line):
            current = threads.setdefault(int(m[1]), [])
        elif current is not None and (m := re.match(r"^#\d+\s+(?:(0x[0-9a-f]+) in )?(\S+)", line)):
            current.append((int(m[1], 16) if m[1] else None, None if m[2] == "??" else m[2]))
        elif not line.startswith("#"):
            current = None
    return threads


def assert_frames_equal(core: Core, want: dict[int, list[tuple[int | None, str | None]]]) -> None:
    """Every thread's frames — functions, and pcs where gdb prints one — equal gdb's."""
    assert {t.tid for t in core.notes.threads} == set(want)
    for t in core.notes.threads:
        got = [(f.pc, f.function) for f in core.frames(t.registers)]
        assert [fn for _pc, fn in got] == [fn for _pc, fn in want[t.tid]], f"thread {t.tid}"
        assert [pc for pc, _fn in got] == [g if g is not None else pc for (pc, _f), (g, _) in
                                           zip(got, want[t.tid], strict=True)], f"thread {t.tid}"


def gdb_auxv(name: str, key: str) -> int:
    m = re.search(rf"^\d+\s+{key}\s.*?(0x[0-9a-f]+)$", (A64 / f"{name}.gdb.txt").read_text(), re.M)
    assert m is not None
    return int(m[1], 16)


def search(name: str) -> SearchPaths:
    return SearchPaths(exe=str(A64 / name), search_dirs=[str(SYSROOT_LIB)], debuginfod_urls=[])


@pytest.mark.parametrize("name", ["segv_chain", "assert_abort", "mutex_deadlock", "leaf_debug_frame", "leaf_no_cfi"])
def test_frames_equal_gdb(name: str, tmp_path: Path) -> None:
    """Also a leaf function whose CFI is only in .debug_frame (built without unwind tables: .eh_frame covers
    the rest of the program) and the same program without .debug_frame, where the leaf's caller is the link
    register's (the frame record at x29 is its caller's: taking it skipped `through`)."""
    if name != "segv_chain" and not libraries_here():
        pytest.skip("the aarch64 libc the cores ran with is not installed (apt-get install libc6-arm64-cross)")
    want = gdb_threads(name)
    core = Core(str(unpacked(name, tmp_path)), search(name))
    try:
        assert core.machine == "EM_AARCH64" and not core.notes.files
        assert_frames_equal(core, want)
        for t in core.notes.threads:
            hows = [f.how for f in core.frames(t.registers)]
            if name == "leaf_no_cfi":  # the leaf's caller from the LR, the rest by CFI
                assert hows[1] == "fp" and set(hows[2:]) == {"cfi"}
            else:
                assert set(hows[1:]) <= {"cfi"}
    finally:
        core.close()


def test_segv_without_siginfo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No NT_SIGINFO: the JSON says what the core says (no code, no fault address); the summary works the
    address out from the faulting store (str w1, [x0, #4] with x0 = 0) and says so."""
    f = str(unpacked("segv_chain", tmp_path))
    assert cli.main(["stack", f, "--index-dir", str(tmp_path / "i"), "--json", "--exe", str(A64 / "segv_chain")]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["signal"] == {"number": 11, "name": "SIGSEGV", "code": None, "fault_address": None}
    assert [fr["line"] for fr in doc["threads"][0]["frames"]] == [9, 16, 25, 34, 42]
    assert cli.main(["stack", f, "--index-dir", str(tmp_path / "i"), "--exe", str(A64 / "segv_chain")]) == 0
    text = capsys.readouterr().out
    assert "NULL pointer write in store_value() at segv_chain.c:9" in text
    assert "fault address 0x4 (from the faulting instruction; the core has no siginfo)" in text


def test_pie_placed_by_its_program_headers(tmp_path: Path) -> None:
    """A PIE program: its load address is AT_PHDR minus where its headers lie in the file (gdb-multiarch
    cannot place it in this core and shows ?? frames); the frames are the static build's, by gdb."""
    if not libraries_here():
        pytest.skip("the aarch64 libc the cores ran with is not installed (apt-get install libc6-arm64-cross)")
    core = Core(str(unpacked("segv_chain_pie", tmp_path)), search("segv_chain_pie"))
    try:
        main = next(m for m in core.modules if m.path.endswith("segv_chain_pie"))
        assert main.bias == gdb_auxv("segv_chain_pie", "AT_PHDR") - 0x40
        got = [f.function for f in core.frames(core.notes.threads[0].registers)]
        assert got == [fn for _pc, fn in gdb_threads("segv_chain")[next(iter(gdb_threads("segv_chain")))]]
        assert {m.name for m in core.modules} >= {"/lib/libc.so.6", "/lib/ld-linux-aarch64.so.1"}
    finally:
        core.close()


def test_deadlock_on_aarch64(tmp_path: Path) -> None:
    """The futex words the two workers wait on, and their owners, as gdb names them (m=0x4200d8 <lock_a>)."""
    if not libraries_here():
        pytest.skip("the aarch64 libc the cores ran with is not installed (apt-get install libc6-arm64-cross)")
    core = Core(str(unpacked("mutex_deadlock", tmp_path)), search("mutex_deadlock"))
    try:
        text = (A64 / "mutex_deadlock.gdb.txt").read_text()
        waits = {int(lwp): (int(addr, 16), lock) for lwp, addr, lock in re.findall(
            r"LWP (\d+)\)\):\n(?:#.*\n)*?#\d+ .*take_second \(m=m@entry=(0x[0-9a-f]+) <(\w+)>", text)}
        [cycle] = wait_cycles({w.tid: w.owner for w in core.waits()})
        assert {w.tid: (w.lock, w.lock_name) for w in core.waits() if w.tid in cycle} == waits
    finally:
        core.close()


def test_without_the_program(tmp_path: Path) -> None:
    """No NT_FILE and no --exe: threads, signal and registers still, and one warning saying what to give."""
    with Dump.open(unpacked("segv_chain", tmp_path), index_dir=tmp_path / "i") as d:
        diag = {x.code: x.message for x in d.diagnostics()}
        assert "--exe" in diag["core.binary_missing"]
        doc = CrashSession(d).document()
        pc = re.search(r"^pc\s+(0x[0-9a-f]+)", (A64 / "segv_chain.gdb.txt").read_text(), re.M)
        assert pc is not None and doc["threads"][0]["frames"][0]["pc"] == int(pc[1], 16)
        assert doc["signal"]["name"] == "SIGSEGV"
    core = Core(str(unpacked("segv_chain", tmp_path)), search("assert_abort"))  # another program given
    try:
        assert not core.modules and "is not the program of this core" in core.warnings[0]
    finally:
        core.close()


def test_gdb_gcore_of_a_qemu_process(tmp_path: Path) -> None:
    """gdb's own gcore of the program stopped at its fault (no PRPSINFO, no NT_FILE): the backtrace and the
    NT_FPREGSET vector registers equal what gdb printed before writing it."""
    out = tmp_path / "segv_chain.gcore"
    with gzip.open(A64 / "segv_chain.gcore.gz") as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst)
    text = (A64 / "segv_chain.gcore.gdb.txt").read_text()
    core = Core(str(out), search("segv_chain"))
    try:
        frames = core.frames(core.notes.threads[0].registers)
        want = re.findall(r"^#\d+\s+(?:(0x[0-9a-f]+) in )?(\w+)", text, re.M)
        assert [(f.function, f.pc) for f in frames] == [
            (fn, int(pc, 16) if pc else frames[0].pc) for pc, fn in want]
        fp = dict(core.notes.threads[0].fp)
        vregs = [int(v, 16) for v in re.findall(r"^\$\d+ = \{(0x[0-9a-f]+)\}$", text, re.M)]
        assert len(vregs) == 32 and [int(fp[f"v{i}"], 16) for i in range(32)] == vregs
        assert fp["fpsr"] == re.search(r"^fpsr\s+(0x[0-9a-f]+)", text, re.M)[1]
        assert fp["fpcr"] == re.search(r"^fpcr\s+(0x[0-9a-f]+)", text, re.M)[1]
    finally:
        core.close()


def test_call_targets_through_the_plt(tmp_path: Path) -> None:
    """The call before a return address, followed through its PLT stub to the GOT slot the dynamic linker
    filled: validate_config's `bl __assert_fail@plt` lands on libc's __assert_fail (what shortens the search
    for tail-call frames)."""
    from pmdesk.native.calls import direct_call_target

    if not libraries_here():
        pytest.skip("the aarch64 libc the cores ran with is not installed (apt-get install libc6-arm64-cross)")
    core = Core(str(unpacked("assert_abort", tmp_path)), search("assert_abort"))
    try:
        frames = core.frames(core.notes.threads[0].registers)
        ret = next(f.pc for f in frames if f.function == "validate_config")
        libc = next(m for m in core.modules if m.name.endswith("libc.so.6"))
        want = libc.bias + libc.symbols.address_of({"__assert_fail"})
        assert direct_call_target(core.machine, core.memory, ret) == want
    finally:
        core.close()


def test_without_the_program_the_dynamic_linker_lists_the_libraries(tmp_path: Path) -> None:
    """No NT_FILE and no program binary: the dynamic linker loaded at AT_BASE, found by its name in the search
    dirs, gives `_r_debug`, the list of libraries — every libc frame equals gdb's (run with the program; gdb
    without it finds no library and stops after two frames), the program's frames keep gdb's pcs."""
    if not libraries_here():
        pytest.skip("the aarch64 libc the cores ran with is not installed (apt-get install libc6-arm64-cross)")
    want = next(iter(gdb_threads("assert_abort").values()))
    core = Core(str(unpacked("assert_abort", tmp_path)), SearchPaths(search_dirs=[str(SYSROOT_LIB)],
                                                                     debuginfod_urls=[]))
    try:
        assert any(m.name.endswith("libc.so.6") for m in core.modules)
        got = [(f.pc, f.function) for f in core.frames(core.notes.threads[0].registers)]
        assert [pc for pc, _f in got[:len(want)]] == [g if g is not None else pc for (pc, _f), (g, _) in
                                                      zip(got, want, strict=False)]
        assert [fn for _pc, fn in got[:5]] == [fn for _pc, fn in want[:5]]  # gdb's frames 0-4 are libc's
    finally:
        core.close()
