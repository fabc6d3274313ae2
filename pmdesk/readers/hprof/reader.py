"""Reads an HPROF heap dump (plain or gzip) into the index: classes, strings, roots, threads, traces,
per-object columns and the class histogram with the JVM's real shallow sizes."""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pmdesk.base.errors import DumpFormatError
from pmdesk.base.java_names import java_name
from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink
from pmdesk.readers.hprof import records as R
from pmdesk.readers.hprof import scan as K
from pmdesk.readers.hprof.layout import (
    LAYOUTS,
    ClassLayout,
    HeapLayout,
    instance_layout,
    legacy_instance_layout,
    mirror_bytes,
)
from pmdesk.readers.hprof.source import ChunkSource

OBJ_BATCH = 1 << 20
ROOT_BATCH = 1 << 16
SIDE_RECORDS = 1 << 16
SIDE_BYTES = 8 << 20

_ERRORS = {
    K.E_UNKNOWN_SUBRECORD: "unknown heap dump sub-record tag 0x{tag:02X}",
    K.E_SUBRECORD_PAST_SEGMENT: "heap sub-record 0x{tag:02X} runs past the end of its segment",
    K.E_BAD_PRIMITIVE_TYPE: "sub-record 0x{tag:02X} has an invalid basic type",
}


def sql_id(v: int) -> int:
    """An unsigned 64-bit identifier as SQLite's signed INTEGER (two's complement)."""
    v = int(v)
    return v - (1 << 64) if v >= 1 << 63 else v


@dataclass
class ClassDump:
    slot: int
    class_id: int
    trace_serial: int
    super_id: int
    loader_id: int
    signers_id: int
    protection_domain_id: int
    dump_instance_bytes: int
    constants: list[tuple[int, int, Any]] = field(default_factory=list)
    statics: list[tuple[int, int, Any]] = field(default_factory=list)
    fields: list[tuple[int, int]] = field(default_factory=list)


def parse_header(buf: bytes, path: str) -> tuple[str, int, int, int]:
    """(version string, identifier size, timestamp ms, header length) of an HPROF file."""
    end = buf.find(b"\0", 0, 64)
    if not buf.startswith(R.HEADER_PREFIX) or end < 0:
        raise DumpFormatError(path, "not an HPROF heap dump (no 'JAVA PROFILE 1.0.x' header)", 0)
    version = buf[:end].decode("ascii", "replace")
    if len(buf) < end + 13:
        raise DumpFormatError(path, "truncated in the HPROF header", len(buf))
    id_size, hi, lo = struct.unpack_from(">III", buf, end + 1)
    if id_size not in (4, 8):
        raise DumpFormatError(path, f"unsupported identifier size {id_size} (HPROF uses 4 or 8)", end + 1)
    return version, id_size, (hi << 32) | lo, end + 13


class _Values:
    """Big-endian decoding of hprof values from a bytes object."""

    def __init__(self, data: bytes, id_size: int) -> None:
        self.d = data
        self.p = 0
        self.id_fmt = ">Q" if id_size == 8 else ">I"
        self.id_size = id_size

    def u1(self) -> int:
        v = self.d[self.p]
        self.p += 1
        return v

    def u2(self) -> int:
        (v,) = struct.unpack_from(">H", self.d, self.p)
        self.p += 2
        return v

    def u4(self) -> int:
        (v,) = struct.unpack_from(">I", self.d, self.p)
        self.p += 4
        return v

    def u8(self) -> int:
        (v,) = struct.unpack_from(">Q", self.d, self.p)
        self.p += 8
        return v

    def ident(self) -> int:
        (v,) = struct.unpack_from(self.id_fmt, self.d, self.p)
        self.p += self.id_size
        return v

    def value(self, t: int) -> Any:
        if t == R.T_OBJECT:
            return self.ident()
        fmt = {R.T_BOOLEAN: ">?", R.T_CHAR: ">H", R.T_FLOAT: ">f", R.T_DOUBLE: ">d", R.T_BYTE: ">b",
               R.T_SHORT: ">h", R.T_INT: ">i", R.T_LONG: ">q"}[t]
        (v,) = struct.unpack_from(fmt, self.d, self.p)
        self.p += R.PRIMITIVE_SIZE[t]
        return v


