"""HotSpot fatal error logs (hs_err_pid<N>.log) made here by crashing JDK 17 and JDK 25 on purpose
(tests/data/hserr/make.sh: an Unsafe write to 0 interpreted and compiled, a JNI library's null write,
CrashOnOutOfMemoryError, the log on standard output, the ShowMessageBoxOnError prompt) against the JVM's own
words in each log, the Java frames' lines against javap's LineNumberTable of the same class, and the native
frames' lines against addr2line on the same library."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pmdesk.base.progress import Progress
from pmdesk.native.symbol_files import SearchPaths
from pmdesk.readers.hserr import HsErrReader
from pmdesk.readers.hserr.reader import open_memory
from tests.conftest import DATA, cores_written_here, enable_cores
from tests.conftest import run_cli as run

HSERR = DATA / "hserr"
BIN = HSERR / "bin"
LOGS = sorted(HSERR.glob("jdk*-hs_err_pid*.log"))
STDOUT_LOGS = sorted(HSERR.glob("jdk*-stdout.txt"))


def log_of(name: str) -> Path:
    return next(HSERR.glob(f"{name}-hs_err_pid*.log"))


def stack_doc(capsys: pytest.CaptureFixture[str], path: Path, *extra: str) -> dict:
    rc, out, err = run(capsys, "stack", str(path), "--json", *extra)
    assert rc == 0, err
    return json.loads(out)


def crash_of(path: Path, *search: Path):
    return HsErrReader.crash(str(path), SearchPaths(search_dirs=[str(s) for s in search]), Progress())


def truth(path: Path) -> dict:
    """What the log says in HotSpot's own fixed words, read with the plainest patterns."""
    text = path.read_text()
    head = re.search(r"#\s+(\S+) \(0x[0-9a-f]+\) at pc=0x[0-9a-f]+, pid=(\d+), tid=(\d+)", text)
    internal = re.search(r"#\s+Internal Error \(([^)]*)\), pid=(\d+), tid=(\d+)", text)
    listed = re.findall(r"^(?:=>|  )0x[0-9a-f]{16} (\w+)", text, re.M)
    native = text.split("Native frames: ")[1].split("\n\n")[0].split("Java frames:")[0].splitlines()[1:]
    return {"signal": head.group(1) if head else None, "pid": int((head or internal).group(2)),
            "tid": int((head or internal).group(3)), "threads": len(listed),
            "frames": [line for line in native if line[:1] in "JjVvC"]}


@pytest.mark.parametrize("path", LOGS, ids=lambda p: p.name.split("-hs_err")[0])
def test_each_log_as_the_jvm_wrote_it(capsys: pytest.CaptureFixture[str], path: Path, tmp_path: Path) -> None:
    assert HsErrReader.sniff(path.read_bytes()[:4096])
    t = truth(path)
    doc = stack_doc(capsys, path, "--index-dir", str(tmp_path))
    assert set(doc) == {"signal", "crashed_thread", "threads", "modules", "deadlocks", "crash_info", "system_info"}
    assert doc["crashed_thread"] == t["tid"]
    assert len(doc["threads"]) == t["threads"]
    assert doc["signal"]["name"] == t["signal"]
    if t["signal"] == "SIGSEGV":
        assert doc["crash_info"]["type"] == "SIGSEGV /SEGV_MAPERR" and doc["signal"]["fault_address"] == 0
    crashed = next(th for th in doc["threads"] if th["tid"] == t["tid"])
    assert crashed["name"] == "main" and crashed["state"].startswith("JavaThread _thread_in_")
    frames = crashed["frames"]
    assert len(frames) == len(t["frames"])
    for f, line in zip(frames, t["frames"], strict=True):
        assert f["kind"] == {"J": "java-compiled", "j": "java-interpreted", "V": "vm", "v": "vm-stub",
                             "C": "native"}[line[0]]
        assert f["function"] and f["function"].split("(")[0] in line, (f, line)
        if line[0] in "VC":
            assert f"[{f['module']}+0x{f['module_offset']:x}]" in line
    assert doc["system_info"]["cpu_arch"] == "EM_X86_64" and doc["system_info"]["os"] == "Linux"
    workers = [th for th in doc["threads"] if th["name"].startswith("pmdesk-worker-")]
    assert [w["state"] for w in workers] == ["JavaThread daemon _thread_blocked"] * 2


