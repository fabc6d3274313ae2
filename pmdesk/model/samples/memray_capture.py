"""The Overview of a memray capture: a profile's, with what memray recorded of the run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pmdesk.model.samples.profile import overview as profile_overview

if TYPE_CHECKING:
    from pmdesk.model.dump import Dump


def overview(dump: Dump) -> list[tuple[str, str]]:
    """(label, value) pairs: the profile's, then the command, its time span, peak memory and allocations."""
    m = dump.meta
    return [*profile_overview(dump),
            ("Command", str(m.get("memray.command_line", "?"))),
            ("Process", f"pid {m.get('memray.pid', '?')}, {m.get('memray.python_allocator', '?')} allocator"
                        + (", native stacks" if m.get("memray.native_traces") else "")),
            ("Recorded", f"{m.get('memray.start_time', '?')} to {m.get('memray.end_time', '?')}"),
            ("Peak memory", f"{m.get('memray.peak_memory', 0):,} bytes"),
            ("Allocations", f"{m.get('memray.total_allocations', 0):,} records"),
            ("Read with", f"memray {m.get('memray.version', '?')}")]
