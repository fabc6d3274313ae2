"""A JFR recording's stack samples in the stack-samples model, so the profile docks, `pmdesk profile` and
`pmdesk profile-diff` work on recordings too: jdk.ExecutionSample, jdk.NativeMethodSample,
jdk.ObjectAllocationSample, JDK 25's jdk.CPUTimeSample and async-profiler's profiler.WallClockSample events
(each an event of the profile; one with a `samples` field counts that many), frames by method (`Class.method`, one
frame per method and descriptor, as JMC's flame graph tells overloads apart), weighed by count (`samples`)
and, for allocation samples, by their `weight` in bytes (`allocated`, as JMC weighs them). Built from the
recording's index when first asked (the events' stack pool rows through one trie pass), not stored again."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from pmdesk.model.jfr.recording import Recording
from pmdesk.readers.stack_trie import build_trie

if TYPE_CHECKING:
    from pmdesk.model.dump import Dump
    from pmdesk.model.samples.profile import Samples

PROFILE_EVENTS = ("jdk.ExecutionSample", "jdk.NativeMethodSample", "jdk.ObjectAllocationSample",
                  "profiler.WallClockSample", "jdk.CPUTimeSample")
ALLOCATION = "jdk.ObjectAllocationSample"


def samples_of(dump: Dump) -> Samples:
    """The recording's stack samples (events without a stack left out, as JMC leaves them out)."""
    from pmdesk.model.samples.profile import Samples

    rec = Recording.of(dump)
    evs = [e for e in (rec.events(t) for t in PROFILE_EVENTS) if len(e)]
    evs = [e for e in ((e, e.stack >= 0) for e in evs) if e[1].any()]
    stacks = np.concatenate([e.stack[k] for e, k in evs]) if evs else np.zeros(0, np.int64)
    event = np.concatenate([np.full(int(k.sum()), i, np.int32) for i, (_e, k) in enumerate(evs)]) \
        if evs else np.zeros(0, np.int32)
    st = rec.stacks
    distinct, inverse = np.unique(stacks, return_inverse=True)
    valid = distinct < len(st.offsets) - 1  # a row past the pool (a damaged recording): an empty stack
    distinct = np.where(valid, distinct, 0)
    counts = np.where(valid, st.offsets[distinct + 1] - st.offsets[distinct], 0)
    off = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    at = np.repeat(st.offsets[distinct], counts) + np.arange(int(off[-1]), dtype=np.int64) - np.repeat(off[:-1],
                                                                                                         counts)
    ident = rec.method_ident
    n_methods = len(rec.ident_rows) if len(rec.method_names) else 0
    rows = st.method[at] if len(at) else np.zeros(0, np.int64)
    known = (rows >= 0) & (rows < len(ident))
    frames = np.where(known, ident[np.clip(rows, 0, max(len(ident) - 1, 0))] if len(ident) else 0,
                      n_methods).astype(np.int32)
    names = [rec.method_names[int(r)] for r in rec.ident_rows.tolist()] if n_methods else []
    names.append("<unknown method>")
    stack_node, parent, frame = build_trie(off, frames, True)
    node = stack_node[inverse] if len(inverse) else np.zeros(0, np.int32)
    parts = []  # an event with a `samples` field (async-profiler's) stands for that many samples
    for e, k in evs:
        n = rec.field(e, "samples")
        parts.append(n[k].astype(np.float64) if n is not None else np.ones(int(k.sum())))
    values = {0: np.concatenate(parts) if parts else np.ones(len(node))}
    types = [("samples", "count")]
    if any(e.type_name == ALLOCATION for e, _k in evs):
        types.append(("allocated", "bytes"))
        parts = []
        for e, k in evs:
            w = rec.field(e, "weight") if e.type_name == ALLOCATION else None
            parts.append(w[k].astype(np.float64) if w is not None else np.zeros(int(k.sum())))
        values[1] = np.concatenate(parts)
    threads = np.concatenate([e.thread[k] for e, k in evs]).astype(np.int32) if evs else np.zeros(0, np.int32)
    time_ns = np.concatenate([e.start_ns[k] for e, k in evs]) if evs else np.zeros(0, np.int64)
    meta = {**dump.meta, "samples.count": len(node), "samples.nodes": len(parent), "samples.frames": len(names),
            "samples.has_time": True, "samples.default_type": "samples", "samples.source": "jfr"}
    return Samples(dump.path, meta, types, [e.type_name for e, _k in evs],
                   [(None, None, name) for name in rec.thread_names], names, [None] * len(names),
                   [None] * len(names), ["user"] * len(names), parent, frame, node.astype(np.int32), threads, event,
                   time_ns, None, values)
