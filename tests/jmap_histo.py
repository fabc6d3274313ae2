"""Parses `jmap -histo` output into {class name in Java source form: (instances, bytes)} for the oracle tests.

Written independently of pmdesk's reader so that a bug in the reader's naming cannot hide itself.
"""

from __future__ import annotations

import re
from pathlib import Path

_LINE = re.compile(r"^\s*\d+:\s+(\d+)\s+(\d+)\s+(\S+)")
_PRIMS = {"Z": "boolean", "B": "byte", "C": "char", "S": "short", "I": "int", "J": "long", "F": "float",
          "D": "double"}


def source_form(jvm_name: str) -> str:
    depth = len(jvm_name) - len(jvm_name.lstrip("["))
    elem = jvm_name[depth:]
    if depth:
        elem = elem[1:-1] if elem.startswith("L") else _PRIMS[elem]
    return elem + "[]" * depth


def parse(path: Path) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for line in path.read_text().splitlines():
        m = _LINE.match(line)
        if m:
            out[source_form(m.group(3))] = (int(m.group(1)), int(m.group(2)))
    return out
