"""The minidump file format (Windows MINIDUMP_*, as Breakpad and Crashpad write it too): the header, the stream
directory and the streams pmdesk reads — threads, thread names, modules with their CodeView identity,
memory (32- and 64-bit lists), the exception, system and misc info, Breakpad's and Linux's extension streams.
Layouts from Breakpad's src/google_breakpad/common/minidump_format.h and Microsoft's minidumpapiset.h. Every
RVA and count is checked against the file: a bad one is a problem noted, the rest is still read."""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field

MAGIC = b"MDMP"
HEADER = struct.Struct("<4sIIIIIQ")       # signature, version, stream count, directory rva, checksum, time, flags
DIRECTORY = struct.Struct("<III")          # stream type, data size, rva
THREAD = struct.Struct("<IIIIQQIIII")      # id, suspend, priority class, priority, teb, stack (start, size, rva),
                                           # context (size, rva)
MODULE = struct.Struct("<QIIII52sIIIIQQ")  # base, size, checksum, time, name rva, version info, cv (size, rva),
                                           # misc (size, rva), reserved
MEMORY = struct.Struct("<QII")             # start, size, rva
MEMORY64 = struct.Struct("<QQ")            # start, size (data follows contiguously from the list's base rva)
EXCEPTION = struct.Struct("<IIIIQQII")     # thread id, align, code, flags, record, address, n params, align
THREAD_EX = struct.Struct("<IIIIQQIIIIQII")  # a thread, then its backing store (start, size, rva)
THREAD_LIST, MODULE_LIST, MEMORY_LIST, EXCEPTION_STREAM, SYSTEM_INFO, THREAD_EX_LIST = 3, 4, 5, 6, 7, 8
MEMORY64_LIST, MISC_INFO, THREAD_NAME_LIST = 9, 15, 24
BREAKPAD_INFO = 0x47670001
LINUX_STREAMS = {0x47670003: "/proc/cpuinfo", 0x47670004: "/proc/self/status", 0x47670005: "/etc/lsb-release",
                 0x47670006: "/proc/self/cmdline", 0x47670007: "/proc/self/environ", 0x47670009: "/proc/self/maps"}
MAX_COUNT = 1 << 20      # threads, modules or memory ranges in one list
MAX_STRING_BYTES = 1 << 16
CV_PDB70, CV_PDB20, CV_ELF = b"RSDS", b"NB10", b"LEpB"  # the u32 signatures, little-endian
ARCHES = {0: "x86", 5: "arm", 9: "amd64", 12: "arm64", 0x8003: "arm64"}
OSES = {2: "Windows NT", 0x8101: "Mac OS X", 0x8102: "iOS", 0x8201: "Linux", 0x8203: "Android", 0x8000: "Unix",
        0x8202: "Solaris", 0x8205: "NaCl", 0x8206: "Fuchsia"}


class MinidumpError(ValueError):
    def __init__(self, what: str, offset: int) -> None:
        super().__init__(what)
        self.offset = offset


@dataclass
class MThread:
    tid: int
    stack_start: int
    stack: tuple[int, int]     # (rva, size) of the stack memory in the file
    context: tuple[int, int]   # (rva, size)
    name: str | None = None


@dataclass
class MModule:
    base: int
    size: int
    name: str
    code_id: str | None = None      # ELF build-id (hex), or the PE's time stamp and size
    debug_id: str | None = None     # GUID + age, as Breakpad prints it
    debug_file: str | None = None   # the PDB's name (Windows), else the module's file name
    version: str | None = None


