"""Minidumps against Breakpad's own minidump_stackwalk and minidump_dump (npm package `minidump` 0.26.0, its
prebuilt linux-x64 binaries: .ci/run installs them under ~/.cache/pmdesk-oracles): modules, crash reason and
address, system info, and every thread's frames (module, function, pc, how each was found, inline frames) —
amd64, arm64, x86 and 32-bit arm (Linux, macOS, iOS, Windows) — on the corpus dumps, real Breakpad dumps made
here (tests/data/minidump/make.sh, arm/make.sh) and Breakpad's and rust-minidump's own test dumps."""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest

from pmdesk.base.crash import Crash
from pmdesk.base.progress import Progress
from pmdesk.native.symbol_files import SearchPaths
from pmdesk.readers.minidump import MinidumpReader
from pmdesk.readers.minidump.parse import open_minidump
from tests.conftest import DATA, mobile
from tests.conftest import run_cli as run

TOOLS = Path(os.environ.get("PMDESK_ORACLES", Path.home() / ".cache" / "pmdesk-oracles")) / "node_modules" / \
    "minidump" / "bin" / "linux-x64"
STACKWALK = TOOLS / "minidump_stackwalk"
WALKED = ("symbolicator-linux.dmp", "symbolicator-macos.dmp", "symbolicator-macos-no-fp.dmp",
          "symbolicator-windows.dmp")
FOUND_BY = {"given as instruction pointer in context": "context", "stack scanning": "scan",
            "previous frame's frame pointer": "frame_pointer", "call frame info": "cfi", "inline record": "inline",
            "call frame info with scanning": "cfi_scan", "simulating a return from leaf function": "leaf"}
MADE = DATA / "minidump"        # real Breakpad minidumps made here (make.sh) with their .sym files
BREAKPADS = MADE / "breakpad"   # Breakpad's own test minidumps (PROVENANCE.md)
RUSTS = MADE / "rust-minidump"  # rust-minidump's (PROVENANCE.md)
ARM = MADE / "arm"              # real 32-bit arm minidumps made here (arm/make.sh: qemu-arm, Breakpad's core2md)


def breakpad(path: Path, *flags: str, symbols: Path | None = None) -> str:
    if not STACKWALK.exists():
        pytest.skip(f"{STACKWALK} not installed (npm install --prefix ~/.cache/pmdesk-oracles --ignore-scripts "
                    "minidump@0.26.0)")
    return subprocess.run([str(STACKWALK), *flags, str(path), *([str(symbols)] if symbols else [])],
                          capture_output=True, text=True).stdout


def breakpad_frames(text: str) -> dict[int, list[tuple[str | None, str | None, int | None, str]]]:
    """Per thread, each frame's (module, function, pc — None for an inline frame —, how it was found) from
    minidump_stackwalk's text output."""
    threads: dict[int, list[list]] = {}
    cur: list[list] | None = None
    for line in text.splitlines():
        if m := re.match(r"^Thread (\d+)", line):
            cur = threads.setdefault(int(m[1]), [])
        elif line.startswith("Loaded modules"):
            cur = None
        elif cur is not None and (m := re.match(r"^\s*\d+\s+(.*)$", line)):
            desc = m[1]
            module = None if desc.startswith("0x") else re.split(r"!| \+ ", desc, maxsplit=1)[0]
            function = re.sub(r"( \[[^]]* : \d+ \+ 0x[0-9a-f]+\]| \+ 0x[0-9a-f]+)$", "", desc.split("!", 1)[1]) \
                if "!" in desc else None
            cur.append([module, function, None, None])
        elif cur and (m := re.search(r"\b(rip|eip|pc) = (0x[0-9a-f]+)", line)):
            cur[-1][2] = int(m[2], 16)
        elif cur and (m := re.match(r"^\s+Found by: (.*)$", line)):
            cur[-1][3] = FOUND_BY.get(m[1], m[1])
    return {k: [tuple(f) for f in v] for k, v in threads.items()}


def pmdesk_frames(crash: Crash, dumper: int | None) -> list[list[tuple[str | None, str | None, int | None, str]]]:
    """The same of pmdesk's threads (Breakpad leaves out the thread that wrote the dump; it prints an arm64
    caller's return address, pmdesk the call)."""
    out = []
    for t in crash.threads:
        if t.tid == dumper:
            continue
        frames = []
        for f in t.frames:
            pc = f.pc + 4 if crash.process.arch == "arm64" and f.trust != "context" else f.pc
            frames.append((f.module, f.function, None if f.inlined else pc, "inline" if f.inlined else f.trust))
        out.append(frames)
    return out


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


