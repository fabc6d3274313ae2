"""A thread's frames, symbolicated: each physical frame the unwinder found becomes the functions at its pc —
inlined functions as frames of their own, and functions that tail-called the next one (from DWARF call-site
information), as gdb shows them. Like gdb, the backtrace ends at the program's `main` (or a language's main,
DW_AT_main_subprogram) unless asked to go past it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pmdesk.base.crash import Frame
from pmdesk.native.calls import direct_call_target
from pmdesk.native.image import Image
from pmdesk.native.symbols import call_sites, is_tail_call, return_pc, target
from pmdesk.native.unwind import MemorySource, Unwinder


class Symbolizer:
    """Stacks of one process: its machine, memory and images; `main_path` is the program's mapped path."""

    def __init__(self, machine: str, memory: MemorySource, image_at: Callable[[int], Image | None],
                 main_path: str | None) -> None:
        self.machine = machine
        self.memory = memory
        self.image_at = image_at
        self.main_path = main_path
        self.unwinder = Unwinder(machine, memory, image_at)

    def frames(self, registers: dict[str, int], past_main: bool = False, resumed: bool = False) -> list[Frame]:
        """A thread's frames, unwound and named, innermost first (ending at main unless `past_main`);
        `resumed`: the registers are a saved context whose pc is a return address (Unwinder.unwind)."""
        out: list[Frame] = []
        # the callee: its lookup address (a return address less one), image, outermost function
        prev: tuple[int, Image | None, str | None] | None = None
        for pc, trust, caller, signal in self.unwinder.unwind(registers, resumed):
            mod = self.image_at(pc)
            if signal:  # gdb's name for a signal trampoline's frame
                out.append(Frame(pc, mod.name if mod else None, pc - mod.bias if mod else None,
                                 "<signal handler called>", trust=trust))
                prev = None
                continue
            rel = pc - mod.bias - (1 if caller else 0) if mod is not None else 0
            if prev is not None and mod is not None and prev[1] is not None and mod.dwarf is not None \
                    and prev[1].dwarf is not None and not self._called_directly(pc, prev[0], prev[1]):
                out += self._tail_call_frames(mod, pc - mod.bias, prev[1], prev[2], trust)
            if mod is None:
                out.append(Frame(pc, trust=trust))
                prev = (pc - (1 if caller else 0), None, None)
                continue
            locs = mod.locations(rel)
            out += [Frame(pc, mod.name, pc - mod.bias, loc.function, loc.file, loc.line, loc.inlined, trust)
                    for loc in locs]
            outermost = locs[-1].function
            if locs[-1].main and not past_main:  # Rust's crate::main and the like
                break
            prev = (mod.bias + rel, mod, outermost)
            if not past_main and outermost == "main" and mod.path == self.main_path:
                break
        return out

    def _called_directly(self, return_pc: int, callee_pc: int, callee_mod: Image) -> bool:
        """Whether the call before return_pc went straight (or through a PLT stub) to the start of the code
        holding callee_pc (a lookup address) — then no function tail-called in between, and DWARF call
        sites need not be read."""
        entry = callee_mod.dwarf.entry(callee_pc - callee_mod.bias) if callee_mod.dwarf is not None else None
        if entry is None:
            return False
        called = direct_call_target(self.machine, self.memory, return_pc)
        return called is not None and called == callee_mod.bias + entry

    def _tail_call_frames(self, mod: Image, caller_rel: int, callee_mod: Image, callee: str | None,
                          trust: str) -> list[Frame]:
        """Frames for functions that reached `callee` by tail calls from the call the caller made (the call
        site returning to caller_rel names its target; if that is not the callee, a unique chain of tail
        calls from it, in the callee's image, leads there)."""
        fn = mod.dwarf.function(caller_rel - 1) if mod.dwarf is not None and callee else None
        if fn is None:
            return []
        site = next((s for s in call_sites(fn) if return_pc(s) == caller_rel), None)
        first = target(site) if site is not None else None
        if first is None or mod.dwarf.name(first) == callee:
            return []
        if callee_mod is not mod:  # a call into a library: the target is found there by its symbol name
            first = self._concrete(callee_mod, first, by_name_only=True)
            if first is None or callee_mod.dwarf.name(first) == callee:
                return []
        chain = self._tail_chain(callee_mod, first, callee, 4)
        dwarf = callee_mod.dwarf
        frames = []
        for rel in reversed(chain or []):
            locs = dwarf.locations(rel - 1) or []
            loc = locs[0] if locs else None
            frames.append(Frame(callee_mod.bias + rel, callee_mod.name, rel, loc.function if loc else None,
                                loc.file if loc else None, loc.line if loc else None, False, trust))
        return frames

    def _tail_chain(self, mod: Image, start: Any, callee: str, depth: int) -> list[int] | None:
        """Return pcs of the tail-call sites from `start` to `callee` (one per function on the way), if the
        way is unique."""
        if depth == 0:
            return None
        fn = self._concrete(mod, start)
        if fn is None:
            return None
        found = []
        for site in call_sites(fn):
            if not is_tail_call(site):
                continue
            t = target(site)
            pc = return_pc(site)
            if t is None or pc is None:
                continue
            if mod.dwarf.name(t) == callee:
                found.append([pc])
            else:
                rest = self._tail_chain(mod, t, callee, depth - 1)
                if rest:
                    found.append([pc, *rest])
        return found[0] if len(found) == 1 else None

    def _concrete(self, mod: Image, die: Any, by_name_only: bool = False) -> Any:
        """The subprogram DIE with code for a function a call site names (often only its declaration)."""
        a = die.attributes
        if "DW_AT_low_pc" in a and not by_name_only:
            return mod.dwarf.function(a["DW_AT_low_pc"].value)
        names = {str(v.value.decode() if isinstance(v.value, bytes) else v.value)
                 for k, v in a.items() if k in ("DW_AT_linkage_name", "DW_AT_name")}
        addr = mod.symbols.address_of(names)
        return mod.dwarf.function(addr) if addr is not None else None
