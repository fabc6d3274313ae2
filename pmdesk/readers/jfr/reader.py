"""Reads a JFR recording into the index. Pass 1 walks every chunk's size-prefixed records (so every record
of a type the metadata declares is counted, custom events included). Pass 2 decodes: each chunk's
constant pools (checkpoint records, flushed and delta pools alike) and every event, type by type, with the
program compiled from that chunk's metadata. Strings, pool references and tick times are then made
chunk-independent (tables.py) and stored: one value table per event type and per pool type, one string table,
and per-record columns (position, type, size, start, duration, thread, stack trace, row in its table).
A chunk still being written or cut short is read up to its last complete record and reported."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from pmdesk.base import dump_files
from pmdesk.base.errors import DumpFormatError, PmdeskError
from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink
from pmdesk.readers.gzip_bytes import inflate
from pmdesk.readers.jfr.chunks import (
    CHECKPOINT_TYPE,
    FEATURE_COMPRESSED_INTS,
    HEADER_BYTES,
    METADATA_TYPE,
    ChunkHeader,
    TypeInfo,
    metadata_identity,
    parse_metadata,
    string,
    varint,
)
from pmdesk.readers.jfr.decode import BAD, decode_pool, decode_records, scan_records
from pmdesk.readers.jfr.layout import LayoutError, compile_type, merge_layouts, remap_slots
from pmdesk.readers.jfr.tables import PoolIndex, Strings, ValueTable, resolve_refs, resolve_strings, resolve_times

SPECIAL = {METADATA_TYPE: "jdk.Metadata", CHECKPOINT_TYPE: "jdk.CheckPoint"}
# How `jfr summary` names checkpoint records changed after JDK 17 ("jdk.CheckPoint") — JDK 25 says
# "jdk.Checkpoint"; the name follows the JDK that wrote the recording (18–24 not verified here).
NEW_CHECKPOINT_NAME = ("jdk.Checkpoint", 18)
_JVM_VERSION = re.compile(r"\((\d+)[.+\-)]")
ARRAY_CHUNK = 1 << 23  # elements per stored chunk


@dataclass
class Chunk:
    index: int
    header: ChunkHeader
    complete: bool
    types: dict[int, TypeInfo]
    offsets: np.ndarray
    sizes: np.ndarray
    kinds: np.ndarray
    firsts: np.ndarray
    time_base: ChunkHeader  # the header ticks are converted with (see _scan)
    programs: dict[int, tuple[np.ndarray, int, dict, str]] = field(default_factory=dict)

    def program(self, type_id: int) -> tuple[np.ndarray, int, dict, str]:
        if type_id not in self.programs:
            prog, length, layout = compile_type(type_id, self.types)
            self.programs[type_id] = (prog, length, layout, json.dumps(layout, sort_keys=True))
        return self.programs[type_id]


def read_recording(path: str, sink: IndexSink, progress: Progress) -> None:
    try:
        files = dump_files.parts(path)
        pieces = []
        for f in files:
            with open(f, "rb") as fh:
                pieces.append(inflate(f, fh.read()))  # a .jfr.gz inflated (bounded), a .jfr as it is
    except (OSError, dump_files.NotADump) as e:
        raise PmdeskError(path, getattr(e, "strerror", None) or str(e)) from None
    raw = b"".join(pieces) if len(pieces) > 1 else pieces[0]
    data = memoryview(raw)
    arr = np.frombuffer(raw, np.uint8)
    ends = np.cumsum([len(p) for p in pieces]).tolist()  # no chunk runs over the end of its file
    if len(files) > 1 or files[0] != path:
        sink.meta("jfr.files", [os.path.basename(f) for f in files])
    chunks = _scan(path, data, arr, ends, sink, progress)
    names = _record_names(data, chunks)
    _store_summary(chunks, names, sink)
    events, pools = _decode(chunks, names, arr, sink, progress)
    progress.update(0.8, "resolving strings and references")
    _resolve(events, pools, chunks, data, arr, sink)
    progress.update(0.9, "storing")
    _store(chunks, names, events, pools, sink)


def _scan(path: str, data: memoryview, arr: np.ndarray, file_ends: list[int], sink: IndexSink,
          progress: Progress) -> list[Chunk]:
    chunks: list[Chunk] = []
    pos = 0
    n = len(data)
    run_id = None
    while pos + HEADER_BYTES <= n:
        limit = next(e for e in file_ends if e > pos)
        try:
            h = ChunkHeader.parse(data, pos)
        except ValueError:
            if pos == 0:
                raise DumpFormatError(path, "not a JFR recording (no 'FLR' chunk header)", 0) from None
            sink.diagnostic(pos, "jfr.garbage", f"{limit - pos:,} bytes after a chunk at byte {pos:,} ignored",
                            "warning")
            if limit >= n:
                break
            pos = limit  # the next chunk file of a repository
            continue
        if h.major < 1:  # JDK 7u40/8's Oracle Flight Recorder wrote format 0.9: another layout altogether
            raise DumpFormatError(path, f"is a JFR recording of format {h.major}.{h.minor} (Oracle JDK 7u40/8's "
                                  "Flight Recorder), which pmdesk does not read: it reads format 1 (JDK 9/10, "
                                  "counted) and 2 (JDK 11 and later)", pos)
        complete = h.size >= HEADER_BYTES and pos + h.size <= limit
        end = pos + h.size if complete else limit
        if not complete:
            sink.diagnostic(pos, "jfr.incomplete_chunk", f"chunk {len(chunks) + 1} at byte {pos:,} is incomplete "
                            "(still being written or cut): read up to its last complete record", "warning")
        if not h.features & FEATURE_COMPRESSED_INTS:
            sink.diagnostic(pos, "jfr.uncompressed", "chunk written without compressed integers (JDK 9/10): "
                            "counted, fields not decoded", "warning")
        offsets, sizes, kinds, firsts, stop = scan_records(arr, pos + HEADER_BYTES, end)
        if stop < end and complete:
            sink.diagnostic(stop, "jfr.bad_record", f"record at byte {stop:,} does not fit its chunk; rest of the "
                            "chunk skipped", "error")
        # the last metadata record read, wherever it is: an unfinished chunk's header may not point at it yet
        found = offsets[kinds == METADATA_TYPE]
        at = int(found[-1]) if len(found) else pos + h.metadata_offset if complete else -1
        types: dict[int, TypeInfo] = {}
        meta_id = None
        if pos + HEADER_BYTES <= at < end:
            try:
                meta_id = metadata_identity(data, at)
                types = parse_metadata(data, at)
            except (ValueError, IndexError, KeyError, RecursionError) as e:
                sink.diagnostic(at, "jfr.bad_metadata", f"unreadable metadata ({e}): events counted, not decoded",
                                "error")
        elif offsets.size:
            sink.diagnostic(pos, "jfr.no_metadata", f"chunk {len(chunks) + 1} has no readable metadata record: its "
                            "events are counted by type id, not decoded", "warning")
        # The JDK's own parser keeps the time converter of the first chunk of a run of chunks with the same
        # metadata id (it reuses that chunk's parsers): times in later chunks are converted with that chunk's
        # header, tens of ns off their own clock base. pmdesk does the same, so its times equal `jfr print`'s —
        # within one JVM's chunks: chunks of another JVM (other metadata bytes) start their own run.
        same_run = chunks and meta_id is not None and meta_id == run_id
        base = chunks[-1].time_base if same_run else h
        run_id = meta_id
        chunks.append(Chunk(len(chunks), h, complete, types, offsets, sizes, kinds, firsts, base))
        progress.update(0.2 * end / max(n, 1), "reading chunks")
        pos = end
    if not chunks:
        raise DumpFormatError(path, "shorter than a JFR chunk header" if n else "empty file", 0)
    if not any(len(c.offsets) for c in chunks):
        raise DumpFormatError(path, "JFR chunk header but not one complete record", 0)
    return chunks


def _record_names(data: memoryview, chunks: list[Chunk]) -> list[list[str]]:
    """Per chunk, the name of each record type id it uses (metadata and checkpoint records included)."""
    out = []
    for c in chunks:
        special = dict(SPECIAL)
        try:
            major = _jvm_major(data, c)
        except (ValueError, IndexError):
            major = None
        if major is not None and major >= NEW_CHECKPOINT_NAME[1]:
            special[CHECKPOINT_TYPE] = NEW_CHECKPOINT_NAME[0]
        names = {k: special.get(k) or (c.types[k].name if k in c.types else f"<type {k}>")
                 for k in np.unique(c.kinds).tolist()}
        out.append(names)
    return out


def _jvm_major(data: memoryview, c: Chunk) -> int | None:
    """The major Java version in the chunk's jdk.JVMInformation event (its jvmVersion string)."""
    info = next((t for t in c.types.values() if t.name == "jdk.JVMInformation"), None)
    if info is None:
        return None
    hits = np.flatnonzero(c.kinds == info.type_id)
    if not len(hits):
        return None
    _size, q = varint(data, int(c.offsets[hits[0]]))
    _kind, q = varint(data, q)
    for f in info.fields:
        if not f.constant_pool and not f.array and c.types.get(f.type_id, None) is not None \
                and c.types[f.type_id].name == "java.lang.String":
            text, q = string(data, q)
            if f.name == "jvmVersion":
                m = _JVM_VERSION.search(text or "")
                return int(m[1]) if m else None
        else:
            _v, q = varint(data, q)
    return None


