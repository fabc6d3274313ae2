"""The fuzzing harness's worker: one interpreter that runs many cases (`pmdesk info` and the reader's command
on each mutant) so a case costs a command, not an interpreter's start. Reads JSON lines {"path", "command",
"index_dir"} on stdin and writes one JSON line per command: its exit status, whether a traceback (or a
MemoryError) escaped, how far its resident memory rose above where it started when it set a new peak, the
stderr lines. A signal kills it: the harness sees which case it was on and starts another.

Usage (by tests/fuzz/harness.py): python -m tests.fuzz.worker
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import sys
import traceback


def rss_bytes() -> int:
    """This interpreter's resident memory now (Linux /proc/self/statm)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes() -> int:
    """The most this interpreter has been resident (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main() -> None:
    os.environ.setdefault("NUMBA_CACHE_DIR", "")
    from pmdesk import launcher

    os.environ["NUMBA_CACHE_DIR"] = os.environ["NUMBA_CACHE_DIR"] or launcher._kernel_cache()  # noqa: SLF001
    from pmdesk import cli

    out = sys.stdout
    for line in sys.stdin:
        case = json.loads(line)
        for args in (["info", case["path"]], [case["command"], case["path"]]):
            err, sink = io.StringIO(), io.StringIO()
            tb = memory_error = False
            before, peak = rss_bytes(), peak_rss_bytes()
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(sink):
                try:
                    rc = cli.main([*args, "--index-dir", case["index_dir"]])
                except SystemExit as e:
                    rc = e.code if isinstance(e.code, int) else 2
                except BaseException as e:  # noqa: BLE001 - what escapes is what the harness looks for
                    traceback.print_exc()
                    rc, tb, memory_error = 1, True, isinstance(e, MemoryError)
            grew = peak_rss_bytes() - before if peak_rss_bytes() > peak else 0  # a new peak: how far above the start
            out.write(json.dumps({"command": args[0], "rc": rc, "traceback": tb or "Traceback" in err.getvalue(),
                                  "memory_error": memory_error, "rss_growth_bytes": grew,
                                  "stderr": err.getvalue()[-2000:]}) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
