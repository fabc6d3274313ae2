"""Modules the docks import on first use at a stall's cost (pyqtgraph for plots, capstone for disassembly),
imported on a thread of their own as the application starts — beside the window's own imports, before
anything is shown or painted: imported later, beside a dump's opening or a dock's painting, they held the
window up for 100-250 ms (pyqtgraph's import makes Qt objects, whose shared state the painting waits for)."""

from __future__ import annotations

import importlib
import threading

PRELOADED = ("pyqtgraph", "capstone")


def _import_all() -> None:
    for name in PRELOADED:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional one missing: its dock says so when it is used
            continue


def start_preload() -> threading.Thread:
    """Start importing PRELOADED (the import lock makes a dock that needs one meanwhile wait, not import it
    twice); returns the thread."""
    t = threading.Thread(target=_import_all, name="pmdesk-preload", daemon=True)
    t.start()
    return t
