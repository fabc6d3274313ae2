"""Benchmark: from a fresh clone to the first answer, as README says to run pmdesk — `bash scripts/run.sh`
opening the bundled sample in the window (under xvfb-run) until its histogram is shown — with an empty venv
and empty caches, then the same command a second time. Prints both times and the peak RSS of the window.

Usage: python benchmarks/first_run.py    (needs xvfb-run and the system packages README lists)
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(clone: Path, env: dict[str, str]) -> tuple[float, str]:
    t = time.perf_counter()
    r = subprocess.run(["xvfb-run", "-a", "bash", "scripts/run.sh", "--new-instance"], cwd=clone, env=env,
                       capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - t
    if r.returncode != 0 or "opened " not in r.stdout:
        sys.exit(f"the window did not open the sample (rc {r.returncode}): {r.stderr[-1500:]}")
    return wall, r.stderr


def main() -> int:
    if shutil.which("xvfb-run") is None:
        sys.exit("xvfb-run is not installed (apt-get install xvfb)")
    with tempfile.TemporaryDirectory(prefix="pmdesk-first-run-") as tmp:
        clone = Path(tmp) / "pmdesk"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        home = Path(tmp) / "home"
        env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"),
               "XDG_CONFIG_HOME": str(home / ".config"), "XDG_STATE_HOME": str(home / ".state"),
               "PMDESK_EXIT_AFTER_OPEN": "1"}
        for k in ("QT_QPA_PLATFORM", "NUMBA_CACHE_DIR", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE"):  # as a user has it
            env.pop(k, None)
        first, _ = run(clone, env)
        second, _ = run(clone, env)
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        print(f"{'fresh clone → sample histogram shown':<40}{first:8.1f} s  (venv + install + kernels + index)")
        print(f"{'the same command again':<40}{second:8.1f} s")
        print(f"{'peak RSS of a run':<40}{rss / 2**20:8.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
