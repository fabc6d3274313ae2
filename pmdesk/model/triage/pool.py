"""Many dumps summarised at once, each in a worker process of its own (worker.py), as many workers as the
machine has cores: a dump that crashes its worker, outgrows the memory limit or the time limit becomes an
error row and the worker is replaced — the run goes on. Cancelling (the Progress token) stops every worker
within a poll interval."""

from __future__ import annotations

import json
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pmdesk.base.errors import Cancelled
from pmdesk.base.progress import Progress

POLL_S = 0.1


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 8 << 30  # a worker's resident memory past this is killed (its dump: an error row)
    seconds: float = 900.0       # a dump taking longer is given up


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class Worker:
    """One worker process and the path it is on."""

    def __init__(self, index_dir: str | None) -> None:
        cmd = [sys.executable, "-m", "pmdesk.model.triage.worker"] + (["--index-dir", index_dir] if index_dir else [])
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, bufsize=1)

    def ask(self, path: str, limits: Limits, token: threading.Event) -> dict[str, Any]:
        """The row for `path`; an error row when the worker dies, outgrows a limit or is cancelled."""
        assert self.proc.stdin and self.proc.stdout
        try:
            self.proc.stdin.write(json.dumps({"path": path}) + "\n")
            self.proc.stdin.flush()
        except OSError:
            return {"path": path, "error": self._death()}
        start = time.monotonic()
        while True:
            ready, _, _ = select.select([self.proc.stdout], [], [], POLL_S)
            if ready:
                line = self.proc.stdout.readline()
                if not line:
                    return {"path": path, "error": self._death()}
                return json.loads(line)
            if token.is_set():
                self.stop()
                raise Cancelled(path)
            if self.proc.poll() is not None:
                return {"path": path, "error": self._death()}
            if _rss_bytes(self.proc.pid) > limits.memory_bytes:
                self.stop()
                return {"path": path, "error": f"reading it took more than {limits.memory_bytes >> 20:,} MiB of memory "
                                               "(the triage memory limit, --memory-limit)"}
            if time.monotonic() - start > limits.seconds:
                self.stop()
                return {"path": path, "error": f"reading it took longer than {limits.seconds:g} s (--timeout)"}

    def _death(self) -> str:
        code = self.proc.wait()
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"the process reading it was killed by {name}"
        return f"the process reading it exited with status {code}"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def close(self) -> None:
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.stop()


def summarise_all(paths: Iterable[str], index_dir: str | None = None, workers: int | None = None,
                  limits: Limits = Limits(), progress: Progress | None = None,
                  on_row: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """A row per path (in the order given), summarised in `workers` processes (default: one per core)."""
    todo = list(paths)
    progress = progress or Progress()
    rows: list[dict[str, Any] | None] = [None] * len(todo)
    jobs: queue.Queue[int] = queue.Queue()
    for i in range(len(todo)):
        jobs.put(i)
    done = [0]
    lock = threading.Lock()
    failure: list[BaseException] = []

    def slot() -> None:
        worker: Worker | None = None
        try:
            while not progress.cancelled:
                try:
                    i = jobs.get_nowait()
                except queue.Empty:
                    return
                if worker is None or not worker.alive():
                    worker = Worker(index_dir)
                row = worker.ask(todo[i], limits, progress.token)
                with lock:
                    rows[i] = row
                    done[0] += 1
                    if on_row:
                        on_row(row)
        except Cancelled:
            return
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
            failure.append(e)
        finally:
            if worker is not None:
                worker.close()

    n = max(1, min(workers or default_workers(), len(todo) or 1))
    threads = [threading.Thread(target=slot, daemon=True) for _ in range(n)]
    for t in threads:
        t.start()
    try:
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(POLL_S)
            progress.update(done[0] / max(len(todo), 1), f"{done[0]:,} of {len(todo):,} dumps")
    except Cancelled:
        for t in threads:   # each stops its worker within a poll interval: none is left running
            t.join()
        raise
    if failure:
        raise failure[0]
    if progress.cancelled:
        raise Cancelled()
    return [r for r in rows if r is not None]
