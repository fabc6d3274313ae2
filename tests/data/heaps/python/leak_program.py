"""A Python program that keeps a known structure alive, snapshots its heap with pmdesk.capture, and writes
the facts pmdesk's answers are checked against (tests/test_pyheap.py runs it with the interpreter under
test): what a full collection frees when the leak's last reference is dropped right after the snapshot, as
tracemalloc measures it (the blocks this file's lines allocated), and the sum of sys.getsizeof over the leak's objects.

Usage: python leak_program.py SNAPSHOT TRUTH.json [SESSIONS]
"""

import gc
import json
import sys
import threading
import tracemalloc

import pmdesk.capture

tracemalloc.start()
# the blocks this file's lines allocate (the leak's): the filter is made before anything is measured
MINE = [tracemalloc.Filter(True, __file__)]
gc.collect()  # a full collection empties the free lists: every block the leak uses is traced from here on


class Session:
    __slots__ = ("key", "payload")

    def __init__(self, key: str, payload: list) -> None:
        self.key = key
        self.payload = payload


CACHE: dict = {}
DUPLICATES = ["-".join(["copy"] * 20) for _ in range(100)]  # 100 equal strings, each built (not interned)


def build(n: int) -> None:
    for i in range(n):
        key = f"session-{i:06d}"
        # no ints: CPython 3.11 allocates 4 bytes more for an int than sys.getsizeof says
        CACHE[key] = (key.upper(), Session(key + "!", [bytes(100), "x" * 50 + str(i)]))


def getsizeof_sum(root: object) -> int:
    """sys.getsizeof over everything the leak holds, each object once."""
    seen, todo, total = set(), [root], 0
    while todo:
        o = todo.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        total += sys.getsizeof(o)
        if isinstance(o, dict):
            todo += [*o.keys(), *o.values()]
        elif isinstance(o, (list, tuple)):
            todo += o
        elif isinstance(o, Session):
            todo += [o.key, o.payload]
    return total


def worker(ready: threading.Event, done: threading.Event) -> None:
    buffer = bytearray(64 * 1024)  # kept alive by this frame only
    ready.set()
    done.wait()
    del buffer


def main() -> None:
    snapshot, truth = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    build(n)
    size_sum = getsizeof_sum(CACHE)
    ready, done = threading.Event(), threading.Event()
    t = threading.Thread(target=worker, args=(ready, done), name="holder")
    t.start()
    ready.wait()
    gc.collect()
    written = pmdesk.capture.snapshot(snapshot)
    gc.collect()
    cache_id = id(CACHE)
    before = tracemalloc.take_snapshot().filter_traces(MINE)
    globals().pop("CACHE")
    gc.collect()
    gc.collect()  # the dict went to its free list in the first: a full collection empties the free lists
    after = tracemalloc.take_snapshot().filter_traces(MINE)
    freed = -sum(d.size_diff for d in after.compare_to(before, "filename"))
    done.set()
    t.join()
    with open(truth, "w") as f:
        json.dump({"cache_id": cache_id, "cache_freed_bytes": freed, "cache_getsizeof_bytes": size_sum,
                   "sessions": n, "objects": written["objects"], "holder_buffer_bytes": 64 * 1024,
                   "duplicates": len(DUPLICATES), "duplicate_bytes": sys.getsizeof(DUPLICATES[0]),
                   "python": sys.version}, f, indent=1)


if __name__ == "__main__":
    main()
