"""What a Go program's DWARF says of its memory: its global variables (name, address, type) and, for every
type, where its pointers are and what they point at — the layout a heap dump's objects are typed by when
the binary that wrote the dump is given (as viewcore types a core's objects, golang.org/x/debug).

A pointer word of a layout points at one value of its target type, or at an array of them (a slice's
backing array, a map's buckets). Go's DWARF (cmd/link/internal/ld/dwarf.go) names slices `[]T` (a struct of
array, len, cap), strings `string`, a map `map[K]V` (a typedef of a pointer to `hash<K,V>`, whose buckets
field is an unsafe.Pointer to `bucket<K,V>` values), interfaces `runtime.iface`/`runtime.eface` (their data
word's type is the dynamic one: the dump's interface pass finds it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from pmdesk.base.errors import PmdeskError
from pmdesk.native.dwarf_sections import dwarf_info

DW_OP_ADDR = 0x03
LAYOUT_WORDS_MAX = 4096  # pointer words of one type's layout kept (a huge array of pointers: its first ones)
INTERFACES = ("runtime.iface", "runtime.eface")


@dataclass
class GoType:
    name: str
    tag: str
    size: int
    target: int | None = None                                     # a pointer's, typedef's or array's type
    members: list[tuple[str, int, int]] = field(default_factory=list)  # (name, offset, type)
    count: int = 0                                                 # an array's length


@dataclass
class Pointer:
    offset: int
    target: int      # the DWARF type pointed at
    array: bool      # at an array of them


@dataclass
class GoDwarf:
    globals: list[tuple[str, int, int]]   # (name, address, type), by address
    types: dict[int, GoType]
    by_name: dict[str, int]
    _layouts: dict[int, list[Pointer]] = field(default_factory=dict)

    def size(self, t: int) -> int:
        got = self.types.get(t)
        while got is not None and got.tag == "DW_TAG_typedef" and got.target is not None:
            got = self.types.get(got.target)
        return got.size if got else 0

    def name(self, t: int) -> str:
        got = self.types.get(t)
        return got.name if got else "?"

    def layout(self, t: int) -> list[Pointer]:
        """The pointer words of a value of type t, by offset."""
        got = self._layouts.get(t)
        if got is None:
            self._layouts[t] = []  # a type that holds itself only through pointers: no loop
            got = self._layouts[t] = self._layout(t)[:LAYOUT_WORDS_MAX]
        return got

    def _layout(self, t: int) -> list[Pointer]:
        ty = self.types.get(t)
        if ty is None:
            return []
        if ty.tag == "DW_TAG_typedef":
            return self.layout(ty.target) if ty.target is not None else []
        if ty.tag == "DW_TAG_pointer_type":
            if ty.target is None or self.types.get(ty.target) is None:  # unsafe.Pointer
                return []
            return [Pointer(0, ty.target, False)]
        if ty.tag == "DW_TAG_array_type" and ty.target is not None:
            each, inner = self.size(ty.target), self.layout(ty.target)
            if not inner or each <= 0:
                return []
            n = min(ty.count, LAYOUT_WORDS_MAX // len(inner) + 1)
            return [Pointer(i * each + p.offset, p.target, p.array) for i in range(n) for p in inner]
        if ty.tag != "DW_TAG_structure_type" or ty.name in INTERFACES or ty.name == "string":
            return []
        out = []
        for name, off, mt in ty.members:
            if ty.name.startswith("[]") and name == "array":
                elem = self.types.get(mt)
                if elem is not None and elem.target is not None:
                    out.append(Pointer(off, elem.target, True))
            elif ty.name.startswith("hash<") and name in ("buckets", "oldbuckets"):
                bucket = self.by_name.get("bucket<" + ty.name[5:])
                if bucket is not None:
                    out.append(Pointer(off, bucket, True))
            else:
                out += [Pointer(off + p.offset, p.target, p.array) for p in self.layout(mt)]
        return out


CU_RELATIVE = ("DW_FORM_ref1", "DW_FORM_ref2", "DW_FORM_ref4", "DW_FORM_ref8", "DW_FORM_ref_udata")


def _ref(attr: Any, cu: Any) -> int:
    """A type reference as a .debug_info offset (Go writes DW_FORM_ref_addr; others are unit-relative)."""
    return int(attr.value) + (cu.cu_offset if attr.form in CU_RELATIVE else 0)


def _text(v: Any) -> str:
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def read_go_dwarf(exe: str) -> GoDwarf:
    """The globals and types of the Go binary at `exe`; a one-line error when it is not one with DWARF."""
    try:
        with open(exe, "rb") as f:
            elf = ELFFile(f)
            if not elf.has_dwarf_info():
                raise PmdeskError(exe, "has no DWARF (built with -ldflags=-w?): its heap dumps cannot be typed by it")
            return _read(dwarf_info(elf))
    except (OSError, ELFError) as e:
        raise PmdeskError(exe, f"is not a readable ELF program ({e})") from None


def _read(dwarf: Any) -> GoDwarf:
    globals_: list[tuple[str, int, int]] = []
    types: dict[int, GoType] = {}
    for cu in dwarf.iter_CUs():
        for die in cu.get_top_DIE().iter_children():  # Go writes globals and types at the unit's top level
            tag = die.tag
            a = die.attributes
            if tag == "DW_TAG_variable":
                loc = a.get("DW_AT_location")
                if loc is not None and "DW_AT_type" in a \
                        and isinstance(loc.value, list) and len(loc.value) == 9 and loc.value[0] == DW_OP_ADDR:
                    addr = int.from_bytes(bytes(loc.value[1:]), "little")
                    globals_.append((_text(a["DW_AT_name"].value), addr, _ref(a["DW_AT_type"], cu)))
            elif tag in ("DW_TAG_structure_type", "DW_TAG_pointer_type", "DW_TAG_typedef", "DW_TAG_array_type",
                         "DW_TAG_base_type", "DW_TAG_subroutine_type", "DW_TAG_unspecified_type"):
                target = a.get("DW_AT_type")
                ty = GoType(_text(a["DW_AT_name"].value) if "DW_AT_name" in a else "",
                            tag, int(a["DW_AT_byte_size"].value) if "DW_AT_byte_size" in a else 0,
                            _ref(target, cu) if target is not None else None)
                if tag == "DW_TAG_structure_type":
                    for m in die.iter_children():
                        ma = m.attributes
                        if m.tag == "DW_TAG_member" and "DW_AT_type" in ma:
                            off = ma.get("DW_AT_data_member_location")
                            ty.members.append((_text(ma["DW_AT_name"].value) if "DW_AT_name" in ma else "",
                                               int(off.value) if off is not None and isinstance(off.value, int)
                                               else 0, _ref(ma["DW_AT_type"], cu)))
                elif tag == "DW_TAG_array_type":
                    for sub in die.iter_children():
                        sa = sub.attributes
                        if sub.tag == "DW_TAG_subrange_type":
                            if "DW_AT_count" in sa:
                                ty.count = int(sa["DW_AT_count"].value)
                            elif "DW_AT_upper_bound" in sa:
                                ty.count = int(sa["DW_AT_upper_bound"].value) + 1
                if tag == "DW_TAG_pointer_type" and not ty.size:  # Go gives pointers no byte size
                    ty.size = cu.header["address_size"]
                types[die.offset] = ty
    by_name: dict[str, int] = {}
    for off, ty in types.items():
        if ty.name and ty.tag != "DW_TAG_typedef":
            by_name.setdefault(ty.name, off)
    return GoDwarf(sorted(globals_, key=lambda g: g[1]), types, by_name)
