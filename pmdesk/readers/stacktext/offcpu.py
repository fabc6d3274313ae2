"""The multi-line stack form of BCC's and libbpf-tools' offcputime (and profile, wakeuptime): blocks
separated by blank lines, each the frames innermost first (kernel, a `--` line, then user), the task as
`-  comm (pid)`, then the value (microseconds off CPU, or a count). Kernel frames are those before the
separator, or all but the user ones when there is none (unknown here: then all are 'user')."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

TASK = re.compile(r"^\s+-\s+(?P<comm>.*?) \((?P<pid>\d+)\)$")
VALUE = re.compile(r"^\s+(?P<value>\d+)$")
HEADER = re.compile(r"^(Tracing|Detaching|Attaching)\b")


@dataclass
class Block:
    frames: list[tuple[str, str]]  # (function, kind) innermost first
    comm: str
    pid: int
    value: int
    line: int


def blocks(lines: Iterator[str], unrecognised: list[int]) -> Iterator[Block]:
    frames: list[str] = []
    separator = -1
    task: tuple[str, int] | None = None
    start = 0
    for n, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        if not line.strip() or HEADER.match(line):
            frames, separator, task = [], -1, None
            continue
        if not frames and task is None:
            start = n
        m = TASK.match(line)
        if m:
            task = (m["comm"], int(m["pid"]))
            continue
        m = VALUE.match(line)
        if m and task is not None:
            kinds = ["kernel" if separator >= 0 and i < separator else "user" for i in range(len(frames))]
            yield Block(list(zip(frames, kinds, strict=True)), task[0], task[1], int(m["value"]), start)
            frames, separator, task = [], -1, None
            continue
        if task is not None or not line.startswith(" "):
            unrecognised.append(n)
            continue
        text = line.strip()
        if text == "--":
            separator = len(frames)
        else:
            frames.append(text)
