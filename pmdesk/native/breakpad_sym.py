"""Breakpad symbol files (`.sym`, what `dump_syms` writes and symbol servers serve): the MODULE line (os, arch,
debug id, name), FILE, FUNC with its line records, PUBLIC, and INLINE_ORIGIN/INLINE records (dump_syms -d) —
looked up as Breakpad's source-line resolver does: the function holding the address, its line record, and the
inlined functions around it, innermost first; and the stack-walking records — `STACK CFI INIT`/`STACK CFI`
(DWARF CFI as postfix rules) and `STACK WIN` (Windows frame data and FPO), with FUNC/PUBLIC parameter sizes —
looked up as Breakpad's resolver looks them up (basic_source_line_resolver.cc). Found by debug id in the
symbol-server layout `NAME/DEBUG_ID/NAME.sym` or anywhere under a folder (the MODULE line says which module a file is).
Format: Breakpad's docs/symbol_files.md."""

from __future__ import annotations

import bisect
import os
from dataclasses import dataclass, field
from functools import lru_cache

from pmdesk.native.folder_files import files_under
from pmdesk.native.postfix import rule_set
from pmdesk.native.symbols import Location


@dataclass
class WinFrame:
    """A `STACK WIN` record (type 4 frame data or type 0 FPO), or only a function's parameter size (`complete`
    False: Breakpad still counts it as the callee's parameters)."""

    parameter_size: int
    saved_register_size: int = 0
    local_size: int = 0
    program: str = ""
    allocates_base_pointer: bool = False
    fpo: bool = False
    complete: bool = True


@dataclass
class _Func:
    addr: int
    size: int
    name: str
    parameter_size: int = 0
    lines: list[tuple[int, int, int, int]] = field(default_factory=list)          # addr, size, line, file
    inlines: list[tuple[int, int, int, int, list[tuple[int, int]]]] = field(default_factory=list)
    # depth, call line, call file, origin, ranges


