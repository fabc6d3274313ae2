"""What a perf.data's side-band records say about the processes sampled — MMAP/MMAP2 (what file is mapped
where, per process, from when), COMM (a thread's name from when), FORK (a child starts with its parent's
maps) — and the naming of an address as perf names it: a user address by the ELF symbol of the mapped file
(found by build-id, at its recorded path or beside the recording), a kernel one by kallsyms; unknown ones
by their module, `[libc.so.6]`, as FlameGraph's stackcollapse-perf.pl writes them."""

from __future__ import annotations

import bisect
import dataclasses
import os
import platform
import struct
from dataclasses import dataclass, field

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from pmdesk.native.cfi import ModuleCFI
from pmdesk.native.image import Image
from pmdesk.native.symbol_files import SearchPaths, build_id_of_file, find_binary, find_debug_file
from pmdesk.native.symbols import ElfSymbols, demangle

KERNEL_MODULE = "[kernel.kallsyms]"
MMAP, COMM, EXIT, FORK, MMAP2 = 1, 3, 4, 7, 10
MISC_MMAP_BUILD_ID = 1 << 14


@dataclass
class Mapping:
    start: int
    end: int
    pgoff: int
    path: str
    build_id: str | None
    time: int
    inode: int = 0  # MMAP2's inode of the file, when it records no build-id


@dataclass
class Processes:
    """Maps per process and names per thread, each with the time it began (0: from the start)."""

    maps: dict[int, list[Mapping]] = field(default_factory=dict)
    comms: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    kernel: list[Mapping] = field(default_factory=list)

    def comm(self, tid: int, time: int) -> str | None:
        got = self.comms.get(tid)
        if not got:
            return None
        j = bisect.bisect_right([t for t, _c in got], time) - 1
        return got[max(j, 0)][1]

    def mapping(self, pid: int, addr: int, time: int) -> Mapping | None:
        """The mapping holding addr in pid at `time` (the latest begun by then, else the first)."""
        best = None
        for m in self.maps.get(pid, ()):
            if m.start <= addr < m.end and (best is None or (m.time <= time and m.time >= best.time)
                                           or best.time > time and m.time < best.time):
                best = m
        return best


def cstring(data: bytes, pos: int, end: int) -> str:
    raw = data[pos:end]
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def read_sideband(data: bytes | memoryview, records: list[tuple[int, int, int, int]], e: str,
                  time_at: int | None, build_ids: dict[str, str]) -> Processes:
    """`records`: (type, offset, size, misc) of the MMAP, MMAP2, COMM and FORK records, in file order;
    `time_at`: where the sample_id trailer's time sits, counted back from a record's end (None: no time)."""
    procs = Processes()
    for typ, off, size, misc in records:
        end = off + size
        t = struct.unpack_from(e + "Q", data, end - time_at)[0] if time_at is not None and size >= time_at + 8 \
            else 0
        if typ in (MMAP, MMAP2):
            pid = struct.unpack_from(e + "i", data, off + 8)[0]
            addr, length, pgoff = struct.unpack_from(e + "QQQ", data, off + 16)
            build_id, inode = None, 0
            if typ == MMAP2:
                if not misc & MISC_MMAP_BUILD_ID:
                    inode = struct.unpack_from(e + "Q", data, off + 48)[0]
                if misc & MISC_MMAP_BUILD_ID:
                    n = min(data[off + 40], 20)
                    build_id = bytes(data[off + 44:off + 44 + n]).hex()
                name = cstring(bytes(data[off + 72:end]), 0, end)
            else:
                name = cstring(bytes(data[off + 40:end]), 0, end)
            build_id = build_id or build_ids.get(name)
            m = Mapping(addr, addr + length, pgoff, name, build_id, t, inode)
            if pid == -1 or name.startswith(KERNEL_MODULE):
                procs.kernel.append(m)
            else:
                procs.maps.setdefault(pid, []).append(m)
        elif typ == COMM:
            _pid, tid = struct.unpack_from(e + "ii", data, off + 8)
            procs.comms.setdefault(tid, []).append((t, cstring(bytes(data[off + 16:end]), 0, end)))
        elif typ == FORK:
            pid, ppid, tid, _ptid = struct.unpack_from(e + "iiii", data, off + 8)
            if pid != ppid and pid not in procs.maps:
                procs.maps[pid] = [dataclasses.replace(m) for m in procs.maps.get(ppid, [])]
            if tid not in procs.comms and ppid in procs.comms:
                procs.comms[tid] = [(t, procs.comms[ppid][-1][1])]
    for got in procs.comms.values():
        got.sort(key=lambda tc: tc[0])
    return procs


