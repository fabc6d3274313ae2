"""Real (in-JVM) shallow sizes of instances and class mirrors, as HotSpot lays objects out.

An HPROF dump records field *values*, not the JVM's object layout: INSTANCE_DUMP lengths count every
reference as one identifier. The size the JVM (and `jmap -histo`) reports depends on the object
header, the reference width and HotSpot's field packing. This module re-runs HotSpot's field layout
(JDK 15+ `FieldLayoutBuilder`: primitives largest first, then references, each into the smallest
hole that fits, holes in superclass layouts reused; or, for the JVMs before it — JDK 5 to 14, JDK 8 and 11
the most common in production — `ClassFileParser::layout_fields`) for a chosen `HeapLayout`.

HotSpot also injects hidden fields into a few JDK classes (javaClasses.hpp `*_INJECTED_FIELDS`);
the heap dumper does not write them, so they are added here by class name.
"""

from __future__ import annotations

from dataclasses import dataclass

INF = 1 << 62

# Injected fields per class as (name, size): bytes, "word" (intptr_t: 8 on 64-bit, 4 on 32-bit VMs) or
# "ref" (one reference). Source: HotSpot javaClasses.hpp, ALL_INJECTED_FIELDS (JDK 17).
INJECTED_FIELDS: dict[str, tuple[tuple[str, int | str], ...]] = {
    "java/lang/Class": (("klass", "word"), ("array_klass", "word"), ("oop_size", 4), ("static_oop_field_count", 4),
                        ("protection_domain", "ref"), ("signers", "ref"), ("source_file", "ref")),
    "java/lang/ClassLoader": (("loader_data", "word"),),
    "java/lang/invoke/ResolvedMethodName": (("vmholder", "ref"), ("vmtarget", "word")),
    "java/lang/invoke/MemberName": (("vmindex", "word"),),
    "java/lang/invoke/MethodHandleNatives$CallSiteContext": (("vmdependencies", "word"), ("last_cleanup", 8)),
    "java/lang/StackFrameInfo": (("version", 2),),
    "java/lang/Module": (("module_entry", "word"),),
    "java/lang/InternalError": (("during_unsafe_access", 1),),
    "java/lang/String": (("flags", 1),),  # JDK 18+; fits in String's padding on every layout
}

CONTENDED_PADDING = 128  # -XX:ContendedPaddingWidth default

# @jdk.internal.vm.annotation.Contended in java.base (JDK 17 and 25 sources). Class-level: the whole
# class is padded. Field-level: (class, group, fields, a field that must exist for this variant).
CONTENDED_CLASSES = frozenset({
    "java/util/concurrent/ConcurrentHashMap$CounterCell", "java/util/concurrent/atomic/Striped64$Cell",
    "java/util/concurrent/Exchanger$Node", "java/util/concurrent/SubmissionPublisher$BufferedSubscription",
})
CONTENDED_FIELDS: tuple[tuple[str, str, frozenset[str], str | None], ...] = (
    ("java/lang/Thread", "tlr",
     frozenset({"threadLocalRandomSeed", "threadLocalRandomProbe", "threadLocalRandomSecondarySeed"}), None),
    ("java/util/concurrent/ForkJoinPool$WorkQueue", "w",
     frozenset({"top", "phase", "stackPred", "source", "nsteals", "parking"}), "parking"),  # JDK 21+
    ("java/util/concurrent/ForkJoinPool$WorkQueue", "w", frozenset({"top", "source", "nsteals"}), None),
    ("java/util/concurrent/ForkJoinPool", "fjpctl", frozenset({"ctl", "parallelism"}), "runState"),
    ("java/util/concurrent/ForkJoinPool", "fjpctl", frozenset({"ctl"}), None),
    ("java/util/concurrent/SubmissionPublisher$BufferedSubscription", "c", frozenset({"demand", "waiting"}),
     None),
)


def contended_groups(name: str, field_names: list[str]) -> dict[str, str]:
    """Field name -> @Contended group for a class, choosing the JDK variant its fields reveal."""
    present = set(field_names)
    for cls, group, fields, marker in CONTENDED_FIELDS:
        if cls == name and (marker is None or marker in present):
            return {f: group for f in fields if f in present}
    return {}


