"""The process a triage run indexes dumps in (`python -m pmdesk.model.triage.worker [--index-dir DIR]`): one
path per line of stdin (JSON: {"path": …}), one JSON line per path on stdout — the summary row, or
{"path", "error"} with the one-line error. A dump that kills this process (a reader's bug, memory, a
signal) takes only this process down: the parent (pool.py) reports it and starts another."""

from __future__ import annotations

import argparse
import json
import sys

from pmdesk.base.errors import PmdeskError


def answer(path: str, index_dir: str | None) -> dict[str, object]:
    """The row for one dump, or its error as one line (an unexpected exception named, not a traceback)."""
    from pmdesk.model.triage.summary import summarise

    try:
        return summarise(path, index_dir)
    except PmdeskError as e:
        return {"path": path, "error": e.what if e.path == path else e.one_line()}
    except OSError as e:
        return {"path": path, "error": e.strerror or str(e)}
    except (MemoryError, RecursionError) as e:
        return {"path": path, "error": f"too big or too deep to read ({type(e).__name__})"}
    except Exception as e:  # noqa: BLE001 - a reader's bug must be one row, not the end of the run
        return {"path": path, "error": f"pmdesk could not read it ({type(e).__name__}: {e})"[:300]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pmdesk-triage-worker")
    parser.add_argument("--index-dir")
    args = parser.parse_args(argv)
    out = sys.stdout
    sys.stdout = sys.stderr   # nothing a reader prints may corrupt the answers
    for line in sys.stdin:
        if not line.strip():
            continue
        path = json.loads(line)["path"]
        out.write(json.dumps(answer(path, args.index_dir)) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
