"""The minidump streams pmdesk shows as text sections: Crashpad's info (simple, list and object annotations, per
module), unloaded modules, memory info (each region's state, protection and type), thread info, handles,
comments, Breakpad's assertion info and Linux auxv. Layouts from Breakpad's
src/google_breakpad/common/minidump_format.h and Microsoft's minidumpapiset.h; every RVA, count and size is
checked against the stream or the file, and a list longer than MAX_LINES is cut with a note."""

from __future__ import annotations

import struct
import uuid

from pmdesk.readers.minidump.parse import Minidump

UNLOADED_MODULES, HANDLES, COMMENT_A, COMMENT_W, MEMORY_INFO, THREAD_INFO = 14, 12, 10, 11, 16, 17
ASSERTION_INFO, LINUX_AUXV, CRASHPAD_INFO = 0x47670002, 0x47670008, 0x43500001
MAX_LINES = 10_000
MAX_COUNT = 1 << 20
STATES = {0x1000: "commit", 0x2000: "reserve", 0x10000: "free"}
TYPES = {0x20000: "private", 0x40000: "mapped", 0x1000000: "image"}
PROTECT = {0x01: "---", 0x02: "r--", 0x04: "rw-", 0x08: "rw- (copy)", 0x10: "--x", 0x20: "r-x", 0x40: "rwx",
           0x80: "rwx (copy)"}
AUXV = {3: "AT_PHDR", 4: "AT_PHENT", 5: "AT_PHNUM", 6: "AT_PAGESZ", 7: "AT_BASE", 9: "AT_ENTRY", 11: "AT_UID",
        12: "AT_EUID", 13: "AT_GID", 14: "AT_EGID", 15: "AT_PLATFORM", 16: "AT_HWCAP", 17: "AT_CLKTCK",
        23: "AT_SECURE", 25: "AT_RANDOM", 26: "AT_HWCAP2", 31: "AT_EXECFN", 33: "AT_SYSINFO_EHDR", 51: "AT_MINSIGSTKSZ"}


def _utf8(d: Minidump, rva: int) -> str | None:
    """A MINIDUMP_UTF8_STRING (Crashpad): a u32 length and the bytes."""
    head = d.bytes_at(rva, 4)
    if head is None:
        return None
    raw = d.bytes_at(rva + 4, min(struct.unpack("<I", head)[0], 1 << 20))
    return raw.decode("utf-8", "replace") if raw is not None else None


def _at(d: Minidump, loc: tuple[int, int], fmt: str) -> tuple | None:
    size, rva = loc
    s = struct.Struct(fmt)
    raw = d.bytes_at(rva, s.size) if size >= s.size else None
    return s.unpack(raw) if raw is not None else None