@pytest.mark.parametrize("jdk", ["17", "25"])
def test_what_crashed(jdk: str) -> None:
    native = crash_of(log_of(f"jdk{jdk}-native"))
    assert re.fullmatch(r"SIGSEGV \(0xb\) at pc=0x[0-9a-f]{16} in C \[libcrashnative.so\+0x10fd\] fault\+0x4",
                        native.cause.headline), native.cause.headline
    assert native.crashed_thread.frames[0].function == "fault"
    assert native.process.version.startswith(("OpenJDK Runtime Environment", "OpenJDK Runtime Environment Temurin"))
    assert native.process.command.endswith("Crash native") and native.process.time.endswith("Z")
    compiled = crash_of(log_of(f"jdk{jdk}-compiled")).crashed_thread.frames[0]
    assert (compiled.kind, compiled.function) == ("java-compiled", "Crash.compiled()V") and compiled.pc
    oom = crash_of(log_of(f"jdk{jdk}-oom"))
    assert oom.cause.exception == "Internal Error" and oom.cause.signal is None
    assert oom.cause.message == "fatal error: OutOfMemory encountered: Java heap space"
    java = [f.function for f in oom.crashed_thread.frames if f.kind == "java-interpreted"]
    assert java == ["Crash.outOfMemory()V", "Crash.main([Ljava/lang/String;)V"]
    assert "Registers" not in [s.title for s in oom.sections]  # an internal error has no signal context
    titles = [s.title for s in native.sections]
    for wanted in ("Error", "Summary", "Registers", "Register to memory mapping", "Instructions", "Java Threads",
                   "VM state", "Heap", "Compilation events",
                   "Deoptimization events", "Classes loaded", "Dynamic libraries", "VM Arguments",
                   "Environment Variables", "Signal Handlers", "OS", "CPU"):
        assert wanted in titles, wanted
    assert any(t in titles for t in ("GC Heap History", "GC Heap Usage History"))  # JDK 25's name
    assert "Thread" not in titles  # a part's bare title line


def test_vm_frames_keep_the_vm_source_line() -> None:
    """JDK 25 prints the VM's own source location after a symbol ('…+0x2bd5  (debug.cpp:289)')."""
    top = crash_of(log_of("jdk25-oom")).crashed_thread.frames[0]
    assert (top.function, top.file, top.line) == ("VMError::report(outputStream*, bool)", "debug.cpp", 289)


def _javap_lines(cls: Path) -> dict[str, list[tuple[int, int]]]:
    out = subprocess.run(["javap", "-l", "-p", "-s", str(cls)], capture_output=True, text=True, check=True).stdout
    tables: dict[str, list[tuple[int, int]]] = {}
    current = name = None
    for line in out.splitlines():
        if (m := re.match(r"^\s+descriptor: (\S+)", line)) and name:
            current = f"{name}{m.group(1)}"
            tables[current] = []
        elif m := re.match(r"^\s+(?:\S+ )*(\S+)\(.*\)(?: throws .*)?;$", line):
            name = m.group(1)
        elif line.strip().endswith(";"):  # a field
            name = current = None
        elif (m := re.match(r"^\s+line (\d+): (\d+)", line)) and current:
            tables[current].append((int(m.group(2)), int(m.group(1))))
    return tables


@pytest.mark.skipif(shutil.which("javap") is None, reason="javap (a JDK) is not installed")
def test_java_lines_equal_javaps_line_tables() -> None:
    tables = _javap_lines(BIN / "Crash.class")
    checked = 0
    for name in ("jdk17-interpreted", "jdk25-interpreted", "jdk17-native", "jdk25-oom"):
        for f in crash_of(log_of(name), BIN).crashed_thread.frames:
            if f.kind != "java-interpreted" or not f.function.startswith("Crash."):
                continue
            method = f.function.removeprefix("Crash.")
            table = tables[method.split("(")[0] + "(" + method.split("(", 1)[1]]
            starts = [(pc, line) for pc, line in table if pc <= f.symbol_offset]
            expect = max(starts)[1] if starts else None
            assert (f.file, f.line) == ("Crash.java", expect), f
            checked += 1
    assert checked >= 8
    without = crash_of(log_of("jdk17-interpreted")).crashed_thread.frames  # the class is not here: no lines
    assert all(f.line is None for f in without if f.kind == "java-interpreted")


