"""perf.data's header, event attributes and feature sections, as tools/perf/Documentation/perf.data-file-format.txt
(Linux source) lays them out: the file header (magic PERFILE2, sizes, the attrs, data and feature sections, the
feature bitmap) or, in pipe mode, a 16-byte header with the attrs and features coming as records
(HEADER_ATTR, HEADER_FEATURE, HEADER_BUILD_ID). Both byte orders ("2ELIFREP" is a big-endian writer's magic).
Every offset and count is checked against the file: a damaged header is one DumpFormatError."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from pmdesk.base.errors import DumpFormatError

MAGIC_LE, MAGIC_BE = b"PERFILE2", b"2ELIFREP"
FILE_HEADER_BYTES = 104
PIPE_HEADER_BYTES = 16

# sample_type bits (include/uapi/linux/perf_event.h)
IP, TID, TIME, ADDR, READ, CALLCHAIN, ID, CPU, PERIOD, STREAM_ID, RAW = (1 << i for i in range(11))
BRANCH_STACK, REGS_USER, STACK_USER, WEIGHT, DATA_SRC, IDENTIFIER = (1 << i for i in range(11, 17))
# attr flag bits (the bitfield after read_format)
SAMPLE_ID_ALL = 1 << 18

FEATURES = {1: "tracing_data", 2: "build_id", 3: "hostname", 4: "osrelease", 5: "version", 6: "arch",
            7: "nrcpus", 8: "cpudesc", 9: "cpuid", 10: "total_mem", 11: "cmdline", 12: "event_desc",
            13: "cpu_topology", 14: "numa_topology", 15: "branch_stack", 16: "pmu_mappings", 17: "group_desc",
            18: "auxtrace", 19: "stat", 20: "cache", 21: "sample_time", 22: "mem_topology", 23: "clockid",
            24: "dir_format", 25: "bpf_prog_info", 26: "bpf_btf", 27: "compressed", 28: "cpu_pmu_caps",
            29: "clock_data", 30: "hybrid_topology", 31: "pmu_caps"}
STRING_FEATURES = ("hostname", "osrelease", "version", "arch", "cpudesc", "cpuid")

# event names of the generic types (perf's own words)
HARDWARE = ("cycles", "instructions", "cache-references", "cache-misses", "branches", "branch-misses",
            "bus-cycles", "stalled-cycles-frontend", "stalled-cycles-backend", "ref-cycles")
SOFTWARE = ("cpu-clock", "task-clock", "page-faults", "context-switches", "cpu-migrations", "minor-faults",
            "major-faults", "alignment-faults", "emulation-faults", "dummy", "bpf-output", "cgroup-switches")


@dataclass
class Attr:
    type: int
    config: int
    sample_type: int
    read_format: int
    flags: int
    branch_sample_type: int
    sample_regs_user: int
    sample_stack_user: int
    ids: list[int] = field(default_factory=list)
    name: str = ""

    @property
    def sample_id_all(self) -> bool:
        return bool(self.flags & SAMPLE_ID_ALL)

    def trailer(self, bit: int) -> int | None:
        """Where a side-band record's sample_id field `bit` (TID or TIME) sits, counted back from the record's
        end (sample_id_all's trailer: tid, time, id, stream id, cpu, identifier, those the sample_type has);
        None when records carry no such field."""
        st = self.sample_type
        if not self.sample_id_all or not st & bit:
            return None
        order = (TID, TIME, ID, STREAM_ID, CPU, IDENTIFIER)
        return 8 * sum(1 for b in order[order.index(bit):] if st & b)

    def default_name(self) -> str:
        if self.type == 0 and self.config < len(HARDWARE):
            return HARDWARE[self.config]
        if self.type == 1 and self.config < len(SOFTWARE):
            return SOFTWARE[self.config]
        return {2: f"tracepoint {self.config}", 3: "cache event", 4: f"raw 0x{self.config:x}",
                5: "breakpoint"}.get(self.type, f"event type {self.type} config 0x{self.config:x}")


@dataclass
class Header:
    big: bool
    pipe: bool
    data_offset: int
    data_size: int
    attrs: list[Attr]
    features: dict[str, object]
    build_ids: dict[str, str]  # file name -> build-id (hex)
    problems: list[str] = field(default_factory=list)  # features the file is too short to hold

    @property
    def end(self) -> str:
        return ">" if self.big else "<"


def parse_attr(path: str, raw: bytes, end: str) -> Attr:
    """A perf_event_attr (its own `size` field says how much of `raw` it uses)."""
    if len(raw) < 64:
        raise DumpFormatError(path, f"has an event attribute of {len(raw)} bytes (at least 64 expected)", 0)
    typ, _size, config, _period, sample_type, read_format, flags = struct.unpack_from(end + "IIQQQQQ", raw, 0)
    branch = struct.unpack_from(end + "Q", raw, 72)[0] if len(raw) >= 80 else 0
    regs_user = struct.unpack_from(end + "Q", raw, 80)[0] if len(raw) >= 88 else 0
    stack_user = struct.unpack_from(end + "I", raw, 88)[0] if len(raw) >= 92 else 0
    return Attr(typ, config, sample_type, read_format, flags, branch, regs_user, stack_user)


def perf_string(data: bytes, pos: int, end: str) -> tuple[str, int]:
    """A perf_header_string: u32 length (padded), the NUL-terminated text."""
    if pos + 4 > len(data):
        raise ValueError("string past the end")
    n = struct.unpack_from(end + "I", data, pos)[0]
    if pos + 4 + n > len(data):
        raise ValueError("string past the end")
    return data[pos + 4:pos + 4 + n].split(b"\0", 1)[0].decode("utf-8", "replace"), pos + 4 + n


def build_id_records(data: bytes, end: str) -> dict[str, str]:
    """The BUILD_ID feature: records of {header, pid, build_id[24] (its size in byte 20 when misc says so),
    file name}."""
    out: dict[str, str] = {}
    pos = 0
    while pos + 8 <= len(data):
        _typ, misc, size = struct.unpack_from(end + "IHH", data, pos)
        if size < 8 + 4 + 24 or pos + size > len(data):
            break
        raw = data[pos + 12:pos + 36]
        n = raw[20] if misc & (1 << 15) and 0 < raw[20] <= 20 else 20
        name = data[pos + 36:pos + size].split(b"\0", 1)[0].decode("utf-8", "replace")
        out[name] = raw[:n].hex()
        pos += size
    return out


def parse_feature(name: str, data: bytes, end: str) -> object:
    """One feature section's value (None for those pmdesk does not show)."""
    try:
        if name in STRING_FEATURES:
            return perf_string(data, 0, end)[0]
        if name == "nrcpus":
            online, avail = struct.unpack_from(end + "II", data, 0)
            return {"online": online, "available": avail}
        if name == "total_mem":
            return struct.unpack_from(end + "Q", data, 0)[0]
        if name == "cmdline":
            n = struct.unpack_from(end + "I", data, 0)[0]
            pos, words = 4, []
            for _ in range(min(n, 4096)):
                w, pos = perf_string(data, pos, end)
                words.append(w)
            return " ".join(words)
        if name == "event_desc":
            n, attr_size = struct.unpack_from(end + "II", data, 0)
            pos, names = 8, []
            for _ in range(min(n, 65536)):
                pos += attr_size
                nr_ids = struct.unpack_from(end + "I", data, pos)[0]
                label, pos = perf_string(data, pos + 4, end)
                ids = list(struct.unpack_from(end + f"{nr_ids}Q", data, pos))
                pos += 8 * nr_ids
                names.append((label, ids))
            return names
        if name == "compressed":
            version, kind, level, ratio, mmap_len = struct.unpack_from(end + "IIIII", data, 0)
            return {"version": version, "type": "zstd" if kind == 1 else str(kind), "level": level,
                    "ratio": ratio, "mmap_len": mmap_len}
        if name == "sample_time":
            first, last = struct.unpack_from(end + "QQ", data, 0)
            return {"first_ns": first, "last_ns": last}
        if name == "build_id":
            return build_id_records(data, end)
    except (struct.error, ValueError):
        return None
    return None


def read_header(path: str, data: bytes | memoryview) -> Header:
    """The header of a perf.data file held in `data`."""
    magic = bytes(data[:8])
    if magic not in (MAGIC_LE, MAGIC_BE):
        raise DumpFormatError(path, "is not a perf.data file (no PERFILE2 magic)", 0)
    end = ">" if magic == MAGIC_BE else "<"
    if len(data) < PIPE_HEADER_BYTES:
        raise DumpFormatError(path, "is cut short inside its header", len(data))
    size = struct.unpack_from(end + "Q", data, 8)[0]
    if size == PIPE_HEADER_BYTES:
        return Header(magic == MAGIC_BE, True, PIPE_HEADER_BYTES, len(data) - PIPE_HEADER_BYTES, [], {}, {})
    if size != FILE_HEADER_BYTES or len(data) < FILE_HEADER_BYTES:
        raise DumpFormatError(path, f"has a header of {size:,} bytes (perf writes {FILE_HEADER_BYTES} or, piped, "
                              f"{PIPE_HEADER_BYTES})", 8)
    attr_size, a_off, a_size, d_off, d_size, _t_off, _t_size = struct.unpack_from(end + "7Q", data, 16)
    bitmap = struct.unpack_from(end + "4Q", data, 72)
    n = len(data)
    for what, off, sz in (("attribute", a_off, a_size), ("data", d_off, d_size)):
        if off > n or sz > n - off:
            raise DumpFormatError(path, f"has its {what} section at {off:,}+{sz:,}, past its end ({n:,} bytes): "
                                  "cut short or damaged", min(off, n))
    if attr_size < 16 + 64 or a_size % attr_size:
        raise DumpFormatError(path, f"has event attributes of {attr_size:,} bytes each in {a_size:,}", 16)
    attrs = []
    for k in range(a_size // attr_size):
        at = a_off + k * attr_size
        attr = parse_attr(path, bytes(data[at:at + attr_size - 16]), end)
        ids_off, ids_size = struct.unpack_from(end + "QQ", data, at + attr_size - 16)
        if ids_off <= n and ids_size <= n - ids_off and ids_size % 8 == 0:
            attr.ids = list(struct.unpack_from(end + f"{ids_size // 8}Q", data, ids_off))
        attrs.append(attr)
    features: dict[str, object] = {}
    build_ids: dict[str, str] = {}
    problems: list[str] = []
    pos = d_off + d_size
    for bit in range(256):
        if not bitmap[bit // 64] >> (bit % 64) & 1:
            continue
        name = FEATURES.get(bit, f"feature {bit}")
        if pos + 16 > n:
            problems.append(name)
            break
        f_off, f_size = struct.unpack_from(end + "QQ", data, pos)
        pos += 16
        if f_off > n or f_size > n - f_off:
            problems.append(name)
            continue
        if bit not in FEATURES:
            continue
        value = parse_feature(name, bytes(data[f_off:f_off + f_size]), end)
        if name == "build_id" and isinstance(value, dict):
            build_ids = value
        elif value is not None:
            features[name] = value
    names = features.get("event_desc")
    for attr in attrs:
        attr.name = next((label for label, ids in names if set(ids) & set(attr.ids)), "") \
            if isinstance(names, list) else ""
        attr.name = attr.name or attr.default_name()
    return Header(magic == MAGIC_BE, False, d_off, d_size, attrs, features, build_ids, problems)
