"""A CPython workload for a DWARF-mode recording (make.sh): deep interpreter stacks (past perf's 8 KB copy),
C extensions (_json), PLT calls and the interpreter's start-up in ld.so."""
import json
import re


def main() -> int:
    s = 0
    for i in range(60000):
        s += len(json.dumps({"a": i, "b": [i, str(i)]})) + len(re.findall(r"\d", str(i)))
    return s


print(main())
