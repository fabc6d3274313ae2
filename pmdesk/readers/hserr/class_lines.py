"""Source lines of Java frames from the classes themselves: a class file (in a folder of the class path or
a jar) read as The Java Virtual Machine Specification, chapter 4 ("The class File Format") lays it out —
the constant pool (§4.4), the SourceFile attribute (§4.7.10) and each method's Code attribute with its
LineNumberTable (§4.7.12) — so an interpreted frame's bytecode index becomes file:line, as jstack prints
them. A class that is not here, or a file that is not a class, gives no line; nothing here raises."""

from __future__ import annotations

import os
import struct
import zipfile
from dataclasses import dataclass, field

MAX_CLASS_BYTES = 64 << 20  # a class file's code is limited to 64 KiB a method; a bigger one is not a class
# constant pool entry sizes after the tag byte (§4.4, Table 4.4-B); 1 (Utf8) has its own length
_SIZES = {3: 4, 4: 4, 5: 8, 6: 8, 7: 2, 8: 2, 9: 4, 10: 4, 11: 4, 12: 4, 15: 3, 16: 2, 17: 4, 18: 4, 19: 2, 20: 2}


@dataclass
class ClassLines:
    source_file: str | None
    methods: dict[tuple[str, str], list[tuple[int, int]]] = field(default_factory=dict)  # (name, desc) -> (pc, line)

    def line(self, name: str, descriptor: str, bci: int) -> int | None:
        """The line of the instruction at `bci`: the table's entry with the greatest start pc at or before it."""
        table = self.methods.get((name, descriptor))
        if not table:
            return None
        best = None
        for start, line in table:
            if start <= bci and (best is None or start >= best[0]):
                best = (start, line)
        return best[1] if best else None


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.at + n > len(self.data):
            raise ValueError("class file cut short")
        out = self.data[self.at:self.at + n]
        self.at += n
        return out

    def u1(self) -> int:
        return self.take(1)[0]

    def u2(self) -> int:
        return struct.unpack(">H", self.take(2))[0]

    def u4(self) -> int:
        return struct.unpack(">I", self.take(4))[0]


def parse_class(data: bytes) -> ClassLines | None:
    """The source file and line tables of a class file's bytes; None when they are not a class file."""
    try:
        return _parse(_Reader(data))
    except (ValueError, struct.error, UnicodeDecodeError, IndexError):
        return None


def _parse(r: _Reader) -> ClassLines | None:
    if r.u4() != 0xCAFEBABE:
        return None
    r.take(4)  # minor, major version
    count = r.u2()
    utf8: dict[int, str] = {}
    i = 1
    while i < count:
        tag = r.u1()
        if tag == 1:
            utf8[i] = r.take(r.u2()).decode("utf-8", "replace")  # modified UTF-8: close enough for names
        elif tag in _SIZES:
            r.take(_SIZES[tag])
        else:
            return None
        i += 2 if tag in (5, 6) else 1  # long and double take two entries
    r.take(6)  # access flags, this class, super class
    r.take(2 * r.u2())  # interfaces
    for _ in range(r.u2()):  # fields
        r.take(6)
        for _ in range(r.u2()):
            r.take(2)
            r.take(r.u4())
    out = ClassLines(None)
    for _ in range(r.u2()):  # methods
        r.take(2)
        name, desc = utf8.get(r.u2(), ""), utf8.get(r.u2(), "")
        for _ in range(r.u2()):
            attr, body = utf8.get(r.u2()), r.take(r.u4())
            if attr == "Code":
                out.methods[(name, desc)] = _line_table(_Reader(body), utf8)
    for _ in range(r.u2()):  # class attributes
        attr, body = utf8.get(r.u2()), r.take(r.u4())
        if attr == "SourceFile" and len(body) == 2:
            out.source_file = utf8.get(struct.unpack(">H", body)[0])
    return out


def _line_table(r: _Reader, utf8: dict[int, str]) -> list[tuple[int, int]]:
    r.take(4)  # max stack, max locals
    r.take(r.u4())  # the code
    r.take(8 * r.u2())  # exception table
    lines: list[tuple[int, int]] = []
    for _ in range(r.u2()):
        attr, body = utf8.get(r.u2()), r.take(r.u4())
        if attr == "LineNumberTable":
            t = _Reader(body)
            lines += [(t.u2(), t.u2()) for _ in range(t.u2())]
    return lines


class ClassPath:
    """Classes looked up by their binary name in folders and jars, each read once."""

    def __init__(self, entries: list[str]) -> None:
        self.entries = list(dict.fromkeys(e for e in entries if e))
        self.cache: dict[str, ClassLines | None] = {}

    def lookup(self, internal_name: str) -> ClassLines | None:
        """'com/example/Foo' (an inner class 'Foo$Bar' is its own file)."""
        if internal_name not in self.cache:
            self.cache[internal_name] = self._find(internal_name + ".class")
        return self.cache[internal_name]

    def _find(self, rel: str) -> ClassLines | None:
        for entry in self.entries:
            try:
                if os.path.isdir(entry):
                    path = os.path.join(entry, *rel.split("/"))
                    if os.path.isfile(path) and os.path.getsize(path) <= MAX_CLASS_BYTES:
                        with open(path, "rb") as f:
                            found = parse_class(f.read())
                        if found is not None:
                            return found
                elif entry.endswith((".jar", ".zip")) and os.path.isfile(entry):
                    with zipfile.ZipFile(entry) as z:
                        info = z.getinfo(rel)  # KeyError when the jar has no such class
                        if info.file_size <= MAX_CLASS_BYTES:
                            found = parse_class(z.read(info))
                            if found is not None:
                                return found
            except (OSError, zipfile.BadZipFile, KeyError, RuntimeError, EOFError, NotImplementedError):
                continue
        return None


def split_method(method: str) -> tuple[str, str, str] | None:
    """'com.example.Foo.bar(I)V' → ('com/example/Foo', 'bar', '(I)V'); None when it is not a method."""
    paren = method.find("(")
    if paren <= 0:
        return None
    qualified, desc = method[:paren], method[paren:]
    dot = qualified.rfind(".")
    if dot <= 0:
        return None
    return qualified[:dot].replace(".", "/"), qualified[dot + 1:], desc


def source_line(classes: ClassPath, method: str, bci: int) -> tuple[str | None, int | None]:
    """A Java frame's source file (its package's folders and the SourceFile name, as a source tree holds it)
    and line, from the class when it is on the class path."""
    parts = split_method(method)
    if parts is None:
        return None, None
    cls = classes.lookup(parts[0])
    if cls is None:
        return None, None
    package = parts[0].rpartition("/")[0]
    file = f"{package}/{cls.source_file}" if package and cls.source_file else cls.source_file
    return file, cls.line(parts[1], parts[2], bci)
