"""Starts the GUI: `pmdesk [FILE…] [--sample] [--index-dir DIR]`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from PySide6.QtWidgets import QApplication

from pmdesk import __version__


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="pmdesk", description="Open dumps in the pmdesk window. "
                                "Headless commands: pmdesk info|index|histogram FILE (see pmdesk --help).")
    p.add_argument("files", nargs="*", help="dumps to open")
    p.add_argument("--sample", action="store_true", help="open the bundled sample heap dump")
    p.add_argument("--index-dir", metavar="DIR", help="where indexes live (default: user cache dir)")
    return p.parse_args(list(argv))


def run_gui(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    from pmdesk.app.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("pmdesk")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("pmdesk")
    window = MainWindow(index_dir=args.index_dir)
    window.show()
    if args.sample or not args.files:
        window.open_sample()
    for f in args.files:
        window.open_path(f)
    return app.exec()
