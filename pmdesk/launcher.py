"""Entry point of the `pmdesk` command: a subcommand runs headless (cli/), anything else opens the GUI — after
checks that need no Qt: a mistyped command or an option of a command given to the window is named, files that
are not there are said, and a missing display is said with what to do instead of letting Qt abort."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

EXIT_UNREADABLE = 2
GUI_OPTIONS = ("--sample", "--index-dir", "--new-instance")


def gui_parser() -> argparse.ArgumentParser:
    """The window's own options (Qt-free, so they are checked before Qt starts)."""
    p = argparse.ArgumentParser(prog="pmdesk", description="Open dumps in the pmdesk window (with no FILE: the "
                                "bundled sample). Headless commands: see pmdesk --help.")
    p.add_argument("files", nargs="*", metavar="FILE", help="dumps (or .pmdesk sessions) to open")
    p.add_argument("--sample", action="store_true", help="open the bundled sample heap dump")
    p.add_argument("--index-dir", metavar="DIR", help="where indexes live (default: the user cache dir)")
    p.add_argument("--new-instance", action="store_true",
                   help="start another window instead of handing the files to the one already running on this display")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("NUMBA_CACHE_DIR", _kernel_cache())
    from pmdesk import cli
    from pmdesk.cli.registry import COMMANDS, NAMES

    if argv and (argv[0] in NAMES or argv[0] in ("-h", "--help", "--version")):
        _exit_now(cli.main(argv))
    problem = gui_problem(argv, COMMANDS)
    if problem:
        print(f"pmdesk: {problem}", file=sys.stderr)
        return EXIT_UNREADABLE
    from pmdesk.app.main import run_gui

    return run_gui(argv)


def _kernel_cache() -> str:
    """Where numba keeps pmdesk's compiled kernels: the user's cache, not the installed package (which may
    be read-only, and is shared by users)."""
    import platformdirs

    # NUMBA_BOUNDSCHECK=1 (the fuzzing harness's debug mode) compiles every kernel with bounds checks: kept apart
    checked = os.environ.get("NUMBA_BOUNDSCHECK") == "1"
    return os.path.join(platformdirs.user_cache_dir("pmdesk", appauthor=False),
                        "kernels-boundscheck" if checked else "kernels")


def gui_problem(argv: list[str], commands: Sequence[object]) -> str | None:
    """What is wrong with a command line meant for the window, in one line (None: start it)."""
    for a in argv:
        name = a.split("=", 1)[0]
        if name.startswith("--") and name not in GUI_OPTIONS and name not in ("-h", "--help"):
            takers = [c.name for c in commands if any(name in arg.names for arg in c.args)]
            if takers:
                return (f"{name} is an option of {', '.join(takers)}, not of the window "
                        f"(e.g. pmdesk {takers[0]} FILE {' '.join(argv[argv.index(a):argv.index(a) + 2])})")
            return f"{name} is not an option (pmdesk --help lists the commands and their options)"
    args, _unknown = gui_parser().parse_known_args(argv)
    names = [c.name for c in commands]
    for f in args.files:
        if os.path.exists(f):
            continue
        close = difflib.get_close_matches(f, names, n=1, cutoff=0.6)
        if close and os.sep not in f:
            return f"'{f}' is not a command — did you mean {close[0]}? (pmdesk --help lists them)"
        return f"{f}: no such file"
    return display_problem()


def display_problem() -> str | None:
    """Why the window cannot be shown here, or None: no display at all, or Qt's X11 platform missing a system
    library (Qt itself would abort with a message about its plugin)."""
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    how = ("run it under xvfb-run (xvfb-run pmdesk …), set QT_QPA_PLATFORM=offscreen, or use a headless command "
           "(pmdesk --help)")
    if not platform and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        return f"there is no display to show the window on (DISPLAY is not set): {how}"
    if platform in ("", "xcb") and os.environ.get("DISPLAY"):
        missing = _missing_xcb_library()
        if missing:
            return (f"Qt cannot use this display: {missing} is missing — install the system packages README.md "
                    "lists (as root, or with sudo)")
    return None


def _missing_xcb_library() -> str | None:
    """The shared library Qt's X11 platform plugin cannot load, if any (found the way the plugin is loaded)."""
    import ctypes
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    plugin = os.path.join(spec.submodule_search_locations[0], "Qt", "plugins", "platforms", "libqxcb.so")
    if not os.path.exists(plugin):
        return None
    try:
        ctypes.CDLL(plugin)
    except OSError as e:
        return str(e).split(":", 1)[0]
    return None


def _exit_now(code: int) -> NoReturn:
    """End a finished command without Python's teardown of every loaded module (25–50 ms after a core's
    stack, most of it pyelftools' tables): output flushed, exit handlers run, files already closed by the
    command itself."""
    import atexit

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    atexit._run_exitfuncs()  # noqa: SLF001 - the handlers a normal exit would run
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
