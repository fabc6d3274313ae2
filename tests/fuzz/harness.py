"""Mutants of each reader's real artefacts — bit flips, byte runs, cuts, length fields set to 2**31, 2**32 - 1 or
2**63, deep nesting, and structure-aware ones (a length, count or offset field of the format set to an
interesting value: tests/fuzz/fields.py) — run through `pmdesk info` and the reader's own command by a worker
interpreter with an address-space limit and a timeout. A mutant passes when pmdesk exits 0 or 2 with at most a
few lines on stderr naming the file: no traceback, no signal, no timeout, no MemoryError and no resident memory
past a bound proportional to the file. Used by tests/test_fuzz.py (a fixed seed set in CI) and benchmarks/fuzz.py
(open-ended, keeping the mutants that fail)."""

from __future__ import annotations

import functools
import json
import os
import queue
import random
import resource
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.fuzz.fields import Field, fields, gzip_wrapped, mutate_field

DATA = Path(__file__).resolve().parents[1] / "data"
# (artefact, the command of its reader)
THREADS = DATA / "threads"
MOBILE = DATA.parents[2] / "shared" / "corpus" / "out" / "mobile"
SAMPLES = (
    (DATA / "leak-nocoops-phase1.hprof", "histogram"), (DATA / "jfr" / "jdk25-vthreads.jfr", "events"),
    (DATA / "native" / "cores" / "segv_chain.core", "stack"), (THREADS / "deadlock-sync.jstack.txt", "threads"),
    (DATA / "native" / "other_arch" / "segv_chain.ppc64le.core.gz", "stack"),  # inflated, as the heaps
    (DATA / "native" / "other_arch" / "segv_chain.i386.core.gz", "stack"),
    (THREADS / "wild" / "same-names.threadinfo.txt", "threads"), (THREADS / "wild" / "go-ancestors.cri-log.txt",
                                                                  "threads"),
    (THREADS / "go_deadlock.sigquit.txt", "threads"), (THREADS / "jdk25-vthreads.dump.json", "threads"),
    (THREADS / "py_hang.sigabrt.stderr.txt", "threads"), (DATA / "android" / "made-tombstone_00.txt", "stack"),
    *((p, "stack") for p in sorted((DATA / "hserr").glob("jdk*-compiled-hs_err_pid*.log"))),
    (DATA / "minidump" / "threads.dmp", "stack"),
    (DATA / "minidump" / "breakpad" / "minidump_crashpad_annotation.dmp", "stack"),
    (DATA / "profiles" / "perf-dwarf.data", "profile"), (DATA / "profiles" / "perf-fpz.data", "profile"),
    (DATA / "profiles" / "go" / "cpu.pb.gz", "profile"),
    (DATA / "heaps" / "go" / "leak-1000.heapdump.gz", "histogram"),  # inflated first: the reader takes raw dumps
    (DATA / "heaps" / "python" / "leak-200.pyheap.gz", "histogram"),
    (DATA / "samples" / "tracemalloc" / "a.tracemalloc", "allocations"),
    (DATA / "samples" / "heapy" / "growing.heapy", "heapy"), (DATA / "samples" / "memray" / "alloc.memray", "profile"),
    # public Apple reports (their licences keep them in ../shared): used when the corpus is there
    *((p, "stack") for p in (MOBILE / "ips" / "macsym-ios-crash.ips", MOBILE / "crash" / "macsym-ios-report.crash",
                             MOBILE / "tombstone" / "sentry-java-tombstone.pb.gz",
                             MOBILE / "minidump" / "symbolicator-linux.dmp") if p.exists()),
)
INFLATED = (".heapdump.gz", ".pyheap.gz", ".core.gz")  # kept gzip'd in the repository, read raw


def artefact(path: Path) -> tuple[bytes, str]:
    """The artefact's bytes as its reader reads them, and the suffix its mutants are named with."""
    data = path.read_bytes()
    if path.name.endswith(INFLATED):
        import gzip

        return gzip.decompress(data), Path(path.stem).suffix
    return data, path.suffix


KINDS = ("flip", "run", "cut", "length")
LENGTHS = ((1 << 31).to_bytes(4, "big"), (2**32 - 1).to_bytes(4, "little"), (1 << 63).to_bytes(8, "big"),
           ((1 << 63) - 1).to_bytes(8, "little"), b"\xff" * 9)
MEMORY_LIMIT = 4 << 30
RSS_ALLOWANCE_BYTES = 768 << 20
RSS_PER_FILE_BYTE = 32
TIMEOUT_S = 120


