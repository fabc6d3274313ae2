"""Entry point of the `pmdesk` command: a subcommand runs headless (cli.py), anything else opens the GUI."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from pmdesk import cli

    if argv and (argv[0] in cli.COMMANDS or argv[0] in ("-h", "--help", "--version")):
        return cli.main(argv)
    from pmdesk.app.main import run_gui

    return run_gui(argv)


if __name__ == "__main__":
    sys.exit(main())
