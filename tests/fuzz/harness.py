"""Mutants of each reader's real artefacts — bit flips, byte runs, cuts, length fields set to 2**31, 2**32 - 1 or
2**63 — run through `pmdesk info` and the reader's own command in a subprocess with an address-space limit and
a timeout. A mutant passes when pmdesk exits 0 or 2 with at most a few lines on stderr naming the file, no
traceback, no signal, no timeout. Used by tests/test_fuzz.py (a fixed seed set in CI) and benchmarks/fuzz.py
(open-ended, keeping the mutants that fail)."""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
# (artefact, the command of its reader)
THREADS = DATA / "threads"
MOBILE = DATA.parents[2] / "shared" / "corpus" / "out" / "mobile"
SAMPLES = (
    (DATA / "leak-nocoops-phase1.hprof", "histogram"), (DATA / "jfr" / "jdk25-vthreads.jfr", "events"),
    (DATA / "native" / "cores" / "segv_chain.core", "stack"), (THREADS / "deadlock-sync.jstack.txt", "threads"),
    (THREADS / "go_deadlock.sigquit.txt", "threads"), (THREADS / "jdk25-vthreads.dump.json", "threads"),
    (THREADS / "py_hang.sigabrt.stderr.txt", "threads"), (DATA / "android" / "made-tombstone_00.txt", "stack"),
    (DATA / "minidump" / "threads.dmp", "stack"),
    (DATA / "minidump" / "breakpad" / "minidump_crashpad_annotation.dmp", "stack"),
    (DATA / "profiles" / "perf-dwarf.data", "profile"), (DATA / "profiles" / "perf-fpz.data", "profile"),
    (DATA / "profiles" / "go" / "cpu.pb.gz", "profile"),
    # public Apple reports (their licences keep them in ../shared): used when the corpus is there
    *((p, "stack") for p in (MOBILE / "ips" / "macsym-ios-crash.ips", MOBILE / "crash" / "macsym-ios-report.crash",
                             MOBILE / "tombstone" / "sentry-java-tombstone.pb.gz",
                             MOBILE / "minidump" / "symbolicator-linux.dmp") if p.exists()),
)
KINDS = ("flip", "run", "cut", "length")
LENGTHS = ((1 << 31).to_bytes(4, "big"), (2**32 - 1).to_bytes(4, "little"), (1 << 63).to_bytes(8, "big"),
           ((1 << 63) - 1).to_bytes(8, "little"), b"\xff" * 9)
MEMORY_LIMIT = 4 << 30
TIMEOUT_S = 120


def mutate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One mutant of `data` and the kind of mutation."""
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


@dataclass
class Result:
    outcome: str  # 'clean' | 'traceback' | 'signal N' | 'exit N' | 'timeout' | 'noisy'
    command: str
    stderr: str


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_case(path: Path, command: str, index_dir: Path) -> list[Result]:
    """`pmdesk info` and the reader's command on one mutant."""
    out = []
    for args in (["info", str(path)], [command, str(path)]):
        try:
            r = subprocess.run([sys.executable, "-m", "pmdesk", *args, "--index-dir", str(index_dir)],
                               capture_output=True, text=True, timeout=TIMEOUT_S, preexec_fn=_limits,
                               env={**os.environ, "PYTHONFAULTHANDLER": ""})
        except subprocess.TimeoutExpired:
            out.append(Result("timeout", args[0], ""))
            continue
        lines = r.stderr.strip().splitlines()
        if r.returncode < 0:
            what = f"signal {-r.returncode}"
        elif "Traceback" in r.stderr:
            what = "traceback"
        elif r.returncode not in (0, 2):
            what = f"exit {r.returncode}"
        elif len(lines) > 6 or (r.returncode == 2 and str(path) not in r.stderr):
            what = "noisy"
        else:
            what = "clean"
        out.append(Result(what, args[0], r.stderr[-2000:]))
    return out
