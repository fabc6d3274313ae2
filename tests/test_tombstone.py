"""Android tombstones against independent answers: the corpus protobuf tombstone decoded by `protoc
--decode=Tombstone` (with a schema written from the public field numbers, tests/data/android/tombstone.proto)
and its modules as Sentry lists them (truth/sentry-java-tombstone_debug_meta.json.gz); the corpus text
tombstones (Android 6, 10, 16) against their own headers, backtraces and memory maps; symbolication from an
unstripped arm64 .so built here (tests/data/android/make.sh) against llvm-symbolizer — no real tombstone
references a library we have, so made-tombstone_00.txt, written in Android 16's layout, references it."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pmdesk.readers.tombstone import TombstoneReader
from pmdesk.readers.tombstone.proto import parse_proto
from tests.conftest import DATA, mobile
from tests.conftest import run_cli as run

ANDROID = DATA / "android"
MADE = ANDROID / "made-tombstone_00.txt"
SO = ANDROID / "obj" / "local" / "arm64-v8a" / "libnative_crash.so"


def stack_doc(capsys: pytest.CaptureFixture[str], path: Path, *extra: str) -> dict:
    rc, out, err = run(capsys, "stack", str(path), "--json", *extra)
    assert rc == 0, err
    return json.loads(out)


def test_modules_equal_sentrys(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from pmdesk.base.progress import Progress
    from pmdesk.native.symbol_files import SearchPaths

    pb = mobile("tombstone", "sentry-java-tombstone.pb.gz")
    truth = json.loads(gzip.decompress(mobile("truth", "sentry-java-tombstone_debug_meta.json.gz").read_bytes()))
    crash = TombstoneReader.crash(str(pb), SearchPaths(), Progress())
    mine = [{"type": "elf", "debug_id": m.debug_id, "code_id": m.build_id, "code_file": m.path,
             "image_addr": hex(m.base), "image_size": m.end - m.base} for m in crash.modules]
    assert len(truth["images"]) == 352 and mine == truth["images"]
    doc = stack_doc(capsys, pb, "--index-dir", str(tmp_path))
    assert len(doc["modules"]) == 352 and doc["crashed_thread"] == 21891


def _protoc_threads(decoded: str) -> dict[int, dict]:
    """Each thread of protoc's text output: name, registers, frames (rel_pc, function, file, build id)."""
    threads: dict[int, dict] = {}
    for block in decoded.split("\nthreads {\n")[1:]:
        key = int(re.search(r"key: (\d+)", block).group(1))
        body = block.split("\nmemory_mappings")[0] if "\nmemory_mappings" in block else block.split("\n}\n", 1)[0]
        frames = []
        for fr in re.findall(r"current_backtrace \{\n(.*?)\n    \}", body, re.S):
            g = dict(re.findall(r"^\s+(\w+): (.*)$", fr, re.M))
            text = {k: json.loads(g[k]) if k in g else None for k in ("function_name", "file_name", "build_id")}
            frames.append((int(g.get("rel_pc", 0)), text["function_name"], text["file_name"] or "", text["build_id"]))
        regs = re.findall(r'registers \{\n\s+name: "(\w+)"\n(?:\s+u64: (\d+)\n)?', body)
        threads[key] = {"name": json.loads(re.search(r"\n    name: (\".*\")", body).group(1)),
                        "registers": {n: int(v or 0) for n, v in regs}, "frames": frames}
    return threads


@pytest.mark.skipif(shutil.which("protoc") is None, reason="protoc (protobuf-compiler) not installed")
def test_protobuf_reading_equals_protoc() -> None:
    raw = gzip.decompress(mobile("tombstone", "sentry-java-tombstone.pb.gz").read_bytes())
    decoded = subprocess.run(["protoc", f"--proto_path={ANDROID}", "--decode=Tombstone", "tombstone.proto"],
                             input=raw, capture_output=True, check=True).stdout.decode()
    t = parse_proto(raw)
    want = _protoc_threads(decoded)
    assert len(t.threads) == len(want) == 62 and t.threads[0].tid == t.tid
    for th in t.threads:
        w = want[th.tid]
        assert th.name == w["name"] and th.registers == w["registers"], th.tid
        assert [(f.rel_pc, f.function, f.file, f.build_id) for f in th.frames] == w["frames"], th.tid
    assert len(t.mappings) == decoded.count("\nmemory_mappings {")
    assert t.signal == 11 and t.code_name == "SEGV_MAPERR" and t.fault_address == 0
    assert t.causes == ["null pointer dereference"]
    assert len(t.log) == len(re.findall(r"\n  logs \{", decoded))  # this one carries no logcat
    assert len(t.open_files) == decoded.count("\nopen_fds {") > 0


