"""Minidumps against Breakpad's own minidump_stackwalk (npm package `minidump` 0.26.0, its prebuilt linux-x64
binary: .ci/run installs it under ~/.cache/pmdesk-oracles): the corpus dumps' modules (name, debug file, debug
id, range), crash reason and address, crashing thread, and every walked thread's frames (module, offset, how
each was found) — amd64, arm64 and x86 (Linux, macOS, Windows)."""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
from pathlib import Path

import pytest

from tests.conftest import mobile
from tests.conftest import run_cli as run

TOOLS = Path(os.environ.get("PMDESK_ORACLES", Path.home() / ".cache" / "pmdesk-oracles")) / "node_modules" / \
    "minidump" / "bin" / "linux-x64"
STACKWALK = TOOLS / "minidump_stackwalk"
WALKED = ("symbolicator-linux.dmp", "symbolicator-macos.dmp", "symbolicator-macos-no-fp.dmp",
          "symbolicator-windows.dmp")
FOUND_BY = {"given as instruction pointer in context": "context", "stack scanning": "scan",
            "previous frame's frame pointer": "fp", "call frame info": "cfi"}


def breakpad(path: Path, *flags: str) -> str:
    if not STACKWALK.exists():
        pytest.skip(f"{STACKWALK} not installed (npm install --prefix ~/.cache/pmdesk-oracles --ignore-scripts "
                    "minidump@0.26.0)")
    return subprocess.run([str(STACKWALK), *flags, str(path)], capture_output=True, text=True).stdout


def breakpad_threads(text: str) -> dict[int, list[tuple[str, str, str]]]:
    threads: dict[int, list[list[str]]] = {}
    cur = None
    for line in text.splitlines():
        if m := re.match(r"^Thread (\d+)", line):
            cur = threads.setdefault(int(m[1]), [])
        elif cur is not None and (m := re.match(r"^\s*\d+\s+(\S+) \+ (0x[0-9a-f]+)$", line)):
            cur.append([m[1], m[2]])
        elif cur is not None and (m := re.match(r"^\s+Found by: (.*)$", line)) and cur:
            cur[-1].append(FOUND_BY.get(m[1], m[1]))
    return {k: [tuple(f) for f in v] for k, v in threads.items()}


def doc_of(capsys: pytest.CaptureFixture[str], path: Path, tmp_path: Path) -> dict:
    rc, out, err = run(capsys, "stack", str(path), "--json", "--index-dir", str(tmp_path / "idx"))
    assert rc == 0, err
    return json.loads(out)


@pytest.mark.parametrize("name", ["symbolicator-linux.dmp", "symbolicator-macos.dmp", "symbolicator-macos-no-fp.dmp",
                                  "symbolicator-windows.dmp"])
def test_modules_and_crash_equal_breakpads(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str) -> None:
    path = mobile("minidump", name)
    machine = breakpad(path, "-m")
    doc = doc_of(capsys, path, tmp_path)
    want = [ln.split("|") for ln in machine.splitlines() if ln.startswith("Module|")]
    from pmdesk.base.progress import Progress
    from pmdesk.native.symbol_files import SearchPaths
    from pmdesk.readers.minidump import MinidumpReader

    crash = MinidumpReader.crash(str(path), SearchPaths(), Progress())
    got = sorted((m.name, m.debug_id, m.base, m.end - 1) for m in crash.modules)  # Breakpad lists them by base
    assert got == sorted((w[1], w[4], int(w[5], 16), int(w[6], 16)) for w in want)
    reason, address, thread = next(ln.split("|")[1:] for ln in machine.splitlines() if ln.startswith("Crash|"))
    c = crash.cause
    words = (c.exception or c.signal_name) + (f" / {c.code_name}" if c.code_name and c.signal_name else "") + \
        (f" / {c.code_name}" if c.code_name and c.exception and not c.signal_name else "")
    assert words.replace(" / ", " /") == reason.replace(" / ", " /") if c.signal_name else words == reason
    assert c.fault_address == int(address, 16)
    assert crash.threads[int(thread)].crashed and doc["crashed_thread"] == crash.threads[int(thread)].tid