def _store_summary(chunks: list[Chunk], names: list[dict[int, str]], sink: IndexSink) -> None:
    counts: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    described: dict[str, tuple[str | None, str]] = {}
    for c, cn in zip(chunks, names, strict=True):
        kinds, inverse = np.unique(c.kinds, return_inverse=True)
        per_count = np.bincount(inverse, minlength=len(kinds))
        per_bytes = np.bincount(inverse, weights=c.sizes, minlength=len(kinds))
        for k, n_, b in zip(kinds.tolist(), per_count.tolist(), per_bytes.tolist(), strict=True):
            counts[cn[k]] += n_
            sizes[cn[k]] += int(b)
        for t in c.types.values():
            if t.is_event:
                counts.setdefault(t.name, 0)
                described[t.name] = (t.label, "/".join(t.category))
    sink.rows("jfr_event_type", [{"name": k, "count": counts[k], "bytes": sizes[k],
                                  "label": described.get(k, (None, None))[0],
                                  "category": described.get(k, (None, None))[1]} for k in sorted(counts)])
    sink.meta("summary.events", sum(counts.values()))


def _decode(chunks: list[Chunk], names: list[dict[int, str]], arr: np.ndarray, sink: IndexSink,
            progress: Progress) -> tuple[dict[str, ValueTable], dict[str, ValueTable]]:
    events: dict[str, ValueTable] = {}
    pools: dict[str, ValueTable] = {}
    total = sum(len(c.offsets) for c in chunks) or 1
    done = 0

    def table(tables: dict[str, ValueTable], c: Chunk, type_id: int,
              role: str) -> tuple[ValueTable, np.ndarray, int, int] | None:
        """The table for a type and how to decode it in this chunk: (table, program, main length, variant)."""
        try:
            prog, length, layout, key = c.program(type_id)
        except LayoutError as e:
            sink.diagnostic(c.header.offset, "jfr.bad_type", f"chunk {c.index + 1}: {e}", "error")
            return None
        name = c.types[type_id].name
        t = tables.get(name)
        if t is None:
            t = tables[name] = ValueTable(name, layout, role)
            t.variant_of[key] = (0, None)
            t.variants.append(list(range(len(layout["fields"]))))
        if key not in t.variant_of:
            t.layout, slot_map, fields = merge_layouts(t.layout, layout)
            t.variant_of[key] = (len(t.variants), slot_map)
            t.variants.append(fields)
        variant, slot_map = t.variant_of[key]
        return t, prog if slot_map is None else remap_slots(prog, length, slot_map), length, variant

    for c in chunks:
        if not c.types or not c.header.features & FEATURE_COMPRESSED_INTS:
            continue
        cps = c.kinds == CHECKPOINT_TYPE
        for off, size in zip(c.offsets[cps].tolist(), c.sizes[cps].tolist(), strict=True):
            _read_checkpoint(c, off, off + size, arr, pools, table, sink)
        ends = c.offsets + c.sizes
        for k in np.unique(c.kinds).tolist():
            sel = np.flatnonzero(c.kinds == k)
            if k in SPECIAL:
                continue
            name = names[c.index][k]
            got = table(events, c, k, "event") if k in c.types else None
            if got is None:
                t = events.setdefault(name, ValueTable(name, {"type": name, "width": 0, "fields": []}, "event"))
                t.add(np.full((len(sel), t.width), -1, np.int64), c.index)
                continue
            t, prog, length, variant = got
            rows, t.arena, t.an, ok = decode_records(arr, c.offsets[sel], ends[sel], prog, length, t.width,
                                                     t.arena, t.an)
            t.add(rows, c.index, variant=variant)
            if not ok.all():
                sink.diagnostic(int(c.offsets[sel][~ok][0]), "jfr.bad_event",
                                f"{int((~ok).sum()):,} {name} event(s) do not match their declared fields", "error")
            done += len(sel)
            progress.update(0.2 + 0.6 * done / total, "decoding events")
    for t in (*events.values(), *pools.values()):
        t.freeze()
    return events, pools