@pytest.mark.parametrize("name", ["aoleary-g4_issues-tombstone_00.txt", "aoleary-g4_issues-tombstone_01.txt",
                                  "elias-io-crypto_android_crash-tombstone_00.txt",
                                  "henwill8-Replay-tombstone_00.txt"])
def test_text_tombstones_as_they_say(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str) -> None:
    path = mobile("tombstone", name)
    text = path.read_text(errors="replace")
    doc = stack_doc(capsys, path, "--index-dir", str(tmp_path))
    head = re.search(r"^pid: (\d+), tid: (\d+)", text, re.M)
    assert doc["crashed_thread"] == int(head.group(2))
    sig = re.search(r"^signal (\d+) \((\w+)\), code (-?\d+)", text, re.M)
    assert doc["signal"]["number"] == int(sig.group(1)) and doc["signal"]["name"] == sig.group(2)
    blocks = text.split("--- --- --- --- --- --- --- --- --- --- --- --- --- --- --- ---")
    assert len(doc["threads"]) == len(blocks)
    for block, thread in zip(blocks, doc["threads"], strict=True):
        backtrace = block.split("backtrace:", 1)[1] if "backtrace:" in block else ""
        frames = re.findall(r"^\s+#\d+ pc ", backtrace.split("\n\n", 1)[0], re.M)
        assert len(thread["frames"]) == len(frames), (name, thread["tid"])
    from pmdesk.base.progress import Progress
    from pmdesk.native.symbol_files import SearchPaths

    crash = TombstoneReader.crash(str(path), SearchPaths(), Progress())
    entries = int(re.search(r"^memory map \((\d+) entries\)", text, re.M).group(1))
    assert len(crash.regions) == entries
    first = crash.threads[0]
    regs = dict(re.findall(r"\b([a-z][a-z0-9]{0,3})\s+([0-9a-f]{8,16})\b", blocks[0].split("backtrace:")[0]
                           .split("Cause:")[-1].split("\n", 1)[-1]))
    assert {k: int(v, 16) for k, v in regs.items()}.items() <= first.registers.items()


def _symbolizer(addrs: list[int]) -> list[list[tuple[str, str, int]]]:
    r = subprocess.run(["llvm-symbolizer-14", f"--obj={SO}", "--inlines", *map(hex, addrs)], capture_output=True,
                       text=True, check=True)
    out = []
    for block in r.stdout.strip().split("\n\n"):
        lines = block.splitlines()
        out.append([(lines[i], Path(lines[i + 1].rsplit(":", 2)[0]).name, int(lines[i + 1].rsplit(":", 2)[1]))
                    for i in range(0, len(lines), 2)])
    return out


