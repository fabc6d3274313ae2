"""The headless command line: `pmdesk COMMAND FILE …` (the commands are declared in cli/registry.py; the GUI is
started by launcher.py). Prints the command's JSON document with --json, else its text; one line on stderr and
exit status 2 when a file cannot be read."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from pmdesk.base.errors import Cancelled, PmdeskError

EXIT_OK, EXIT_UNREADABLE, EXIT_CANCELLED = 0, 2, 130


def main(argv: Sequence[str] | None = None) -> int:
    from pmdesk.cli.command import Invocation
    from pmdesk.cli.registry import build_parser, first_command_for

    args = parse(build_parser(), argv)
    inv = Invocation(args.command_record, args, first_command_for)
    try:
        with inv:
            out = inv.command.run(inv)
            if getattr(args, "json", False) and out.doc is not None:
                print(json.dumps(out.doc, indent=out.indent))
            elif out.text is not None:
                for line in out.text():
                    print(line)
        return EXIT_OK
    except Cancelled:
        print(f"{_what(args)}: cancelled", file=sys.stderr)
        return EXIT_CANCELLED
    except PmdeskError as e:
        print(e.one_line(), file=sys.stderr)
        return EXIT_UNREADABLE
    except KeyboardInterrupt:
        print(f"{_what(args)}: interrupted", file=sys.stderr)
        return EXIT_CANCELLED
    except BrokenPipeError:
        return EXIT_OK


def parse(parser: object, argv: Sequence[str] | None) -> object:
    """The arguments, with what argparse cannot place: an optional positional (`paths FILE [ID]`) given after
    options is left over by it (it fills optional positionals at the first run of positionals); it fills the
    command's first such positional still empty, else it is an error as argparse words it."""
    args, extra = parser.parse_known_args(argv)  # type: ignore[attr-defined]
    record = getattr(args, "command_record", None)
    for arg in record.args if record is not None else ():
        dest = dict(arg.options).get("dest", arg.names[0])
        if extra and not arg.names[0].startswith("-") and dict(arg.options).get("nargs") == "?" \
                and getattr(args, dest, None) is None and not extra[0].startswith("-"):
            setattr(args, dest, extra.pop(0))
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")  # type: ignore[attr-defined]
    return args


def _what(args: object) -> str:
    """The file(s) a command works on, for a message."""
    files = getattr(args, "files", None) or [f for f in (getattr(args, "a", None), getattr(args, "b", None)) if f]
    return getattr(args, "file", None) or " ".join(files)
