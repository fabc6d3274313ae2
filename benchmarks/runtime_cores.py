"""Benchmark: runtime-aware crashes — a HotSpot fatal error log, a Go program's core (its goroutines) and a
CPython process's core (its Python threads, made here by the interpreter running this) read by pmdesk
(`pmdesk stack` / `pmdesk threads` into a fresh index, in a subprocess), against gdb's `thread apply all bt`
on the same core (the real tool for its native stacks; dlv and pystack are not installable here, and py-spy
0.4.2's `dump --core` refuses these cores). Prints seconds, MB/s, peak resident memory and the ratio to gdb.

Usage: python benchmarks/runtime_cores.py
"""

from __future__ import annotations

import gzip
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
PY = [sys.executable, "-m", "pmdesk"]


def timed(argv: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """Seconds and the child's peak resident bytes of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=cwd, capture_output=True, check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) * 1024


def gdb_seconds(core: Path, program: Path | None) -> float | None:
    if shutil.which("gdb") is None:
        return None
    argv = ["gdb", "-batch", "-nx", "-ex", "thread apply all bt"] + ([str(program)] if program else []) + \
        ["-c", str(core)]
    t0 = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=False)
    return time.perf_counter() - t0


def python_core(work: Path) -> Path | None:
    """A core of this interpreter, aborted with four threads (tests/test_python_core.py's program)."""
    from tests.conftest import cores_written_here, enable_cores
    from tests.test_python_core import PROGRAM

    if not cores_written_here():
        return None
    (work / "crash.py").write_text(PROGRAM)
    subprocess.run([sys.executable, str(work / "crash.py")], cwd=work, capture_output=True, preexec_fn=enable_cores,
                   timeout=120, check=False)
    found = [p for p in work.iterdir() if p.name.startswith("core")]
    return found[0].rename(work / "python.core") if found else None


def row(what: str, path: Path, seconds: float, peak: int, gdb: float | None) -> None:
    mb = path.stat().st_size / 1e6
    ratio = f"{gdb / seconds:5.2f}x gdb" if gdb else "      -"
    print(f"{what:<34}{mb:>9.1f} MB{seconds:>8.2f} s{mb / seconds:>9.1f} MB/s{peak / 1e6:>9.0f} MB peak   {ratio}")


def main() -> int:
    sys.path.insert(0, str(ROOT))
    print(f"{'what':<34}{'size':>12}{'time':>10}{'rate':>14}{'memory':>14}   vs gdb (>1: pmdesk faster)")
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        for log in sorted((DATA / "hserr").glob("jdk*-hs_err_pid*.log"))[:3]:
            seconds, peak = timed([*PY, "stack", str(log), "--index-dir", str(work / "idx"), "--json"])
            row(f"hs_err {log.name.split('-hs_err')[0]}", log, seconds, peak, None)
        go = work / "go"
        go.mkdir()
        core = go / "crash.core"
        core.write_bytes(gzip.decompress((DATA / "native" / "go" / "crash.core.gz").read_bytes()))
        shutil.copy(DATA / "native" / "go" / "crash.bin", go / "crash.bin")
        seconds, peak = timed([*PY, "threads", str(core), "--index-dir", str(work / "idx"), "--json"])
        row("Go core: goroutines (amd64)", core, seconds, peak, gdb_seconds(core, go / "crash.bin"))
        py = work / "py"
        py.mkdir()
        pycore = python_core(py)
        if pycore is not None:
            seconds, peak = timed([*PY, "threads", str(pycore), "--index-dir", str(work / "idx"), "--json"])
            row(f"CPython {sys.version_info[0]}.{sys.version_info[1]} core: Python threads", pycore, seconds, peak,
                gdb_seconds(pycore, Path(sys.executable)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
