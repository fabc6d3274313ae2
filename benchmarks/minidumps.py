"""Benchmark: minidumps opened in a fresh process (`pmdesk stack --json`: directory, streams, every thread
walked with CFI and symbols, the index written) against Breakpad's minidump_stackwalk on the same file, with
wall time, peak RSS and the ratio: each dump of tests/data/minidump (with its .sym files), and a full-memory
minidump of about 100 MB.

No tool here writes a full-memory minidump (Windows' procdump/WER and Crashpad's full dumps are not
available), so the big one is made from the real Breakpad dump tests/data/minidump/threads.dmp: its streams
kept as they are, plus a Memory64List (as full dumps carry it) of 1,600 ranges of 64 KiB whose bytes are this
machine's libc and libstdc++ repeated, and a MemoryInfoList describing them. It is written to a temporary
folder, never kept.

Usage: python benchmarks/minidumps.py [MEGABYTES]   (default 100)
(`--make OUT MEGABYTES` writes the big dump only: the benchmark runs it in a child process, so the memory that
took is not counted in the peaks of the processes measured after it.)
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "minidump"
PMDESK = [sys.executable, "-m", "pmdesk"]
STACKWALK = Path(os.environ.get("PMDESK_ORACLES", Path.home() / ".cache" / "pmdesk-oracles")) / "node_modules" / \
    "minidump" / "bin" / "linux-x64" / "minidump_stackwalk"
RANGE_BYTES = 64 << 10


def timed(argv: list[str]) -> tuple[float, int]:
    """Wall seconds and the child's peak RSS in bytes."""
    t = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"{' '.join(argv)} failed")
    return time.perf_counter() - t, usage.ru_maxrss * 1024


def full_memory_dump(base: Path, out: Path, megabytes: int) -> None:
    """`base` with a Memory64List of `megabytes` MB and a MemoryInfoList appended, a new stream directory
    listing the old streams and the two new ones, and the header pointing at it."""
    data = bytearray(base.read_bytes())
    _sig, _ver, count, dir_rva = struct.unpack_from("<4sIII", data)
    entries = [struct.unpack_from("<III", data, dir_rva + 12 * i) for i in range(count)]
    filler = b"".join(Path(p).read_bytes() for p in ("/lib/x86_64-linux-gnu/libc.so.6",
                                                      "/lib/x86_64-linux-gnu/libstdc++.so.6") if os.path.exists(p))
    filler = (filler or os.urandom(1 << 20)) * 2
    n = megabytes * (1 << 20) // RANGE_BYTES
    starts = [0x7E0000000000 + i * 2 * RANGE_BYTES for i in range(n)]
    while len(data) % 8:
        data.append(0)
    list_rva = len(data)
    head = struct.pack("<QQ", n, list_rva + 16 + 16 * n)
    data += head + b"".join(struct.pack("<QQ", s, RANGE_BYTES) for s in starts)
    for i in range(n):
        at = (i * RANGE_BYTES * 7) % (len(filler) - RANGE_BYTES)
        data += filler[at:at + RANGE_BYTES]
    info_rva = len(data)
    data += struct.pack("<IIQ", 16, 48, n) + b"".join(
        struct.pack("<QQIIQIIII", s, s, 0x04, 0, RANGE_BYTES, 0x1000, 0x04, 0x20000, 0) for s in starts)
    new_dir = len(data)
    entries += [(9, info_rva - list_rva, list_rva), (16, new_dir - info_rva, info_rva)]
    data += b"".join(struct.pack("<III", *e) for e in entries)
    struct.pack_into("<II", data, 8, len(entries), new_dir)
    out.write_bytes(data)


def row(name: str, path: Path) -> None:
    """First open (index built; the .sym files beside the dump found by debug id), a reopen from the index,
    and Breakpad on the same file with the same .sym files."""
    with tempfile.TemporaryDirectory() as idx:
        wall, peak = timed([*PMDESK, "stack", str(path), "--json", "--index-dir", idx])
        again, _ = timed([*PMDESK, "stack", str(path), "--json", "--index-dir", idx])
    ref = ratio = ref_peak = ""
    if STACKWALK.exists():
        w, p = timed([str(STACKWALK), str(path), str(path.parent / "symbols")])
        ref, ref_peak, ratio = f"{w:.3f}", f"{p / 2**20:.1f}", f"{wall / w:.1f}"
    size = path.stat().st_size
    print(f"{name:34} {size / 2**20:>8.1f} {wall:>9.3f} {size / 2**20 / wall:>8.0f} {peak / 2**20:>8.1f} "
          f"{again:>8.3f} {ref:>9} {ref_peak:>8} {ratio:>6}")


def main() -> int:
    if sys.argv[1:2] == ["--make"]:
        full_memory_dump(DATA / "threads.dmp", Path(sys.argv[2]), int(sys.argv[3]))
        return 0
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    print(f"{'minidump':34} {'MB':>8} {'pmdesk s':>9} {'MB/s':>8} {'peak MB':>8} {'again s':>8} "
          f"{'Breakpad':>9} {'its MB':>8} {'ratio':>6}")
    for f in sorted(DATA.glob("*.dmp")):
        row(f.name, f)
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "full-memory.dmp"
        subprocess.run([sys.executable, __file__, "--make", str(big), str(megabytes)], check=True)
        shutil.copytree(DATA / "symbols", Path(tmp) / "symbols")
        row(f"full memory ({megabytes} MB)", big)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
