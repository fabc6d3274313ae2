"""DWARF call frame information of a module: the FDE covering a pc, found through `.eh_frame_hdr`'s sorted
table (one FDE parsed, not thousands), else among `.eh_frame` entries parsed once, else — for the functions
`.eh_frame` does not cover (compiled without unwind tables: their CFI is only in `.debug_frame`, of the module
or its debug file) — among `.debug_frame` entries parsed on the first such pc; and the row of its decoded
table that applies at the pc (CFA rule and register rules)."""

from __future__ import annotations

import bisect
import struct
from typing import Any

from elftools.dwarf.callframe import FDE, CallFrameInfo
from elftools.dwarf.dwarf_expr import DWARFExprParser
from elftools.elf.elffile import ELFFile

from pmdesk.native.dwarf_sections import dwarf_info, section
from pmdesk.native.elf_sections import sections

DW_EH_PE_DATAREL_SDATA4 = 0x3B


class ModuleCFI:
    def __init__(self, elf: ELFFile | None, debug_elf: ELFFile | None) -> None:
        self.table: list[tuple[int, int]] | None = None  # (initial location, FDE offset in .eh_frame)
        self.cfi: CallFrameInfo | None = None
        self.fdes: list[tuple[int, int, FDE]] = []  # (start, end, FDE) when all entries were parsed
        self.starts: list[int] = []
        self.decoded: dict[tuple[int, int], Any] = {}
        self.rows: dict[int, tuple[dict[Any, Any], int, bool] | None] = {}  # by pc: a profile asks the same ones
        self.expr_parser: DWARFExprParser | None = None
        self._debug_sources = [e for e in (elf, debug_elf) if e is not None]
        self._debug_frame: tuple[list[int], list[tuple[int, int, FDE]]] | None = None  # (starts, FDEs) once read
        for source in (elf, debug_elf):
            if source is None or self.cfi is not None or self.fdes:
                continue
            try:
                self._load(source)
            except Exception:  # noqa: BLE001 - a module whose CFI pyelftools cannot read unwinds by frame pointer
                self.cfi, self.table, self.fdes = None, None, []

    def _load(self, elf: ELFFile) -> None:
        secs = sections(elf)
        eh, hdr = secs.get(".eh_frame"), secs.get(".eh_frame_hdr")
        if eh is not None:
            dwarf = dwarf_info(elf)
            self.expr_parser = DWARFExprParser(dwarf.structs)
            if hdr is not None:
                table = _hdr_table(secs.data(hdr), hdr.addr, eh.addr)
                eh_frame = section(dwarf, ".eh_frame")  # the bytes dwarf_info has read already
                if table is not None and eh_frame is not None:  # entries are read by offset from its start
                    self.cfi = CallFrameInfo(_SectionStream(eh_frame.getvalue()), eh.size, eh.addr, dwarf.structs,
                                             for_eh_frame=True)
                    self.table = table
                    self.starts = [t[0] for t in table]
                    return
            self.fdes = _sorted_fdes(dwarf.EH_CFI_entries())
            self.starts = [f[0] for f in self.fdes]

    def _debug_frame_fdes(self) -> tuple[list[int], list[tuple[int, int, FDE]]]:
        """The FDEs of `.debug_frame` (the module's, else its debug file's), read on first use."""
        if self._debug_frame is None:
            self._debug_frame = [], []
            for elf in self._debug_sources:
                try:
                    if sections(elf).get(".debug_frame") is None:
                        continue
                    dwarf = dwarf_info(elf)
                    fdes = _sorted_fdes(dwarf.CFI_entries())
                except Exception:  # noqa: BLE001 - unreadable .debug_frame: those functions unwind by frame pointer
                    continue
                if self.expr_parser is None:
                    self.expr_parser = DWARFExprParser(dwarf.structs)
                self._debug_frame = [f[0] for f in fdes], fdes
                break
        return self._debug_frame

    def fde(self, rel_pc: int) -> FDE | None:
        """The FDE covering rel_pc: `.eh_frame`'s, else `.debug_frame`'s."""
        found = self._eh_fde(rel_pc)
        if found is None and self._debug_sources:
            starts, fdes = self._debug_frame_fdes()
            found = _covering(starts, fdes, rel_pc)
        return found

    def _eh_fde(self, rel_pc: int) -> FDE | None:
        if self.table is not None and self.cfi is not None:
            i = bisect.bisect_right(self.starts, rel_pc) - 1
            if i < 0:
                return None
            start, offset = self.table[i]
            entry = self.cfi._parse_entry_at(offset)  # noqa: SLF001 - pyelftools parses one entry only this way
            if isinstance(entry, FDE) and start <= rel_pc < start + entry.header.address_range:
                return entry
            return None
        return _covering(self.starts, self.fdes, rel_pc)

    def ops(self, expr: list[int]) -> list[Any]:
        """A CFI rule's DWARF expression bytes as operations."""
        return self.expr_parser.parse_expr(expr) if self.expr_parser is not None else []

    def row(self, rel_pc: int) -> tuple[dict[Any, Any], int, bool] | None:
        """(the CFI table row in force at rel_pc, return-address register, whether the FDE describes a signal
        trampoline — augmentation 'S', like glibc's __restore_rt)."""
        if rel_pc in self.rows:
            return self.rows[rel_pc]
        got = self.rows[rel_pc] = self._row(rel_pc)
        return got

    def _row(self, rel_pc: int) -> tuple[dict[Any, Any], int, bool] | None:
        fde = self.fde(rel_pc)
        if fde is None:
            return None
        key = (id(fde.cie), fde.header.initial_location)  # an .eh_frame and a .debug_frame FDE may share a start
        dec = self.decoded.get(key)
        if dec is None:
            dec = self.decoded[key] = fde.get_decoded()
        rows = [r for r in dec.table if r["pc"] <= rel_pc]
        if not rows:
            return None
        augmentation = fde.cie.header.get("augmentation", b"") or b""
        return rows[-1], fde.cie["return_address_register"], b"S" in augmentation


