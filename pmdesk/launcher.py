"""Entry point of the `pmdesk` command: a subcommand runs headless (cli/), anything else opens the GUI."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from pmdesk import cli
    from pmdesk.cli.registry import NAMES

    if argv and (argv[0] in NAMES or argv[0] in ("-h", "--help", "--version")):
        _exit_now(cli.main(argv))
    from pmdesk.app.main import run_gui

    return run_gui(argv)


def _exit_now(code: int) -> NoReturn:
    """End a finished command without Python's teardown of every loaded module (25–50 ms after a core's
    stack, most of it pyelftools' tables): output flushed, exit handlers run, files already closed by the
    command itself."""
    import atexit
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    atexit._run_exitfuncs()  # noqa: SLF001 - the handlers a normal exit would run
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
