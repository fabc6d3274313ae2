"""The frame lines of a HotSpot fatal error log — 'Native frames:' and 'Java frames:' (vmError.cpp's
print_native_stack / JavaThread::print_stack_on; frame::print_on_error writes each line) — as parsed frames:
the kind letter (J compiled Java, A AOT-compiled Java, j interpreted Java, V VM code, v a VM-generated stub,
C native code), the module and offset HotSpot gives for V and C frames, the method and bytecode index of
Java frames, and the compiled code's address."""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = {"J": "java-compiled", "A": "java-aot", "j": "java-interpreted", "V": "vm", "v": "vm-stub", "C": "native"}
JAVA = ("J", "A", "j")

_MODULE = re.compile(r"^\[(?P<module>[^\]]+?)\+0x(?P<offset>[0-9a-fA-F]+)\]\s*(?P<rest>.*)$")
_SOURCE = re.compile(r"\s+\((?P<file>[^():]+):(?P<line>\d+)\)$")  # JDK 11+: '…+0x2bd5  (debug.cpp:289)'
_SYMBOL_OFFSET = re.compile(r"^(?P<name>.*?)\+0x(?P<offset>[0-9a-fA-F]+)$")
# 'J 27% c1 Crash.compiled()V (44 bytes) @ 0x… [0x…+0x…]', JDK 9+ with the module: 'J 5 c2 java.lang.String.hashCode()I
# java.base@17.0.2 (60 bytes) @ …', JDK 7: 'J  org.apache….process(…)V'
_COMPILED = re.compile(r"^(?:(?P<id>\d+)(?P<osr>%?)\s+)?(?:(?P<tier>[cC][12]|JVMCI|jvmci)\s+)?(?P<method>\S+)"
                       r"(?:\s+(?P<jmodule>\S+@\S*))?(?:\s+\((?P<bytes>\d+) bytes\))?"
                       r"(?:\s+@\s+(?P<pc>0x[0-9a-fA-F]+))?(?:\s+\[(?P<code>0x[0-9a-fA-F]+)\+(?P<off>0x[0-9a-fA-F]+)\])?")
_INTERPRETED = re.compile(r"^(?P<method>\S+?)\+(?P<bci>\d+)(?:\s+(?P<jmodule>\S+))?\s*$")
_STUB = re.compile(r"^(?P<name>.*?)(?:\s+(?P<pc>0x[0-9a-fA-F]+))?\s*$")
_PC_ONLY = re.compile(r"^(?P<pc>0x[0-9a-fA-F]+)\s*(?P<rest>.*)$")


@dataclass
class LogFrame:
    """One frame line as HotSpot printed it."""

    letter: str                     # one of KINDS
    text: str                       # the line after the letter
    module: str | None = None       # 'libjvm.so' for V and C frames
    module_offset: int | None = None
    function: str | None = None     # a C/V symbol, a Java method with its descriptor, a stub's name
    symbol_offset: int | None = None  # the symbol's '+0x…', or a Java frame's bytecode index
    pc: int | None = None           # where HotSpot gives it (compiled Java, JDK 25's stubs, C frames without a module)
    file: str | None = None         # JDK 11+ gives the VM's source file:line for V frames built with it
    line: int | None = None
    bci: int | None = None          # interpreted Java frames: the bytecode index
    compile_id: int | None = None   # compiled Java frames: the compile task, its tier and whether it is an OSR
    tier: str | None = None
    osr: bool = False
    java_module: str | None = None  # 'java.base@17.0.15'

    @property
    def kind(self) -> str:
        return KINDS[self.letter]

    @property
    def java(self) -> bool:
        return self.letter in JAVA


def parse_frame(line: str) -> LogFrame | None:
    """A frame line ('C  [libc.so.6+0x28150]  __libc_start_call_main+0x80'), or None for any other line."""
    if len(line) < 3 or line[0] not in KINDS or line[1] not in " \t":
        return None
    letter, rest = line[0], line[1:].strip()
    f = LogFrame(letter, rest)
    if letter in "VC":
        m = _MODULE.match(rest)
        if m is None:
            p = _PC_ONLY.match(rest)
            if p is None:
                return None
            f.pc = int(p.group("pc"), 16)
            rest = p.group("rest").strip()
        else:
            f.module, f.module_offset = m.group("module"), int(m.group("offset"), 16)
            rest = m.group("rest").strip()
        s = _SOURCE.search(rest)
        if s is not None:
            f.file, f.line = s.group("file"), int(s.group("line"))
            rest = rest[:s.start()].strip()
        if rest:
            o = _SYMBOL_OFFSET.match(rest)
            f.function, f.symbol_offset = (o.group("name"), int(o.group("offset"), 16)) if o else (rest, None)
    elif letter in "JA":
        m = _COMPILED.match(rest)
        if m is None:
            return None
        f.function = m.group("method")
        f.compile_id = int(m.group("id")) if m.group("id") else None
        f.osr, f.tier, f.java_module = bool(m.group("osr")), m.group("tier"), m.group("jmodule")
        f.pc = int(m.group("pc"), 16) if m.group("pc") else None
        f.symbol_offset = int(m.group("off"), 16) if m.group("off") else None
    elif letter == "j":
        m = _INTERPRETED.match(rest)
        if m is None:
            f.function = rest
        else:
            f.function, f.bci, f.java_module = m.group("method"), int(m.group("bci")), m.group("jmodule")
            f.symbol_offset = f.bci
    else:
        m = _STUB.match(rest)
        f.function = m.group("name") if m else rest
        f.pc = int(m.group("pc"), 16) if m and m.group("pc") else None
    return f


def frames_of(lines: list[str]) -> list[LogFrame]:
    """The frame lines among `lines` (a section's body: other lines — '...<more frames>...', error-during-
    reporting notes — are skipped)."""
    return [f for f in (parse_frame(line) for line in lines) if f is not None]


def merged(native: list[LogFrame], java: list[LogFrame]) -> list[LogFrame]:
    """The crashing thread's stack: the native list, with the Java frames its frame-pointer walk skipped (a
    native method's own frame, below a library built without frame pointers) put back from the Java list —
    HotSpot's walk from the thread's Java frame anchor, which has every Java frame in order; when the native
    walk never reached Java code (or there is no native list), the native frames then the Java list."""
    if not any(f.java for f in native):
        return native + java
    out: list[LogFrame] = []
    at = 0
    for f in native:
        if f.java:
            k = next((k for k in range(at, len(java)) if (java[k].letter, java[k].function) == (f.letter, f.function)),
                     None)
            if k is not None:
                out += java[at:k]
                at = k + 1
        out.append(f)
    return out