@pytest.mark.skipif(shutil.which("llvm-symbolizer-14") is None, reason="llvm-symbolizer-14 not installed")
def test_frames_symbolicated_by_build_id_like_ndk_stack(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The .so is found by its BuildId in an obj/local/<abi> layout; each frame becomes its inline chain."""
    folder = tmp_path / "app"
    shutil.copytree(ANDROID / "obj", folder / "obj")
    report = tmp_path / "tombstone_00"
    shutil.copy(MADE, report)  # away from the .so: found only through --search-dir
    doc = stack_doc(capsys, report, "--search-dir", str(folder))
    frames = doc["threads"][0]["frames"]
    chains = _symbolizer([0x1408, 0x1428])
    want = [(fn, file, line, i < len(chain) - 1) for chain in chains for i, (fn, file, line) in enumerate(chain)]
    got = [(f["function"], Path(f["file"]).name, f["line"], f["inlined"]) for f in frames[:len(want)]]
    assert got == want
    assert frames[-1]["function"] == "art_quick_generic_jni_trampoline" and frames[-1]["symbol_offset"] == 144
    mods = {m["path"]: m for m in doc["modules"]}
    assert mods["libnative_crash.so"]["symbols"] == "found" and mods["libart.so"]["symbols"] == "missing"
    rc, out, err = run(capsys, "stack", str(report), "--index-dir", str(tmp_path / "idx"))
    assert out.startswith(f"{report}: SIGSEGV SEGV_MAPERR at 0x0 in libnative_crash.so!crash_now+4 at "
                          "native_crash.c:2 — Cause: null pointer dereference")


def _varint(n: int) -> bytes:
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def _ld(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


FINGERPRINT = _ld(2, b"google/x/y:16/A.1/2:user/release-keys")
BAD = {
    "cut.txt": (MADE.read_text()[:200], "no pid/tid line"),
    "past-end.pb": (FINGERPRINT + _varint(16 << 3 | 2) + _varint(10_000) + b"\x08\x01", "runs past the end"),
    "varint11.pb": (FINGERPRINT + b"\x28" + b"\xff" * 10 + b"\x01", "longer than 10 bytes"),
    "gzip-cut.pb.gz": (gzip.compress(FINGERPRINT * 50)[:-12], "cut short"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_damaged_tombstones_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str) -> None:
    data, says = BAD[name]
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    rc, out, err = run(capsys, "stack", str(path), "--index-dir", str(tmp_path / "idx"))
    assert rc == 2 and err.count("\n") == 1 and str(path) in err and says in err, err


def test_a_map_entry_repeated_many_times_is_one_thread(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    entry = _ld(16, _varint(1 << 3) + _varint(7) + _ld(2, _varint(1 << 3) + _varint(7) + _ld(2, b"main")))
    path = tmp_path / "repeated.pb"
    path.write_bytes(FINGERPRINT + _varint(6 << 3) + _varint(7) + entry * 200_000)
    doc = stack_doc(capsys, path, "--index-dir", str(tmp_path / "idx"))
    assert [t["tid"] for t in doc["threads"]] == [7]


def test_values_of_64_bits_are_stored(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """pid, tid, pcs and offsets of 2**64 - 1 (what a damaged varint gives) are kept or left unknown, not a crash
    of the index."""
    big = (1 << 64) - 1
    frame = _ld(4, _varint(1 << 3) + _varint(big) + _varint(5 << 3) + _varint(big) + _ld(6, b"/x/lib.so")
                + _ld(4, b"f"))
    thread = _ld(2, _varint(1 << 3) + _varint(big) + frame)
    path = tmp_path / "huge.pb"
    path.write_bytes(FINGERPRINT + _varint(5 << 3) + _varint(big) + _varint(6 << 3) + _varint(big)
                     + _ld(16, _varint(1 << 3) + _varint(big) + thread))
    doc = stack_doc(capsys, path, "--index-dir", str(tmp_path / "idx"))
    assert doc["threads"][0]["frames"][0]["function"] == "f"


ANR = ANDROID / "anr" / "cwimage-traces.txt"


def test_anr_traces_read_as_thread_dumps(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Every process block of a real ANR trace is a dump; every thread ART says waits for a lock 'held by thread
    N' waits, in pmdesk's lock graph, for a lock that the thread with tid N holds."""
    from pmdesk.model.dump import Dump
    from pmdesk.model.threads.dumps import load_dumps

    text = ANR.read_text()
    rc, out, err = run(capsys, "threads", str(ANR), "--index-dir", str(tmp_path), "--json")
    assert rc == 0, err
    dump = Dump.open(str(ANR), index_dir=str(tmp_path))
    try:
        views = load_dumps(dump)
    finally:
        dump.close()
    blocks = [b for b in re.split(r"^----- pid ", text, flags=re.M)[1:] if "DALVIK THREADS" in b]
    assert len(views) == len(blocks) == 3
    assert sum(b.count(" held by thread ") for b in blocks) >= 10
    for view, block in zip(views, blocks, strict=True):
        counted = int(re.search(r"DALVIK THREADS \((\d+)\)", block).group(1))
        assert len(view.threads) == counted
        by_ident = {t.ident: t for t in view.threads}
        owners = {lk.id: lk.owner for lk in view.locks}
        checked = 0
        for m in re.finditer(r'^"(?P<name>[^"]*)"[^\n]*tid=(?P<tid>\d+)[^\n]*\n(?P<body>(?:  .*\n?)*)', block, re.M):
            for lock, holder in re.findall(r"- waiting to lock <(0x[0-9a-f]+)> .*? held by thread (\d+)", m["body"]):
                waiter = by_ident[m["tid"]]
                assert waiter.waits_for == lock and waiter.state == "BLOCKED"
                assert owners[lock] == by_ident[holder].name
                checked += 1
        assert checked == block.count(" held by thread ")
    main = next(t for t in views[0].threads if t.name == "main")
    assert main.frames[0].function == "__kernel_vsyscall+16" and main.state == "RUNNABLE"
    assert any(f.function == "android.os.MessageQueue.nativePollOnce" for f in main.frames)


def test_memory_error_stacks_are_stacks_of_their_own(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """GWP-ASan/Scudo/MTE tombstones add who allocated and who freed the object (no device here makes one:
    the made tombstone is given a use-after-free's lines in the layout debuggerd prints them, and the
    protobuf form its Cause.memory_error.heap)."""
    text = MADE.read_text().replace(
        "Cause: null pointer dereference",
        "Cause: [GWP-ASan]: Use After Free, 0 bytes into a 10-byte allocation at 0x7a1c2f1000")
    text = text.replace("\nmemory map (", "\ndeallocated by thread 4330:\n"
                        "      #00 pc 0000000000001404  /data/app/~~Qw3/com.example.nativecrash-Zx9==/lib/arm64/"
                        "libnative_crash.so (crash_now) (BuildId: c3c7c5cd458014fcf564da288d83f5b95e7498ac)\n\n"
                        "allocated by thread 4321:\n"
                        "      #00 pc 0000000000001410  /data/app/~~Qw3/com.example.nativecrash-Zx9==/lib/arm64/"
                        "libnative_crash.so (helper) (BuildId: c3c7c5cd458014fcf564da288d83f5b95e7498ac)\n\n"
                        "memory map (", 1)
    path = tmp_path / "uaf_tombstone"
    path.write_text(text)
    shutil.copytree(ANDROID / "obj", tmp_path / "obj")
    doc = stack_doc(capsys, path, "--index-dir", str(tmp_path / "idx"))
    names = [t["name"] for t in doc["threads"]]
    assert names[1:] == ["Deallocated by thread 4330", "Allocated by thread 4321"]
    assert doc["threads"][1]["frames"][-1]["function"] == "crash_now"
    assert doc["threads"][2]["frames"][0]["function"] == "helper"
    rc, out, err = run(capsys, "stack", str(path), "--index-dir", str(tmp_path / "idx"))
    assert "— Cause: [GWP-ASan]: Use After Free" in out.splitlines()[0]
    heap = _ld(3, _varint(5 << 3) + _varint(9) + _ld(6, _varint(1 << 3) + _varint(0x10) + _ld(6, b"/x/libc.so")
                                                     + _ld(4, b"free")))
    cause = _ld(15, _ld(1, b"[Scudo]: Use After Free") + _ld(2, _varint(1 << 3) + _varint(1) + heap))
    pb = tmp_path / "uaf.pb"
    pb.write_bytes(FINGERPRINT + _varint(6 << 3) + _varint(7) + cause
                   + _ld(16, _varint(1 << 3) + _varint(7) + _ld(2, _varint(1 << 3) + _varint(7))))
    doc = stack_doc(capsys, pb, "--index-dir", str(tmp_path / "idx"))
    assert [t["name"] for t in doc["threads"]][1:] == ["Deallocated by thread 9"]
    assert doc["threads"][1]["frames"][0]["function"] == "free"


def test_before_android_11_pcs_relative_to_the_mapping_are_moved_to_the_elf(capsys: pytest.CaptureFixture[str],
                                                                            tmp_path: Path) -> None:
    """Android 10 printed a pc relative to the executable mapping (android/ndk#1366): the .so built here has its
    code segment at file offset 0x404, virtual address 0x1404 — mapped from offset 0 at vaddr 0x1000 — so the
    crash at 0x1408 was printed as 0x408; pmdesk names it as llvm-symbolizer names 0x1408."""
    text = MADE.read_text().replace(":16/BE4B.251210.005/", ":10/QQ3A.200805.001/")
    text = text.replace("#00 pc 0000000000001408", "#00 pc 0000000000000408")
    text = text.replace("#01 pc 0000000000001428", "#01 pc 0000000000000428")
    path = tmp_path / "android10_tombstone"
    path.write_text(text)
    shutil.copytree(ANDROID / "obj", tmp_path / "obj")
    frames = stack_doc(capsys, path, "--index-dir", str(tmp_path / "idx"))["threads"][0]["frames"]
    assert [(f["function"], f["line"]) for f in frames[:4]] == [("poke", 2), ("fill", 3), ("crash_now", 4),
                                                                 ("Java_com_example_Native_crash", 8)]
    assert frames[0]["module_offset"] == 0x1408


def test_newer_protobuf_fields(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Android 14-16's additions: crash_details (21), guest_arch (24), guest_threads (25), a thread's
    unreadable_elf_files (9); written field by field (no device here made one)."""
    thread = _ld(2, _varint(1 << 3) + _varint(7) + _ld(9, b"/data/app/x/lib/arm64/libgone.so"))
    guest = _ld(25, _varint(1 << 3) + _varint(8) + _ld(2, _varint(1 << 3) + _varint(8) + _ld(2, b"emu")))
    detail = _ld(21, _ld(1, b"stage") + _ld(2, b"loading level 3"))
    path = tmp_path / "new.pb"
    path.write_bytes(FINGERPRINT + _varint(6 << 3) + _varint(7) + _ld(16, _varint(1 << 3) + _varint(7) + thread)
                     + guest + detail + _varint(24 << 3) + _varint(3))
    t = parse_proto(path.read_bytes())
    assert [th.name for th in t.threads] == [None, "guest: emu"]
    assert "NOTE: unreadable ELF file" in t.threads[0].notes[0]
    assert ("Crash detail stage", "loading level 3") in t.facts and ("Guest ABI", "x86_64") in t.facts
    doc = stack_doc(capsys, path, "--index-dir", str(tmp_path / "idx"))
    assert [th["tid"] for th in doc["threads"]] == [7, 8]
