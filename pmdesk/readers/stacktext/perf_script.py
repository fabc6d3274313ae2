"""`perf script` text into stack samples. A sample is a header line — comm, [pid/]tid, [cpu], [time:],
[period], event: — then one line per frame, innermost first (`addr sym+off (dso)`), then a blank line; a
sample without a call chain prints its one frame on the header line. Frames are named as perf names them,
the `+0x…` offset dropped; an unknown symbol is named by its module, `[libc.so.6]`, as FlameGraph's
stackcollapse-perf.pl does (or `[unknown]`). The command is the stack's root frame (kind 'process')."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

HEADER = re.compile(
    r"^(?P<comm>\S.*?)\s+(?:(?P<pid>-?\d+)/)?(?P<tid>-?\d+)\s+(?:\[(?P<cpu>\d+)\]\s+)?"
    r"(?:(?P<time>\d+\.\d+):\s+)?(?:(?P<period>\d+)\s+)?(?P<event>[^\s:]\S*?):(?:\s+(?P<rest>.*))?$")
FRAME = re.compile(r"^\s*(?P<addr>[0-9a-fA-F]+)\s+(?P<sym>.*?)\s*\((?P<dso>[^()]*)\)\s*$")
OFFSET = re.compile(r"\+0x[0-9a-fA-F]+$")


@dataclass
class Frame:
    function: str
    module: str | None
    kind: str  # 'user' | 'kernel' | 'inlined' | 'jit'


@dataclass
class Sample:
    comm: str
    pid: int | None
    tid: int
    cpu: int | None
    time_ns: int | None
    period: int | None
    event: str
    line: int  # 1-based line of the header
    frames: list[Frame] = field(default_factory=list)  # innermost first


def frame_kind(dso: str) -> str:
    if dso == "inlined":
        return "inlined"
    if (dso.startswith("[") and "unknown" not in dso) or dso.endswith("vmlinux"):
        return "kernel"
    return "jit" if re.search(r"/tmp/perf-\d+\.map$", dso) else "user"


def parse_frame(line: str) -> Frame | None:
    """One call-chain line, or None when it is not one."""
    m = FRAME.match(line)
    if m is None:
        return None
    sym, dso = OFFSET.sub("", m["sym"]), m["dso"]
    if sym in ("[unknown]", ""):
        sym = f"[{os.path.basename(dso)}]" if dso not in ("[unknown]", "unknown", "") else "[unknown]"
    module = None if dso in ("[unknown]", "unknown", "inlined", "") else dso
    return Frame(sym, module, frame_kind(dso))


def is_header(line: str) -> bool:
    return not line.startswith((" ", "\t", "#")) and HEADER.match(line) is not None


def samples(lines: Iterator[str], unrecognised: list[int], cut: list[int]) -> Iterator[Sample]:
    """The samples of the text, in order; the numbers of lines that are neither go into `unrecognised`. perf
    ends every sample with a blank line: a last sample without one was cut short, and is left out (its line
    goes into `cut`), as stackcollapse-perf.pl leaves it."""
    current: Sample | None = None
    for n, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            if current is not None:
                yield current
                current = None
            continue
        m = HEADER.match(line) if line[0] not in " \t" else None
        if m is None:  # a frame: indented, or not (perf before 3.x printed them at the margin)
            frame = parse_frame(line)
            if frame is not None and current is not None:
                current.frames.append(frame)
            elif frame is None and current is not None and current.frames and line[0] in " \t":
                continue  # a srcline or other per-frame detail line (perf script -F+srcline)
            else:
                unrecognised.append(n)
            continue
        if current is not None:
            yield current
        t = m["time"]
        current = Sample(m["comm"], int(m["pid"]) if m["pid"] else None, int(m["tid"]),
                         int(m["cpu"]) if m["cpu"] else None,
                         int(t.replace(".", "")) * 10 ** (9 - len(t.split(".")[1])) if t else None,
                         int(m["period"]) if m["period"] else None, m["event"], n)
        rest = m["rest"] or ""
        inline_frame = parse_frame(rest) if rest else None
        if inline_frame is not None:
            current.frames.append(inline_frame)
    if current is not None:
        cut.append(current.line)
