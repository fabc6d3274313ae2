"""A hot function's code with its samples by instruction, as `perf annotate` shows it: the samples whose
innermost frame is the function (as the selection picks them), weighed by the chosen type, placed at the
address in the binary they were taken at (sp_sample.leaf_vaddr, perf.data keeps it); the function's bytes read
from the binary the recording was named from, disassembled (capstone), each instruction with its source line
when the binary or its debug file has DWARF lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from pmdesk.base.errors import PmdeskError
from pmdesk.model.samples.profile import Samples, Selection, num, sample_mask
from pmdesk.native.disasm import disassemble
from pmdesk.native.image import Image
from pmdesk.native.symbol_files import SearchPaths, build_id_of_file, find_debug_file
from pmdesk.native.symbols import ElfSymbols

MAX_BYTES = 1 << 16  # a function's code shown at most (perf annotate shows it all; 64 KiB is thousands of lines)


@dataclass
class Instruction:
    address: int
    weight: float
    text: str
    source: str | None


@dataclass
class Annotation:
    function: str
    module: str | None
    binary: str | None
    start: int | None
    size: int
    unit: str
    total: float            # the function's own weight (its samples as the innermost frame)
    instructions: list[Instruction] = field(default_factory=list)
    problem: str | None = None  # why there is no code to show

    def as_json(self) -> dict[str, Any]:
        return {"function": self.function, "module": self.module, "binary": self.binary, "start": self.start,
                "size": self.size, "unit": self.unit, "total": num(self.total), "problem": self.problem,
                "instructions": [{"address": i.address, "weight": num(i.weight),
                                  "percent": round(100 * i.weight / self.total, 2) if self.total else 0.0,
                                  "text": i.text, "source": i.source} for i in self.instructions]}


def annotate(samples: Samples, function: str, module: str | None = None,
             sel: Selection | None = None) -> Annotation:
    """The function's instructions with the weight of the samples (those `sel` picks) taken at each."""
    sel = sel or Selection()
    frames = [i for i, (f, m) in enumerate(zip(samples.function, samples.module, strict=True))
              if f == function and (module is None or m == module)]
    t = samples.type_index(sel.type)
    unit = samples.types[t][1]
    module = module if module is not None else (samples.module[frames[0]] if frames else None)
    mask = sample_mask(samples, sel) & np.isin(samples.frame[samples.node], frames)
    total = float(samples.values(t)[mask].sum())
    if not frames:
        raise PmdeskError(samples.path, f"has no function '{function}'" + (f" in {module}" if module else ""))
    out = Annotation(function, module, None, None, 0, unit, total)
    leaf = samples.leaf_vaddr
    binaries = samples.meta.get("perf.binaries") or {}
    out.binary = binaries.get(module) or None if module else None
    if leaf is None:
        out.problem = "this profile keeps no instruction addresses (perf.data recordings do)"
        return out
    if out.binary is None:
        out.problem = f"the binary of {module or 'this function'} is not here: nothing to disassemble"
        return out
    at = leaf[mask]
    weights = samples.values(t)[mask]
    known = at >= 0
    by_addr: dict[int, float] = {}
    for a, w in zip(at[known].tolist(), weights[known].tolist(), strict=True):
        by_addr[a] = by_addr.get(a, 0.0) + w
    _disassemble(out, by_addr, samples.meta.get("perf.machine") or "EM_X86_64")
    return out


def _disassemble(out: Annotation, by_addr: dict[int, float], machine: str) -> None:
    """The function's code around its samples' addresses, from the binary (its symbol's range)."""
    assert out.binary is not None
    hottest = max(by_addr, key=by_addr.__getitem__) if by_addr else None
    try:
        with open(out.binary, "rb") as f:
            elf = ELFFile(f)
            symbols = ElfSymbols([elf])
            span = symbols.range_of(hottest) if hottest is not None else None
            if span is None:
                out.problem = "no symbol covers the sampled addresses in the binary"
                return
            out.start, out.size = span[0], min(span[1], MAX_BYTES)
            code = _read(elf, out.start, out.size)
    except (OSError, ELFError, ValueError) as e:
        out.problem = f"{out.binary}: cannot be read ({e})"
        return
    if code is None:
        out.problem = "the function's bytes are not in the binary's loaded segments"
        return
    debug = find_debug_file(out.binary, build_id_of_file(out.binary), SearchPaths()).path
    img = Image(out.binary, 0, 0, 0, None, binary=out.binary, debug_file=debug)
    try:
        dwarf = img.dwarf
        for ins in disassemble(machine, code, out.start, count=len(code)):
            file, line = dwarf.line(ins.address) if dwarf is not None else (None, None)
            out.instructions.append(Instruction(ins.address, by_addr.get(ins.address, 0.0), ins.text,
                                                f"{file}:{line}" if file and line else None))
    finally:
        img.close()


def _read(elf: ELFFile, vaddr: int, size: int) -> bytes | None:
    for seg in elf.iter_segments():
        if seg["p_type"] == "PT_LOAD" and seg["p_vaddr"] <= vaddr and vaddr + size <= seg["p_vaddr"] + \
                seg["p_filesz"]:
            elf.stream.seek(seg["p_offset"] + vaddr - seg["p_vaddr"])
            return elf.stream.read(size)
    return None