def _read_checkpoint(c: Chunk, off: int, end: int, arr: np.ndarray, pools: dict[str, ValueTable],
                     table: Callable[..., tuple[ValueTable, np.ndarray, int, int] | None], sink: IndexSink) -> None:
    data = memoryview(arr)  # Python-side varints on bytes, not numpy uint8 scalars
    p = off
    try:
        for _ in range(5):  # size, type, start, duration, delta to the previous checkpoint
            _v, p = varint(data, p)
        p += 1  # flush / type mask byte
        count, p = varint(data, p)
    except IndexError:
        count = 0
    for _ in range(count):
        if p >= end:
            break
        try:
            type_id, p = varint(data, p)
            entries, p = varint(data, p)
        except IndexError:
            entries = -1
        if not 0 < entries <= end - p:
            sink.diagnostic(off, "jfr.bad_pool", f"chunk {c.index + 1}: checkpoint at byte {off:,} declares an "
                            "impossible pool; rest of the checkpoint skipped", "error")
            return
        got = table(pools, c, type_id, "pool") if type_id in c.types else None
        if got is None:
            sink.diagnostic(p, "jfr.bad_pool", f"chunk {c.index + 1}: constant pool of undeclared or unreadable type "
                            f"{type_id} at byte {p:,}; rest of the checkpoint skipped", "error")
            return
        t, prog, length, variant = got
        keys, rows, t.arena, t.an, p = decode_pool(arr, p, entries, prog, length, t.width, t.arena, t.an)
        t.add(rows, c.index, keys, variant)
        if p == BAD or p > end:
            sink.diagnostic(off, "jfr.bad_pool", f"chunk {c.index + 1}: {t.name} pool at byte {off:,} runs past its "
                            "checkpoint; rest of the checkpoint skipped", "error")
            return


