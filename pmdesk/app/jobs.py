"""Background jobs: opening (and indexing) a dump, and computing a heap dump's dominator tree, off the
GUI thread with progress and Cancel. The main window runs them one at a time from a queue."""

from __future__ import annotations

import contextlib
import os
import traceback

from PySide6.QtCore import QThread, Signal

from pmdesk.base.errors import Cancelled, PmdeskError
from pmdesk.base.progress import Progress
from pmdesk.index.compile_notice import compile_notice
from pmdesk.model.dump import Dump, with_program
from pmdesk.model.formats import Kind, sniff
from pmdesk.model.heap.graph import build_graph, preload_graph
from pmdesk.model.heap.report import warm_reports
from pmdesk.model.samples.profile import warm as warm_profile


class Job(QThread):
    """A long task in a worker thread. Exactly one of done / failed / cancelled is emitted."""

    progressed = Signal(float, str)
    done = Signal(object)
    failed = Signal(str)
    cancelled = Signal(str)

    def __init__(self, path: str, parent: object = None) -> None:
        super().__init__(parent)
        self.path = path
        self.progress = Progress(callback=self.progressed.emit, path=path)

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    def cancel(self) -> None:
        self.progress.cancel()

    def work(self) -> object:
        raise NotImplementedError

    def run(self) -> None:
        try:
            result = self.work()
        except Cancelled:
            self.cancelled.emit(self.path)
        except PmdeskError as e:
            self.failed.emit(e.one_line())
        except MemoryError:
            self.failed.emit(f"{self.path}: not enough memory for this dump")
        except Exception as e:  # a bug must not take the window down: report it as one line
            traceback.print_exc()
            self.failed.emit(f"{self.path}: internal error ({type(e).__name__}: {e})")
        else:
            self.done.emit(result)


class OpenDumpJob(Job):
    """Dump.open: reuses the index or builds it. `done` carries the open Dump."""

    verb = "Opening"

    def __init__(self, path: str, index_dir: str | None = None, parent: object = None, exe: str | None = None) -> None:
        super().__init__(path, parent)
        self.index_dir = index_dir
        self.exe = exe  # a Go heap dump's program: its objects typed by its DWARF (model.dump.with_program)

    def work(self) -> Dump:
        fmt, index_dir = with_program(self.path, sniff(self.path), self.exe, self.index_dir)
        notice = compile_notice(lambda m: self.progressed.emit(0.0, m)) if fmt.reader.SPEC.kernels \
            else contextlib.nullcontext()
        with notice:
            dump = Dump.open(self.path, index_dir=index_dir, progress=self.progress, fmt=fmt)
        if dump.has(Kind.HEAP_GRAPH):
            self.progress.update(1.0, "loading the dominator tree")
            preload_graph(dump)
        if dump.has(Kind.SAMPLES):
            self.progress.update(1.0, "adding up the profile")
            warm_profile(dump)
        return dump


class HeapGraphJob(Job):
    """The object graph, dominator tree and retained sizes of an open heap dump, written into its index
    by the worker's own connection, then loaded; `done` carries the dump."""

    verb = "Computing retained sizes of"

    def __init__(self, dump: Dump, parent: object = None) -> None:
        super().__init__(dump.path, parent)
        self.dump = dump

    def work(self) -> Dump:
        with compile_notice(lambda m: self.progressed.emit(0.0, m)):
            build_graph(self.dump, self.progress)
        preload_graph(self.dump, warm_reports)
        return self.dump
