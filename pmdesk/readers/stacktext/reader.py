"""Indexes a profile saved as text into stack samples (readers/samples_rows.py): the form sniffed from the
first bytes, the file read line by line (progress by bytes), lines of no known shape counted in one
diagnostic."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

from pmdesk.base.errors import PmdeskError
from pmdesk.base.progress import Progress
from pmdesk.readers.base import SNIFF_BYTES, IndexSink
from pmdesk.readers.samples_rows import SamplesWriter
from pmdesk.readers.stacktext import bpftrace, folded, form_of, offcpu, perf_script

CLOCK_EVENTS = ("cpu-clock", "task-clock")  # their period is nanoseconds


def _lines(path: str, progress: Progress) -> Iterator[str]:
    size = max(os.path.getsize(path), 1)
    with open(path, "rb") as f:
        for n, raw in enumerate(f):
            if n % 65536 == 0:
                progress.update(min(f.tell() / size, 1.0) * 0.9, "reading stacks")
            yield raw.decode("utf-8", "replace")


def read_stacks(path: str, sink: IndexSink, progress: Progress) -> None:
    with open(path, "rb") as f:
        form = form_of(f.read(SNIFF_BYTES))
    unrecognised: list[int] = []
    lines = _lines(path, progress)
    cut: list[int] = []
    if form == "perf-script":
        writer = _perf(lines, unrecognised, cut)
    elif form in ("bpftrace", "bpftrace-json"):
        writer = _bpftrace(lines, unrecognised, form == "bpftrace-json")
    elif form == "offcpu":
        writer = _offcpu(lines, unrecognised)
    elif form == "folded":
        writer = _folded(lines, unrecognised)
    else:
        raise PmdeskError(path, "is not a profile pmdesk reads as text")
    if unrecognised:
        shown = ", ".join(str(n) for n in unrecognised[:5]) + (" …" if len(unrecognised) > 5 else "")
        what = "one-line map keys without a stack" if form in ("bpftrace", "bpftrace-json") else \
            "lines of no known shape"
        sink.diagnostic(None, "stacks.skipped", f"{len(unrecognised):,} {what} skipped (line {shown})")
    if cut:
        sink.diagnostic(None, "stacks.cut", f"the last sample (line {cut[0]:,}) has no blank line after it: cut "
                        "short, not counted")
    if writer.samples == 0:
        raise PmdeskError(path, f"holds no stack samples (read as {form})")
    progress.update(0.92, "building the stack tree")
    writer.write(sink, {"samples.source": form})


def _perf(lines: Iterator[str], unrecognised: list[int], cut: list[int]) -> SamplesWriter:
    w = SamplesWriter([("samples", "count"), ("period", "events")])
    clock = True
    for s in perf_script.samples(lines, unrecognised, cut):
        clock = clock and s.event.split(":")[0] in CLOCK_EVENTS
        stack = [w.frame(s.comm, None, None, "process")]
        stack += [w.frame(f.function, f.module, None, f.kind) for f in reversed(s.frames)]
        w.sample(stack, (1.0, float(s.period if s.period is not None else 1)), w.thread(s.pid, s.tid, s.comm),
                 w.event(s.event), s.time_ns)
    if clock:
        w.types[1] = ("period", "nanoseconds")
    return w


def _bpftrace(lines: Iterator[str], skipped: list[int], as_json: bool) -> SamplesWriter:
    w = SamplesWriter([("samples", "count")])
    entries = bpftrace.json_entries(lines, skipped) if as_json else bpftrace.text_entries(lines, skipped)
    for e in entries:
        stack = [w.frame(r, None, None, "process") for r in e.roots]
        stack += [w.frame(f.function, f.module, None, f.kind) for f in reversed(e.frames)]
        w.sample(stack, (float(e.value),), -1, w.event(e.map))
    return w


def _offcpu(lines: Iterator[str], unrecognised: list[int]) -> SamplesWriter:
    w = SamplesWriter([("off-cpu", "microseconds")])
    event = w.event("off-cpu")
    for b in offcpu.blocks(lines, unrecognised):
        stack = [w.frame(b.comm, None, None, "process")]
        stack += [w.frame(name, None, None, kind) for name, kind in reversed(b.frames)]
        w.sample(stack, (float(b.value),), w.thread(b.pid, b.pid, b.comm), event)
    return w


def _folded(lines: Iterator[str], unrecognised: list[int]) -> SamplesWriter:
    parsed = folded.lines(lines, unrecognised)
    first = next(parsed, None)
    two = first is not None and first[2] is not None
    w = SamplesWriter([("before", "count"), ("after", "count")] if two else [("samples", "count")])
    event = w.event("samples")
    ids: dict[str, int] = {}

    def frame(name: str) -> int:
        f = ids[name] = w.frame(name, None, None, folded.kind_of(name))
        return f

    for frames, a, b, _n in itertools.chain([first] if first else [], parsed):
        w.sample([ids[n] if n in ids else frame(n) for n in frames], (a, b or 0.0) if two else (a,), -1, event)
    return w