@pytest.mark.skipif(shutil.which("addr2line") is None, reason="binutils' addr2line is not installed")
def test_native_lines_equal_addr2line() -> None:
    frames = [f for f in crash_of(log_of("jdk17-native"), BIN).crashed_thread.frames if f.module == "libcrashnative.so"]
    assert [f.function for f in frames] == ["fault", "fault", "fault", "Java_Crash_nativeCrash"]
    for f in frames:
        out = subprocess.run(["addr2line", "-f", "-e", str(BIN / "libcrashnative.so"), hex(f.module_offset)],
                             capture_output=True, text=True, check=True).stdout.split()
        assert (f.function, Path(f.file).name, f.line) == (out[0], Path(out[1].split(":")[0]).name,
                                                            int(out[1].split(":")[1].split()[0]))
    other = crash_of(log_of("jdk25-native"), BIN)  # the same library's symbols: named from it too
    assert other.crashed_thread.frames[0].file.endswith("crashnative.c")


def test_a_library_that_is_not_the_one_that_crashed(tmp_path: Path) -> None:
    """A library of the same name whose symbol at the offset is another function gives no lines."""
    (tmp_path / "libcrashnative.so").write_bytes((BIN / "libcrashnative.so").read_bytes())
    log = log_of("jdk17-native").read_text().replace("fault+0x4", "other_function+0x4")
    path = tmp_path / "hs_err_pid1.log"
    path.write_text(log)
    crash = crash_of(path, tmp_path)
    top = crash.crashed_thread.frames[0]
    assert (top.function, top.file) == ("other_function", None)
    assert "not the one that crashed" in next(m.warning for m in crash.modules if m.name == "libcrashnative.so")


@pytest.mark.parametrize("name", ["jdk17-compiled", "jdk25-native"])
def test_memory_holds_the_instructions_and_the_stack(name: str) -> None:
    path = log_of(name)
    text = path.read_text()
    pc = int(re.search(r"^Instructions: \(pc=(0x[0-9a-f]+)\)", text, re.M).group(1), 16)
    row = re.search(rf"^(?:=>|\s*)0x{pc:016x}:\s+((?:[0-9a-f]{{2}} ?)+)$", text, re.M).group(1).split()
    mem = open_memory(str(path))
    assert mem.read(pc, len(row)) == bytes(int(b, 16) for b in row) and mem.executable(pc)
    sp = int(re.search(r"^Top of Stack: \(sp=(0x[0-9a-f]+)\)", text, re.M).group(1), 16)
    first = re.search(rf"^\s*0x{sp:016x}:\s+([0-9a-f]{{16}})", text, re.M).group(1)
    assert mem.u64(sp) == int(first, 16) and not mem.executable(sp)
    crash = crash_of(path)
    assert sum(r.present_bytes for r in crash.regions) > 0


def test_the_log_on_standard_output() -> None:
    """-XX:+ErrorFileToStdout: the whole report; -XX:+ShowMessageBoxOnError: the prompt, then the header
    (the report went to its file) — the header's problematic frame is the stack."""
    full = crash_of(HSERR / "jdk17-native-stdout.txt")
    assert [f.function for f in full.crashed_thread.frames[:2]] == ["fault", "fault"]
    assert len(full.threads) == truth(log_of("jdk17-native"))["threads"]
    prompt = HSERR / "jdk17-messagebox-stdout.txt"
    assert prompt.read_text().startswith("=====") and HsErrReader.sniff(prompt.read_bytes()[:4096])
    short = crash_of(prompt)
    assert [f.function for f in short.crashed_thread.frames] == ["fault"]
    assert short.cause.signal_name == "SIGSEGV" and short.process.pid == truth(log_of("jdk17-messagebox"))["pid"]