@dataclass
class Minidump:
    path: str
    data: mmap.mmap | bytes
    streams: dict[int, tuple[int, int]] = field(default_factory=dict)  # type -> (rva, size), the first of each
    problems: list[str] = field(default_factory=list)

    def bytes_at(self, rva: int, size: int) -> bytes | None:
        if rva < 0 or size < 0 or rva + size > len(self.data):
            return None
        return bytes(self.data[rva:rva + size])

    def string(self, rva: int) -> str | None:
        """A MINIDUMP_STRING: a u32 byte length and UTF-16LE text."""
        head = self.bytes_at(rva, 4)
        if head is None:
            return None
        n = min(struct.unpack("<I", head)[0], MAX_STRING_BYTES)
        raw = self.bytes_at(rva + 4, n)
        return raw.decode("utf-16-le", "replace") if raw is not None else None

    def stream(self, kind: int) -> bytes | None:
        got = self.streams.get(kind)
        return self.bytes_at(*got) if got else None

    def _list(self, kind: int, entry: struct.Struct, what: str, header: int = 4) -> list[tuple]:
        got = self.streams.get(kind)
        if got is None:
            return []
        rva, size = got
        head = self.bytes_at(rva, 4)
        if head is None:
            self.problems.append(f"the {what} list lies outside the file")
            return []
        count = struct.unpack("<I", head)[0]
        if size == header + 4 + count * entry.size:  # macOS Breakpad pads the count to 8 bytes (minidump.cc)
            header += 4
        room = (min(size, len(self.data) - rva) - header) // entry.size
        if count > min(room, MAX_COUNT):
            self.problems.append(f"the {what} list claims {count:,} entries; {max(room, 0):,} fit: those read")
            count = max(min(room, MAX_COUNT), 0)
        raw = self.bytes_at(rva + header, count * entry.size) or b""
        return list(entry.iter_unpack(raw))

    def threads(self) -> list[MThread]:
        """The thread list's threads (else the extended list's, which Windows writes for Itanium), named."""
        listed = self._list(THREAD_LIST, THREAD, "thread") or self._list(THREAD_EX_LIST, THREAD_EX, "thread")
        out = [MThread(t[0], t[5], (t[7], t[6]), (t[9], t[8])) for t in listed]
        names = self.thread_names()
        for t in out:
            t.name = names.get(t.tid)
        return out

    def thread_names(self) -> dict[int, str]:
        out = {}
        for tid, rva in self._list(THREAD_NAME_LIST, struct.Struct("<IQ"), "thread name"):
            name = self.string(rva)
            if name:
                out[tid] = name
        return out

    def modules(self) -> list[MModule]:
        out = []
        for base, size, _sum, stamp, name_rva, version, cv_size, cv_rva, *_ in self._list(MODULE_LIST, MODULE,
                                                                                          "module"):
            name = self.string(name_rva) or "???"
            m = MModule(base, size, name, debug_file=name.replace("\\", "/").rsplit("/", 1)[-1])
            m.version = _version(version)
            cv = self.bytes_at(cv_rva, cv_size) if cv_size else None
            if cv and cv[:4] == CV_PDB70 and len(cv) >= 24:
                d1, d2, d3 = struct.unpack_from("<IHH", cv, 4)
                age = struct.unpack_from("<I", cv, 20)[0]
                m.debug_id = f"{d1:08X}{d2:04X}{d3:04X}{cv[12:20].hex().upper()}{age:X}"
                m.debug_file = cv[24:].split(b"\0", 1)[0].decode("utf-8", "replace").replace("\\", "/") \
                    .rsplit("/", 1)[-1] or m.debug_file
                m.code_id = f"{stamp:08X}{size:x}"
            elif cv and cv[:4] == CV_ELF and len(cv) > 4:
                build_id = cv[4:]
                m.code_id = build_id.hex()
                guid = build_id[:16].ljust(16, b"\0")
                d1, d2, d3 = struct.unpack_from("<IHH", guid)
                m.debug_id = f"{d1:08X}{d2:04X}{d3:04X}{guid[8:].hex().upper()}0"
            elif cv and cv[:4] == CV_PDB20 and len(cv) >= 16:
                sig, age = struct.unpack_from("<II", cv, 8)
                m.debug_id = f"{sig:08X}{age:X}"
            out.append(m)
        return out

    def memory_ranges(self) -> list[tuple[int, int, int]]:
        """(start, size, rva) of every memory range the dump holds, both lists."""
        out = [(s, n, r) for s, n, r in self._list(MEMORY_LIST, MEMORY, "memory")]
        got = self.streams.get(MEMORY64_LIST)
        if got is not None:
            head = self.bytes_at(got[0], 16)
            if head is not None:
                count, base = struct.unpack("<QQ", head)
                room = (min(got[1], len(self.data) - got[0]) - 16) // MEMORY64.size
                if count > room:
                    self.problems.append(f"the 64-bit memory list claims {count:,} ranges; {room:,} fit")
                    count = room
                raw = self.bytes_at(got[0] + 16, count * MEMORY64.size) or b""
                for s, n in MEMORY64.iter_unpack(raw):
                    if base + n > len(self.data):
                        self.problems.append("the 64-bit memory list runs past the end of the file")
                        break
                    out.append((s, n, base))
                    base += n
        return [(s, n, r) for s, n, r in out if r + n <= len(self.data)]

    def exception(self) -> tuple[int, int, int, int, tuple[int, int], list[int]] | None:
        """(thread id, code, flags, address, context (rva, size), parameters) of the exception stream."""
        raw = self.stream(EXCEPTION_STREAM)
        if raw is None or len(raw) < EXCEPTION.size + 15 * 8 + 8:
            return None
        tid, _a, code, flags, _rec, addr, nparams, _b = EXCEPTION.unpack_from(raw)
        params = list(struct.unpack_from("<15Q", raw, EXCEPTION.size))[:min(nparams, 15)]
        csize, crva = struct.unpack_from("<II", raw, EXCEPTION.size + 15 * 8)
        return tid, code, flags, addr, (crva, csize), params

    def system_info(self) -> tuple[str, str, str] | None:
        """(cpu, os, os version words) of the system info stream."""
        got = self.system_details()
        return got[:3] if got else None

    def system_details(self) -> tuple[str, str, str, str, int, int] | None:
        """(cpu, os, os version words, the processor as minidump_stackwalk describes an x86 one ('' for others),
        processors, the processor architecture's number)."""
        raw = self.stream(SYSTEM_INFO)
        if raw is None or len(raw) < 32:
            return None
        arch, level, rev, ncpu, _pt, major, minor, build, platform, csd = struct.unpack_from("<HHHBBIIIII", raw)
        service_pack = self.string(csd) if csd else None
        words = f"{major}.{minor}.{build}" + (f" {service_pack}" if service_pack is not None else "")  # as Breakpad
        cpu = ARCHES.get(arch, f"cpu {arch:#x}")
        info = ""  # Breakpad describes x86 processors only
        if cpu in ("x86", "amd64"):  # Breakpad names the vendor of x86 processors only
            vendor = raw[32:44].split(b"\0", 1)[0].decode("ascii", "replace") if len(raw) >= 44 and cpu == "x86" \
                else ""
            info = f"{vendor} family {level} model {rev >> 8} stepping {rev & 0xFF}".strip()
        elif cpu == "arm" and len(raw) >= 40:
            info = _arm_cpu(level, *struct.unpack_from("<II", raw, 32))
        return cpu, OSES.get(platform, f"os {platform:#x}"), words, info, ncpu, arch

    def pid(self) -> int | None:
        raw = self.stream(MISC_INFO)
        if raw is None or len(raw) < 12:
            return None
        _size, flags, pid = struct.unpack_from("<III", raw)
        return pid if flags & 1 else None

    def breakpad_threads(self) -> tuple[int | None, int | None]:
        """(the thread that wrote the dump, the thread that asked for it) from Breakpad's info stream."""
        raw = self.stream(BREAKPAD_INFO)
        if raw is None or len(raw) < 12:
            return None, None
        valid, dumper, requester = struct.unpack_from("<III", raw)
        return (dumper if valid & 1 else None), (requester if valid & 2 else None)

    def texts(self) -> list[tuple[str, str]]:
        """Breakpad's Linux streams as text (cmdline and environ NUL-separated)."""
        out = []
        for kind, title in LINUX_STREAMS.items():
            raw = self.stream(kind)
            if raw:
                text = raw.decode("utf-8", "replace")
                if kind in (0x47670006, 0x47670007):
                    text = "\n".join(p for p in text.split("\0") if p) if kind == 0x47670007 else \
                        " ".join(p for p in text.split("\0") if p)
                out.append((title, text.rstrip("\n")))
        return out


