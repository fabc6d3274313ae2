"""Benchmark: a JFR recording fully indexed (every event and constant pool decoded) by `pmdesk index`
against `jfr print --json FILE > /dev/null` on the same file — both as new processes, JVM / Python start
included, which is what a user waits for — plus MB/s, events/s and peak RSS of each, and the reopen time.

Usage: python benchmarks/jfr_index.py RECORDING.jfr [--jfr PATH_TO_JFR_TOOL] [--runs 3]
A ≥ 15 MB recording: JFR_LARGE_SECONDS=120 ../shared/corpus/gen_jvm.sh build large.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of a new process, from GNU time."""
    r = subprocess.run(["/usr/bin/time", "-f", "%e %M", *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, check=True)
    wall, rss = re.findall(r"^([\d.]+) (\d+)$", r.stderr, re.M)[-1]
    return float(wall), int(rss) / 1024


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("recording")
    ap.add_argument("--jfr", default=shutil.which("jfr") or "jfr")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    mb = os.path.getsize(args.recording) / 1e6
    py = [sys.executable, "-m", "pmdesk"]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([*py, "index", args.recording, "--index-dir", tmp], check=True,  # compiles numba caches
                       capture_output=True)
        ours = min(timed([*py, "index", args.recording, "--index-dir", tmp, "--force"]) for _ in range(args.runs))
        reopen = min(timed([*py, "info", args.recording, "--index-dir", tmp]) for _ in range(args.runs))
        events = subprocess.run([*py, "info", args.recording, "--index-dir", tmp, "--json"], capture_output=True,
                                text=True, check=True).stdout
    n = json.loads(events)["summary"]["events"]
    theirs = min(timed([args.jfr, "print", "--json", args.recording]) for _ in range(args.runs))
    print(f"recording           {mb:,.1f} MB, {n:,} records")
    print(f"pmdesk index        {ours[0]:.2f} s = {mb / ours[0]:,.1f} MB/s, {n / ours[0]:,.0f} records/s, "
          f"peak RSS {ours[1]:,.0f} MB")
    print(f"jfr print --json    {theirs[0]:.2f} s = {mb / theirs[0]:,.1f} MB/s, peak RSS {theirs[1]:,.0f} MB")
    print(f"ratio               {ours[0] / theirs[0]:.2f} of jfr's wall time")
    print(f"pmdesk reopen       {reopen[0]:.2f} s (pmdesk info, new process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
