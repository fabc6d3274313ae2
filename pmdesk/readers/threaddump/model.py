"""The one shape every thread-dump parser produces (Java, Go, Python), and how it goes into the index."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


@dataclass
class DumpRecord:
    runtime: str  # 'java' | 'go' | 'python'
    line: int
    title: str
    timestamp: str | None = None
    threads: list[Thread] = field(default_factory=list)


def write(sink: IndexSink, dumps: list[DumpRecord]) -> None:
    dump_rows: list[dict[str, Any]] = []
    threads: list[dict[str, Any]] = []
    frames: list[dict[str, Any]] = []
    locks: list[dict[str, Any]] = []
    for d, dump in enumerate(dumps):
        dump_rows.append({"dump_idx": d, "runtime": dump.runtime, "line": dump.line, "title": dump.title,
                          "timestamp": dump.timestamp, "threads": len(dump.threads)})
        for t, th in enumerate(dump.threads):
            threads.append({"dump_idx": d, "thread_idx": t, "name": th.name, "ident": th.ident, "line": th.line,
                            "state": th.state, "detail": th.detail, "native_id": th.native_id,
                            "daemon": th.daemon, "priority": th.priority, "cpu_ms": th.cpu_ms,
                            "elapsed_s": th.elapsed_s, "java_thread": th.java_thread, "created_by": th.created_by})
            frames.extend({"dump_idx": d, "thread_idx": t, "depth": i, "function": f.function, "file": f.file,
                           "line": f.line, "module": f.module} for i, f in enumerate(th.frames))
            locks.extend({"dump_idx": d, "thread_idx": t, "lock_id": lk.lock_id, "class": lk.cls,
                          "relation": lk.relation, "depth": lk.depth} for lk in th.locks)
    sink.rows("td_dump", dump_rows)
    sink.rows("td_thread", threads)
    sink.rows("td_frame", frames)
    sink.rows("td_lock", locks)