def test_a_log_cut_short(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = log_of("jdk25-native").read_text()
    cut = tmp_path / "hs_err_pid2.log"
    cut.write_text(text[:text.index("Registers:") + 40])
    rc, out, err = run(capsys, "stack", str(cut), "--index-dir", str(tmp_path))
    assert rc == 0 and "Traceback" not in err
    assert "fault" in out and "ends before" in " ".join(p.message for p in crash_of(cut).problems)
    head_only = tmp_path / "hs_err_pid3.log"
    head_only.write_text(text[:text.index("If you would like")])
    assert [f.function for f in crash_of(head_only).crashed_thread.frames] == ["fault"]


def test_hostile_lines_are_read_in_linear_time(tmp_path: Path) -> None:
    """Rows that almost look like memory or frames, and one huge line, are read quickly (no backtracking)."""
    text = log_of("jdk17-compiled").read_text()
    bad = "0x00007ffb15403568:   " + "00 " * 20000 + "zz\n"
    path = tmp_path / "hs_err_pid4.log"
    path.write_text(text.replace("Instructions: (pc=", "Instructions: (pc=" + "x" * 10 + "\n" + bad * 20 + "C  ["
                                 + "a" * 100000 + "\n", 1))
    crash = crash_of(path)
    assert crash.crashed_thread.frames and open_memory(str(path)) is not None


def test_not_a_log(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "hs_err_pid5.log"
    path.write_text("# just a comment\n")
    rc, _, err = run(capsys, "stack", str(path), "--index-dir", str(tmp_path))
    assert rc == 2 and str(path) in err and len(err.strip().splitlines()) == 1


@pytest.mark.skipif(shutil.which("java") is None or not cores_written_here(),
                    reason="needs java and a core_pattern that writes a core into the working directory")
def test_a_jvm_core_and_its_log_are_one_crash(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A JVM crashed here with cores enabled leaves hs_err_pid<N>.log and a core side by side: the core's
    crashing thread is in the VM's error reporting (SIGABRT); joined with the log, its stack goes on past the
    signal handler into the native frames (the core's CFI walk: all four recursive fault() calls, which
    HotSpot's frame-pointer walk may skip) and then the log's Java frames; the cause is the log's SIGSEGV."""
    subprocess.run(["java", "-Xmx16m", "-XX:+UseSerialGC", f"-Djava.library.path={BIN}", "-cp", str(BIN), "Crash",
                    "native"], cwd=tmp_path, capture_output=True, preexec_fn=enable_cores, timeout=120)
    cores = [p for p in tmp_path.iterdir() if p.name.startswith("core")]
    logs = list(tmp_path.glob("hs_err_pid*.log"))
    if not cores or not logs:
        pytest.skip("the JVM wrote no core here (a core size limit or pattern this test cannot change)")
    core = cores[0]
    if core.name == "core":  # the log is found by the core's pid
        core = core.rename(tmp_path / "java.core")
    doc = stack_doc(capsys, core, "--index-dir", str(tmp_path / "idx"))
    log_pid = int(logs[0].name.removeprefix("hs_err_pid").removesuffix(".log"))
    assert doc["signal"]["name"] == "SIGSEGV" and doc["crash_info"]["type"] == "SIGSEGV /SEGV_MAPERR"
    crashed = next(t for t in doc["threads"] if t["tid"] == doc["crashed_thread"])
    functions = [f["function"] for f in crashed["frames"]]
    handler = functions.index("<signal handler called>")
    assert functions[handler + 1:handler + 6] == ["fault", "fault", "fault", "fault", "Java_Crash_nativeCrash"]
    java = [f["function"] for f in crashed["frames"] if (f["kind"] or "").startswith("java-")]
    assert java == ["Crash.nativeCrash(I)V", "Crash.nativeLibrary()V", "Crash.main([Ljava/lang/String;)V"]
    names = {t["name"] for t in doc["threads"]}
    assert {"main", "Reference Handler", "pmdesk-worker-1", "pmdesk-worker-2"} <= names
    assert crashed["name"] == "main" and log_pid > 0


def test_java_frames_link_to_their_source() -> None:
    """A Java frame's file (the class's SourceFile, under its package's folders) is found in the source folders
    (the search folders, beside the log), as the Symbolicated stack dock shows it."""
    from pmdesk.model.crash.session import source_lines

    frame = next(f for f in crash_of(log_of("jdk17-interpreted"), BIN).crashed_thread.frames
                 if f.function == "Crash.write(JI)V")
    where, lines = source_lines(frame.file, frame.line, 0, dirs=[str(BIN), str(HSERR)])
    assert Path(where) == HSERR / "Crash.java" and lines == [(frame.line, "        U.putInt(address, value);")]