@pytest.mark.parametrize("name", WALKED)
def test_stacks_equal_breakpads(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str) -> None:
    """Frame for frame — module, offset and how it was found — on every thread."""
    path = mobile("minidump", name)
    want = breakpad_threads(breakpad(path))
    doc = doc_of(capsys, path, tmp_path)
    assert len(doc["threads"]) == len(want)
    for i, t in enumerate(doc["threads"]):
        got = [(f["module"], hex(f["module_offset"]), f["trust"]) for f in t["frames"]]
        assert got == want[i], (name, i)


def test_damaged_minidumps(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A directory claiming 2**32-1 streams, streams past the end, a thread list of 2**32-1 threads: what can be
    read, with a diagnostic; a file cut inside the header: one line."""
    header = struct.pack("<4sIIIIIQ", b"MDMP", 0xA793, 0xFFFFFFFF, 32, 0, 0, 0)
    threads = struct.pack("<III", 3, 52, 64)  # a thread list ...
    body = struct.pack("<I", 0xFFFFFFFF) + bytes(48)    # ... claiming 2**32-1 threads, with room for one
    path = tmp_path / "hostile.dmp"
    path.write_bytes(header + threads + struct.pack("<III", 4, 10_000_000, 64) + bytes(8) + body)
    rc, out, err = run(capsys, "stack", str(path), "--json", "--index-dir", str(tmp_path / "idx"))
    assert rc == 0, err
    assert len(json.loads(out)["threads"]) == 1
    rc, out, err = run(capsys, "info", str(path), "--index-dir", str(tmp_path / "idx"))
    assert rc == 0 and "Diagnostics" in out
    cut = tmp_path / "cut.dmp"
    cut.write_bytes(b"MDMP" + bytes(28))
    rc, out, err = run(capsys, "stack", str(cut), "--index-dir", str(tmp_path / "idx"))
    assert rc == 0 or (rc == 2 and err.count("\n") == 1 and str(cut) in err)


def test_breakpad_symbol_files_name_code_as_llvm_symbolizer(tmp_path: Path) -> None:
    """A .sym written by Breakpad's dump_syms -d for the arm64 .so built here (tests/data/android) and laid out as a
    symbol server lays it out: found by debug id, and at every 4th byte of the code the same inline chain
    (function, file, line) as llvm-symbolizer --inlines."""
    import shutil

    from pmdesk.native.breakpad_sym import find_sym, load_sym
    from tests.conftest import DATA

    so = DATA / "android" / "obj" / "local" / "arm64-v8a" / "libnative_crash.so"
    dump_syms = TOOLS / "dump_syms"
    if not dump_syms.exists() or shutil.which("llvm-symbolizer-14") is None:
        pytest.skip("dump_syms (npm minidump) or llvm-symbolizer-14 not installed")
    text = subprocess.run([str(dump_syms), "-d", str(so)], capture_output=True, text=True, check=True).stdout
    debug_id = text.split("\n", 1)[0].split()[3]
    where = tmp_path / "symbols" / "libnative_crash.so" / debug_id
    where.mkdir(parents=True)
    (where / "libnative_crash.so.sym").write_text(text)
    found, _looked = find_sym("libnative_crash.so", debug_id, [str(tmp_path / "symbols")])
    assert found is not None
    sym = load_sym(found)
    probes = list(range(0x1404, 0x143c, 4))
    r = subprocess.run(["llvm-symbolizer-14", f"--obj={so}", "--inlines", *map(hex, probes)], capture_output=True,
                       text=True, check=True)
    for addr, block in zip(probes, r.stdout.strip().split("\n\n"), strict=True):
        lines = block.splitlines()
        want = [(lines[i], lines[i + 1].rsplit(":", 2)[0], int(lines[i + 1].rsplit(":", 2)[1]))
                for i in range(0, len(lines), 2)]
        got = [(loc.function, loc.file, loc.line) for loc in sym.locations(addr)]
        assert got == want, hex(addr)