class ElfNames:
    """Function names of one mapped file: the ELF symbols of its debug file (found by build-id, as perf finds
    /usr/lib/debug's) and its own, at the file's vaddr for a file offset."""

    def __init__(self, path: str | None, build_id: str | None, paths: SearchPaths) -> None:
        self.symbols: ElfSymbols | None = None
        self.segments: list[tuple[int, int, int]] = []  # (p_offset, p_filesz, p_vaddr) of PT_LOAD
        self._files: list = []
        if path is None:
            return
        try:
            elf = self._open(path)
            self.segments = [(s["p_offset"], s["p_filesz"], s["p_vaddr"]) for s in elf.iter_segments()
                             if s["p_type"] == "PT_LOAD"]
            debug = find_debug_file(path, build_id or build_id_of_file(path), paths).path
            elves = [self._open(debug)] if debug and debug != path else []
            self.symbols = ElfSymbols([*elves, elf])
        except (OSError, ELFError, ValueError):
            self.symbols = None

    def _open(self, path: str) -> ELFFile:
        f = open(path, "rb")  # noqa: SIM115 - kept open while names are asked
        self._files.append(f)
        return ELFFile(f)

    def vaddr(self, file_offset: int) -> int | None:
        """The ELF virtual address of a file offset (None outside the loaded segments)."""
        for off, size, vaddr in self.segments:
            if off <= file_offset < off + size:
                return file_offset - off + vaddr
        return None

    def name(self, file_offset: int) -> str | None:
        at = self.vaddr(file_offset) if self.symbols is not None else None
        got = self.symbols.lookup_as_perf(at) if at is not None and self.symbols is not None else None
        return demangle(got) if got else None

    def close(self) -> None:
        for f in self._files:
            f.close()


class Kallsyms:
    """Kernel function names by address (a kallsyms text: `address type name [module]`)."""

    def __init__(self, text: str) -> None:
        rows = []
        for line in text.splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[1] in "tTwW":
                try:
                    addr = int(parts[0], 16)
                except ValueError:
                    continue
                if addr:
                    rows.append((addr, parts[2]))
        rows.sort()
        self.addrs = [a for a, _n in rows]
        self.names = [n for _a, n in rows]

    def name(self, addr: int) -> str | None:
        j = bisect.bisect_right(self.addrs, addr) - 1
        return self.names[j] if j >= 0 else None


def running_kernel_build_id() -> str | None:
    """The build-id of the kernel this machine runs (its notes), to tell whether its kallsyms applies."""
    try:
        with open("/sys/kernel/notes", "rb") as f:
            notes = f.read()
    except OSError:
        return None
    pos = 0
    while pos + 12 <= len(notes):
        namesz, descsz, typ = struct.unpack_from("<III", notes, pos)
        name_end = pos + 12 + ((namesz + 3) & ~3)
        if typ == 3 and notes[pos + 12:pos + 12 + namesz].rstrip(b"\0") == b"GNU":
            return notes[name_end:name_end + descsz].hex()
        pos = name_end + ((descsz + 3) & ~3)
    return None


def kallsyms_for(beside: str, build_id: str | None, os_release: str | None) -> Kallsyms | None:
    """The kernel's names: a `kallsyms` file beside the recording, perf's build-id cache
    (~/.debug/[kernel.kallsyms]/<id>/kallsyms), or this machine's /proc/kallsyms when it runs that kernel (its
    build-id, or without one its release, the recording's)."""
    candidates = [os.path.join(beside, "kallsyms")]
    if build_id:
        candidates.append(os.path.expanduser(f"~/.debug/{KERNEL_MODULE}/{build_id}/kallsyms"))
    if (running_kernel_build_id() == build_id) if build_id else os_release == platform.release():
        candidates.append("/proc/kallsyms")
    for c in candidates:
        try:
            with open(c, encoding="utf-8", errors="replace") as f:
                got = Kallsyms(f.read())
        except OSError:
            continue
        if got.addrs:
            return got
    return None