def mutate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One unstructured mutant of `data` and its kind: bit flips, a byte run, a cut, 2**31/2**63 written anywhere
    (the first seed sets' mutants: tests/test_fuzz_found.py makes them again from their seeds)."""
    d = bytearray(data)
    kind = rng.choice(KINDS)
    if kind == "flip":
        for _ in range(rng.randint(1, 20)):
            j = rng.randrange(len(d))
            d[j] ^= 1 << rng.randrange(8)
    elif kind == "run":
        j = rng.randrange(len(d))
        d[j:j + rng.randint(1, 64)] = bytes([rng.choice((0, 0xFF, 0x7F, 0x80))]) * rng.randint(1, 64)
    elif kind == "cut":
        d = d[:rng.randrange(1, len(d))]
    else:
        value = rng.choice(LENGTHS)
        j = rng.randrange(max(len(d) - len(value), 1))
        d[j:j + len(value)] = value
    return kind, bytes(d)


def mutant(data: bytes, rng: random.Random, suffix: str) -> tuple[str, bytes]:
    """One mutant of `data` (an artefact of `suffix`'s format) and its kind: half structure-aware where the
    format is walked (one length, count or offset field set to an interesting value, tests/fuzz/fields.py), a
    few nested a thousand or a hundred thousand deep, the rest unstructured (`mutate`)."""
    r = rng.random()
    if r < 0.5 and (gzip_wrapped(data) or known_fields(data, suffix)):
        return "field", mutate_field(data, suffix, rng.randrange, None if gzip_wrapped(data) else
                                     known_fields(data, suffix))
    if r < 0.56:
        j = rng.randrange(len(data))
        return "nest", data[:j] + rng.choice((b"[", b'{"a":', b"(")) * rng.choice((1000, 100_000)) + data[j:]
    return mutate(data, rng)


@functools.lru_cache(maxsize=4)
def known_fields(data: bytes, suffix: str) -> list[Field]:
    """The fields of an artefact, walked once."""
    return fields(data, suffix)


@dataclass
class Result:
    outcome: str  # 'clean' | 'traceback' | 'signal N' | 'exit N' | 'timeout' | 'memory' | 'noisy'
    command: str
    stderr: str


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def memory_bound_bytes(path: Path) -> int:
    """How far a command may raise its resident memory above where it started: a fixed allowance (numba's
    kernels loaded, SQLite's cache) plus a multiple of the file's size — a size taken from the file and
    allocated goes far past it."""
    return RSS_ALLOWANCE_BYTES + RSS_PER_FILE_BYTE * path.stat().st_size


def _outcome(path: Path, r: dict) -> str:
    lines = r["stderr"].strip().splitlines()
    rc = r["rc"]
    if rc < 0:
        return f"signal {-rc}"
    if r["memory_error"] or r["rss_growth_bytes"] > memory_bound_bytes(path):
        return "memory"
    if r["traceback"]:
        return "traceback"
    if rc not in (0, 2):
        return f"exit {rc}"
    if len(lines) > 6 or (rc == 2 and str(path) not in r["stderr"]):
        return "noisy"
    return "clean"


def _feed(proc: subprocess.Popen[str], cases: list[tuple[Path, str, Path]]) -> None:
    try:
        for path, command, index_dir in cases:
            proc.stdin.write(json.dumps({"path": str(path), "command": command, "index_dir": str(index_dir)}) + "\n")
        proc.stdin.close()
    except (BrokenPipeError, ValueError):  # the worker died (or was killed) before it read them all
        pass


def _drain(proc: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    for line in proc.stdout:
        lines.put(line)
    lines.put(None)


def run_many(cases: list[tuple[Path, str, Path]], boundscheck: bool = False) -> Iterator[tuple[int, Result]]:
    """(case number, result) of `pmdesk info` and the reader's command on each (mutant, command, index dir),
    run by one worker interpreter (tests/fuzz/worker.py) under the memory limit; a worker killed by a signal
    or past the timeout marks its case and a new one goes on from the next."""
    env = {**os.environ, "PYTHONFAULTHANDLER": "", **({"NUMBA_BOUNDSCHECK": "1"} if boundscheck else {})}
    root = str(Path(__file__).resolve().parents[2])
    k = 0
    while k < len(cases):
        proc = subprocess.Popen([sys.executable, "-m", "tests.fuzz.worker"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=root, env=env,
                                preexec_fn=_limits)
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_feed, args=(proc, cases[k:]), daemon=True).start()
        threading.Thread(target=_drain, args=(proc, lines), daemon=True).start()
        got = 0
        while True:  # two lines a case, each within the timeout
            try:
                line = lines.get(timeout=TIMEOUT_S)
            except queue.Empty:
                proc.kill()
                proc.wait()
                yield k, Result("timeout", "worker", "")
                k += 1
                break
            if line is None:
                rc = proc.wait()
                if k < len(cases):  # it died on case k
                    yield k, Result(f"signal {-rc}" if rc < 0 else f"exit {rc}", "worker", "")
                    k += 1
                break
            r = json.loads(line)
            yield k, Result(_outcome(cases[k][0], r), r["command"], r["stderr"])
            got += 1
            if got % 2 == 0:
                k += 1
