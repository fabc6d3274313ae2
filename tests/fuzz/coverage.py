"""Coverage-guided fuzzing (the PyPI `atheris` fuzzer, libFuzzer's engine) of the readers written in Python:
thread dumps (jstack, Go, faulthandler, Thread.dump_to_file JSON), Apple reports (.ips, .crash), tombstones
(text and protobuf), heapy text, tracemalloc pickles, pprof protobuf. The readers' modules are instrumented so
libFuzzer sees which branches an input reaches and mutates towards new ones; each input is written to a file
and read by `pmdesk info` and the reader's command in this interpreter — what escapes other than exit 0 or
2 (a traceback) is a finding, kept by libFuzzer as `crash-…` in the working directory.

Usage: python -m tests.fuzz.coverage TARGET [libFuzzer options: -runs=N -seed=N -max_total_time=S …]
       python -m tests.fuzz.coverage --list
(tests/test_fuzz.py runs each target a fixed number of inputs; benchmarks/fuzz.py --coverage TARGET --hours N
runs one open-ended.)
"""

from __future__ import annotations

import contextlib
import gzip
import importlib
import io
import pkgutil
import sys
import tempfile
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
THREADS = DATA / "threads"
MOBILE = DATA.parents[2] / "shared" / "corpus" / "out" / "mobile"
# target: (seed artefacts, the suffix inputs are named with, the reader's command, the packages instrumented)
TARGETS = {
    "jstack": ([THREADS / "deadlock-sync.jstack.txt"], ".txt", "threads", ["pmdesk.readers.threaddump"]),
    "go-goroutines": ([THREADS / "go_deadlock.sigquit.txt"], ".txt", "threads", ["pmdesk.readers.threaddump"]),
    "faulthandler": ([THREADS / "py_hang.sigabrt.stderr.txt"], ".txt", "threads", ["pmdesk.readers.threaddump"]),
    "thread-json": ([THREADS / "jdk25-vthreads.dump.json"], ".json", "threads", ["pmdesk.readers.threaddump"]),
    "tombstone-text": ([DATA / "android" / "made-tombstone_00.txt"], ".txt", "stack", ["pmdesk.readers.tombstone"]),
    "hserr": (sorted((DATA / "hserr").glob("jdk*-native-hs_err_pid*.log")), ".log", "stack", ["pmdesk.readers.hserr"]),
    "heapy": ([DATA / "samples" / "heapy" / "growing.heapy"], ".heapy", "heapy", ["pmdesk.readers.heapy"]),
    "tracemalloc": ([DATA / "samples" / "tracemalloc" / "a.tracemalloc"], ".tracemalloc", "allocations",
                    ["pmdesk.readers.tracemalloc"]),
    "pprof": ([DATA / "profiles" / "go" / "cpu.pb.gz"], ".pb", "profile",
              ["pmdesk.readers.pprof", "pmdesk.readers.protobuf_wire"]),
    # public Apple reports and protobuf tombstones (their licences keep them in ../shared): when the corpus is there
    "apple-ips": ([MOBILE / "ips" / "macsym-ios-crash.ips"], ".ips", "stack", ["pmdesk.readers.apple"]),
    "apple-crash": ([MOBILE / "crash" / "macsym-ios-report.crash"], ".crash", "stack", ["pmdesk.readers.apple"]),
    "tombstone-proto": ([MOBILE / "tombstone" / "sentry-java-tombstone.pb.gz"], ".pb", "stack",
                        ["pmdesk.readers.tombstone", "pmdesk.readers.protobuf_wire"]),
}


def seeds(target: str) -> list[Path]:
    """The target's seed artefacts that are here."""
    return [p for p in TARGETS[target][0] if p.exists()]


def _instrumented(packages: list[str]) -> None:
    """Imports every module of `packages` (and the CLI) with atheris's instrumentation of their bytecode —
    except the modules with numba kernels, imported first as they are (numba cannot type instrumented
    bytecode; their bounds are the bounds-checked campaign's job: benchmarks/fuzz.py --boundscheck)."""
    import atheris

    root = Path(__file__).resolve().parents[2]
    for f in sorted((root / "pmdesk").rglob("*.py")):
        if "import numba" in f.read_text(encoding="utf-8"):
            importlib.import_module(".".join(f.relative_to(root).with_suffix("").parts))
    with atheris.instrument_imports(include=packages):
        for name in packages:
            pkg = importlib.import_module(name)
            for info in pkgutil.walk_packages(getattr(pkg, "__path__", []), f"{name}."):
                importlib.import_module(info.name)
    importlib.import_module("pmdesk.cli")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--list"]:
        print("\n".join(TARGETS))
        return 0
    if not argv or argv[0] not in TARGETS:
        print(f"usage: python -m tests.fuzz.coverage {{{','.join(TARGETS)}}} [libFuzzer options]", file=sys.stderr)
        return 2
    target, rest = argv[0], argv[1:]
    _seeds, suffix, command, packages = TARGETS[target]
    import atheris

    _instrumented(packages)
    from pmdesk import cli

    work = Path(tempfile.mkdtemp(prefix=f"pmdesk-cov-{target}-"))
    corpus = work / "corpus"
    corpus.mkdir()
    for p in seeds(target):  # libFuzzer mutates what is in its corpus folder: protobuf inflated (not its gzip)
        data = p.read_bytes()
        (corpus / p.name).write_bytes(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
    case, index = work / f"input{suffix}", work / "idx"

    def one_input(data: bytes) -> None:
        case.write_bytes(data)
        for args in (["info", str(case)], [command, str(case)]):
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                try:
                    rc = cli.main([*args, "--index-dir", str(index)])
                except SystemExit as e:
                    rc = e.code if isinstance(e.code, int) else 2
            if rc not in (0, 2):
                raise AssertionError(f"{args[0]} exited {rc}")

    atheris.Setup([sys.argv[0], *rest, str(corpus)], one_input)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
