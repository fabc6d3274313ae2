"""Every CLI command, in the order `pmdesk --help` and the README list them, and what is derived from
them: the argparse parser, the subcommand names the launcher recognises, the README's command table."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from functools import cache

from pmdesk import __version__
from pmdesk.cli import crash, dumps, heap, heap_classes, jfr, query, samples, threads, triage
from pmdesk.cli.command import Command
from pmdesk.model.formats import Kind

COMMANDS: tuple[Command, ...] = (*dumps.COMMANDS, *query.COMMANDS, *heap.COMMANDS[:-1], *heap_classes.COMMANDS,
                                 *threads.COMMANDS, heap.COMMANDS[-1],
                                 *jfr.COMMANDS, *crash.COMMANDS, *samples.COMMANDS,
                                 *triage.COMMANDS)
NAMES = tuple(c.name for c in COMMANDS)


def first_command_for(kinds: Sequence[Kind]) -> str | None:
    """The first command that reads one of these kinds (what to suggest for a file given to the wrong one)."""
    return next((c.name for c in COMMANDS if any(k in c.kinds for k in kinds)), None)


class DefaultsFormatter(argparse.HelpFormatter):
    """Every option's help says its default, when it has one that is not already said."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default not in (None, False, argparse.SUPPRESS) and "default" not in text and action.option_strings:
            text += f" (default: {action.default})"
        return text


GUI_EPILOG = ("The window: pmdesk [FILE…] [--sample] [--new-instance] [--index-dir DIR] — with no FILE it opens the "
              "bundled sample; --new-instance starts another window instead of handing the files to the one running "
              "on this display. pmdesk formats lists what pmdesk reads.")


@cache
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pmdesk", description=f"pmdesk {__version__}: a post-mortem analyser. A "
                                "COMMAND reads a dump headless; with FILE… (or nothing) the window opens.",
                                epilog=GUI_EPILOG, formatter_class=DefaultsFormatter)
    p.add_argument("--version", action="version", version=f"pmdesk {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for c in COMMANDS:
        c.add_to(sub, DefaultsFormatter)
    return p


GUI_SYNOPSIS = ("pmdesk [FILE…] [--sample] [--index-dir DIR]", "the GUI")


def readme_table() -> str:
    """The README's command block: one synopsis per command with what it does, comments aligned."""
    rows = [GUI_SYNOPSIS, *((c.synopsis(), c.summary or c.help) for c in COMMANDS)]
    width = max(len(s) for s, _ in rows if len(s) <= 64) + 1
    return "\n".join(f"{s:<{width}}# {what}" if len(s) <= 64 else f"{s}  # {what}" for s, what in rows)