def _resolve(events: dict[str, ValueTable], pools: dict[str, ValueTable], chunks: list[Chunk], data: memoryview,
             arr: np.ndarray, sink: IndexSink) -> None:
    everything = {**{f"pool:{k}": v for k, v in pools.items()}, **{f"event:{k}": v for k, v in events.items()}}
    texts: dict[tuple[int, int], str | None] = {}
    sp = pools.get("java.lang.String")
    if sp is not None:
        for c, k, off in zip(sp.chunk.tolist(), sp.key.tolist(), sp.matrix[:, 0].tolist(), strict=True):
            texts[(c, k)] = string(data, off)[0] if off >= 0 else None
    strings = Strings()
    resolve_strings(everything, data, arr, strings, lambda c, k: texts.get((c, k)))
    unresolved = resolve_refs(everything, {k: PoolIndex(v) for k, v in pools.items()})
    for name, n in sorted(unresolved.items()):
        sink.diagnostic(None, "jfr.unresolved", f"{n:,} reference(s) to {name} name no constant-pool entry "
                        "(the JVM stopped before writing them?): shown as null", "warning")
    sink.meta("jfr.simple_types", sorted({t.name for c in chunks for t in c.types.values() if t.simple}))
    resolve_times(everything, [c.time_base for c in chunks])
    sink.insert("jfr_string", ("id", "text"), enumerate(strings.texts))