ARM_VENDORS = {0x41: "ARM", 0x51: "Qualcomm", 0x56: "Marvell", 0x69: "Intel/Marvell"}
ARM_PARTS = {0x4100C050: "Cortex-A5", 0x4100C080: "Cortex-A8", 0x4100C090: "Cortex-A9", 0x4100C0F0: "Cortex-A15",
             0x4100C140: "Cortex-R4", 0x4100C150: "Cortex-R5", 0x4100B360: "ARM1136", 0x4100B560: "ARM1156",
             0x4100B760: "ARM1176", 0x4100B020: "ARM11-MPCore", 0x41009260: "ARM926", 0x41009460: "ARM946",
             0x41009660: "ARM966", 0x510006F0: "Krait", 0x510000F0: "Scorpion"}
ARM_HWCAPS = ("swp", "half", "thumb", "26bit", "fastmult", "fpa", "vfpv2", "edsp", "java", "iwmmxt", "crunch",
              "thumbee", "neon", "vfpv3", "vfpv3d16", "tls", "vfpv4", "idiva", "idivt")  # bit 0 up


def _arm_cpu(level: int, cpuid: int, hwcaps: int) -> str:
    """A 32-bit arm processor as minidump_stackwalk describes it: 'ARMv7 ARM Cortex-A9 features: swp,half,…'."""
    out = f"ARMv{level}"
    if cpuid:
        vendor = ARM_VENDORS.get(cpuid >> 24 & 0xFF, f"vendor(0x{cpuid >> 24 & 0xFF:x})")
        out += f" {vendor} {ARM_PARTS.get(cpuid & 0xFF00FFF0, f'part(0x{cpuid & 0xFF00FFF0:x})')}"
    if hwcaps:
        out += " features: " + ",".join(n for i, n in enumerate(ARM_HWCAPS) if hwcaps >> i & 1)
    return out


