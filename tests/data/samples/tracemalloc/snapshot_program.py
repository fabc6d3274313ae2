"""A program that allocates in known places (nested calls, recursion, two files' worth of lines through
json and re), takes two tracemalloc snapshots with Snapshot.dump, and writes what the stdlib itself says of
them: str() of every Statistic of statistics() and of every StatisticDiff of compare_to(), for each key type,
plain and cumulative. tests/test_tracemalloc.py runs it with the interpreter under test.

Usage: python snapshot_program.py OUT_DIR
"""

import json
import sys
import tracemalloc
from pathlib import Path

KEEP: list = []


def leaf(n: int) -> None:
    KEEP.append([bytearray(64 + i % 7) for i in range(n)])


def nested(depth: int, n: int) -> None:
    if depth:
        nested(depth - 1, n)  # the same line twice or more in a traceback: cumulative counts it each time
    else:
        leaf(n)


def parse(n: int) -> None:
    KEEP.append([json.loads(f'{{"k": [1, 2, "{i}"]}}') for i in range(n)])


def main() -> None:
    out = Path(sys.argv[1])
    tracemalloc.start(8)
    nested(3, 500)
    parse(300)
    a = tracemalloc.take_snapshot()
    nested(1, 700)
    KEEP.append(["x" * 200 for _ in range(400)])
    del KEEP[1]
    b = tracemalloc.take_snapshot()
    a.dump(out / "a.tracemalloc")
    b.dump(out / "b.tracemalloc")
    truth = {}
    for key in ("lineno", "filename", "traceback"):
        for cumulative in (False, True) if key != "traceback" else (False,):
            name = key + ("-cumulative" if cumulative else "")
            truth[f"statistics {name}"] = [str(s) for s in b.statistics(key, cumulative)]
            truth[f"compare_to {name}"] = [str(s) for s in b.compare_to(a, key, cumulative)]
    truth["traces"] = len(b.traces)
    truth["bytes"] = sum(t.size for t in b.traces)
    (out / "truth.json").write_text(json.dumps(truth, indent=1))


if __name__ == "__main__":
    main()