def _sorted_fdes(entries: list[Any]) -> list[tuple[int, int, FDE]]:
    """(start, end, FDE) of the entries that are FDEs, by start."""
    return sorted(((e.header.initial_location, e.header.initial_location + e.header.address_range, e)
                   for e in entries if isinstance(e, FDE)), key=lambda t: t[0])


def _covering(starts: list[int], fdes: list[tuple[int, int, FDE]], rel_pc: int) -> FDE | None:
    i = bisect.bisect_right(starts, rel_pc) - 1
    if i < 0:
        return None
    start, end, entry = fdes[i]
    return entry if start <= rel_pc < end else None


class _SectionStream:
    """A seekable view of a section's bytes (pyelftools reads CFI entries from it by offset)."""

    def __init__(self, data: bytes) -> None:
        import io

        self._io = io.BytesIO(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._io.seek(offset, whence)

    def read(self, n: int = -1) -> bytes:
        return self._io.read(n)

    def tell(self) -> int:
        return self._io.tell()


def _hdr_table(data: bytes, hdr_addr: int, eh_addr: int) -> list[tuple[int, int]] | None:
    """The (initial location, FDE offset) pairs of .eh_frame_hdr when encoded the usual way."""
    if len(data) < 12 or data[0] != 1 or data[3] != DW_EH_PE_DATAREL_SDATA4 or data[2] != 0x03:
        return None
    # eh_frame_ptr (encoding data[1], 4 bytes for the usual pcrel|sdata4), then fde_count (udata4)
    count = struct.unpack_from("<I", data, 8)[0]
    if 12 + 8 * count > len(data):
        return None
    pairs = struct.unpack_from(f"<{2 * count}i", data, 12)
    return [(hdr_addr + pairs[2 * i], hdr_addr + pairs[2 * i + 1] - eh_addr) for i in range(count)]


def postfix_rules(found: tuple[dict[Any, Any], int, bool], names: dict[int, str], prefix: str) \
        -> dict[str, str] | None:
    """A CFI row (as `ModuleCFI.row` gives it) written as Breakpad's STACK CFI rules (`.cfa: $rsp 16 +`,
    `.ra: .cfa -8 + ^`, `$rbx: .cfa -24 + ^`), register names from `names` with `prefix` ('$' on x86-64, none on
    arm64); rules CFI expressions describe are left out (the walk then treats those registers as unknown).
    None when the CFA is not a register plus an offset or the return address has no rule."""
    row, ra_reg, _signal = found
    cfa = row.get("cfa")
    if cfa is None or cfa.expr is not None or cfa.reg not in names:
        return None
    rules = {".cfa": f"{prefix}{names[cfa.reg]} {cfa.offset} +"}
    for reg, rule in row.items():
        if not isinstance(reg, int) or reg not in names:
            continue
        if rule.type == "OFFSET":
            expr = f".cfa {rule.arg} + ^"
        elif rule.type == "VAL_OFFSET":
            expr = f".cfa {rule.arg} +"
        elif rule.type == "REGISTER" and rule.arg in names:
            expr = f"{prefix}{names[rule.arg]}"
        else:
            continue
        rules[".ra" if reg == ra_reg else f"{prefix}{names[reg]}"] = expr
    if ".ra" not in rules and not prefix and ra_reg in names:  # arm64: the return address still in the lr
        rules[".ra"] = names[ra_reg]
    return rules if ".ra" in rules else None
