"""Starts the GUI: `pmdesk [FILE…] [--sample] [--index-dir DIR]`."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication

from pmdesk import __version__
from pmdesk.app.single_instance import InstanceServer, display_name, hand_over
from pmdesk.launcher import gui_parser


class FileOpenFilter(QObject):
    """macOS hands files to open (a double-click in Finder) as QFileOpenEvent to the application."""

    def __init__(self, window: QObject) -> None:
        super().__init__(window)
        self.window = window

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            self.window.open_path(event.file())
            return True
        return False


def run_gui(argv: Sequence[str]) -> int:
    args = gui_parser().parse_args(list(argv))
    from pmdesk.app.preload import start_preload

    start_preload()  # beside the window's own imports, before anything paints
    from pmdesk.app.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("pmdesk")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("pmdesk")
    if not args.new_instance and hand_over(args.files):  # the window already open here has the files now
        where = f" on display {display_name()}" if display_name() else ""
        what = ", ".join(args.files) if args.files else "nothing to open"
        print(f"pmdesk: handed {what} to the pmdesk window already open{where} (--new-instance starts another)",
              file=sys.stderr)
        return 0
    window = MainWindow(index_dir=args.index_dir)
    server = InstanceServer(parent=window)
    server.open_requested.connect(window.open_from_elsewhere)
    app.installEventFilter(FileOpenFilter(window))
    window.show()
    if args.sample or not args.files:
        window.open_sample()
    for f in args.files:
        window.open_path(f)
    if os.environ.get("PMDESK_EXIT_AFTER_OPEN"):  # smoke tests of installers: report what opened, then quit
        def check() -> None:
            if window.job is None and not window.jobs:
                for d in window.dumps:
                    print(f"opened {d.path}", flush=True)
                app.exit(0 if window.dumps else 1)
        timer = QTimer(window)
        timer.timeout.connect(check)
        timer.start(100)
    return app.exec()
