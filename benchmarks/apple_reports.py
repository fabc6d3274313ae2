"""Benchmark: each corpus Apple report (../shared/corpus/out/mobile) opened and symbolicated from its dSYMs in a
fresh process (`pmdesk translate --symbolicate`, which reads the report, searches the dSYM folder by UUID and
names every unnamed frame), beside llvm-symbolizer-14 naming the same frames from the same dSYMs (on Linux the
reference tools — atos, MacSymbolicator — do not run; llvm-symbolizer is what Xcode's own toolchain ships).
Prints per report: the frames named, wall time, peak RSS, and the ratio to llvm-symbolizer. Also the time to
index each report (`pmdesk stack`, the crash model into the index, as double-clicking it does).

Usage: python benchmarks/apple_reports.py
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pmdesk.native.macho import slices  # only to place an image offset at the dSYM's __TEXT address

ROOT = Path(__file__).resolve().parents[1]
MOBILE = ROOT.parent / "shared" / "corpus" / "out" / "mobile"
PMDESK = [sys.executable, "-m", "pmdesk"]


def timed(argv: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS of that child (bytes), stdout."""
    t = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            sys.exit(f"{' '.join(argv)} failed ({child.returncode})")
        out.seek(0)
        return wall, usage.ru_maxrss * 1024, out.read().decode()


def unnamed_frames(ips: Path) -> list[tuple[str, str, int]]:
    """(image name, arch, vmaddr-relative address) of the frames the report left unnamed."""
    body = json.loads(ips.read_text().split("\n", 1)[1])
    images = body["usedImages"]
    out = []
    for t in body["threads"]:
        for f in t.get("frames", []):
            if "symbol" not in f:
                img = images[f["imageIndex"]]
                out.append((img.get("name", "?"), img.get("arch", "x86_64"), f["imageOffset"]))
    return out


def main() -> int:
    if not MOBILE.exists():
        sys.exit(f"{MOBILE} is not here")
    dsyms = {p.name.split(".")[0]: p for p in (MOBILE / "dsym").glob("*.dSYM")}
    print(f"{'report':44} {'frames':>6} {'pmdesk s':>9} {'peak MB':>8} {'llvm-sym s':>10} {'ratio':>6} {'index s':>8}")
    for ips in sorted((MOBILE / "ips").glob("*.ips")):
        wall, peak, out = timed([*PMDESK, "translate", "--symbolicate", "--debug-dir", str(MOBILE / "dsym"),
                                 str(ips)])
        named = len(re.findall(r"\(in \S+\) \(", out))
        ref = None
        if shutil.which("llvm-symbolizer-14"):
            ref = 0.0
            for (name, arch, offset) in unnamed_frames(ips):
                if name in dsyms:
                    dwarf = dsyms[name] / "Contents" / "Resources" / "DWARF" / name
                    text_vmaddr = next(s.text_vmaddr for s in slices(str(dwarf)) if s.arch == arch)
                    w, _p, _o = timed(["llvm-symbolizer-14", f"--obj={dwarf}", f"--default-arch={arch}",
                                       hex(text_vmaddr + offset)])
                    ref += w
        with tempfile.TemporaryDirectory() as idx:
            iw, _ip, _ = timed([*PMDESK, "stack", str(ips), "--index-dir", idx, "--json"])
        ratio = f"{wall / ref:.2f}" if ref else "-"
        print(f"{ips.name:44} {named:>6} {wall:>9.3f} {peak / 2**20:>8.1f} {ref or 0:>10.3f} {ratio:>6} {iw:>8.3f}")
    for crash in sorted((MOBILE / "crash").glob("*.crash")):
        with tempfile.TemporaryDirectory() as idx:
            iw, ip, out = timed([*PMDESK, "stack", str(crash), "--index-dir", idx, "--debug-dir",
                                 str(MOBILE / "dsym"), "--json"])
        frames = sum(len(t["frames"]) for t in json.loads(out)["threads"])
        print(f"{crash.name:44} {frames:>6} {iw:>9.3f} {ip / 2**20:>8.1f} {'':>10} {'':>6} {'':>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
