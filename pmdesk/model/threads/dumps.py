"""Thread-dump queries over one or several indexed files (a series): threads with frames and locks, lock
owners, deadlocks, identical stacks grouped, and threads stuck on the same stack across the series."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pmdesk.base.words import plural
from pmdesk.model.dump import Dump

IDLE_JAVA_STATES = ("WAITING", "TIMED_WAITING")  # idle unless they wait for a lock someone holds


@dataclass(frozen=True)
class StackFrame:
    function: str
    file: str | None
    line: int | None

    def as_json(self) -> dict[str, Any]:
        return {"function": self.function, "file": self.file, "line": self.line}

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.file and self.line else (self.file or "")
        return f"{self.function} ({where})" if where else self.function


@dataclass
class GoAncestor:
    """A goroutine that started this one (or its starter), with its stack where it did."""

    ident: str
    frames: list[StackFrame]
    created_by: str | None

    def as_json(self) -> dict[str, Any]:
        return {"goroutine": self.ident, "frames": [f.as_json() for f in self.frames], "created_by": self.created_by}


@dataclass
class ThreadInfo:
    dump: int  # position in the series
    idx: int
    name: str
    ident: str
    state: str
    detail: str
    runtime: str
    java_thread: bool
    daemon: bool | None
    frames: list[StackFrame] = field(default_factory=list)
    holds: list[str] = field(default_factory=list)
    waits_for: str | None = None
    wait_status: str | None = None  # 'deadlocked' | 'blocked' | None
    line: int = 0
    created_by: str | None = None  # Go: the function that started the goroutine
    lock_lines: list[tuple[int, str, str, str | None]] = field(default_factory=list)  # (depth, relation, id, class)
    ancestors: list[GoAncestor] = field(default_factory=list)  # Go: who started it, nearest first

    def stack_text(self) -> str:
        """The thread as a thread dump prints it: its name and state, then a line per frame ('at …'), the
        locks it holds and waits for, and for a goroutine the function that created it — what Ctrl+C copies."""
        lines = [f'"{self.name}" {self.state}' + (f" ({self.detail})" if self.detail else "")]
        lines += [f"\tat {f}" for f in self.frames]
        lines += [f"\t- holds {lock}" for lock in self.holds]
        if self.waits_for:
            lines.append(f"\t- waits for {self.waits_for}")
        if self.created_by:
            lines.append(f"\tcreated by {self.created_by}")
        for a in self.ancestors:
            lines.append(f"[originating from goroutine {a.ident}]:")
            lines += [f"\tat {f}" for f in a.frames]
            if a.created_by:
                lines.append(f"\tcreated by {a.created_by}")
        return "\n".join(lines) + "\n"

    @property
    def top_frame(self) -> StackFrame | None:
        """The frame a reader looks at first: for a goroutine the first one outside the Go runtime (gopark and
        friends are how every blocked goroutine waits), else the innermost."""
        if self.runtime == "go":
            return next((f for f in self.frames if not f.function.startswith("runtime.")),
                        self.frames[0] if self.frames else None)
        return self.frames[0] if self.frames else None

    @property
    def key(self) -> tuple[str, str]:
        """How a thread is recognised in the next dump of a series (cpu=/elapsed= churn ignored)."""
        return self.name, self.ident

    @property
    def stack(self) -> tuple[StackFrame, ...]:
        return tuple(self.frames)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "id": self.ident, "state": self.state,
                "frames": [f.as_json() for f in self.frames], "holds": self.holds, "waits_for": self.waits_for,
                "ancestors": [a.as_json() for a in self.ancestors]}


@dataclass
class Lock:
    id: str
    cls: str | None
    owner: str | None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "class": self.cls, "owner": self.owner}


@dataclass
class Deadlock:
    threads: list[str]
    locks: list[str]
    classes: list[str | None] = field(default_factory=list)  # each lock's class, when the dump names it
    ids: list[str] = field(default_factory=list)  # each thread's id (names repeat: pools reuse them)
    repeated: bool = False  # a name on the cycle is used by other threads of the dump too

    def as_json(self) -> dict[str, Any]:
        return {"threads": self.threads, "locks": self.locks, "ids": self.ids}

    def members(self) -> list[str]:
        """The threads as a reader tells them apart: by name, with their ids when a name is not unique."""
        if not self.repeated:
            return list(self.threads)
        return [f"{n} ({i})" for n, i in zip(self.threads, self.ids, strict=True)]


@dataclass
class StackGroup:
    frames: tuple[StackFrame, ...]
    threads: list[ThreadInfo]
    state: str

    def as_json(self) -> dict[str, Any]:
        return {"count": len(self.threads), "frames": [f.as_json() for f in self.frames],
                "threads": [t.name for t in self.threads], "state": self.state}


@dataclass
class DumpView:
    """One dump of the series."""

    label: str
    runtime: str
    title: str
    timestamp: str | None
    threads: list[ThreadInfo]
    locks: list[Lock]
    deadlocks: list[Deadlock]


def load_dumps(dump: Dump, series_offset: int = 0) -> list[DumpView]:
    """Every dump in one indexed file."""
    conn = dump.conn
    out: list[DumpView] = []
    heads = conn.execute("SELECT dump_idx, runtime, title, timestamp, line FROM td_dump ORDER BY dump_idx").fetchall()
    stacks: dict[int, list[StackFrame]] = defaultdict(list)
    for sid, fn, file, line in conn.execute("SELECT stack_id, function, file, line FROM td_stack_frame "
                                            "ORDER BY stack_id, depth"):
        stacks[sid].append(StackFrame(fn, file, line))
    holds: dict[tuple[int, int], list[str]] = defaultdict(list)
    classes: dict[tuple[int, str], str | None] = {}
    lock_lines: dict[tuple[int, int], list[tuple[int, str, str, str | None]]] = defaultdict(list)
    for d, t, lock, cls, rel, depth in conn.execute("SELECT dump_idx, thread_idx, lock_id, class, relation, depth "
                                                    "FROM td_lock ORDER BY dump_idx, thread_idx, depth"):
        classes.setdefault((d, lock), cls)
        lock_lines[(d, t)].append((depth, rel, lock, cls))
        if rel in ("locked", "owns") and lock not in holds[(d, t)]:
            holds[(d, t)].append(lock)
    waits = {(d, t): (lock, owner, status) for d, t, lock, owner, status in conn.execute(
        "SELECT dump_idx, thread_idx, lock_id, owner_idx, status FROM td_wait")}
    ancestors: dict[tuple[int, int], list[GoAncestor]] = defaultdict(list)
    for d, t, ident, created, sid in conn.execute("SELECT dump_idx, thread_idx, ident, created_by, stack_id "
                                                  "FROM td_ancestor ORDER BY dump_idx, thread_idx, position"):
        ancestors[(d, t)].append(GoAncestor(ident, stacks[sid], created))
    by_dump: dict[int, list[ThreadInfo]] = defaultdict(list)
    runtime_of = {h[0]: h[1] for h in heads}
    for (d, t, name, ident, state, detail, java, daemon, line, sid, created) in conn.execute(
            "SELECT dump_idx, thread_idx, name, ident, state, detail, java_thread, daemon, line, stack_id, created_by "
            "FROM td_thread ORDER BY dump_idx, thread_idx"):
        w = waits.get((d, t))
        by_dump[d].append(ThreadInfo(series_offset + d, t, name, ident, state, detail or "", runtime_of[d],
                                     bool(java), None if daemon is None else bool(daemon), stacks[sid],
                                     holds[(d, t)], w[0] if w else None, w[2] if w else None, line, created,
                                     lock_lines[(d, t)], ancestors[(d, t)]))
    cycles: dict[int, dict[int, list[tuple[int, str]]]] = defaultdict(lambda: defaultdict(list))
    for d, c, _pos, t, lock in conn.execute("SELECT dump_idx, cycle, position, thread_idx, lock_id FROM td_deadlock "
                                            "ORDER BY dump_idx, cycle, position"):
        cycles[d][c].append((t, lock))
    for d, runtime, title, ts, line in heads:
        threads = by_dump[d]
        names = {t.idx: t.name for t in threads}
        idents = {t.idx: t.ident for t in threads}
        name_count: dict[str, int] = defaultdict(int)
        for t in threads:
            name_count[t.name] += 1
        owners: dict[str, str] = {}
        for th in threads:
            for lk in th.holds:
                owners.setdefault(lk, th.name)
        lock_ids = sorted({lk for (dd, lk) in classes if dd == d})
        locks = [Lock(lk, classes[(d, lk)], owners.get(lk)) for lk in lock_ids]
        deadlocks = [Deadlock([names[t] for t, _l in members], [lock for _t, lock in members],
                              [classes.get((d, lock)) for _t, lock in members], [idents[t] for t, _l in members],
                              any(name_count[names[t]] > 1 for t, _l in members))
                     for _c, members in sorted(cycles[d].items())]
        label = f"{dump.name}" + (f" #{d + 1} (line {line:,})" if len(heads) > 1 else "")
        if len({h[2] for h in heads}) > 1:  # dumps of different processes (an Android ANR trace): say which
            label += f" — {title}"
        out.append(DumpView(label, runtime, title, ts, threads, locks, deadlocks))
    return out


def series_of(dump: Dump) -> list[DumpView]:
    """The dumps of an open thread-dump file (loaded once per open dump)."""
    if "thread_series" not in dump.cache:
        dump.cache["thread_series"] = load_dumps(dump)
    return dump.cache["thread_series"]


def groups(threads: list[ThreadInfo]) -> list[StackGroup]:
    """Threads with identical stacks (and state) bucketed, biggest bucket first (panicparse's idea)."""
    buckets: dict[tuple[Any, ...], list[ThreadInfo]] = defaultdict(list)
    for t in threads:
        buckets[(t.state, t.stack)].append(t)
    out = [StackGroup(stack, members, state) for (state, stack), members in buckets.items()]
    out.sort(key=lambda g: (-len(g.threads), g.threads[0].idx))
    return out


def stuck(series: list[DumpView]) -> list[str]:
    """Threads present in every dump of the series (two or more) with the same stack each time, except
    Java threads idle in WAITING/TIMED_WAITING that wait for no lock someone holds (a pool worker parked on
    its queue's condition is idle, one parked on a held ReentrantLock is stuck)."""
    if len(series) < 2:
        return []
    first = {t.key: t for t in series[0].threads}
    same = {k for k, t in first.items() if t.frames}
    for dv in series[1:]:
        now = {t.key: t for t in dv.threads}
        same = {k for k in same if k in now and now[k].stack == first[k].stack and now[k].state == first[k].state}
    last = {t.key: t for t in series[-1].threads}
    owners = {lk.id: lk.owner for lk in series[-1].locks}
    out = []
    for t in series[-1].threads:
        if t.key not in same:
            continue
        idle = (t.runtime == "java" and t.state in IDLE_JAVA_STATES
                and (t.waits_for is None or owners.get(t.waits_for) is None))
        if not idle and t.state != "VM":
            out.append(last[t.key].name)
    return out


def status_line(dump: Dump) -> str:
    """What the status line says once a thread-dump file is open."""
    m = dump.meta
    return f"{plural(m.get('summary.threads', 0), 'thread')} in {plural(m.get('threads.dumps', 0), 'dump')}"


def overview(dump: Dump) -> list[tuple[str, str]]:
    """(label, value) pairs describing a thread-dump file."""
    m = dump.meta
    rows = dump.conn.execute("SELECT runtime, COUNT(*), SUM(threads) FROM td_dump GROUP BY runtime").fetchall()
    deadlocks = dump.conn.execute("SELECT COUNT(DISTINCT dump_idx || ':' || cycle) FROM td_deadlock").fetchone()[0]
    return [
        ("File", dump.path),
        ("Format", ", ".join(f"{n} {rt} dump{'s' if n > 1 else ''}" for rt, n, _t in rows)),
        ("File size", f"{m.get('dump.size', 0):,} bytes"),
        ("Threads", f"{sum(t or 0 for _r, _n, t in rows):,} (all dumps)"),
        ("Deadlocks", f"{deadlocks:,}"),
        ("Index", str(dump.index_path)),
    ]


def report(dumps: list[Dump]) -> dict[str, Any]:
    """The `pmdesk threads --json` document for one file or a series of files."""
    series: list[DumpView] = []
    for d in dumps:
        series.extend(load_dumps(d, len(series)))
    last = series[-1]
    return {
        "dumps": len(series),
        "threads": [t.as_json() for t in last.threads],
        "locks": [lk.as_json() for lk in last.locks],
        "deadlocks": [dl.as_json() for dl in last.deadlocks],
        "groups": [g.as_json() for g in groups(last.threads)],
        "stuck": stuck(series),
    }
