"""Indexes a pprof profile (profile.proto) into stack samples: every sample type a value column, each
location's line[] chain its frames (innermost first, the last the function the others were inlined into),
functions named as pprof names them, a frame's module its mapping's file name. The bulk messages decode in
numba kernels (kernels.py); the few mappings and the string table in Python."""

from __future__ import annotations

import os

import numpy as np

from pmdesk.base.errors import DumpFormatError
from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink
from pmdesk.readers.gzip_bytes import inflate
from pmdesk.readers.pprof import kernels, prune
from pmdesk.readers.protobuf_wire import WireError, fields
from pmdesk.readers.samples_rows import Labels, SamplesWriter

ERRORS = {kernels.BAD_VARINT: "a damaged varint", kernels.PAST_END: "a record running past its message's end",
          kernels.BAD_WIRE: "a record of an unknown wire type"}


def load_bytes(path: str) -> bytes:
    """The profile's bytes, inflated when gzip-compressed (bounded: gzip_bytes.MAX_INFLATE_RATIO)."""
    with open(path, "rb") as f:
        data = f.read()
    return inflate(path, data)


def _keep_from(offsets: np.ndarray, items: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The CSR with each row's items before `start` left out."""
    lengths = offsets[1:] - start
    new_off = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    idx = np.repeat(start - new_off[:-1], lengths) + np.arange(int(new_off[-1]), dtype=np.int64)
    return new_off, items[idx]


def _lookup(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How kernels.samples finds a location by id: a table by id when the ids are about dense (as every profiler
    numbers them), else the ids sorted (stably: the first of a repeated id wins) and their order."""
    if len(ids) and 0 <= ids.min() and ids.max() < 4 * len(ids) + 1024:
        dense = np.full(int(ids.max()) + 1, -1, np.int64)
        dense[ids[::-1]] = np.arange(len(ids) - 1, -1, -1)  # assigned last: the first location of an id
        return dense, np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.argsort(ids, kind="stable")
    return np.zeros(0, np.int64), ids[order].astype(np.int64), order.astype(np.int64)


def read_profile(path: str, sink: IndexSink, progress: Progress) -> None:
    progress.update(0.0, "reading the profile")
    data = load_bytes(path)
    buf = np.frombuffer(data, np.uint8)
    progress.update(0.2, "decoding records")
    num, st, en, err, at = kernels.top_level(buf)
    if err:
        sink.diagnostic(at, "pprof.damaged", f"{ERRORS[err]} at byte {at:,}: the records after it are not read")

    def spans(field: int) -> tuple[np.ndarray, np.ndarray]:
        """The payloads of the field's LEN records (a damaged profile can carry the number as a varint too)."""
        sel = (num == field) & (en >= 0)
        return st[sel], en[sel]

    strings = [data[s:e].decode("utf-8", "replace") for s, e in zip(*spans(6), strict=True)]
    if not strings:
        raise DumpFormatError(path, "is a pprof profile without a string table", 0)

    def text(i: int) -> str:
        return strings[i] if 0 <= i < len(strings) else ""

    types = [_value_type(data, s, e, text) for s, e in zip(*spans(1), strict=True)]
    if not types:
        raise DumpFormatError(path, "is a pprof profile without sample types", 0)
    scalars = {int(f): int(v) for f, v in zip(num[en == -1], st[en == -1], strict=True)}
    period_type = [_value_type(data, s, e, text) for s, e in zip(*spans(11), strict=True)]
    mappings = [_mapping(data, s, e, text) for s, e in zip(*spans(3), strict=True)]
    comments = [text(int(v)) for v in st[(num == 13) & (en == -1)].tolist()]

    progress.update(0.35, "decoding functions and locations")
    fn, ferr, fat = kernels.functions(buf, *spans(5))
    lid, lmap, laddr, loff, lfunc, lline, lerr, lat = kernels.locations(buf, *spans(4))

    w = SamplesWriter(types)
    map_by_id = {m["id"]: m for m in mappings}
    func_row = {int(r[0]): r for r in fn}
    lookup = _lookup(lid)
    first_line = loff[:-1]
    rules = None
    if scalars.get(7):  # drop_frames (and keep_frames): as pprof prunes the samples when it reads them
        rules = prune.compile_rules(text(scalars[7]), text(scalars[8]) if scalars.get(8) else None)
        if isinstance(rules, str):
            sink.diagnostic(None, "pprof.drop_frames", f"its drop_frames/keep_frames do not compile ({rules}): "
                            "not applied")
            rules = None
        else:
            def function_name(fid: int) -> str:
                row = func_row.get(fid)
                return text(int(row[1])) if row is not None else ""

            cut, beneath, first_line = prune.location_rules(*rules, loff, lfunc, function_name)
    loc_off, loc_frames = _location_frames(w, lid, lmap, laddr, loff, lfunc, first_line, map_by_id, func_row, text)
    progress.update(0.5, "decoding samples")
    if rules is None:  # each location id read straight into its frames
        frame_off, frames, values, labels, missing, serr, sat = kernels.samples(
            buf, *spans(2), len(types), *lookup, loc_off, loc_frames)
    else:  # the locations first, pruned, then their frames
        every = np.arange(len(lid) + 1, dtype=np.int64)
        soff, sidx, values, labels, missing, serr, sat = kernels.samples(
            buf, *spans(2), len(types), *lookup, every, every[:-1].astype(np.int32))
        soff, sidx = _keep_from(soff, sidx, prune.sample_starts(soff, sidx, cut, beneath))
        frame_off, frames = kernels.through(soff, sidx, loc_off, loc_frames)
        del sidx
    for code, offset, what in ((ferr, fat, "function"), (lerr, lat, "location"), (serr, sat, "sample")):
        if code:
            sink.diagnostic(int(offset), "pprof.damaged", f"a damaged {what} record at byte {int(offset):,} "
                            f"({ERRORS[code]}): read as far as it goes")
    if missing:
        sink.diagnostic(None, "pprof.location", f"{missing:,} sample frames name a location the profile lacks")
    progress.update(0.7, "building the stack tree")
    event = w.event("samples")
    n = len(frame_off) - 1
    w.write_arrays(sink, frame_off, frames, True, list(values), np.full(n, -1, np.int32),
                   np.full(n, event, np.int32), None, {
                       "samples.source": "pprof",  # pprof's own default: default_sample_type, else the last
                       "samples.default_type": text(scalars[14]) if scalars.get(14) else types[-1][0],
                       "pprof.default_type": text(scalars[14]) if 14 in scalars else None,
                       "pprof.period_type": list(period_type[0]) if period_type else None,
                       "pprof.period": scalars.get(12),
                       "pprof.time_ns": scalars.get(9), "pprof.duration_ns": scalars.get(10),
                       "pprof.drop_frames": text(scalars[7]) if 7 in scalars else None,
                       "pprof.keep_frames": text(scalars[8]) if 8 in scalars else None,
                       "pprof.doc_url": text(scalars[15]) if 15 in scalars else None,
                       "pprof.comments": comments, "pprof.labels": int(len(labels)),
                       "pprof.mappings": [{k: v for k, v in m.items() if k != "id"} for m in mappings]},
                   _labels(labels, text))
    progress.update(1.0, "done")


def _location_frames(w: SamplesWriter, lid: np.ndarray, lmap: np.ndarray, laddr: np.ndarray, loff: np.ndarray,
                     lfunc: np.ndarray, first_line: np.ndarray, map_by_id: dict, func_row: dict, text
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Each location's frames (CSR by location index, innermost first): one frame per (function, the
    location's mapping), so one function in two binaries stays two; an unsymbolised location is one frame
    named by its address; lines before first_line (pruned) left out."""
    loc_frames: list[int] = []
    loc_off = [0]
    frame_of: dict[tuple[int, int], int] = {}
    for li in range(len(lid)):
        module = map_by_id.get(int(lmap[li]), {}).get("file") or None
        a, b = int(first_line[li]), int(loff[li + 1])
        if a == b:
            loc_frames.append(w.frame(f"0x{int(laddr[li]):x}", module))
        for k in range(a, b):
            key = (int(lfunc[k]), int(lmap[li]))
            f = frame_of.get(key)
            if f is None:
                row = func_row.get(key[0])
                name = text(int(row[1])) if row is not None else ""
                file = text(int(row[3])) if row is not None else ""
                f = frame_of[key] = w.frame(name or f"function {key[0]}", module, file or None,
                                            "inlined" if k < b - 1 else "user")
            loc_frames.append(f)
        loc_off.append(len(loc_frames))
    return np.asarray(loc_off, np.int64), np.asarray(loc_frames, np.int32)


def _labels(rows: np.ndarray, text) -> Labels | None:
    """pprof's labels (sample, key, str, num string-table rows) with their keys and texts numbered from 0."""
    if not len(rows):
        return None
    keys, key_idx = np.unique(rows[:, 1], return_inverse=True)
    is_text = rows[:, 2] != 0
    texts, text_idx = np.unique(rows[is_text, 2], return_inverse=True)
    text_col = np.full(len(rows), -1, np.int64)
    text_col[is_text] = text_idx
    return Labels([text(int(k)) for k in keys.tolist()], [text(int(t)) for t in texts.tolist()], rows[:, 0],
                  key_idx.astype(np.int64), text_col, np.where(is_text, 0, rows[:, 3]))


def _value_type(data: bytes, start: int, end: int, text) -> tuple[str, str]:
    got = {1: 0, 2: 0}
    try:
        for f in fields(data, int(start), int(end)):
            if f.number in got and f.wire == 0:
                got[f.number] = f.value
    except WireError:
        pass
    return text(got[1]) or "samples", text(got[2]) or "count"


def _mapping(data: bytes, start: int, end: int, text) -> dict[str, object]:
    got: dict[int, int] = {}
    try:
        for f in fields(data, int(start), int(end)):
            if f.wire == 0:
                got[f.number] = f.value
    except WireError:
        pass
    file = text(got.get(5, 0))
    return {"id": got.get(1, 0), "start": got.get(2, 0), "limit": got.get(3, 0), "offset": got.get(4, 0),
            "file": os.path.basename(file) if file else "", "path": file, "build_id": text(got.get(6, 0))}

