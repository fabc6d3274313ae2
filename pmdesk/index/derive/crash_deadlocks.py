"""The deadlocks of a native crash: the cycles of its threads' lock waits (crash_wait → crash_deadlock)."""

from __future__ import annotations

import sqlite3

from pmdesk.index.derive.wait_cycles import wait_cycles


def derive(conn: sqlite3.Connection) -> None:
    waits = {tid: (lock, name, owner) for tid, lock, name, owner in
             conn.execute("SELECT tid, lock, lock_name, owner FROM crash_wait ORDER BY rowid")}
    cycles = wait_cycles({tid: w[2] for tid, w in waits.items()})
    conn.execute("DELETE FROM crash_deadlock")
    conn.executemany("INSERT INTO crash_deadlock (cycle, position, tid, lock, lock_name, owner) "
                     "VALUES (?, ?, ?, ?, ?, ?)",
                     [(c, pos, tid, *waits[tid]) for c, cyc in enumerate(cycles) for pos, tid in enumerate(cyc)])
