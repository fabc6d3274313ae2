"""Parses a HotSpot fatal error log (hs_err_pid<N>.log, HotSpot 6 to 25, Linux, Windows, macOS, Solaris) into
its parts: the '#' header (the error, versions, problematic frame), then the report's parts (SUMMARY, THREAD,
PROCESS, SYSTEM) cut at the section titles HotSpot prints (src/hotspot/share/utilities/vmError.cpp,
VMError::report: each STEP prints a title line such as 'Registers:', 'Java Threads: ( => current thread )'
or '<name> events (<n> events):'). A section is found by its title, not by its place, so a release that adds,
drops or reorders sections, and a log cut short or interrupted by '[error occurred during error reporting
…]' lines, still gives every section it has. Lines are parsed by the words around the values, not by
columns: releases pad thread names and registers differently."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PART = re.compile(r"^-{5,}\s+((?:[A-Z] )+[A-Z])\s+-{3,}\s*$")  # '---------------  T H R E A D  ---------------'
MAX_LINE_CHARS = 16384  # HotSpot's longest lines (a long thread name, a class path) are far shorter
# Section titles, each a line of its own at the start of the line (the text after the title on the same line
# stays with the section: 'VM state: not at safepoint', 'Stack: [0x…,0x…],  sp=0x…')
TITLES = re.compile(
    r"^(?:(?P<events>[A-Z][\w /-]*?) \((?P<n>\d+) events\):"
    r"|(?P<title>Current thread|Stack: \[|Native frames:|Java frames:|siginfo:|Registers:|"
    r"Register to memory mapping:|Top of Stack:|Instructions:|Stack slot to memory mapping:|"
    r"Lock stack of current Java thread|Threads class SMR info:|Java Threads:|Other Threads:|"
    r"Threads with active compile tasks:|VM state:|VM Mutex/Monitor currently owned|[Hh]eap address:|"
    r"Heap:|GC Precious Log:|Heap Regions:|Metaspace:|CodeHeap |CodeCache:|Compilation:|Dynamic libraries:|"
    r"VM Arguments:|\[Global flags\]|Logging:|Environment Variables:|Active Locale:|Signal Handlers:|"
    r"Native Memory Tracking:|OS:|/proc/meminfo:|Process Memory:|CPU:|Memory: |vm_info:|"
    r"Compiled method |\[MachCode\]|Polling page:|Card table byte_map|Marking Bits|JVMTI agents:|"
    r"Release file:|Periodic native trim|Compilation memory statistics|container \(cgroup\) information:))")
# Titles that go on the section before (they are parts of it, not sections a reader looks for)
CONTINUES = {"Compiled method", "[MachCode]", "Heap Regions", "Polling page", "Card table byte_map", "Marking Bits",
             "Metaspace", "CodeHeap", "CodeCache", "Compilation"}


@dataclass
class Section:
    """A titled part of the log: its title as HotSpot prints it (up to the colon) and its lines (the title's
    own line first)."""

    part: str                  # 'SUMMARY', 'THREAD', 'PROCESS', 'SYSTEM' ('' before the first part)
    title: str
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines).rstrip()

    def body(self) -> list[str]:
        """The lines after the title's own line, up to the trailing blank ones."""
        out = self.lines[1:]
        while out and not out[-1].strip():
            out.pop()
        return out


@dataclass
class HsErr:
    header: list[str]          # the '#' lines before the first part, '#' and one space stripped
    sections: list[Section]
    complete: bool             # the log ends with HotSpot's 'END.' line

    def section(self, title: str) -> Section | None:
        """The first section whose title starts with `title`."""
        return next((s for s in self.sections if s.title.startswith(title)), None)

    def sections_titled(self, title: str) -> list[Section]:
        return [s for s in self.sections if s.title.startswith(title)]


# HotSpot's platform word (the 'Java VM:' line's last word: 'linux-amd64') as the crash model's OS and ELF
# machine names, and whether the machine is big-endian (how the log's stack words are laid out in memory)
ARCHES = {"amd64": "EM_X86_64", "x86_64": "EM_X86_64", "x86": "EM_386", "i386": "EM_386", "aarch64": "EM_AARCH64",
          "arm64": "EM_AARCH64", "ppc64le": "EM_PPC64", "ppc64": "EM_PPC64", "s390x": "EM_S390", "riscv64": "EM_RISCV",
          "arm": "EM_ARM", "sparc": "EM_SPARCV9", "sparcv9": "EM_SPARCV9"}
BIG_ENDIAN = ("ppc64", "s390x", "sparc", "sparcv9")
OSES = {"linux": "Linux", "windows": "Windows", "bsd": "macOS", "macos": "macOS", "solaris": "Solaris",
        "aix": "AIX"}
PLATFORM = re.compile(r"\b(?P<os>linux|windows|bsd|macos|solaris|aix)-(?P<arch>[a-z0-9_]+)\b")


@dataclass(frozen=True)
class Platform:
    os: str | None
    machine: str       # 'EM_X86_64', or HotSpot's own word for a machine without an entry here
    big_endian: bool


def platform_of(header: list[str]) -> Platform | None:
    """The platform the 'Java VM:' line of the header names ('… linux-amd64)'), or None."""
    vm = next((line for line in header if "Java VM:" in line), "")
    m = PLATFORM.search(vm)
    if m is None:
        return None
    arch = m.group("arch")
    return Platform(OSES.get(m.group("os")), ARCHES.get(arch, arch), arch in BIG_ENDIAN)


HEADER_MARKS = ("A fatal error has been detected by the Java Runtime Environment",
                "An unexpected error has been detected by", "There is insufficient memory for the Java Runtime")


def header_start(lines: list[str]) -> int | None:
    """The index of the '#' line that opens the report (a log written to standard output among the program's
    own lines starts further down), or None when there is none."""
    for i, line in enumerate(lines):
        if line.startswith("#") and any(m in line for m in HEADER_MARKS):
            return i - 1 if i and lines[i - 1].strip() == "#" else i
    return None


def _title_of(line: str) -> str | None:
    m = TITLES.match(line)
    if m is None:
        return None
    if m.group("events"):
        return m.group("events")
    return m.group("title").rstrip(": [")


def parse(text: str) -> HsErr | None:
    """The log's header and sections; None when the text has no HotSpot error header."""
    lines = [line[:MAX_LINE_CHARS] for line in text.splitlines()]
    start = header_start(lines)
    if start is None:
        return None
    header: list[str] = []
    i = start
    while i < len(lines) and PART.match(lines[i]) is None:
        line = lines[i]
        header.append(line[2:] if line.startswith("# ") else line[1:] if line.startswith("#") else line)
        i += 1
    sections: list[Section] = []
    part = ""
    current: Section | None = None
    complete = False
    for line in lines[i:]:
        m = PART.match(line)
        if m is not None:
            part = m.group(1).replace(" ", "")
            current = Section(part, part.title())
            sections.append(current)
            current.lines.append(line)
            continue
        if line.strip() == "END.":
            complete = True
            break
        title = _title_of(line)
        if title is not None and not (title in CONTINUES and current is not None
                                      and current.part == part and current.title != part.title()):
            current = Section(part, title)
            sections.append(current)
        if current is None:
            current = Section(part, "")
            sections.append(current)
        current.lines.append(line)
    return HsErr(header, sections, complete)
