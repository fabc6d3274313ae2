"""The one shape every thread-dump parser produces (Java, Go, Python — and the goroutines of a Go core), and how
it goes into the index (the td_* tables of schema/threads.sql)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pmdesk.base.file_numbers import in_int64
from pmdesk.readers.base import IndexSink


@dataclass
class Frame:
    function: str
    file: str | None = None
    line: int | None = None
    module: str | None = None


@dataclass
class LockRef:
    lock_id: str
    cls: str | None
    relation: str  # 'locked' | 'waiting_to_lock' | 'waiting_on' | 'parking' | 'owns' (ownable synchronizer)
    depth: int  # frame the line follows (-1: the thread's list of ownable synchronizers)


@dataclass
class Ancestor:
    """A goroutine that started this one (or started its starter…), with its stack where it did — what the Go
    runtime prints after a goroutine as `[originating from goroutine N]:` under GODEBUG=tracebackancestors."""

    ident: str
    frames: list[Frame] = field(default_factory=list)
    created_by: str | None = None


@dataclass
class Thread:
    name: str
    ident: str  # Java "#12" number or tid, goroutine id, Python thread id
    line: int  # 1-based line of the thread's header in the file
    state: str = ""
    detail: str = ""  # what the state says besides: "parking", a Go wait reason, …
    native_id: str | None = None
    daemon: bool | None = None
    priority: int | None = None
    cpu_ms: float | None = None
    elapsed_s: float | None = None
    java_thread: bool = True  # False for JVM-internal threads (no java.lang.Thread object)
    created_by: str | None = None
    frames: list[Frame] = field(default_factory=list)
    locks: list[LockRef] = field(default_factory=list)
    ancestors: list[Ancestor] = field(default_factory=list)  # Go: nearest first


@dataclass
class DumpRecord:
    runtime: str  # 'java' | 'go' | 'python'
    line: int
    title: str
    timestamp: str | None = None
    threads: list[Thread] = field(default_factory=list)


THREAD_COLUMNS = ("dump_idx", "thread_idx", "name", "ident", "line", "state", "detail", "native_id", "daemon",
                  "priority", "cpu_ms", "elapsed_s", "java_thread", "created_by", "stack_id")


def _cell(v: Any) -> Any:
    """A value as SQLite can hold it: a number from the file beyond 64 bits (a line 2**66) or not finite is
    unknown (None); anything not a scalar (a name that is a JSON object) becomes its text."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v if in_int64(v) else None
    if isinstance(v, float):
        return v if v == v and abs(v) != float("inf") else None
    return str(v)[:1000]


def _cells(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [tuple(_cell(v) for v in r) for r in rows]


def write(sink: IndexSink, dumps: list[DumpRecord]) -> None:
    stacks: dict[tuple[int, ...], int] = {}  # by the frames' identities: parsers share equal Frame objects
    frames: list[tuple[Any, ...]] = []
    threads: list[tuple[Any, ...]] = []
    locks: list[tuple[Any, ...]] = []
    ancestors: list[tuple[Any, ...]] = []

    def stack_id(of: list[Frame]) -> int:
        key = tuple(map(id, of))
        sid = stacks.get(key)
        if sid is None:
            sid = stacks[key] = len(stacks)
            frames.extend((sid, i, f.function, f.file, f.line, f.module) for i, f in enumerate(of))
        return sid

    for d, dump in enumerate(dumps):
        for t, th in enumerate(dump.threads):
            sid = stack_id(th.frames)
            ancestors.extend((d, t, k, a.ident, a.created_by, stack_id(a.frames)) for k, a in enumerate(th.ancestors))
            threads.append((d, t, th.name, th.ident, th.line, th.state, th.detail, th.native_id, th.daemon,
                            th.priority, th.cpu_ms, th.elapsed_s, th.java_thread, th.created_by, sid))
            locks.extend((d, t, lk.lock_id, lk.cls, lk.relation, lk.depth) for lk in th.locks)
    sink.insert("td_dump", ("dump_idx", "runtime", "line", "title", "timestamp", "threads"),
                _cells([(d, x.runtime, x.line, x.title, x.timestamp, len(x.threads)) for d, x in enumerate(dumps)]))
    sink.insert("td_thread", THREAD_COLUMNS, _cells(threads))
    sink.insert("td_stack_frame", ("stack_id", "depth", "function", "file", "line", "module"), _cells(frames))
    sink.insert("td_lock", ("dump_idx", "thread_idx", "lock_id", "class", "relation", "depth"), _cells(locks))
    sink.insert("td_ancestor", ("dump_idx", "thread_idx", "position", "ident", "created_by", "stack_id"),
                _cells(ancestors))
