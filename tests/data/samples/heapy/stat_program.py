"""A program that dumps guppy3/heapy stats of its own heap as it grows — three partitions by kind appended to
one file, one partition by identity of a set, and a difference heapy computed — then writes what heapy
itself prints for each entry loaded back and for the difference of the last two (tests/test_heapy.py).

Usage: python stat_program.py OUT_DIR
"""

import json
import sys
from pathlib import Path

from guppy import hpy

KEEP: list = []


def load_all(h: object, dump: Path) -> list:
    """Every entry of the dump, loaded back by heapy."""
    with open(dump) as f:
        entries = []
        while True:
            try:
                entries.append(h.load(f, use_readline=True))
            except StopIteration:
                return entries


def main() -> None:
    out = Path(sys.argv[1])
    dump = out / "growing.heapy"
    h = hpy()
    h.setrelheap()
    h.heap().stat.dump(str(dump))
    KEEP.append([bytearray(100) for _ in range(1000)])
    h.heap().stat.dump(str(dump))
    KEEP.append({f"key-{i}": [i] for i in range(1500)})
    last = h.heap().stat
    last.dump(str(dump))
    h.heap()[0].byid.stat.dump(str(dump))
    entries = load_all(h, dump)
    (entries[2] - entries[1]).dump(str(dump))
    entries = load_all(h, dump)
    truth = {"entries": [str(e) for e in entries], "difference 3 - 2": str(entries[2] - entries[1]),
             "difference 3 - 1": str(entries[2] - entries[0]), "numrows": [e.numrows for e in entries]}
    (out / "truth.json").write_text(json.dumps(truth, indent=1))


if __name__ == "__main__":
    main()
