"""One signature per dump, whatever its kind — what the triage desk buckets by. Two dumps of one bug from
different runs (other addresses, other object ids, other thread ids) get the same signature; a different
fault gets another.

- a native crash (ELF core, minidump, Apple report, tombstone, JVM error log): Socorro's method over the
  crashing thread (native_signature); an Apple report's last exception backtrace when it has one (the stack
  that threw, not the abort that followed); a snapshot of a live process is marked `snapshot | …`
- a heap dump: its top leak suspect — the suspect's class and the classes on its path from a GC root, and
  the class where it accumulates
- thread dumps: the deadlock cycle (each thread's top frame), else the threads stuck across the series, else
  the thread that crashed (Go, Python), else the biggest group of blocked threads
- a JFR recording: its worst finding; a profile: its hottest function (self time)

`SIGNATURE_VERSION` names the rules: a row computed under another version is computed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pmdesk.base.crash import LAST_EXCEPTION_TID, Crash
from pmdesk.model.formats import Kind
from pmdesk.model.triage import native_signature
from pmdesk.model.triage.frame_rules import RULES_VERSION, THREADS, rules_for

if TYPE_CHECKING:
    from pmdesk.model.dump import Dump
    from pmdesk.model.threads.dumps import ThreadInfo

SIGNATURE_VERSION = f"1.{RULES_VERSION}"
KIND_ORDER = (Kind.CRASH, Kind.HEAP_GRAPH, Kind.THREADS, Kind.EVENTS, Kind.SAMPLES)  # a dump's kind for triage
TOP_FRAMES = 5
OOM_WORDS = ("outofmemory", "out of memory", "insufficient memory", "oom-kill", "jetsam")


@dataclass(frozen=True)
class Signature:
    kind: str                  # the data kind it was computed from
    signature: str
    proto: str                 # the longer form kept for search (every frame considered, the whole path)
    top_frames: tuple[str, ...] = ()
    reason: str | None = None  # the crash reason, the finding's summary, the suspect's description


def triage_kind(dump: Dump) -> Kind:
    """The kind a dump is triaged as: the first of KIND_ORDER it holds."""
    return next(k for k in KIND_ORDER if dump.has(k))


def signature_of(dump: Dump) -> Signature:
    """The dump's signature (heap dumps get their object graph built into the index first)."""
    kind = triage_kind(dump)
    return {Kind.CRASH: _crash, Kind.HEAP_GRAPH: _heap, Kind.THREADS: _threads, Kind.EVENTS: _recording,
            Kind.SAMPLES: _profile}[kind](dump)


def crash_signature(crash: Crash) -> Signature:
    """A native crash's signature (Socorro's method with the crash's platform's lists)."""
    from pmdesk.model.crash.report import crash_reason
    from pmdesk.model.crash.store import deadlocks_of

    rules = rules_for(crash.process.os)
    cycles = deadlocks_of(crash)
    if cycles:   # the deadlock is the bug, whichever thread the snapshot stopped
        members = [crash.thread(w.tid) for w in cycles[0]]
        sigs = [native_signature.signature(t.frames, rules) for t in members if t is not None]
        tops = sorted({s.signature for s in sigs})
        return Signature(Kind.CRASH.value, _cut("deadlock | " + " & ".join(tops)),
                         " || ".join(s.proto for s in sigs), tuple(tops[:TOP_FRAMES]),
                         f"{len(cycles[0])} threads deadlocked")
    thrown = crash.thread(LAST_EXCEPTION_TID)
    thread = thrown if thrown and thrown.frames else crash.crashed_thread
    if thread is None:
        thread = next((t for t in crash.threads if t.frames), None)
    frames = thread.frames if thread else []
    sig = native_signature.signature(frames, rules)
    reason = crash_reason(crash.cause) or crash.cause.headline
    said = " ".join(filter(None, (reason, crash.cause.headline, crash.cause.message))).lower()
    marks = ("snapshot | " if crash.snapshot else "") + ("OOM | " if any(w in said for w in OOM_WORDS) else "")
    text = marks + sig.signature
    return Signature(Kind.CRASH.value, text, sig.proto, sig.frames[:TOP_FRAMES], reason)


def _crash(dump: Dump) -> Signature:
    from pmdesk.model.crash.store import load_crash

    return crash_signature(load_crash(dump))


def _heap(dump: Dump) -> Signature:
    from pmdesk.model.heap import report
    from pmdesk.model.heap.graph import ensure_graph, heap_graph

    ensure_graph(dump)
    g = heap_graph(dump)
    found, _heap_bytes = report.leak_suspects(g)
    if not found:
        top = g.biggest(1)
        largest = top[0].class_name if top else "nothing"
        return Signature(Kind.HEAP_GRAPH.value, f"no leak suspect | largest {largest}", "", (), None)
    s = found[0]
    held = [st.obj.class_name for st in s.path]
    text = s.class_name + (f" | held by {' → '.join(held[:-1])}" if len(held) > 1 else "")
    if s.accumulation_point is not None and s.accumulation_point.class_name != s.class_name:
        text += f" | accumulates in {s.accumulation_point.class_name}"
    proto = " → ".join(held + [st.obj.class_name for st in s.chain[1:]])
    return Signature(Kind.HEAP_GRAPH.value, _cut(text), proto, tuple(held[-TOP_FRAMES:]), s.description)