class HprofScan:
    """One indexing run over one dump."""

    def __init__(self, path: str, sink: IndexSink, progress: Progress, buffer_bytes: int = 16 << 20,
                 batch: int = OBJ_BATCH, side_bytes: int = SIDE_BYTES) -> None:
        """`buffer_bytes`, `batch` (objects per output batch) and `side_bytes` only change memory use."""
        self.path = path
        self.buffer_bytes, self.batch, self.side_bytes = buffer_bytes, batch, side_bytes
        self.sink = sink
        self.progress = progress
        self.strings: dict[int, str] = {}
        self.class_names: dict[int, int] = {}  # class id -> name string id (LOAD_CLASS)
        self.class_serials: dict[int, int] = {}  # class id -> class serial
        self.class_dumps: list[ClassDump] = []
        self.roots: list[tuple[np.ndarray, ...]] = []
        self.objects = 0
        self.truncated_at: int | None = None
        self.summary: dict[str, Any] = {}

    # ------------------------------------------------------------------ scanning
    def run(self) -> None:
        t0 = time.perf_counter()
        with ChunkSource(self.path, self.buffer_bytes) as src:
            self.src = src
            src.refill(0)
            version, self.id_size, self.timestamp_ms, pos = parse_header(bytes(src.buf[:min(64, src.n)]),
                                                                         self.path)
            self.compressed = src.compressed
            self._alloc()
            self._loop(src, pos)
        self._finish(version, time.perf_counter() - t0)

    def _alloc(self) -> None:
        self.ctr = np.zeros(K.N_CTR, dtype=np.int64)
        self.hyp = K.HYPOTHESES
        self._alloc_slots(1 << 14)
        self.obj_id = np.empty(self.batch, np.uint64)
        self.obj_off = np.empty(self.batch, np.uint64)
        self.obj_slot = np.empty(self.batch, np.int32)
        self.obj_len = np.empty(self.batch, np.int32)
        self.root_kind = np.empty(min(ROOT_BATCH, self.batch), np.uint8)
        self.root_id = np.empty(min(ROOT_BATCH, self.batch), np.uint64)
        self.root_a = np.empty(min(ROOT_BATCH, self.batch), np.uint32)
        self.root_b = np.empty(min(ROOT_BATCH, self.batch), np.uint32)
        self.side_buf = np.empty(self.side_bytes, np.uint8)
        self.side_tag = np.empty(min(SIDE_RECORDS, self.batch), np.uint8)
        self.side_start = np.empty(min(SIDE_RECORDS, self.batch), np.int64)
        self.side_len = np.empty(min(SIDE_RECORDS, self.batch), np.int64)
        self.side_slot = np.empty(min(SIDE_RECORDS, self.batch), np.int32)
        self.side_off = np.empty(min(SIDE_RECORDS, self.batch), np.int64)
        self.sub_counts = np.zeros(256, np.int64)
        self.top_counts = np.zeros(256, np.int64)
        self.top_bytes = np.zeros(256, np.int64)
        self.prev_sizes = np.zeros(K.N_HYP, np.int64)
        self.viol = np.zeros(K.N_HYP, np.int64)
        self.match = np.zeros(K.N_HYP, np.int64)

    def _alloc_slots(self, cap: int) -> None:
        old = getattr(self, "keys", None)
        keys = np.zeros(cap, np.uint64)
        vals = np.full(cap, -1, np.int32)
        n = cap // 2
        count = np.zeros(n, np.int64)
        sbytes = np.zeros((K.N_HYP, n), np.int64)
        kind = np.zeros(n, np.int16)
        min_gap = np.full(n, np.iinfo(np.int64).max, np.int64)
        gap_seen = np.zeros(n, np.int64)
        if old is not None:
            K.rehash(self.keys, self.vals, keys, vals)
            m = len(self.slot_count)
            count[:m] = self.slot_count
            sbytes[:, :m] = self.slot_bytes
            kind[:m] = self.slot_kind
            min_gap[:m] = self.min_gap
            gap_seen[:m] = self.gap_seen
        self.keys, self.vals = keys, vals
        self.slot_count, self.slot_bytes, self.slot_kind = count, sbytes, kind
        self.min_gap, self.gap_seen = min_gap, gap_seen

    def _loop(self, src: ChunkSource, pos: int) -> None:
        ctr = self.ctr
        while True:
            status, pos = K.scan(
                src.buf, src.n, pos, src.base, self.id_size, src.eof, ctr, self.hyp,
                self.keys, self.vals, self.slot_count, self.slot_bytes, self.slot_kind,
                self.obj_id, self.obj_off, self.obj_slot, self.obj_len,
                self.root_kind, self.root_id, self.root_a, self.root_b,
                self.side_buf, self.side_tag, self.side_start, self.side_len, self.side_slot, self.side_off,
                self.sub_counts, self.top_counts, self.top_bytes, self.prev_sizes, self.viol, self.match,
                self.min_gap, self.gap_seen)
            if status == K.NEED_DATA:
                self._flush()
                if src.eof:
                    if pos < src.n or ctr[K.C_SEG] > 0:
                        why = None
                        if ctr[K.C_SEG] == 0 and src.n - pos >= 9:
                            claimed = int.from_bytes(src.buf[pos + 5:pos + 9].tobytes(), "big")
                            why = f"a record claims {claimed:,} bytes but only {src.n - pos - 9:,} remain"
                        self._truncated(src.base + pos, why)
                    elif src.problem:
                        self.sink.diagnostic(src.base + src.n, "hprof.gzip", src.problem, "warning")
                    break
                src.refill(pos)
                pos = 0
                self.progress.update(src.consumed_fraction(), "reading heap dump")
            elif status == K.SKIP:
                target = src.base + pos
                self._flush()
                src.skip_to(target)
                if src.base < target:
                    self._truncated(src.base)
                    break
                pos = 0
                self.progress.update(src.consumed_fraction(), "reading heap dump")
            elif status == K.FLUSH:
                self._flush()
            elif status == K.GROW:
                self._alloc_slots(len(self.keys) * 2)
            elif status == K.BIG_RECORD:
                need = int(ctr[K.C_NEED])
                left = src.file_size - (src.base + pos) if not src.compressed else None
                if left is not None and need > left:
                    self._truncated(src.base + pos, f"a record claims {need:,} bytes but only {left:,} remain")
                    break
                self._flush()  # nothing may be pending in a buffer about to be replaced
                grown = False
                if need > len(self.side_buf):
                    self.side_buf = np.empty(2 * need, np.uint8)
                    grown = True
                if need > len(src.buf):
                    src.refill(pos)
                    pos = 0
                    src.grow(max(need + 1024, 2 * len(src.buf)))
                    src.refill(0)
                    grown = True
                if not grown:
                    raise AssertionError(f"scan asked for {need} bytes that it already has")
            elif status == K.BAD:
                if not self._bad(src, pos):
                    break
                seg_end = src.base + pos + int(ctr[K.C_SEG])
                ctr[K.C_SEG] = 0
                ctr[K.C_PREV_VALID] = 0
                self._flush()
                if seg_end > src.base + src.n:
                    src.skip_to(seg_end)
                pos = seg_end - src.base

    def _bad(self, src: ChunkSource, pos: int) -> bool:
        """Record a malformed sub-record; True if the rest of its segment can be skipped."""
        code = int(self.ctr[K.C_ERR])
        msg = _ERRORS.get(code, "malformed record").format(tag=int(self.ctr[K.C_ERRTAG]))
        self.sink.diagnostic(src.base + pos, "hprof.bad_subrecord", msg + "; rest of the segment skipped",
                             "error")
        return self.ctr[K.C_SEG] > 0

    def _truncated(self, offset: int, why: str | None = None) -> None:
        if self.truncated_at is None:
            self.truncated_at = offset
            why = why or self.src.problem or "the record there is cut off"
            what = f"the dump is truncated at byte {offset:,} ({why}); indexed what comes before"
            self.sink.diagnostic(offset, "hprof.truncated", what, "warning")

    # ------------------------------------------------------------------ batches
    def _flush(self) -> None:
        ctr = self.ctr
        k = int(ctr[K.C_OBJ])
        if k:
            self.sink.array_chunk("hprof_object.id", self.obj_id[:k].copy())
            self.sink.array_chunk("hprof_object.offset", self.obj_off[:k].copy())
            self.sink.array_chunk("hprof_object.class_idx", self.obj_slot[:k].copy())
            self.sink.array_chunk("hprof_object.array_length", self.obj_len[:k].copy())
            self.objects += k
            ctr[K.C_OBJ] = 0
        r = int(ctr[K.C_ROOT])
        if r:
            self.roots.append((self.root_kind[:r].copy(), self.root_id[:r].copy(), self.root_a[:r].copy(),
                               self.root_b[:r].copy()))
            ctr[K.C_ROOT] = 0
        s = int(ctr[K.C_SIDE])
        if s:
            self._side_records(s)
            ctr[K.C_SIDE] = 0
            ctr[K.C_SIDEB] = 0

    def _side_records(self, count: int) -> None:
        rows: dict[str, list[dict[str, Any]]] = {}
        for i in range(count):
            tag = int(self.side_tag[i])
            a = int(self.side_start[i])
            data = self.side_buf[a:a + int(self.side_len[i])].tobytes()
            try:
                self._side_record(tag, data, int(self.side_slot[i]), rows)
            except (struct.error, IndexError, KeyError):
                self.sink.diagnostic(int(self.side_off[i]), "hprof.bad_record",
                                     f"record 0x{tag:02X} is shorter than its contents require; skipped")
        for table, rs in rows.items():
            self.sink.rows(table, rs)

    def _side_record(self, tag: int, data: bytes, slot: int, rows: dict[str, list[dict[str, Any]]]) -> None:
        v = _Values(data, self.id_size)
        add = rows.setdefault
        if tag == R.UTF8:
            sid = v.ident()
            self.strings[sid] = data[v.p:].decode("utf-8", "replace")
        elif tag == R.LOAD_CLASS:
            serial, cid, trace, name = v.u4(), v.ident(), v.u4(), v.ident()
            self.class_names[cid] = name
            self.class_serials[cid] = serial
            add("hprof_load_class", []).append(
                {"serial": serial, "class_id": sql_id(cid), "trace_serial": trace, "name_id": sql_id(name)})
        elif tag == R.UNLOAD_CLASS:
            add("hprof_unload_class", []).append({"serial": v.u4()})
        elif tag == R.FRAME:
            fid, method, sig, src, cls, line = v.ident(), v.ident(), v.ident(), v.ident(), v.u4(), v.u4()
            add("hprof_frame", []).append({
                "frame_id": sql_id(fid), "method_name_id": sql_id(method), "signature_id": sql_id(sig),
                "source_file_id": sql_id(src), "class_serial": cls,
                "line": line - (1 << 32) if line >= 1 << 31 else line})
        elif tag == R.TRACE:
            serial, thread, n = v.u4(), v.u4(), v.u4()
            add("hprof_trace", []).append({"serial": serial, "thread_serial": thread, "frames": n})
            tf = add("hprof_trace_frame", [])
            for depth in range(n):
                tf.append({"trace_serial": serial, "depth": depth, "frame_id": sql_id(v.ident())})
        elif tag == R.START_THREAD:
            serial, obj, trace, name, group, parent = v.u4(), v.ident(), v.u4(), v.ident(), v.ident(), v.ident()
            add("hprof_thread", []).append({
                "serial": serial, "object_id": sql_id(obj), "trace_serial": trace, "name_id": sql_id(name),
                "group_name_id": sql_id(group), "parent_group_name_id": sql_id(parent)})
        elif tag == R.END_THREAD:
            add("hprof_end_thread", []).append({"serial": v.u4()})
        elif tag == R.HEAP_SUMMARY:
            self.summary["heap_summary"] = {"live_bytes": v.u4(), "live_instances": v.u4(),
                                            "allocated_bytes": v.u8(), "allocated_instances": v.u8()}
        elif tag == R.ALLOC_SITES:
            flags, cutoff = v.u2(), struct.unpack(">f", struct.pack(">I", v.u4()))[0]
            self.summary["alloc_sites"] = {"flags": flags, "cutoff_ratio": cutoff, "live_bytes": v.u4(),
                                           "live_instances": v.u4(), "allocated_bytes": v.u8(),
                                           "allocated_instances": v.u8()}
            sites = add("hprof_alloc_site", [])
            for _ in range(v.u4()):
                sites.append({"is_array": v.u1(), "class_serial": v.u4(), "trace_serial": v.u4(),
                              "live_bytes": v.u4(), "live_instances": v.u4(), "allocated_bytes": v.u4(),
                              "allocated_instances": v.u4()})
        elif tag == R.CPU_SAMPLES:
            total, n = v.u4(), v.u4()
            self.summary["cpu_samples_total"] = total
            samples = add("hprof_cpu_sample", [])
            for _ in range(n):
                samples.append({"count": v.u4(), "trace_serial": v.u4()})
        elif tag == R.CONTROL_SETTINGS:
            self.summary["control_settings"] = {"flags": v.u4(), "stack_depth": v.u2()}
        elif tag == R.CLASS_DUMP:
            v.p = 1
            cd = ClassDump(slot, v.ident(), v.u4(), v.ident(), v.ident(), v.ident(), v.ident(), 0)
            v.ident()
            v.ident()
            cd.dump_instance_bytes = v.u4()
            where = ""
            for part in ("constant pool", "static fields", "instance fields"):
                for k in range(v.u2()):
                    key = v.u2() if part == "constant pool" else v.ident()
                    t = v.u1()
                    if t != R.T_OBJECT and t not in R.PRIMITIVE_SIZE:  # a damaged byte: its size is unknown
                        where = f"{part} entry {k}"
                        break
                    if part == "instance fields":
                        cd.fields.append((key, t))
                    else:
                        (cd.constants if part == "constant pool" else cd.statics).append((key, t, v.value(t)))
                if where:
                    self.sink.diagnostic(None, "hprof.bad_field_type", f"class 0x{cd.class_id:x}: {where} has an "
                                         f"invalid basic type {t}; the rest of its class record is not read (the "
                                         "class keeps the fields before it)", "warning")
                    break
            self.class_dumps.append(cd)
        else:
            self.sink.diagnostic(None, "hprof.unknown_record", f"unknown top-level record tag 0x{tag:02X} skipped")

    # ------------------------------------------------------------------ after the scan
    def _choose_layout(self) -> HeapLayout:
        """The layout whose array sizes no address gap contradicts and most gaps confirm."""
        cands = [i for i, lay in enumerate(LAYOUTS) if lay.id_size == self.id_size]
        best = min(cands, key=lambda h: (self.viol[h], -self.match[h], h))
        self.ids_are_addresses = bool(self.match[best])
        if self.match[best] == 0:
            best = cands[0]
            self.sink.diagnostic(None, "hprof.layout_guess",
                                 "object addresses give no evidence of the JVM's object layout (the dump's ids may "
                                 "be serial numbers, as the old hprof agent writes them, not addresses): sizes "
                                 f"from the class layouts of {LAYOUTS[best].name}", "info")
        self.layout_evidence = {LAYOUTS[c].name: {"contradicting_gaps": int(self.viol[c]),
                                                  "exact_gaps": int(self.match[c])} for c in cands}
        self.hyp_index = best
        return LAYOUTS[best]

    def _choose_field_layout(self, modern: Callable[[int], ClassLayout | None],
                             legacy: Callable[[int], ClassLayout | None], version: str,
                             layout: HeapLayout) -> Callable[[int], ClassLayout | None]:
        """JDK 15+'s field layout or the one before it, as the dump's evidence says: the instance sizes object
        addresses contradict least (an object closer to the next than its computed size) and confirm most;
        without address evidence, the pre-15 layout for the old hprof agent's dumps (JAVA PROFILE 1.0.1, or
        ids that are not addresses: no JVM after JDK 8 writes those), else JDK 15+'s."""
        self.field_layout_evidence: dict[str, list[int]] = {}
        if not self.ids_are_addresses:
            old = version != "JAVA PROFILE 1.0.3"  # Android's: its own layout, closer to JDK 15+'s
            self.field_layout = "before JDK 15" if old else "JDK 15+"
            return legacy if old else modern
        score = {"JDK 15+": [0, 0], "before JDK 15": [0, 0]}  # [contradicted, confirmed] classes
        for cd in self.class_dumps:
            s = cd.slot
            if not (0 <= s < len(self.gap_seen)) or not self.gap_seen[s] or int(self.slot_kind[s]) != 0:
                continue
            gap = int(self.min_gap[s])
            for what, of in (("JDK 15+", modern), ("before JDK 15", legacy)):
                cl = of(cd.class_id)
                if cl is not None:
                    score[what][0] += gap < cl.instance_bytes
                    score[what][1] += gap == cl.instance_bytes
        self.field_layout = min(score, key=lambda k: (score[k][0], -score[k][1], k != "JDK 15+"))
        self.field_layout_evidence = score
        return legacy if self.field_layout == "before JDK 15" else modern

    def _finish(self, version: str, seconds: float) -> None:
        self.progress.update(1.0, "computing class layouts")
        layout = self._choose_layout()
        n_slots = int(self.ctr[K.C_SLOTS])
        slot_key = np.zeros(n_slots, np.uint64)
        used = self.vals >= 0
        slot_key[self.vals[used]] = self.keys[used]
        name_of = self._class_name
        dumps = {cd.class_id: cd for cd in self.class_dumps}

        def layouts_by(lay_out: Callable[..., ClassLayout]) -> Callable[[int], ClassLayout | None]:
            layouts: dict[int, ClassLayout] = {}

            def layout_of(cid: int, depth: int = 0) -> ClassLayout | None:
                if cid in layouts:
                    return layouts[cid]
                cd = dumps.get(cid)
                if cd is None or depth > 256:
                    return None
                sup = layout_of(cd.super_id, depth + 1) if cd.super_id else None
                raw = self.class_names.get(cid)
                cl = lay_out(sup, self.strings.get(raw, "") if raw else "",
                             [(self.strings.get(n, ""), t) for n, t in cd.fields], layout)
                layouts[cid] = cl
                return cl

            return layout_of

        layout_of = self._choose_field_layout(layouts_by(instance_layout), layouts_by(legacy_instance_layout),
                                              version, layout)
        for cd in self.class_dumps:
            if cd.super_id and cd.super_id not in dumps:
                self.sink.diagnostic(None, "hprof.missing_superclass",
                                     f"class {name_of(cd.class_id)}: superclass 0x{cd.super_id:x} has no "
                                     "CLASS_DUMP; its fields are not counted")

        class_cls = next((cd for cd in self.class_dumps if self._raw_name(cd.class_id) == "java/lang/Class"), None)
        class_bytes = layout_of(class_cls.class_id).instance_bytes if class_cls else 0

        rows = []
        prim_slot_of_type = {int(slot_key[s] & np.uint64(0xFF)): s for s in range(n_slots)
                             if slot_key[s] & K.PRIM_KEY_BASE == K.PRIM_KEY_BASE}
        merged: dict[int, ClassDump] = {}
        type_of_descriptor = {d: t for t, d in R.PRIMITIVE_DESCRIPTOR.items()}
        for cd in self.class_dumps:
            raw = self._raw_name(cd.class_id)
            if len(raw) == 2 and raw[0] == "[":
                et = type_of_descriptor.get(raw[1])
                if et in prim_slot_of_type:
                    merged[prim_slot_of_type[et]] = cd
                    continue
            merged.setdefault(cd.slot, cd)
        corrections = 0
        mirror_total = 0
        for s in range(n_slots):
            key = int(slot_key[s])
            cd = merged.get(s)
            count = int(self.slot_count[s])
            kind_code = int(self.slot_kind[s])
            raw = self._raw_name(cd.class_id) if cd is not None else self._raw_name(key)
            if kind_code >= 2:
                et = kind_code - 2
                name = R.PRIMITIVE_JAVA_NAME.get(et, "?") + "[]"
                kind, inst = "primitive_array", 0
                shallow = int(self.slot_bytes[self.hyp_index, s])
            elif kind_code == 1 or raw.startswith("["):
                name = java_name(raw)
                kind, inst = ("object_array" if raw[1:2] in ("L", "[") or kind_code == 1 else "primitive_array"), 0
                et = R.T_OBJECT if kind == "object_array" else None
                shallow = int(self.slot_bytes[self.hyp_index, s])
            else:
                if cd is None and count == 0:
                    continue
                name = java_name(self._raw_name(key)) if key in self.class_names else f"<unknown class 0x{key:x}>"
                if cd is None:
                    self.sink.diagnostic(None, "hprof.missing_class",
                                         f"{count:,} objects refer to class 0x{key:x}, which has no CLASS_DUMP")
                cl = layout_of(key)
                inst = cl.instance_bytes if cl else layout.object_header_bytes
                gap = int(self.min_gap[s])
                if cl and self.gap_seen[s] and gap != inst and (gap < inst or self.gap_seen[s] >= 8) and \
                        self.ids_are_addresses and gap >= layout.object_header_bytes:
                    self.sink.diagnostic(None, "hprof.size_from_addresses",
                                         f"{name}: computed instance size {inst} B, object addresses show {gap} B; "
                                         "using the addresses", "info")
                    inst = gap
                    corrections += 1
                kind, et = "instance", None
                shallow = inst * count
            mirror = 0
            if cd is not None and class_bytes:
                mirror = mirror_bytes(class_bytes, [t for nm, t, _v in cd.statics
                                                    if not self.strings.get(nm, "").startswith("<")], layout)
                mirror_total += mirror
            rows.append({"class_idx": s, "class_id": sql_id(cd.class_id) if cd else None, "name": name,
                         "kind": kind, "element_type": et, "instance_bytes": inst,
                         "dump_instance_bytes": cd.dump_instance_bytes if cd else None, "mirror_bytes": mirror or None,
                         "super_id": sql_id(cd.super_id) if cd else None,
                         "loader_id": sql_id(cd.loader_id) if cd else None,
                         "signers_id": sql_id(cd.signers_id) if cd else None,
                         "protection_domain_id": sql_id(cd.protection_domain_id) if cd else None,
                         "trace_serial": cd.trace_serial if cd else None,
                         "serial": self.class_serials.get(cd.class_id if cd else key),
                         "instance_count": count, "shallow_bytes": shallow})
        # java.lang.Class: its dumped instances (primitive-type mirrors) plus every class's mirror
        n_mirrors = len(merged)
        for r in rows:
            if class_cls is not None and r["class_id"] == sql_id(class_cls.class_id):
                r["instance_count"] += n_mirrors
                r["shallow_bytes"] += mirror_total
        self.sink.rows("hprof_class", rows)
        self._write_reference_layout(merged, dumps, n_slots)
        self._write_fields(merged)
        self._write_strings_and_roots()
        hist = [{"class_idx": r["class_idx"], "name": r["name"], "count": r["instance_count"],
                 "shallow_bytes": r["shallow_bytes"], "retained_bytes": None} for r in rows if r["instance_count"]]
        self.sink.rows("heap_histogram", hist)
        total_objects = sum(h["count"] for h in hist)
        total_bytes = sum(h["shallow_bytes"] for h in hist)
        top = {R.TOP_LEVEL_NAMES.get(t, f"0x{t:02X}"): int(c) for t, c in enumerate(self.top_counts) if c}
        top_bytes = {R.TOP_LEVEL_NAMES.get(t, f"0x{t:02X}"): int(self.top_bytes[t])
                     for t, c in enumerate(self.top_counts) if c}
        subs = {R.SUBRECORD_NAMES.get(t, f"0x{t:02X}"): int(c) for t, c in enumerate(self.sub_counts) if c}
        meta = {
            "hprof.version": version, "hprof.id_size": self.id_size, "hprof.timestamp_ms": self.timestamp_ms,
            "hprof.compressed": self.compressed, "hprof.layout": layout.name,
            "hprof.object_header_bytes": layout.object_header_bytes, "hprof.reference_bytes": layout.reference_bytes,
            "hprof.array_length_end": layout.array_length_end, "hprof.relaxed_array_base": layout.relaxed_array_base,
            "hprof.layout_evidence": self.layout_evidence, "hprof.size_corrections": corrections,
            "hprof.field_layout": self.field_layout, "hprof.field_layout_evidence": self.field_layout_evidence,
            "hprof.records": top, "hprof.record_body_bytes": top_bytes,
            "hprof.subrecords": subs, "hprof.dumped_objects": self.objects, "hprof.class_dumps": len(self.class_dumps),
            "hprof.truncated_at": self.truncated_at,
            "summary.objects": total_objects, "summary.shallow_bytes": total_bytes,
            "summary.classes": len(hist), "summary.roots": sum(len(r[0]) for r in self.roots),
            "summary.scan_seconds": round(seconds, 3),
        }
        meta.update({f"hprof.{k}": v for k, v in self.summary.items()})
        if "HEAP_DUMP_END" not in top and self.truncated_at is None and (
                "HEAP_DUMP_SEGMENT" in top and version >= "JAVA PROFILE 1.0.2"):
            self.sink.diagnostic(None, "hprof.no_heap_dump_end",
                                 "no HEAP_DUMP_END record: the dump may be incomplete", "warning")
        if "HEAP_DUMP" not in top and "HEAP_DUMP_SEGMENT" not in top:
            cut = f" (it is cut short at byte {self.truncated_at:,})" if self.truncated_at is not None else ""
            self.sink.diagnostic(None, "hprof.no_heap", "the file holds no heap: no HEAP DUMP record" + cut +
                                 "; only its strings, classes and stack traces were read", "warning")
        for k, v in meta.items():
            self.sink.meta(k, v)

    def _raw_name(self, class_id: int) -> str:
        sid = self.class_names.get(class_id)
        return self.strings.get(sid, "") if sid is not None else ""

    def _class_name(self, class_id: int) -> str:
        raw = self._raw_name(class_id)
        return java_name(raw) if raw else f"0x{class_id:x}"

    def _write_reference_layout(self, merged: dict[int, ClassDump], dumps: dict[int, ClassDump], n_slots: int) -> None:
        """Where each class's instances hold references: byte offsets into the INSTANCE_DUMP field data.

        Field data is the class's own fields, then its superclass's, and so on up the chain. An offset
        stored as ~offset marks a reference the GC does not follow strongly (`Reference.referent`),
        which dominators and GC-root paths leave out, as Eclipse MAT does.
        """
        starts = np.zeros(n_slots + 1, np.int64)
        offsets: list[int] = []
        for s in range(n_slots):
            cd = merged.get(s)
            pos, depth = 0, 0
            while cd is not None and depth < 256 and not self._raw_name(cd.class_id).startswith("["):
                weak_field = self._raw_name(cd.class_id) == R.REFERENCE_CLASS
                for nm, t in cd.fields:
                    if t == R.T_OBJECT:
                        weak = weak_field and self.strings.get(nm) == R.REFERENCE_REFERENT
                        offsets.append(~pos if weak else pos)
                        pos += self.id_size
                    else:
                        pos += R.PRIMITIVE_SIZE.get(t, 0)
                cd = dumps.get(cd.super_id) if cd.super_id else None
                depth += 1
            starts[s + 1] = len(offsets)
        self.sink.array_chunk("hprof_class.ref_start", starts)
        self.sink.array_chunk("hprof_class.ref_offset", np.array(offsets, np.int32))

    def _write_fields(self, merged: dict[int, ClassDump]) -> None:
        fields, consts = [], []
        for slot, cd in merged.items():
            for seq, (nm, t) in enumerate(cd.fields):
                fields.append({"class_idx": slot, "seq": seq, "name": self.strings.get(nm, f"<0x{nm:x}>"),
                               "type": t, "is_static": 0, "value": None})
            for seq, (nm, t, val) in enumerate(cd.statics):
                fields.append({"class_idx": slot, "seq": seq, "name": self.strings.get(nm, f"<0x{nm:x}>"),
                               "type": t, "is_static": 1, "value": sql_id(val) if t == R.T_OBJECT else val})
            for idx, t, val in cd.constants:
                consts.append({"class_idx": slot, "cp_index": idx, "type": t,
                               "value": sql_id(val) if t == R.T_OBJECT else val})
        self.sink.rows("hprof_field", fields)
        self.sink.rows("hprof_constant", consts)

    def _write_strings_and_roots(self) -> None:
        self.sink.rows("hprof_string", ({"string_id": sql_id(k), "text": v} for k, v in self.strings.items()))
        if self.roots:
            kind = np.concatenate([r[0] for r in self.roots])
            ids = np.concatenate([r[1] for r in self.roots]).view(np.int64)
            a = np.concatenate([r[2] for r in self.roots])
            b = np.concatenate([r[3] for r in self.roots])
            self.sink.rows("hprof_root", ({"kind": int(k), "object_id": int(i), "thread_serial": int(x),
                                           "frame_number": int(y)} for k, i, x, y in zip(kind, ids, a, b,
                                                                                        strict=True)))