@dataclass(frozen=True)
class HeapLayout:
    """How the dumped JVM laid out objects."""

    name: str
    id_size: int  # the HPROF identifier size such a VM writes
    object_header_bytes: int
    array_length_end: int  # offset just past an array's length field
    relaxed_array_base: bool  # element data aligned to the element size (else to 8 bytes)
    reference_bytes: int
    alignment: int = 8
    word_bytes: int = 8


# The candidates the reader decides between from object addresses (scan.HYPOTHESES is built from this).
LAYOUTS = (
    HeapLayout("64-bit, compressed oops and class pointers", 8, 12, 16, False, 4),
    HeapLayout("64-bit, compressed class pointers, uncompressed oops", 8, 12, 16, False, 8),
    HeapLayout("64-bit, uncompressed oops and class pointers", 8, 16, 20, False, 8),
    HeapLayout("64-bit, uncompressed oops and class pointers (JDK 22+ array layout)", 8, 16, 20, True, 8),
    HeapLayout("64-bit, compact object headers", 8, 8, 12, True, 4),
    HeapLayout("32-bit VM or Android ART", 4, 8, 12, True, 4, word_bytes=4),
)


def _align(n: int, a: int) -> int:
    return -(-n // a) * a


class _Blocks:
    """HotSpot's FieldLayout: a list of [offset, size, kind] blocks ending in an unbounded empty block."""

    EMPTY, RESERVED, FIELD = 0, 1, 2

    def __init__(self, blocks: list[list[int]], start: int) -> None:
        self.b = blocks
        self.start = blocks[start]  # the block the backward hole search stops at (exclusive)

    def last(self) -> int:
        return len(self.b) - 1

    def _insert_field(self, slot: int, size: int, align: int) -> None:
        off, ssize, _ = self.b[slot]
        if off % align:
            adj = align - off % align
            self.b.insert(slot, [off, adj, self.EMPTY])
            slot += 1
            off += adj
            ssize -= adj
        self.b.insert(slot, [off, size, self.FIELD])
        slot += 1
        self.b[slot][0] = off + size
        self.b[slot][1] = ssize - size if ssize < INF else INF
        if self.b[slot][1] == 0:
            del self.b[slot]

    @staticmethod
    def _fits(block: list[int], size: int, align: int) -> bool:
        adj = (align - block[0] % align) % align
        return block[1] >= size + adj

    def add(self, sizes: list[int]) -> None:
        """FieldLayout::add: each field into the smallest fitting hole after `start`, else at the end."""
        last_size = last_align = 0
        last_ok = False
        for size in sizes:
            align = size
            start_block = self.start
            if start_block is self.b[self.last()]:
                cand = self.last()
            elif size == last_size and align == last_align and not last_ok:
                cand = self.last()
            else:
                last_size, last_align = size, align
                last_ok = True
                cand = None
                i = self.last() - 1
                while i >= 0 and self.b[i] is not start_block:
                    blk = self.b[i]
                    if blk[2] == self.EMPTY and self._fits(blk, size, align):
                        if cand is None or blk[1] < self.b[cand][1]:
                            cand = i
                    i -= 1
                if cand is None:
                    cand = self.last()
                    last_ok = False
            self._insert_field(cand, size, align)

    def add_contiguously(self, sizes: list[int]) -> None:
        # used for static reference fields of a mirror, whose layout always appends (start == last)
        for size in sizes:
            self._insert_field(self.last(), size, size)

    def pad_at_end(self, size: int) -> None:
        """insert_contended_padding before the unbounded last block."""
        last = self.b[self.last()]
        self.b.insert(self.last(), [last[0], size, self.RESERVED])
        last[0] += size

    def end(self) -> int:
        return self.b[self.last()][0]

    def fields(self) -> list[tuple[int, int]]:
        return [(o, s) for o, s, k in self.b if k == self.FIELD]


@dataclass
class ClassLayout:
    """A class's instance layout: its fields' (offset, size) incl. inherited ones, and the instance size."""

    fields: list[tuple[int, int]]
    instance_bytes: int
    contended: bool = False  # the class or a superclass uses @Contended: subclasses only append
    fields_end: int = 0  # pre-JDK-15 layouts: where a subclass's fields start (aligned to a reference)


def _field_bytes(field_type: int, layout: HeapLayout) -> int:
    # hprof basic types: 2 object, 4 boolean, 5 char, 6 float, 7 double, 8 byte, 9 short, 10 int, 11 long
    return {2: layout.reference_bytes, 4: 1, 5: 2, 6: 4, 7: 8, 8: 1, 9: 2, 10: 4, 11: 8}[field_type]


def _injected(name: str, layout: HeapLayout) -> tuple[list[int], list[int]]:
    """(primitive sizes, reference sizes) of the fields HotSpot injects into class `name`."""
    prims, refs = [], []
    for _f, size in INJECTED_FIELDS.get(name, ()):
        if size == "ref":
            refs.append(layout.reference_bytes)
        else:
            prims.append(layout.word_bytes if size == "word" else int(size))
    return prims, refs


def instance_layout(super_layout: ClassLayout | None, name: str, fields: list[tuple[str, int]],
                    layout: HeapLayout) -> ClassLayout:
    """Lay out a class's own instance fields after its superclass's, as HotSpot (JDK 15+) does.

    `fields` are (name, hprof basic type) of the class's own instance fields as dumped.
    """
    hdr = layout.object_header_bytes
    if super_layout is None:
        blocks = _Blocks([[0, hdr, _Blocks.RESERVED], [hdr, INF, _Blocks.EMPTY]], 1)
    else:
        # FieldLayout::reconstruct_layout + fill_holes: superclass fields stay where they are; holes are
        # reusable unless the superclass uses @Contended, in which case a padding block follows them
        hole = _Blocks.RESERVED if super_layout.contended else _Blocks.EMPTY
        b: list[list[int]] = [[0, hdr, _Blocks.RESERVED]]
        for off, size in sorted(super_layout.fields):
            end = b[-1][0] + b[-1][1]
            if off > end:
                b.append([end, off - end, hole])
            b.append([off, size, _Blocks.FIELD])
        if super_layout.contended:
            b.append([b[-1][0] + b[-1][1], CONTENDED_PADDING, _Blocks.RESERVED])
        b.append([b[-1][0] + b[-1][1], INF, _Blocks.EMPTY])
        blocks = _Blocks(b, len(b) - 1 if super_layout.contended else 0)
    groups = contended_groups(name, [f for f, _t in fields])
    injected_prims, injected_refs = _injected(name, layout)
    root_prims = [_field_bytes(t, layout) for f, t in fields if t != 2 and f not in groups] + injected_prims
    root_refs = [layout.reference_bytes for f, t in fields if t == 2 and f not in groups] + injected_refs
    class_contended = name in CONTENDED_CLASSES
    if class_contended:
        blocks.pad_at_end(CONTENDED_PADDING)
        blocks.start = blocks.b[blocks.last()]
    blocks.add(sorted(root_prims, reverse=True))
    blocks.add(root_refs)
    for group in dict.fromkeys(groups.values()):
        blocks.pad_at_end(CONTENDED_PADDING)
        blocks.start = blocks.b[blocks.last()]
        members = [(f, t) for f, t in fields if groups.get(f) == group]
        blocks.add(sorted((_field_bytes(t, layout) for _f, t in members if t != 2), reverse=True))
        blocks.add([layout.reference_bytes for _f, t in members if t == 2])
    if class_contended or groups:
        blocks.pad_at_end(CONTENDED_PADDING)
    end = _align(blocks.end(), layout.word_bytes)
    contended = class_contended or bool(groups) or bool(super_layout and super_layout.contended)
    return ClassLayout(blocks.fields(), _align(end, layout.alignment), contended)


# Classes HotSpot before JDK 15 laid out with references first and no field compaction (their offsets are
# hard-coded in javaClasses.cpp); ClassFileParser::layout_fields, JDK 8/11.
LEGACY_OOPS_FIRST = frozenset({
    "java/lang/AssertionStatusDirectives", "java/lang/Class", "java/lang/ClassLoader", "java/lang/ref/Reference",
    "java/lang/ref/SoftReference", "java/lang/StackTraceElement", "java/lang/String", "java/lang/Throwable",
    "java/lang/Boolean", "java/lang/Character", "java/lang/Float", "java/lang/Double", "java/lang/Byte",
    "java/lang/Short", "java/lang/Integer", "java/lang/Long"})


def legacy_instance_layout(super_layout: ClassLayout | None, name: str, fields: list[tuple[str, int]],
                           layout: HeapLayout) -> ClassLayout:
    """Lay out a class's own instance fields as HotSpot did before JDK 15 (ClassFileParser::layout_fields with
    FieldsAllocationStyle=1 and CompactFields, the JDK 8 and 11 defaults): the subclass starts where its
    superclass's fields end (rounded up to a reference, not to 8 bytes); longs/doubles first, aligned to 8
    with one int, shorts, bytes or a reference filling the gap before them; then ints, shorts, bytes;
    references last (first, without compaction, for the classes of LEGACY_OOPS_FIRST). Only sizes matter
    here: the field values are read in dump order."""
    ref = layout.reference_bytes
    first = super_layout.fields_end if super_layout is not None and super_layout.fields_end else \
        layout.object_header_bytes
    groups = contended_groups(name, [f for f, _t in fields])
    class_contended = name in CONTENDED_CLASSES
    if class_contended:
        first += CONTENDED_PADDING
    injected_prims, injected_refs = _injected(name, layout)
    prims = [_field_bytes(t, layout) for f, t in fields if t != 2 and f not in groups] + injected_prims
    oops = sum(1 for f, t in fields if t == 2 and f not in groups) + len(injected_refs)
    doubles, words, shorts, bytes_ = (prims.count(8), prims.count(4), prims.count(2), prims.count(1))
    oops_first = name in LEGACY_OOPS_FIRST
    double_at = first + oops * ref if oops_first else first
    if doubles:
        aligned = _align(double_at, 8)
        gap = aligned - double_at
        if not oops_first and gap:  # CompactFields: the gap before the longs takes what fits
            if words and gap >= 4:
                words, gap = words - 1, gap - 4
            while shorts and gap >= 2:
                shorts, gap = shorts - 1, gap - 2
            while bytes_ and gap >= 1:
                bytes_, gap = bytes_ - 1, gap - 1
            if oops and gap >= ref:
                oops, gap = oops - 1, gap - ref
        double_at = aligned
    end = double_at + 8 * doubles + 4 * words + 2 * shorts + bytes_
    if not oops_first and oops:
        end = _align(end, ref) + oops * ref
    if groups:  # @Contended groups after the other fields, each padded before, the last one after too
        for group in dict.fromkeys(groups.values()):
            end += CONTENDED_PADDING
            for size in sorted((_field_bytes(t, layout) for f, t in fields if groups.get(f) == group), reverse=True):
                end = _align(end, size) + size
        end += CONTENDED_PADDING
    elif class_contended:
        end += CONTENDED_PADDING
    own = [(first, end - first)] if end > first else []
    inherited = super_layout.fields if super_layout is not None else []
    return ClassLayout(inherited + own, _align(_align(end, layout.word_bytes), layout.alignment),
                       class_contended or bool(groups), fields_end=_align(end, ref))


def mirror_bytes(class_instance_bytes: int, static_types: list[int], layout: HeapLayout) -> int:
    """Size of a class's java.lang.Class mirror: a Class instance followed by the class's static fields."""
    blocks = _Blocks([[0, class_instance_bytes, _Blocks.RESERVED],
                      [class_instance_bytes, INF, _Blocks.EMPTY]], 1)
    blocks.add_contiguously([layout.reference_bytes for t in static_types if t == 2])
    blocks.add(sorted((_field_bytes(t, layout) for t in static_types if t != 2), reverse=True))
    return _align(_align(blocks.end(), layout.word_bytes), layout.alignment)
