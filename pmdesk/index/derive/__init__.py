"""Format-independent passes over an index, run once when it is built (DERIVE, by schema) or later in the
background (the heap graph). Readers fill raw tables; these derive what views and the CLI ask for."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from pmdesk.index.derive import crash_deadlocks, lock_graph

DERIVE: dict[str, tuple[Callable[[sqlite3.Connection], None], ...]] = {  # by schema
    "threads": (lock_graph.derive,), "crash": (crash_deadlocks.derive,),
    "core": (crash_deadlocks.derive, lock_graph.derive)}  # a core: its crash, and a Go core's goroutines