def _inode(path: str) -> int:
    try:
        return os.stat(path).st_ino
    except OSError:
        return -1


class Namer:
    """Names addresses of one recording, each file and address once."""

    def __init__(self, procs: Processes, beside: str, paths: SearchPaths, kernel_build_id: str | None,
                 os_release: str | None) -> None:
        self.procs, self.beside, self.paths = procs, beside, paths
        self._files: dict[tuple[str, str | None], ElfNames] = {}
        self._kallsyms: Kallsyms | None | bool = None
        self.kernel_build_id, self.os_release = kernel_build_id, os_release
        self.looked: dict[str, str] = {}  # mapped path -> the binary used ('' when none was)
        self._images: dict[tuple[str, str | None, int], Image | None] = {}
        self._cfi: dict[str, ModuleCFI] = {}  # by binary: one file's CFI read once whatever its load address

    def _names(self, m: Mapping) -> ElfNames:
        key = (m.path, m.build_id)
        got = self._files.get(key)
        if got is None:
            found = find_binary(m.path, m.build_id, self.paths, False, beside=self.beside) \
                if m.path.startswith("/") or os.sep in m.path else None
            path = found.path if found is not None else None  # by build-id when one was recorded
            if path == m.path and m.build_id is None and m.inode and _inode(path) != m.inode:
                path = None  # no build-id: the file at the recorded path is another one than was mapped
            got = self._files[key] = ElfNames(path, m.build_id, self.paths)
            self.looked[m.path] = path or ""
        return got

    def user(self, pid: int, addr: int, time: int) -> tuple[str, str | None]:
        """(function, module) of a user address."""
        m = self.procs.mapping(pid, addr, time)
        if m is None:
            return "[unknown]", None
        name = self._names(m).name(addr - m.start + m.pgoff)
        return (name or f"[{os.path.basename(m.path)}]"), m.path

    def vaddr(self, pid: int, addr: int, time: int) -> int:
        """A user address as the virtual address in the binary mapped there (-1 when that binary is not
        here): where perf annotate finds its instruction."""
        m = self.procs.mapping(pid, addr, time)
        if m is None:
            return -1
        got = self._names(m).vaddr(addr - m.start + m.pgoff)
        return -1 if got is None or not self.looked.get(m.path) else got

    def image(self, pid: int, addr: int, time: int) -> Image | None:
        """The binary mapped at a user address, at its load bias, for unwinding by its CFI (None when it is not
        here)."""
        m = self.procs.mapping(pid, addr, time)
        if m is None:
            return None
        names = self._names(m)
        seg = next(((off, vaddr) for off, size, vaddr in names.segments if off <= m.pgoff < off + max(size, 1)),
                   None)
        binary = self.looked.get(m.path)
        if seg is None or not binary:
            return None
        bias = m.start - (m.pgoff - seg[0] + seg[1])
        key = (m.path, m.build_id, bias)
        if key not in self._images:
            img = self._images[key] = Image(m.path, m.start, m.end, bias, m.build_id, binary=binary,
                                            _cfi=self._cfi.get(binary))
            self._cfi.setdefault(binary, img.cfi)
        return self._images[key]

    @property
    def kernel_unnamed(self) -> bool:
        """Kernel addresses were named, and no kallsyms of the recording's kernel was found for them."""
        return self._kallsyms is False

    def kernel(self, addr: int) -> tuple[str, str | None]:
        if self._kallsyms is None:
            self._kallsyms = kallsyms_for(self.beside, self.kernel_build_id, self.os_release) or False
        name = self._kallsyms.name(addr) if self._kallsyms else None
        return (name or f"[{KERNEL_MODULE}]"), KERNEL_MODULE

    def close(self) -> None:
        for f in self._files.values():
            f.close()
        for img in self._images.values():
            if img is not None:
                img.close()