WALK_CASES = [*(mobile("minidump", n) for n in WALKED), *sorted(MADE.glob("*.dmp")), *sorted(ARM.glob("*.dmp")),
              *(BREAKPADS / n for n in ("minidump2.dmp", "linux_inline.dmp", "minidump_crashpad_annotation.dmp",
                                        "thread_name_list.dmp", "write_av_non_canonical.dmp",
                                        "tiny-exe-with-cet-xsave.dmp"))]


@pytest.mark.parametrize("path", WALK_CASES, ids=lambda p: p.name)
def test_stacks_equal_breakpads(path: Path) -> None:
    """Frame for frame — module, function, pc and how it was found, inline frames included — on every thread,
    with the dump's .sym files where it has them (STACK CFI on the dumps made here, STACK WIN on Breakpad's
    Windows one), by scanning and frame pointers where it has none."""
    if not path.exists():
        pytest.skip(f"{path} absent")
    symbols = path.parent / "symbols" if (path.parent / "symbols").is_dir() else None
    want = breakpad_frames(breakpad(path, symbols=symbols))
    crash = MinidumpReader.crash(str(path), SearchPaths(search_dirs=[str(symbols)] if symbols else [], system=False),
                                 Progress())  # what Breakpad has: the dump and its .sym files
    got = pmdesk_frames(crash, open_minidump(str(path)).breakpad_threads()[0])
    assert len(got) == len(want)
    for i, frames in enumerate(got):
        assert frames == want[i], (path.name, i)


def test_extended_x86_context_walked(tmp_path: Path) -> None:
    """An x86 context carrying XSAVE state (1147 bytes, Breakpad refuses it: "MinidumpContext x86 size
    mismatch"): pmdesk reads the registers from the standard part and walks each thread."""
    crash = MinidumpReader.crash(str(BREAKPADS / "tiny-exe-with-cet-xsave-x86.dmp"), SearchPaths(), Progress())
    assert len(crash.threads) == 3 and all(t.registers.get("eip") and t.frames for t in crash.threads)


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


def test_local_elf_cfi_walks_as_its_sym_file(tmp_path: Path) -> None:
    """With no .sym at hand but the module's own ELF beside the dump (found by build-id), its .eh_frame walks
    the stack: the frames through it equal Breakpad's walk with the .sym dump_syms wrote from that CFI, up to
    the first frame outside it."""
    import shutil

    for name in ("segv.dmp", "libcrashy.so"):
        shutil.copy(MADE / name, tmp_path / name)
    want = breakpad_frames(breakpad(MADE / "segv.dmp", symbols=MADE / "symbols"))[0]
    crash = MinidumpReader.crash(str(tmp_path / "segv.dmp"), SearchPaths(system=False), Progress())
    got = [(f.module, f.pc, f.trust) for f in crash.threads[0].frames if not f.inlined]
    physical = [(m, pc, trust) for m, _fn, pc, trust in want if trust != "inline"]
    upto = next(i for i, f in enumerate(physical) if f[0] != "libcrashy.so") + 1
    assert got[:upto] == physical[:upto] and upto >= 6
    assert [f.trust for f in crash.threads[0].frames[1:upto]] == ["cfi"] * (upto - 1)


@pytest.mark.parametrize("path", [*sorted(MADE.glob("*.dmp")), *sorted(ARM.glob("*.dmp")), BREAKPADS / "minidump2.dmp",
                                  BREAKPADS / "tiny-exe-with-cet-xsave.dmp", RUSTS / "invalid-parameter.dmp"],
                         ids=lambda p: p.name)
def test_crash_and_system_info_in_rust_minidumps_names(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                      path: Path) -> None:
    """`stack --json --symbols DIR` adds crash_info and system_info (rust-minidump's names) and each module's
    code_id and debug_id; their values equal what minidump_stackwalk prints."""
    text = breakpad(path, "-m")
    symbols = ["--symbols", str(path.parent / "symbols")] if (path.parent / "symbols").is_dir() else []
    rc, out, err = run(capsys, "stack", str(path), "--json", *symbols, "--index-dir", str(tmp_path))
    assert rc == 0, err
    doc = json.loads(out)
    os_name, os_ver = next(ln.split("|")[1:3] for ln in text.splitlines() if ln.startswith("OS|"))
    cpu, cpu_info, cpus = next(ln.split("|")[1:4] for ln in text.splitlines() if ln.startswith("CPU|"))
    assert doc["system_info"] == {"os": os_name, "os_ver": os_ver, "cpu_arch": cpu, "cpu_info": cpu_info,
                                  "cpu_count": int(cpus)}
    reason, address, thread = next(ln.split("|")[1:4] for ln in text.splitlines() if ln.startswith("Crash|"))
    if reason == "No crash":  # no exception stream: rust-minidump's crash_info then holds nulls
        assert doc["crash_info"]["type"] is None and doc["crash_info"]["crashing_thread"] is None
    else:
        assert doc["crash_info"]["type"] == reason and int(doc["crash_info"]["address"], 16) == int(address, 16)
        assert doc["crash_info"]["crashing_thread"] == int(thread)
    assertion = re.search(r"^Assertion: (.*)$", breakpad(path), re.M)
    assert doc["crash_info"]["assertion"] == (assertion[1] if assertion else None)
    modules = [ln.split("|") for ln in text.splitlines() if ln.startswith("Module|")]
    assert sorted(m["debug_id"] or "" for m in doc["modules"]) == sorted(w[4] for w in modules)