def _counted(d: Minidump, loc: tuple[int, int], entry: str) -> list[tuple]:
    """A u32 count followed by that many entries, within the location's size and the file."""
    size, rva = loc
    head = d.bytes_at(rva, 4) if size >= 4 else None
    if head is None:
        return []
    s = struct.Struct(entry)
    count = min(struct.unpack("<I", head)[0], (size - 4) // s.size, MAX_COUNT)
    raw = d.bytes_at(rva + 4, count * s.size) or b""
    return list(s.iter_unpack(raw))


def _dictionary(d: Minidump, loc: tuple[int, int]) -> list[tuple[str, str]]:
    return [(_utf8(d, k) or "?", _utf8(d, v) or "") for k, v in _counted(d, loc, "<II")]


ANNOTATION_BYTES = 64 << 10     # of one object annotation's value
ANNOTATIONS_MAX = 10_000        # annotations read
ANNOTATIONS_TEXT_MAX = 4 << 20  # characters of them all


def crashpad_annotations(d: Minidump, module_names: list[str]) -> list[tuple[str, str]]:
    """(key, value) of Crashpad's annotations: the process's simple annotations, then each module's simple,
    object (string ones as text, others as hex) and list annotations, keyed 'module!key' ('module[i]' for a
    list entry), as minidump_dump prints them."""
    raw = d.stream(CRASHPAD_INFO)
    if raw is None or len(raw) < 52:
        return []
    _v, report, client, s_size, s_rva, m_size, m_rva = struct.unpack_from("<I16s16sIIII", raw)
    out = [("report_id", str(uuid.UUID(bytes_le=report))), ("client_id", str(uuid.UUID(bytes_le=client)))]
    out += _dictionary(d, (s_size, s_rva))
    chars = sum(len(k) + len(v) for k, v in out)
    for index, size, rva in _counted(d, (m_size, m_rva), "<III"):
        name = module_names[index].replace("\\", "/").rsplit("/", 1)[-1] if index < len(module_names) \
            else f"module {index}"
        info = _at(d, (size, rva), "<IIIIIII")
        if info is None:
            continue
        _version, l_size, l_rva, ms_size, ms_rva, o_size, o_rva = info
        out += [(f"{name}!{k}", v) for k, v in _dictionary(d, (ms_size, ms_rva))]
        for key_rva, kind, _res, value_rva in _counted(d, (o_size, o_rva), "<IHHI"):
            head = d.bytes_at(value_rva, 4)
            value = d.bytes_at(value_rva + 4, min(struct.unpack("<I", head)[0], ANNOTATION_BYTES)) if head else None
            text = (value.decode("utf-8", "replace") if kind == 1 else value.hex()) if value is not None else ""
            out.append((f"{name}!{_utf8(d, key_rva) or '?'}", text))
            chars += len(out[-1][0]) + len(text)
            if len(out) > ANNOTATIONS_MAX or chars > ANNOTATIONS_TEXT_MAX:
                break
        else:
            out += [(f"{name}[{i}]", _utf8(d, r) or "") for i, (r,) in enumerate(_counted(d, (l_size, l_rva), "<I"))]
            chars = sum(len(k) + len(v) for k, v in out)
        if len(out) > ANNOTATIONS_MAX or chars > ANNOTATIONS_TEXT_MAX:  # a damaged dump can point every entry at
            # the same megabyte: the rest are left out
            d.problems.append(f"more Crashpad annotations than a report shows: the first {len(out):,} are read")
            break
    return out


def _table(d: Minidump, kind: int, header: str, what: str) -> list[bytes]:
    """A list stream with its own header (SizeOfHeader, SizeOfEntry, NumberOfEntries …): each entry's bytes."""
    got = d.streams.get(kind)
    if got is None:
        return []
    rva, size = got
    h = struct.Struct(header)
    head = d.bytes_at(rva, h.size)
    if head is None:
        return []
    header_size, entry_size, count = h.unpack(head)[:3]
    if entry_size == 0 or header_size > size:
        d.problems.append(f"the {what} list has a header of {header_size} bytes and entries of {entry_size}")
        return []
    room = (size - header_size) // entry_size
    if count > room:
        d.problems.append(f"the {what} list claims {count:,} entries; {room:,} fit: those read")
        count = room
    raw = d.bytes_at(rva + header_size, count * entry_size) or b""
    return [raw[i:i + entry_size] for i in range(0, len(raw), entry_size)]


def _cut(lines: list[str]) -> str:
    if len(lines) > MAX_LINES:
        lines = [*lines[:MAX_LINES], f"… {len(lines) - MAX_LINES:,} more"]
    return "\n".join(lines)


def sections(d: Minidump, module_names: list[str]) -> list[tuple[str, str]]:
    """(title, text) of each of these streams the dump has."""
    out = []
    notes = crashpad_annotations(d, module_names)
    if notes:
        out.append(("Crashpad annotations", "\n".join(f"{k}: {v}" for k, v in notes)))
    unloaded = []
    for e in _table(d, UNLOADED_MODULES, "<III", "unloaded module"):
        if len(e) >= 24:
            base, size, _sum, _time, name_rva = struct.unpack_from("<QIIII", e)
            unloaded.append(f"0x{base:016x} - 0x{base + size - 1:016x}  {d.string(name_rva) or '???'}")
    if unloaded:
        out.append(("Unloaded modules", _cut(unloaded)))
    regions = []
    for base, size, state, protect, kind in memory_info(d):
        words = PROTECT.get(protect & 0xFF, f"{protect:#x}") + (" guard" if protect & 0x100 else "") if protect \
            and state != 0x10000 else ""
        regions.append(f"0x{base:016x} {size:>17,}  {STATES.get(state, hex(state)):8} {words:12} "
                       f"{TYPES.get(kind, '')}".rstrip())
    if regions:
        out.append(("Memory info", _cut(regions)))
    infos = []
    for e in _table(d, THREAD_INFO, "<III", "thread info"):
        if len(e) >= 64:
            tid, _flags, _err, exit_status, created, _exited, kernel, user, start, _aff = struct.unpack_from(
                "<IIIIQQQQQQ", e)
            infos.append(f"thread {tid:#x}: start 0x{start:x}, user {user / 1e7:.3f} s, kernel {kernel / 1e7:.3f} s"
                         + (f", exit status {exit_status:#x}" if exit_status and exit_status != 0x103 else "")
                         + (f", created {created}" if created else ""))
    if infos:
        out.append(("Thread info", _cut(infos)))
    handles = []
    for e in _table(d, HANDLES, "<IIII", "handle"):
        if len(e) >= 32:
            handle, type_rva, name_rva, _attr, _access, _count, _ptr = struct.unpack_from("<QIIIIII", e)
            kind = d.string(type_rva) if type_rva else None
            name = d.string(name_rva) if name_rva else None
            handles.append(f"{handle:#x}  {kind or '?'}" + (f"  {name}" if name else ""))
    if handles:
        out.append(("Handles", _cut(handles)))
    for kind, encoding in ((COMMENT_A, "latin-1"), (COMMENT_W, "utf-16-le")):
        raw = d.stream(kind)
        if raw:
            out.append(("Comment", raw.decode(encoding, "replace").rstrip("\0").strip()))
    assertion = assertion_text(d)
    if assertion:
        out.append(("Assertion", assertion))
    raw = d.stream(LINUX_AUXV)
    if raw:
        word = 8 if len(raw) % 16 == 0 else 4
        pairs = struct.iter_unpack("<QQ" if word == 8 else "<II", raw[:len(raw) // (2 * word) * 2 * word])
        out.append(("/proc/self/auxv", "\n".join(f"{AUXV.get(k, str(k))}: 0x{v:x}" for k, v in pairs if k)))
    return out


def memory_info(d: Minidump) -> list[tuple[int, int, int, int, int]]:
    """(base, size, state, protection, type) of each region the memory info list describes."""
    return [(base, size, state, protect, kind) for base, _alloc, _aprot, _a, size, state, protect, kind
            in (struct.unpack_from("<QQIIQIII", e) for e in _table(d, MEMORY_INFO, "<IIQ", "memory info")
                if len(e) >= 48)]


def assertion_text(d: Minidump) -> str | None:
    """Breakpad's assertion info in minidump_stackwalk's words ('Invalid parameter passed to library function
    EXPR in function F, in file FILE at line N'), None without one."""
    raw = d.stream(ASSERTION_INFO)
    if raw is None or len(raw) < 3 * 256 + 8:
        return None

    def text(i: int) -> str:
        return raw[i * 256:(i + 1) * 256].decode("utf-16-le", "replace").split("\0", 1)[0]

    expression, function, file = text(0), text(1), text(2)
    line, kind = struct.unpack_from("<II", raw, 768)
    words = {1: "Invalid parameter passed to library function", 2: "Pure virtual function called"}.get(
        kind, f"Unknown assertion type 0x{kind:08x}")
    return words + (f" {expression}" if expression else "") + (f" in function {function}" if function else "") \
        + (f", in file {file}" if file else "") + (f" at line {line}" if line else "")
