"""Who waits for whom in each thread dump: lock owners, each waiting thread's lock and its owner, and the
cycles of that wait-for graph (deadlocks: Java monitors and ownable synchronizers mixed). A thread that
waits behind a cycle without being on it is 'blocked', not 'deadlocked'. Format-independent: it reads
the td_* tables whatever runtime filled them."""

from __future__ import annotations

import sqlite3
from collections import defaultdict

from pmdesk.index.derive.wait_cycles import wait_cycles

WAITS = ("waiting_to_lock", "parking")
HOLDS = ("locked", "owns")


def derive(conn: sqlite3.Connection) -> None:
    owners: dict[tuple[int, str], int] = {}
    wants: dict[tuple[int, int], str] = {}
    for d, t, lock, rel in conn.execute("SELECT dump_idx, thread_idx, lock_id, relation FROM td_lock "
                                        "ORDER BY dump_idx, thread_idx, depth"):
        if rel in HOLDS:
            owners.setdefault((d, lock), t)
        elif rel in WAITS:
            wants.setdefault((d, t), lock)
    nxt: dict[tuple[int, int], tuple[int, int]] = {}
    for (d, t), lock in wants.items():
        owner = owners.get((d, lock))
        if owner is not None and owner != t:
            nxt[(d, t)] = (d, owner)
    on_cycle: dict[tuple[int, int], int] = {}
    cycles: dict[int, list[list[int]]] = defaultdict(list)
    for cyc in wait_cycles(nxt):
        d = cyc[0][0]
        cycles[d].append([t for _d, t in cyc])
        for u in cyc:
            on_cycle[u] = len(cycles[d]) - 1
    conn.execute("DELETE FROM td_wait")
    conn.execute("DELETE FROM td_deadlock")
    conn.executemany("INSERT INTO td_wait (dump_idx, thread_idx, lock_id, owner_idx, status) VALUES (?, ?, ?, ?, ?)",
                     [(d, t, lock, owners.get((d, lock)), "deadlocked" if (d, t) in on_cycle else "blocked")
                      for (d, t), lock in wants.items()])
    rows = []
    for d, cs in cycles.items():
        for c, members in enumerate(cs):
            for pos, t in enumerate(members):
                rows.append((d, c, pos, t, wants[(d, t)]))
    conn.executemany("INSERT INTO td_deadlock (dump_idx, cycle, position, thread_idx, lock_id) VALUES (?, ?, ?, ?, ?)",
                     rows)