@pytest.mark.parametrize("path", [BREAKPADS / "minidump_crashpad_annotation.dmp", RUSTS / "simple-crashpad.dmp"],
                         ids=lambda p: p.name)
def test_crashpad_annotations_as_minidump_dump_prints_them(path: Path) -> None:
    """Crashpad's info stream: report and client ids, simple annotations, each module's object and list
    annotations — the values Breakpad's minidump_dump prints."""
    dump = TOOLS / "minidump_dump"
    crash = MinidumpReader.crash(str(path), SearchPaths(), Progress())
    notes = dict(ln.split(": ", 1) for s in crash.sections if s.title == "Crashpad annotations"
                 for ln in s.text.split("\n"))
    assert notes.get("prod", notes.get("hello")) in ("xcuitest", "world")
    if not dump.exists():
        pytest.skip("minidump_dump not installed")
    text = subprocess.run([str(dump), str(path)], capture_output=True, text=True).stdout
    names = [m.name for m in crash.modules]
    want, module = {}, ""
    for ln in text.splitlines():
        if m := re.match(r"^\s+module_list\[\d+\]\.minidump_module_list_index = (\d+)$", ln):
            module = names[int(m[1])]
        elif m := re.match(r'^\s+simple_annotations\["(.*)"\] = (.*)$', ln):
            want[m[1]] = m[2]
        elif m := re.match(r'^\s+module_list\[\d+\]\.(?:simple|crashpad)_annotations\["(.*)"\].* = (.*)$', ln):
            want[f"{module}!{m[1]}"] = m[2]
        elif m := re.match(r"^\s+module_list\[\d+\]\.list_annotations\[(\d+)\] = (.*)$", ln):
            want[f"{module}[{m[1]}]"] = m[2]
        elif m := re.match(r"^\s+(report_id|client_id) = (.*)$", ln):
            want[m[1]] = m[2]
    assert notes == want


def test_memory_info_handles_and_unloaded_modules() -> None:
    """Windows' memory info list equals minidump_dump's MDRawMemoryInfo entries (base, size, state, protection,
    type); its handles and unloaded modules become sections."""
    from pmdesk.readers.minidump.streams import memory_info

    path = BREAKPADS / "tiny-exe-with-cet-xsave.dmp"
    d = open_minidump(str(path))
    got = memory_info(d)
    crash = MinidumpReader.crash(str(path), SearchPaths(), Progress())
    titles = {s.title: s.text for s in crash.sections}
    assert titles["Unloaded modules"] == "0x00007ff90f450000 - 0x00007ff90f539fff  shcore.dll"
    assert len(titles["Handles"].splitlines()) == 147 and "0x58  ALPC Port" in titles["Handles"]
    assert len(titles["Memory info"].splitlines()) == len(got) == 557
    dump = TOOLS / "minidump_dump"
    if not dump.exists():
        pytest.skip("minidump_dump not installed")
    text = subprocess.run([str(dump), str(path)], capture_output=True, text=True).stdout
    fields = re.findall(r"MDRawMemoryInfo\n  base_address\s+= (\S+)\n.*\n.*\n  region_size\s+= (\S+)\n"
                        r"  state\s+= (\S+)\n  protection\s+= (\S+)\n  type\s+= (\S+)", text)
    assert got == [tuple(int(v, 16) for v in f) for f in fields]


@pytest.mark.parametrize("path", [BREAKPADS / "minidump_crashpad_annotation.dmp",
                                  BREAKPADS / "tiny-exe-with-cet-xsave.dmp", MADE / "segv.dmp",
                                  RUSTS / "invalid-parameter.dmp"], ids=lambda p: p.name)
