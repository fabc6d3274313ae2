"""Progress reporting and cooperative cancellation for long work (indexing, derived passes)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from pmdesk.base.errors import Cancelled

ProgressCallback = Callable[[float, str], None]


@dataclass
class Progress:
    """Reports `fraction` (0..1) and a message to `callback`; raises Cancelled once `token` is set.

    Readers and derive passes call `update` between chunks of work; that call is also the
    cancellation point, so a cancelled job stops within one chunk.
    """

    callback: ProgressCallback | None = None
    token: threading.Event = field(default_factory=threading.Event)
    path: str | None = None

    def update(self, fraction: float, message: str = "") -> None:
        if self.token.is_set():
            raise Cancelled(self.path)
        if self.callback is not None:
            self.callback(min(max(fraction, 0.0), 1.0), message)

    def part(self, lo: float, hi: float) -> Progress:
        """A Progress for one phase of this work, mapping its 0..1 onto lo..hi here (same token)."""
        def forward(fraction: float, message: str) -> None:
            if self.callback is not None:
                self.callback(lo + (hi - lo) * fraction, message)
        return Progress(forward, self.token, self.path)

    def cancel(self) -> None:
        self.token.set()

    @property
    def cancelled(self) -> bool:
        return self.token.is_set()
