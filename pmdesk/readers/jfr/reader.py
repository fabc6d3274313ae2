"""Reads a JFR recording's chunks into the index: chunk headers, the types each chunk's metadata declares,
and every record's type, size, position and start time (events are size-prefixed, so a record of a type
the metadata declares is found and counted whatever it is — custom application events included).
A chunk still being written or cut short is read up to its last complete record and reported."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from pmdesk.core.errors import DumpFormatError, PmdeskError
from pmdesk.core.progress import Progress
from pmdesk.readers.base import IndexSink
from pmdesk.readers.jfr.chunks import (
    CHECKPOINT_TYPE,
    HEADER_BYTES,
    METADATA_TYPE,
    ChunkHeader,
    TypeInfo,
    parse_metadata,
    string,
    varint,
)

SPECIAL = {METADATA_TYPE: "jdk.Metadata", CHECKPOINT_TYPE: "jdk.CheckPoint"}
# How `jfr summary` names checkpoint records changed after JDK 17 ("jdk.CheckPoint") — JDK 25 says
# "jdk.Checkpoint"; the name follows the JDK that wrote the recording (18–24 not verified here).
NEW_CHECKPOINT_NAME = ("jdk.Checkpoint", 18)
_JVM_VERSION = re.compile(r"\((\d+)[.+\-)]")


def _jvm_major(data: memoryview, start: int, end: int, types: dict[int, TypeInfo]) -> int | None:
    """The major Java version in the recording's jdk.JVMInformation event (its jvmVersion string)."""
    info = next((t for t in types.values() if t.name == "jdk.JVMInformation"), None)
    if info is None:
        return None
    p = start
    while p < end:
        size, q = varint(data, p)
        kind, q = varint(data, q)
        if size <= 0:
            return None
        if kind == info.type_id:
            for f in info.fields:
                if f.constant_pool or f.array:
                    _v, q = varint(data, q)
                elif types.get(f.type_id) is not None and types[f.type_id].name == "java.lang.String":
                    text, q = string(data, q)
                    if f.name == "jvmVersion":
                        m = _JVM_VERSION.search(text or "")
                        return int(m[1]) if m else None
                else:
                    _v, q = varint(data, q)
            return None
        p += size
    return None


def read_recording(path: str, sink: IndexSink, progress: Progress) -> None:
    try:
        with open(path, "rb") as f:
            data = memoryview(f.read())
    except OSError as e:
        raise PmdeskError(path, e.strerror or str(e)) from None
    counts: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    declared: set[str] = set()
    offsets: list[int] = []
    type_names: list[str] = []
    name_index: dict[str, int] = {}
    kinds: list[int] = []
    lengths: list[int] = []
    starts: list[int] = []
    chunk_rows = []
    pos = 0
    n = len(data)
    while pos + HEADER_BYTES <= n:
        try:
            h = ChunkHeader.parse(data, pos)
        except ValueError:
            if pos == 0:
                raise DumpFormatError(path, "not a JFR recording (no 'FLR' chunk header)", 0) from None
            sink.diagnostic(pos, "jfr.garbage", f"data after the last chunk at byte {pos:,} ignored", "warning")
            break
        end = pos + h.size if h.size >= HEADER_BYTES else n
        complete = h.size >= HEADER_BYTES and end <= n
        if not complete:
            end = n
            sink.diagnostic(pos, "jfr.incomplete_chunk", f"chunk {len(chunk_rows) + 1} at byte {pos:,} is incomplete "
                            "(still being written or cut): read up to its last complete record", "warning")
        types: dict[int, TypeInfo] = {}
        if complete and 0 < h.metadata_offset < h.size:
            try:
                types = parse_metadata(data, pos + h.metadata_offset)
            except (ValueError, IndexError, KeyError) as e:
                sink.diagnostic(pos + h.metadata_offset, "jfr.bad_metadata", f"unreadable metadata ({e})", "error")
        declared.update(t.name for t in types.values() if t.is_event)
        major = _jvm_major(data, pos + HEADER_BYTES, end, types) if types else None
        special = dict(SPECIAL)
        if major is not None and major >= NEW_CHECKPOINT_NAME[1]:
            special[CHECKPOINT_TYPE] = NEW_CHECKPOINT_NAME[0]
        p = pos + HEADER_BYTES
        count_in_chunk = 0
        while p < end:
            try:
                size, q = varint(data, p)
                kind, q = varint(data, q)
            except IndexError:
                break
            if size <= 0 or p + size > end:
                if complete:
                    sink.diagnostic(p, "jfr.bad_record", f"record at byte {p:,} claims {size:,} bytes; rest of the "
                                    "chunk skipped", "error")
                break
            name = special.get(kind) or (types[kind].name if kind in types else f"<type {kind}>")
            counts[name] += 1
            sizes[name] += size
            if name not in name_index:
                name_index[name] = len(type_names)
                type_names.append(name)
            start = 0
            if kind > CHECKPOINT_TYPE:
                start, _ = varint(data, q)  # every event's first field is its start time (ticks)
            offsets.append(p)
            kinds.append(name_index[name])
            lengths.append(size)
            starts.append(_ticks_to_ns(start, h) if start else 0)
            p += size
            count_in_chunk += 1
        chunk_rows.append({"chunk": len(chunk_rows), "offset": pos, "size": h.size, "major": h.major, "minor": h.minor,
                           "start_ns": h.start_ns, "duration_ns": h.duration_ns, "start_ticks": h.start_ticks,
                           "ticks_per_second": h.ticks_per_second, "complete": complete, "records": count_in_chunk})
        progress.update(end / max(n, 1), "reading chunks")
        pos = end
    if not chunk_rows:
        raise DumpFormatError(path, "shorter than a JFR chunk header", 0)
    sink.rows("jfr_chunk", chunk_rows)
    for name in declared:
        counts.setdefault(name, 0)
    sink.rows("jfr_event_type", [{"name": k, "count": counts[k], "bytes": sizes[k]} for k in sorted(counts)])
    sink.array_chunk("jfr_event.offset", np.array(offsets, np.uint64))
    sink.array_chunk("jfr_event.type", np.array([name_index.get(type_names[k], k) for k in kinds], np.int32))
    sink.array_chunk("jfr_event.size", np.array(lengths, np.int32))
    sink.array_chunk("jfr_event.start_ns", np.array(starts, np.int64))
    sink.rows("jfr_type_name", [{"type_idx": i, "name": t} for i, t in enumerate(type_names)])
    first = chunk_rows[0]
    last = chunk_rows[-1]
    sink.meta("jfr.chunks", len(chunk_rows))
    sink.meta("jfr.version", f"{first['major']}.{first['minor']}")
    sink.meta("jfr.start_ns", first["start_ns"])
    sink.meta("jfr.duration_ns", last["start_ns"] + last["duration_ns"] - first["start_ns"])
    sink.meta("summary.events", sum(counts.values()))


def _ticks_to_ns(ticks: int, h: ChunkHeader) -> int:
    return h.start_ns + (ticks - h.start_ticks) * 1_000_000_000 // max(h.ticks_per_second, 1)