class SymFile:
    """One parsed .sym file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.module: tuple[str, str, str, str] | None = None  # os, arch, debug id, name
        self.files: dict[int, str] = {}
        self.origins: dict[int, str] = {}
        self.funcs: list[_Func] = []
        publics: list[tuple[int, str, int]] = []
        inits: list[tuple[int, int, str]] = []
        deltas: dict[int, str] = {}
        wins: dict[int, list[tuple[int, int, WinFrame]]] = {4: [], 0: []}
        func: _Func | None = None
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                head, _, rest = line.rstrip("\n").partition(" ")
                try:
                    if head == "MODULE":
                        parts = rest.split(" ", 3)
                        if len(parts) == 4:
                            self.module = (parts[0], parts[1], parts[2].upper(), parts[3])
                    elif head == "FILE":
                        n, _, name = rest.partition(" ")
                        self.files[int(n)] = name
                    elif head == "INLINE_ORIGIN":
                        n, _, name = rest.partition(" ")
                        self.origins[int(n)] = name
                    elif head == "FUNC":
                        parts = rest.split(" ")
                        if parts[0] == "m":
                            parts = parts[1:]
                        func = _Func(int(parts[0], 16), int(parts[1], 16), " ".join(parts[3:]), int(parts[2], 16))
                        self.funcs.append(func)
                    elif head == "PUBLIC":
                        parts = rest.split(" ")
                        if parts[0] == "m":
                            parts = parts[1:]
                        publics.append((int(parts[0], 16), " ".join(parts[2:]), int(parts[1], 16)))
                        func = None
                    elif head == "INLINE" and func is not None:
                        nums = [int(p) for p in rest.split(" ")[:4]]
                        hexes = [int(p, 16) for p in rest.split(" ")[4:]]
                        func.inlines.append((*nums, list(zip(hexes[::2], hexes[1::2], strict=False))))
                    elif head == "STACK":
                        func = None
                        _stack_record(rest, inits, deltas, wins)
                    elif head == "INFO":
                        continue
                    elif func is not None and head:
                        size, ln, fileno = rest.split(" ")[:3]
                        func.lines.append((int(head, 16), int(size, 16), int(ln), int(fileno)))
                except (ValueError, IndexError):
                    continue  # a damaged record: the others are still used
        self.funcs.sort(key=lambda fn: fn.addr)
        self.starts = [fn.addr for fn in self.funcs]
        publics.sort()
        self.public_starts = [a for a, _, _ in publics]
        self.publics = publics
        self.cfi_inits = _disjoint(inits)
        self.cfi_init_starts = [a for a, _, _ in self.cfi_inits]
        self.cfi_deltas = sorted(deltas.items())
        self.cfi_delta_starts = [a for a, _ in self.cfi_deltas]
        self.wins = {kind: sorted(records, key=lambda r: (r[0], -r[1])) for kind, records in wins.items()}
        self.win_starts = {kind: [r[0] for r in records] for kind, records in self.wins.items()}

    def cfi_rules(self, offset: int) -> dict[str, str] | None:
        """The CFI rules at a module offset: the `STACK CFI INIT` record covering it with every `STACK CFI`
        delta from its start up to the offset applied; None when no record covers it."""
        i = bisect.bisect_right(self.cfi_init_starts, offset) - 1
        if i < 0 or offset >= self.cfi_inits[i][0] + self.cfi_inits[i][1]:
            return None
        start, _size, text = self.cfi_inits[i]
        rules = rule_set(text)
        if rules is None:
            return None
        j = bisect.bisect_left(self.cfi_delta_starts, start)
        while j < len(self.cfi_deltas) and self.cfi_deltas[j][0] <= offset:
            rules.update(rule_set(self.cfi_deltas[j][1]) or {})
            j += 1
        return rules

    def windows_frame(self, offset: int) -> WinFrame | None:
        """The innermost `STACK WIN` frame-data record covering the offset, else the FPO one; else the
        function's parameter size alone (Breakpad's FindWindowsFrameInfo)."""
        for kind in (4, 0):
            records, starts = self.wins[kind], self.win_starts[kind]
            best = None
            last = bisect.bisect_right(starts, offset) - 1
            for k in range(last, max(last - 64, -1), -1):  # nested records: the innermost holding the offset
                start, size, frame = records[k]
                if offset < start + size and (best is None or size < best[0]):
                    best = (size, frame)
            if best is not None:
                return best[1]
        i = bisect.bisect_right(self.starts, offset) - 1
        if i >= 0 and offset < self.funcs[i].addr + self.funcs[i].size:
            return WinFrame(self.funcs[i].parameter_size, complete=False)
        return None

    def names(self, offset: int) -> bool:
        """Whether a FUNC or PUBLIC record names the offset (Breakpad's test that a scanned address is code)."""
        i = bisect.bisect_right(self.starts, offset) - 1
        if i >= 0 and offset < self.funcs[i].addr + self.funcs[i].size:
            return bool(self.funcs[i].name)
        return self._public(offset) is not None

    def locations(self, offset: int) -> list[Location]:
        """The functions at a module offset, innermost inlined first, each with its file and line."""
        i = bisect.bisect_right(self.starts, offset) - 1
        if i >= 0 and offset < self.funcs[i].addr + self.funcs[i].size:
            fn = self.funcs[i]
            file = line = None
            for a, n, ln, fno in fn.lines:
                if a <= offset < a + n:
                    file, line = self.files.get(fno), ln
                    break
            chain = sorted((inl for inl in fn.inlines if any(a <= offset < a + n for a, n in inl[4])),
                           key=lambda inl: -inl[0])
            out = []
            for _depth, call_line, call_file, origin, _ranges in chain:
                out.append(Location(self.origins.get(origin, "?"), file, line, True))
                file, line = self.files.get(call_file), call_line
            out.append(Location(fn.name, file, line, False))
            return out
        j = self._public(offset)
        return [Location(self.publics[j][1], None, None, False)] if j is not None else []

    def _public(self, offset: int) -> int | None:
        """The PUBLIC record naming an offset no FUNC holds: the last one at or before it, provided it starts
        after the nearest FUNC below (Breakpad's rule: otherwise that FUNC's end was passed, and nothing names
        the offset)."""
        j = bisect.bisect_right(self.public_starts, offset) - 1
        if j < 0:
            return None
        i = bisect.bisect_right(self.starts, offset) - 1
        return j if i < 0 or self.publics[j][0] > self.funcs[i].addr else None


def _stack_record(rest: str, inits: list[tuple[int, int, str]], deltas: dict[int, str],
                  wins: dict[int, list[tuple[int, int, WinFrame]]]) -> None:
    """One `STACK CFI INIT addr size rules`, `STACK CFI addr rules` or `STACK WIN type rva code_size prologue
    epilogue params saved_regs locals max_stack has_program program|allocates_bp` record (hex numbers)."""
    kind, _, body = rest.partition(" ")
    if kind == "CFI":
        if body.startswith("INIT "):
            addr, size, rules = body[5:].split(" ", 2)
            inits.append((int(addr, 16), int(size, 16), rules))
        else:
            addr, rules = body.split(" ", 1)
            deltas[int(addr, 16)] = rules
    elif kind == "WIN":
        parts = body.split(" ", 10)
        frame_type = int(parts[0], 16)
        if frame_type not in wins or len(parts) < 11:
            return
        rva, code_size = int(parts[1], 16), int(parts[2], 16)
        params, saved, local = (int(p, 16) for p in parts[5:8])
        has_program = parts[9] != "0"
        frame = WinFrame(params, saved, local, parts[10].strip() if has_program else "",
                         not has_program and parts[10].strip() != "0", frame_type == 0)
        wins[frame_type].append((rva, code_size, frame))


def _disjoint(records: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The CFI INIT records by address, one dropped where it overlaps the one before (Breakpad's RangeMap keeps
    the first stored)."""
    out: list[tuple[int, int, str]] = []
    for r in sorted(records, key=lambda r: r[0]):
        if r[1] and (not out or r[0] >= out[-1][0] + out[-1][1]):
            out.append(r)
    return out


def _module_line(path: str) -> tuple[str, str] | None:
    """(debug id, module name) from a .sym file's first line."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            parts = f.readline().split(" ", 4)
    except OSError:
        return None
    return (parts[3].upper(), parts[4].strip()) if len(parts) == 5 and parts[0] == "MODULE" else None


@lru_cache(maxsize=64)
def _catalogue(folder: str, _mtime_ns: int) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in files_under(folder):
        if path.endswith(".sym"):
            got = _module_line(path)
            if got:
                found.setdefault(got[0], path)
    return found


def find_sym(name: str, debug_id: str, folders: list[str]) -> tuple[str | None, list[str]]:
    """The .sym file of a module: `folder/NAME/DEBUG_ID/NAME.sym` (the symbol-server layout), else any .sym under
    the folder whose MODULE line has that debug id; and where it looked."""
    looked = []
    stem = name.rsplit(".", 1)[0] if name.lower().endswith((".pdb", ".exe", ".dll")) else name
    for folder in folders:
        for candidate in (os.path.join(folder, name, debug_id, stem + ".sym"),
                          os.path.join(folder, name, debug_id, name + ".sym")):
            looked.append(candidate)
            if os.path.isfile(candidate):
                return candidate, looked
        try:
            mtime = os.stat(folder).st_mtime_ns
        except OSError:
            continue
        got = _catalogue(os.path.abspath(folder), mtime).get(debug_id.upper())
        looked.append(f"{folder} (*.sym with MODULE id {debug_id})")
        if got:
            return got, looked
    return None, looked


@lru_cache(maxsize=32)
def load_sym(path: str) -> SymFile:
    return SymFile(path)