def test_every_stream_word_set_to_all_ones(tmp_path: Path, path: Path) -> None:
    """Each 32-bit word of the first 64 bytes of every stream (counts, sizes, RVAs, list headers) set to
    2**32-1 in turn: the dump is still read, with diagnostics for what did not fit, never an exception."""
    data = path.read_bytes()
    d = open_minidump(str(path))
    mutant = tmp_path / path.name
    for rva, size in d.streams.values():
        for at in range(rva, rva + min(size, 64) - 3, 4):
            mutant.write_bytes(data[:at] + b"\xff\xff\xff\xff" + data[at + 4:])
            crash = MinidumpReader.crash(str(mutant), SearchPaths(), Progress())
            assert crash.threads is not None


def test_module_code_read_from_the_local_binary() -> None:
    """The Memory and Disassembly docks read code the dump lacks from the module's binary found by build-id:
    Breakpad keeps 256 bytes around the crashing pc, and those equal the bytes read from libcrashy.so at the
    same addresses; code outside them comes from the file."""
    memory = MinidumpReader.memory(str(MADE / "segv.dmp"), SearchPaths())
    crash = MinidumpReader.crash(str(MADE / "segv.dmp"), SearchPaths(), Progress())
    pc = crash.threads[0].frames[0].pc
    start, size, _rva = next(r for r in memory.ranges if r[0] <= pc < r[0] + r[1])
    assert size == 256 and memory._from_binary(start, size) == memory.read(start, size)
    base = next(m.base for m in crash.modules if m.name == "libcrashy.so")
    assert not any(r[0] <= base < r[0] + r[1] for r in memory.ranges) and memory.read(base, 4) == b"\x7fELF"


@pytest.mark.parametrize("path", sorted(MADE.glob("*.dmp")), ids=lambda p: p.name)
def test_system_libraries_walked_by_their_own_cfi(tmp_path: Path, path: Path) -> None:
    """With this machine's files (a module's recorded path when its build-id matches, system debug files), the
    C and C++ runtimes' own .eh_frame walks through them: every thread's frames (module, pc, how) equal
    Breakpad's walk given .sym files dump_syms writes from those same libraries. (On a machine whose
    libraries differ from the ones the dumps ran with, neither finds them and both scan.)"""
    import shutil

    dump_syms = TOOLS / "dump_syms"
    if not dump_syms.exists():
        pytest.skip("dump_syms not installed")
    symbols = tmp_path / "symbols"
    shutil.copytree(MADE / "symbols", symbols)
    from pmdesk.native.symbol_files import build_id_of_file

    for m in open_minidump(str(path)).modules():
        if m.code_id and os.path.isfile(m.name) and build_id_of_file(m.name) == m.code_id:
            text = subprocess.run([str(dump_syms), m.name], capture_output=True, text=True).stdout
            name = os.path.basename(m.name)
            (symbols / name / m.debug_id).mkdir(parents=True, exist_ok=True)
            (symbols / name / m.debug_id / f"{name}.sym").write_text(text)
    want = breakpad_frames(breakpad(path, symbols=symbols))
    crash = MinidumpReader.crash(str(path), SearchPaths(search_dirs=[str(MADE / "symbols")], debuginfod_urls=[]),
                                 Progress())
    got = pmdesk_frames(crash, None)
    assert len(got) == len(want)
    for i, frames in enumerate(got):
        assert [(m, pc, t) for m, _f, pc, t in frames if t != "inline"] == \
            [(m, pc, t) for m, _f, pc, t in want[i] if t != "inline"], (path.name, i)


def test_arm_code_disassembled_as_llvm_objdump_does() -> None:
    """A 32-bit arm crash's code, read from the module's binary beside the dump and decoded as Thumb-2 from the
    function's start (its symbol's Thumb bit cleared): the same instructions llvm-objdump prints."""
    import shutil

    from pmdesk.model.crash.session import CrashSession
    from pmdesk.model.dump import Dump

    objdump = shutil.which("llvm-objdump-14")
    if objdump is None:
        pytest.skip("llvm-objdump-14 not installed")
    with Dump.open(str(ARM / "segv.dmp"), index_dir=str(Path(tempfile.mkdtemp()))) as d:
        s = CrashSession.of(d)
        f = s.crash.crashed_thread.frames[0]
        base = f.pc - f.module_offset
        got = [(r[0] - base, r[2].split()[0]) for r in s.disassemble(f.pc)[:3]]
    text = subprocess.run([objdump, "-d", "--triple=thumbv7-linux-gnueabihf", str(ARM / "libcrashy.so")],
                          capture_output=True, text=True, check=True).stdout
    want = {int(m[1], 16): m[2] for m in re.finditer(r"^\s+([0-9a-f]+):\s+(?:[0-9a-f]{2} )+\s*(\S+)", text, re.M)}
    assert got and all(want.get(off) == op for off, op in got), (got, [want.get(o) for o, _ in got])
    assert f.module_offset in {off for off, _ in got}
