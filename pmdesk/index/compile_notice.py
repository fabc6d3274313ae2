"""Saying so when numba compiles pmdesk's kernels: the first run of a command that needs them compiles them
into the user's cache (tens of seconds on a small machine), which would otherwise look like a hang."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

MESSAGE = "compiling pmdesk's kernels (first run only; up to a minute)"


@contextlib.contextmanager
def compile_notice(say: Callable[[str], None]) -> Iterator[None]:
    """Within the block, `say(MESSAGE)` once when the first kernel starts compiling (not when all come from
    the cache)."""
    from numba.core import event

    class Notice(event.Listener):
        said = False

        def on_start(self, _event: object) -> None:
            if not self.said:
                self.said = True
                say(MESSAGE)

        def on_end(self, _event: object) -> None:
            pass

    with event.install_listener("numba:compile", Notice()):
        yield
