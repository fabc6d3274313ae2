"""Off-CPU time from a recording's `sched:sched_switch` samples: each such sample is a thread leaving the CPU,
its stack where it blocked; its off-CPU time runs from that switch-out to the thread's next switch-in. The
switch-ins come from PERF_RECORD_SWITCH / SWITCH_CPU_WIDE records (`perf record --switch-events`: the
switch-out's own record gives its exact time too) and, in system-wide recordings, from sched_switch samples
whose `next_pid` is the thread (the field's offset read from the recording's tracing data, the event's
format file); without either, a thread's next sample of any event stands for its switch-in, later than the
real one by up to a sampling period (said in a diagnostic). Record layout: include/uapi/linux/perf_event.h."""

from __future__ import annotations

import re

import numpy as np

from pmdesk.readers.perfdata.header import TID, TIME, Attr

SCHED_SWITCH = "sched:sched_switch"
SWITCH, SWITCH_CPU_WIDE = 14, 15
MISC_SWITCH_OUT = 1 << 13
NEXT_PID = re.compile(rb"field:pid_t next_pid;\s*offset:(\d+);\s*size:4;")


def gather(buf: np.ndarray, pos: np.ndarray, width: int, big: bool) -> np.ndarray:
    """The unsigned integers of `width` bytes at each of `pos`."""
    if not len(pos):
        return np.zeros(0, np.int64)
    raw = buf[pos[:, None] + np.arange(width)].copy()
    return raw.view(f"{'>' if big else '<'}u{width}").ravel().astype(np.int64)


def switch_records(buf: np.ndarray, types: np.ndarray, offs: np.ndarray, sizes: np.ndarray, attr: Attr,
                   big: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tid, time, is a switch-out) of every SWITCH record, read from its sample_id trailer (none without
    sample_id_all's tid and time)."""
    sel = np.isin(types, (SWITCH, SWITCH_CPU_WIDE))
    at_tid, at_time = attr.trailer(TID), attr.trailer(TIME)
    if not sel.any() or at_tid is None or at_time is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool)
    end = offs[sel] + sizes[sel]
    time = gather(buf, end - at_time, 8, big)
    tid = gather(buf, end - at_tid + 4, 4, big)  # after the pid
    lo, hi = (5, 4) if big else (4, 5)
    misc = buf[offs[sel] + lo].astype(np.int64) | buf[offs[sel] + hi].astype(np.int64) << 8
    return tid, time, (misc & MISC_SWITCH_OUT) != 0


def next_pid_offset(data: bytes) -> int | None:
    """Where sched_switch's next_pid lies in its raw data, from the format text the recording carries."""
    at = data.find(b"name: sched_switch\n")
    if at < 0:
        return None
    got = NEXT_PID.search(data, at, at + 4096)
    return int(got[1]) if got else None


def off_cpu_ns(tid: np.ndarray, time: np.ndarray, is_switch: np.ndarray, ins: tuple[np.ndarray, np.ndarray],
               outs: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Per sample: for a switch-out sample (is_switch) the nanoseconds from its switch-out (the first
    switch-out record of its thread at or after it, before the switch-in; else its own time) to the thread's
    next switch-in (`ins`: tids and times), 0 when none follows; 0 for the other samples. One sort of every
    point by (thread, time) answers all of them (a switch-in at the sample's very time comes before it, a
    switch-out record after it)."""
    out = np.zeros(len(tid), np.float64)
    mine = np.flatnonzero(is_switch)
    (in_tid, in_time), (out_tid, out_time) = ins, outs
    n_in, n_q = len(in_tid), len(mine)
    all_tid = np.concatenate([in_tid, tid[mine], out_tid]).astype(np.int64)
    all_time = np.concatenate([in_time, time[mine], out_time]).astype(np.int64)
    kind = np.repeat(np.arange(3), (n_in, n_q, len(out_tid)))
    order = np.lexsort((kind, all_time, all_tid))
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    by_tid, by_time = all_tid[order], all_time[order]
    q_rank, q_tid, when = rank[n_in:n_in + n_q], tid[mine], time[mine]

    def next_of(ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(whether the thread has such a point after each query, its time)."""
        ranks = np.sort(ranks)
        j = np.searchsorted(ranks, q_rank)
        at = ranks[np.minimum(j, max(len(ranks) - 1, 0))] if len(ranks) else np.zeros(n_q, np.int64)
        found = (j < len(ranks)) & (by_tid[at] == q_tid) if len(ranks) else np.zeros(n_q, bool)
        return found, by_time[at] if len(ranks) else when

    has, resumed = next_of(rank[:n_in])
    own_ok, own = next_of(rank[n_in + n_q:])
    start = np.where(own_ok & (own < resumed), own, when)
    out[mine] = np.where(has, resumed - start, 0)
    return out
