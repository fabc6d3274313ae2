"""Parses Python `faulthandler` output: "Fatal Python error: …", "Timeout (…)!", or a bare dump; blocks
"Thread 0x…" / "Current thread 0x…" "(most recent call first):" with `File "…", line N in func` frames, and
"Stack (most recent call first):" — the current thread alone, as all_threads=False writes it."""

from __future__ import annotations

import re

from pmdesk.readers.thread_rows import DumpRecord, Frame, Thread

_THREAD = re.compile(r"^(?:(?P<current>Current thread|Thread) (?P<id>0x[0-9a-f]+)(?: \(most recent call first\))?|"
                     r"(?P<only>Stack) \(most recent call first\)):")  # "Stack": all_threads=False, no id
_FRAME = re.compile(r'^\s+File "(?P<file>.*)", line (?P<line>\d+) in (?P<fn>.*?)\s*$')
_HEADERS = ("Fatal Python error:", "Timeout (")


def parse(lines: list[str], problems: list[tuple[int, str]]) -> list[DumpRecord]:
    dumps: list[DumpRecord] = []
    dump: DumpRecord | None = None
    th: Thread | None = None
    seen: set[str] = set()
    for i, raw in enumerate(lines):
        line = raw.rstrip("\n")
        if line.startswith(_HEADERS):
            dump = DumpRecord("python", i + 1, line.strip())
            dumps.append(dump)
            th, seen = None, set()
            continue
        m = _THREAD.match(line)
        if m:
            ident = m["id"] or ""
            if dump is None or ident in seen:
                dump = DumpRecord("python", i + 1, "faulthandler traceback")
                dumps.append(dump)
                seen = set()
            seen.add(ident)
            current = m["current"] == "Current thread" or m["only"] is not None
            name = "Current thread" if m["only"] else f"{m['current']} {ident}"
            th = Thread(name, ident, i + 1, state="current" if current else "")
            dump.threads.append(th)
            continue
        if th is None or not line.strip():
            th = None if not line.strip() else th
            continue
        m = _FRAME.match(line)
        if m:
            th.frames.append(Frame(m["fn"], m["file"], int(m["line"])))
        elif line.strip() == "<no Python frame>" or line.lstrip().startswith("..."):
            continue
        else:
            th = None
    return dumps


_ANY = re.compile(r"^(?:(?:Current thread|Thread) 0x[0-9a-f]+|Stack) \(most recent call first\):", re.M)


def sniff(text: str) -> bool:
    return _ANY.search(text) is not None