def thread_signature(frames: list[str]) -> str:
    """A thread's signature from its function names (innermost first): its waiting machinery skipped."""
    names = [native_signature.normalise_function(f) for f in frames[:native_signature.MAX_FRAMES]]
    return native_signature.generate(names, THREADS) or (names[0] if names else "no frames")


def _threads(dump: Dump) -> Signature:
    from pmdesk.model.threads.dumps import IDLE_JAVA_STATES, groups, series_of, stuck

    series = series_of(dump)
    last = series[-1] if series else None
    if last is None or not last.threads:
        return Signature(Kind.THREADS.value, "no threads", "")
    by_id = {t.ident: t for t in last.threads}

    def sig(t: ThreadInfo) -> str:
        return thread_signature([f.function for f in t.frames])

    if last.deadlocks:
        d = last.deadlocks[0]
        tops = sorted({sig(by_id[i]) for i in d.ids if i in by_id} or set(d.threads))
        return Signature(Kind.THREADS.value, _cut("deadlock | " + " & ".join(tops)),
                         " | ".join(c for c in d.classes if c), tuple(tops[:TOP_FRAMES]),
                         f"{len(d.threads)} threads deadlocked")
    names = set(stuck(series))
    if names:
        tops = sorted({sig(t) for t in last.threads if t.name in names})
        return Signature(Kind.THREADS.value, _cut("stuck | " + " & ".join(tops[:3])), " & ".join(tops),
                         tuple(tops[:TOP_FRAMES]), f"{len(names)} threads stuck across {len(series)} dumps")
    first = last.threads[0]
    died = first.runtime == "python" or (last.title or "").lower().startswith(("panic:", "fatal error:"))
    if died and first.frames:   # faulthandler and a Go panic print the thread that died first
        frames = tuple(native_signature.normalise_function(f.function) for f in first.frames[:TOP_FRAMES])
        return Signature(Kind.THREADS.value, f"{first.runtime} | {sig(first)}", " | ".join(frames), frames,
                         last.title or first.state or None)
    owners = {lk.id: lk.owner for lk in last.locks}
    own = [t for t in last.threads if t.frames and not (  # not a Go dump's idle Ms and runtime workers, not an
        t.runtime == "go" and all(f.function.startswith("runtime.") for f in t.frames)) and not (  # idle Java thread
        t.runtime == "java" and t.state in IDLE_JAVA_STATES and owners.get(t.waits_for or "") is None)]
    blocked = groups([t for t in own if t.state == "BLOCKED" or (t.runtime == "go" and t.state.startswith(
        ("semacquire", "sync.Mutex", "sync.RWMutex")))])
    chosen = blocked[0] if blocked else next(iter(groups(own)), None)
    if chosen is None:
        return Signature(Kind.THREADS.value, "no stacks", "")
    frames = tuple(native_signature.normalise_function(f.function) for f in chosen.frames[:TOP_FRAMES])
    word = "blocked" if blocked else "threads"
    return Signature(Kind.THREADS.value, f"{word} | {sig(chosen.threads[0])}", " | ".join(frames), frames,
                     f"{len(chosen.threads)} threads {chosen.state}")


def _recording(dump: Dump) -> Signature:
    from pmdesk.model.jfr.findings import findings
    from pmdesk.model.jfr.recording import Recording

    found = [f for f in findings(Recording.of(dump)) if f.severity in ("critical", "warning")]
    if not found:
        return Signature(Kind.EVENTS.value, "recording | no finding", "")
    f = found[0]
    return Signature(Kind.EVENTS.value, f"recording | {f.rule} | {f.severity}",
                     " | ".join(x.rule for x in found), tuple(x.title for x in found[:TOP_FRAMES]), f.summary)


def _profile(dump: Dump) -> Signature:
    from pmdesk.model.samples import profile

    funcs = profile.select(profile.load(dump)).functions()
    if not funcs:
        return Signature(Kind.SAMPLES.value, "profile | no samples", "")
    names = tuple(native_signature.normalise_function(f["function"]) for f in funcs[:TOP_FRAMES])
    return Signature(Kind.SAMPLES.value, f"profile | {names[0]}", " | ".join(names), names, None)


def _cut(text: str) -> str:
    limit = native_signature.MAX_SIGNATURE_CHARS
    return text if len(text) <= limit else text[: limit - 3] + "..."