def _version(info: bytes) -> str | None:
    """The module's file version from its VS_FIXEDFILEINFO ('10.0.14393.0'), None when absent."""
    sig, _struct_version, ms, ls = struct.unpack_from("<IIII", info)
    if sig != 0xFEEF04BD:
        return None
    return f"{ms >> 16}.{ms & 0xFFFF}.{ls >> 16}.{ls & 0xFFFF}"


def open_minidump(path: str) -> Minidump:
    """The file mapped and its directory read; MinidumpError when it is not a minidump."""
    with open(path, "rb") as f:
        size = f.seek(0, 2)
        if size < HEADER.size:
            raise MinidumpError("too short for a minidump header", 0)
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    sig, _version, count, dir_rva, _sum, _time, _flags = HEADER.unpack_from(data)
    if sig != MAGIC:
        raise MinidumpError("not a minidump (no MDMP signature)", 0)
    d = Minidump(path, data)
    room = (size - dir_rva) // DIRECTORY.size if dir_rva < size else 0
    if count > room:
        d.problems.append(f"the stream directory claims {count:,} streams; {room:,} fit in the file: those read")
        count = room
    for i in range(count):
        kind, n, rva = DIRECTORY.unpack_from(data, dir_rva + i * DIRECTORY.size)
        if rva + n > size:
            d.problems.append(f"stream {kind:#x} ({n:,} bytes at {rva:,}) runs past the end of the file: skipped")
            continue
        d.streams.setdefault(kind, (rva, n))
    return d
