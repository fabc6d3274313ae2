"""Background jobs: opening (and indexing) a dump off the GUI thread, with progress and Cancel."""

from __future__ import annotations

import os
import traceback

from PySide6.QtCore import QThread, Signal

from pmdesk.core.errors import Cancelled, PmdeskError
from pmdesk.core.progress import Progress
from pmdesk.model.dump import Dump


class OpenDumpJob(QThread):
    """Runs Dump.open in a worker thread. Exactly one of opened / failed / cancelled is emitted."""

    progressed = Signal(float, str)
    opened = Signal(object)
    failed = Signal(str)
    cancelled = Signal(str)

    def __init__(self, path: str, index_dir: str | None = None, parent: object = None) -> None:
        super().__init__(parent)
        self.path = path
        self.index_dir = index_dir
        self.progress = Progress(callback=self.progressed.emit, path=path)

    def cancel(self) -> None:
        self.progress.cancel()

    def run(self) -> None:
        try:
            dump = Dump.open(self.path, index_dir=self.index_dir, progress=self.progress)
        except Cancelled:
            self.cancelled.emit(self.path)
        except PmdeskError as e:
            self.failed.emit(e.one_line())
        except MemoryError:
            self.failed.emit(f"{self.path}: not enough memory to index this dump")
        except Exception as e:  # a bug must not take the window down: report it as one line
            traceback.print_exc()
            self.failed.emit(f"{self.path}: internal error while reading ({type(e).__name__}: {e})")
        else:
            self.opened.emit(dump)

    @property
    def name(self) -> str:
        return os.path.basename(self.path)
