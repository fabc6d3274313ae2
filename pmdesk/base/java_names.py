"""Class names from the JVM's internal form (`[Ljava/lang/Object;`) to the source form users read."""

from __future__ import annotations

_PRIMITIVE = {"Z": "boolean", "C": "char", "F": "float", "D": "double", "B": "byte", "S": "short", "I": "int",
              "J": "long", "V": "void"}


def java_name(internal: str) -> str:
    """`[[I` -> `int[][]`, `[Ljava/lang/String;` -> `java.lang.String[]`, `a/B$C` -> `a.B$C`.

    Hidden classes keep their suffix as the JVM prints it: `Foo$$Lambda$14/0x0000000800c02a00`.
    """
    dims = 0
    while dims < len(internal) and internal[dims] == "[":
        dims += 1
    base = internal[dims:]
    if dims:
        if base.startswith("L") and base.endswith(";"):
            base = base[1:-1]
        elif base in _PRIMITIVE:
            base = _PRIMITIVE[base]
    if "+" in base and "/" in base:  # hidden class: internal 'Foo+0x…' is shown as 'Foo/0x…'
        head, _, suffix = base.rpartition("+")
        return head.replace("/", ".") + "/" + suffix + "[]" * dims
    return base.replace("/", ".") + "[]" * dims