def _store(chunks: list[Chunk], names: list[dict[int, str]], events: dict[str, ValueTable],
           pools: dict[str, ValueTable], sink: IndexSink) -> None:
    type_names = sorted({n for cn in names for n in cn.values()})
    name_index = {n: i for i, n in enumerate(type_names)}
    columns: dict[str, list[np.ndarray]] = {k: [] for k in ("offset", "type", "size", "start_ns")}
    is_event = []
    for c, cn in zip(chunks, names, strict=True):
        h = c.time_base
        kinds, inverse = np.unique(c.kinds, return_inverse=True)  # type ids are not small in a corrupt file
        lut = np.array([name_index[cn[k]] for k in kinds.tolist()], np.int32)
        columns["offset"].append(c.offsets.astype(np.uint64))
        columns["type"].append(lut[inverse] if len(kinds) else np.empty(0, np.int32))
        columns["size"].append(c.sizes.astype(np.int32))
        is_event.append(c.kinds > CHECKPOINT_TYPE)
        divisor = h.ticks_per_second / 1e9
        start = h.start_ns + np.trunc((c.firsts - h.start_ticks) / divisor).astype(np.int64)
        columns["start_ns"].append(np.where(is_event[-1], start, 0))
    kinds = np.concatenate(columns["type"])
    rows = np.full(len(kinds), -1, np.int64)  # each record's row in its type's value table (file order)
    order = np.argsort(kinds, kind="stable")
    first = np.searchsorted(kinds[order], kinds[order])
    rows[order] = np.arange(len(kinds)) - first
    per_record = {"duration_ns": "duration", "thread": ("eventThread", "sampledThread"), "stack": "stackTrace"}
    extra = {k: np.full(len(kinds), -1 if k != "duration_ns" else 0, np.int64) for k in per_record}
    for name, t in events.items():
        sel = np.flatnonzero(kinds == name_index[name])
        fields = {f["name"]: f for f in t.layout["fields"]}
        for col, wanted in per_record.items():
            f = next((fields[w] for w in ((wanted,) if isinstance(wanted, str) else wanted) if w in fields), None)
            if f is not None and f["kind"] in ("ref", "long") and len(sel) == len(t.matrix):
                extra[col][sel] = t.matrix[:, f["slot"]]
    rows[np.concatenate(is_event) == 0] = -1
    for col, parts in columns.items():
        _array(sink, f"jfr_event.{col}", np.concatenate(parts))
    _array(sink, "jfr_event.row", rows)
    for col, values in extra.items():
        _array(sink, f"jfr_event.{col}", values)
    sink.rows("jfr_type_name", [{"type_idx": i, "name": t} for i, t in enumerate(type_names)])
    for t in (*events.values(), *pools.values()):
        layout = {**t.layout, "variants": t.variants} if len(t.variants) > 1 else t.layout
        sink.rows("jfr_table", [{"name": t.name, "role": t.role, "width": t.width, "rows": len(t.matrix),
                                 "layout": json.dumps(layout)}])
        _array(sink, f"jfr.rows:{t.role}:{t.name}", t.matrix.reshape(-1))
        if len(t.variants) > 1:
            _array(sink, f"jfr.variant:{t.role}:{t.name}", t.variant)
        if len(t.arena):
            _array(sink, f"jfr.arena:{t.role}:{t.name}", t.arena)
    sink.rows("jfr_chunk", [{"chunk": c.index, "offset": c.header.offset, "size": c.header.size,
                             "major": c.header.major, "minor": c.header.minor, "start_ns": c.header.start_ns,
                             "duration_ns": c.header.duration_ns, "start_ticks": c.header.start_ticks,
                             "ticks_per_second": c.header.ticks_per_second, "complete": c.complete,
                             "records": len(c.offsets)} for c in chunks])
    first_h, last_h = chunks[0].header, chunks[-1].header
    sink.meta("jfr.chunks", len(chunks))
    sink.meta("jfr.version", f"{first_h.major}.{first_h.minor}")
    sink.meta("jfr.start_ns", first_h.start_ns)
    sink.meta("jfr.duration_ns", last_h.start_ns + last_h.duration_ns - first_h.start_ns)


def _array(sink: IndexSink, name: str, values: np.ndarray) -> None:
    for at in range(0, max(len(values), 1), ARRAY_CHUNK):
        sink.array_chunk(name, values[at:at + ARRAY_CHUNK])
