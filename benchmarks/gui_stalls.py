"""Benchmark: the longest stall of the GUI thread while a user works — a 5 ms timer on the GUI thread records
every gap between its ticks; a stall is a gap's excess over the interval. Steps: start-up to a shown window
(a new process), then in one window: open each format's artefact and wait for its jobs (index, dominator
tree), show each dock it has, expand 10 dominator-tree nodes, narrow a JFR recording's range. Prints each
step's longest stall, and the worst; the issue's target is 100 ms.

Usage: python benchmarks/gui_stalls.py [FILE…]   (default: the corpus and test artefacts of every format)
Runs under the platform Qt picks (QT_QPA_PLATFORM=offscreen when there is no display).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "out"
DATA = ROOT / "tests" / "data"
DEFAULT = [CORPUS / "jvm" / "leak-phase2.hprof", CORPUS / "jvm" / "workload.jfr",
           CORPUS / "jvm" / "busy-pool.jstack.txt", DATA / "native" / "cores" / "segv_chain.core",
           CORPUS / "mobile" / "ips" / "macsym-ios-crash.ips", DATA / "android" / "made-tombstone_00.txt",
           DATA / "minidump" / "threads.dmp", DATA / "profiles" / "perf-dwarf.data",
           DATA / "samples" / "tracemalloc" / "a.tracemalloc", DATA / "samples" / "heapy" / "growing.heapy",
           DATA / "samples" / "memray" / "alloc.memray"]
TICK_MS = 5


def startup_s() -> float:
    """Seconds from starting a new process to its window shown and painted once (interpreter start included)."""
    code = ("import sys, tempfile; from PySide6.QtWidgets import QApplication; app = QApplication(sys.argv[:1]); "
            "from pmdesk.app.preload import start_preload; start_preload(); "
            "from pmdesk.app.main_window import MainWindow; d = tempfile.TemporaryDirectory(); "
            "w = MainWindow(index_dir=d.name); w.show(); app.processEvents()")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    return time.perf_counter() - t


def main() -> int:
    if not os.environ.get("DISPLAY") and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    files = [Path(f) for f in sys.argv[1:]] or [f for f in DEFAULT if f.exists()]
    print(f"start-up to a shown window: {startup_s():.2f} s")
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from pmdesk.app.preload import start_preload

    start_preload()  # as pmdesk.app.main.run_gui starts the window
    from pmdesk.app.main_window import MainWindow

    index_dir = tempfile.TemporaryDirectory()  # the indexes go with the run (a big heap's are gigabytes)
    window = MainWindow(index_dir=index_dir.name)
    window.resize(1600, 1000)
    window.show()
    clock = QElapsedTimer()
    clock.start()
    state: dict = {"last": 0, "worst": 0.0, "during": ""}

    def tick() -> None:
        now = clock.elapsed()
        gap = now - state["last"] - TICK_MS
        if gap > state["worst"]:
            state["worst"], state["during"] = gap, window.status_label.text()  # what the window was doing
        state["last"] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(TICK_MS)

    def settle(until: Callable[[], bool], limit_s: float = 600) -> None:
        end = time.perf_counter() + limit_s
        while not until() and time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.001)
        quiet = time.perf_counter() + 0.3
        while time.perf_counter() < quiet:
            app.processEvents()
            time.sleep(0.001)

    results: list[tuple[str, float]] = []

    def step(name: str, action: Callable[[], None], until: Callable[[], bool] = lambda: True) -> None:
        state["last"], state["worst"], state["during"] = clock.elapsed(), 0.0, ""
        action()
        settle(until)
        results.append((name, state["worst"]))
        during = f"  (during: {state['during'][:60]})" if state["during"] else ""
        print(f"{name:60} longest stall {state['worst']:>6.0f} ms{during}", flush=True)

    idle = window.is_idle
    for f in files:
        step(f"open {f.name}", lambda f=f: window.open_path(str(f)), idle)
        shown = [(vid, dock) for vid, (dock, _view) in window.docks.items() if not dock.isHidden()]
        step(f"  show its {len(shown)} docks", lambda shown=shown: [(d.raise_(), app.processEvents())
                                                                    for _v, d in shown])
        if "dominator_tree" in dict(shown):
            view = window.view("dominator_tree")
            window.docks["dominator_tree"][0].raise_()

            def expand(view: object = view) -> None:
                tree, model = view.tree, view.model  # type: ignore[attr-defined]
                for row in range(min(10, model.rowCount())):
                    tree.expand(model.index(row, 0))
                    app.processEvents()

            step("  expand 10 dominator-tree nodes", expand)
        if "jfr_timeline" in dict(shown):
            view = window.view("jfr_timeline")
            window.docks["jfr_timeline"][0].raise_()

            def narrow(view: object = view) -> None:
                view.use_range.setChecked(True)  # type: ignore[attr-defined]
                if view.region is not None:  # type: ignore[attr-defined]
                    a, b = view.region.getRegion()  # type: ignore[attr-defined]
                    view.region.setRegion((a + (b - a) * 0.25, a + (b - a) * 0.5))  # type: ignore[attr-defined]

            step("  narrow the recording to a quarter", narrow)
    worst = max(results, key=lambda r: r[1])
    print(f"worst: {worst[1]:.0f} ms ({worst[0].strip()})")
    window.close()
    index_dir.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
