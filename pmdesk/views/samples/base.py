"""What the profile docks share: the selection they all show (type, event, thread, time range, focus and
the rest — kept per dump in bus.dump_state, changed with a ProfileChanged message), the profile computed from
it once for all of them, and the call trees as flame graph sources (one profile, or a diff of two)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from typing import Any, ClassVar

import numpy as np
from PySide6.QtCore import QThread, Signal
from PySide6.QtGui import QColor

from pmdesk.base.errors import PmdeskError
from pmdesk.model.dump import Dump
from pmdesk.model.formats import Kind
from pmdesk.model.samples import profile as model
from pmdesk.model.samples.diff import ProfileDiff, diff
from pmdesk.model.samples.kernels import subtree_totals
from pmdesk.views.common.base import DockView
from pmdesk.views.common.selection import FunctionSelected, ProfileChanged, SelectionBus


def weight_text(w: float, unit: str) -> str:
    """A weight in its unit, as a person reads it: 1.25 s, 3.4 MiB, 1,234 samples."""
    if unit == "nanoseconds":
        return f"{w / 1e9:,.3f} s" if w >= 1e8 else f"{w / 1e6:,.2f} ms"
    if unit == "microseconds":
        return f"{w / 1e6:,.3f} s" if w >= 1e5 else f"{w / 1e3:,.2f} ms"
    if unit == "bytes":
        for size, word in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
            if w >= size:
                return f"{w / size:,.1f} {word}"
        return f"{w:,.0f} B"
    return f"{w:,.0f}" if float(w).is_integer() else f"{w:,.2f}"


ASYNC_SAMPLES = 250_000  # a profile of more samples is selected off the GUI thread (some 100 ms of numpy work)


def compute(dump: Dump, sel: model.Selection, compare: Dump | None, normalize: bool
            ) -> tuple[model.Profile | None, ProfileDiff | None, str | None]:
    """(the profile `sel` selects, its diff with `compare` (A; this dump is B) when one is chosen, the problem
    instead) — with the sums and child lists the docks read, so drawing does none of it."""
    try:
        prof = model.profile_of(dump, sel)
        prof.order_children(model.DRAWN_SHARE)
    except PmdeskError as e:
        return None, None, str(e)
    if compare is None or compare.closed:
        return prof, None, None
    other = model.load(compare)
    same = sel if any(t == prof.type for t, _u in other.types) else model.Selection()
    try:
        a = model.select(other, dataclasses.replace(same, event=None, thread=None, from_s=None, to_s=None))
    except PmdeskError as e:
        return prof, None, str(e)
    return prof, diff(a, prof, normalize, truncate=False), None


class _SelectJob(QThread):
    """compute() in a worker thread; `done` carries its result."""

    done = Signal(object)

    def __init__(self, dump: Dump, key: tuple[model.Selection, Dump | None, bool]) -> None:
        super().__init__()
        self.dump, self.key = dump, key

    def run(self) -> None:
        try:
            got = compute(self.dump, *self.key)
        except Exception as e:  # shown in the docks, never raised into Qt
            got = (None, None, f"the profile could not be computed: {type(e).__name__}: {e}")
        self.done.emit(got)


class ProfileState:
    """One dump's profile selection and what was computed from it (shared by its docks). A big profile's new
    selection is computed in a worker thread: meanwhile `busy`, then `announce()` tells the docks."""

    def __init__(self, announce: Callable[[], None] | None = None) -> None:
        self.selection = model.Selection()
        self.compare: Dump | None = None   # the profile this one is compared with (it is B; the other A)
        self.normalize = True  # a desk compares shapes: two captures seldom last as long (the CLI: difffolded's -n)
        self.error: str | None = None
        self.busy = False
        self._announce = announce
        self._key: tuple[model.Selection, Dump | None, bool] | None = None
        self._result: tuple[model.Profile | None, ProfileDiff | None] = (None, None)
        self._job: _SelectJob | None = None
        self._running: set[_SelectJob] = set()  # kept until they finish (a QThread must not be dropped running)

    def _current(self) -> tuple[model.Selection, Dump | None, bool]:
        compare = self.compare if self.compare is not None and not self.compare.closed else None
        return self.selection, compare, self.normalize

    def _ensure(self, dump: Dump) -> None:
        key = self._current()
        if self._key == key:
            self.busy = False
            return
        if self._announce is not None and len(model.load(dump).node) > ASYNC_SAMPLES:
            self.busy = True
            if self._job is None or self._job.key != key:
                job = self._job = _SelectJob(dump, key)
                job.done.connect(lambda got, j=job: self._finished(j, got))
                job.finished.connect(lambda j=job: self._running.discard(j))
                self._running.add(job)
                job.start()
            return
        prof, d, self.error = compute(dump, *key)
        self._key, self._result, self.busy = key, (prof, d), False

    def _finished(self, job: _SelectJob, got: tuple[model.Profile | None, ProfileDiff | None, str | None]) -> None:
        if job is not self._job:
            return
        self._job = None
        prof, d, self.error = got
        self._key, self._result, self.busy = job.key, (prof, d), False
        if self._announce is not None:
            self._announce()

    def profile(self, dump: Dump) -> model.Profile | None:
        self._ensure(dump)
        return None if self.busy else self._result[0]

    def diff(self, dump: Dump) -> ProfileDiff | None:
        """B (this dump) against the chosen other profile (A), same selection's type where A has it."""
        self._ensure(dump)
        return None if self.busy else self._result[1]


class ProfileView(DockView):
    """Base of the profile docks: `profile_state()`, `profile()`, and `refresh()` when the selection changes."""

    KINDS: ClassVar[tuple[Kind, ...]] = (Kind.SAMPLES,)

    def profile_state(self) -> ProfileState:
        assert self.dump is not None
        state = self.bus.dump_state(self.dump)
        if "profile" not in state:
            dump, bus = self.dump, self.bus
            state["profile"] = ProfileState(lambda: bus.selected.emit(ProfileChanged(dump, "profile")))
        return state["profile"]

    def profile(self) -> model.Profile | None:
        return self.profile_state().profile(self.dump) if self.dump is not None else None

    def shown(self) -> tuple[model.Profile | None, ProfileDiff | None, str]:
        """(the profile, its diff with the chosen other one, the problem to show instead) for refresh()."""
        if self.dump is None:
            return None, None, ""
        st = self.profile_state()
        prof = st.profile(self.dump)
        d = st.diff(self.dump) if prof is not None else None
        if st.busy:
            return None, None, "Adding up the samples of this selection…"
        return prof, d, (st.error or "") if prof is None else ""

    def change_selection(self, **changes: Any) -> None:
        """Narrow or widen what every profile dock shows."""
        st = self.profile_state()
        st.selection = dataclasses.replace(st.selection, **changes)
        self.announce()

    def announce(self) -> None:
        """Tell every profile dock (this one too) that what they show changed."""
        self.bus.selected.emit(ProfileChanged(self.dump, self.VIEW_ID))

    def load(self, dump: Dump | None) -> None:
        self.dump = dump
        self.refresh()

    def on_message(self, msg: object) -> None:
        if isinstance(msg, ProfileChanged) and msg.dump is self.dump:
            self.refresh()

    def refresh(self) -> None:
        """Show the dump's profile as the selection now is (or nothing when no dump)."""


class FunctionView(ProfileView):
    """A profile dock about one function, the one last selected in another (FunctionSelected)."""

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.function: str | None = None

    def on_message(self, msg: object) -> None:
        if isinstance(msg, FunctionSelected) and msg.dump is self.dump:
            self.function = msg.function
            self.refresh()
        else:
            super().on_message(msg)

    def load(self, dump: Dump | None) -> None:
        if dump is not self.dump:
            self.function = None
        super().load(dump)


class ProfileSource:
    """A profile's call tree for the flame graph (nodes are the trie's node numbers)."""

    def __init__(self, prof: model.Profile, whole: float | None = None, root: int = 0) -> None:
        self.prof = prof
        self.whole = whole or prof.total or 1.0
        self._root = root

    def root(self) -> Hashable:
        return self._root

    def children(self, node: Hashable) -> list[Hashable]:
        return self.prof.children(int(node))  # kept by the profile, ordered beforehand by its worker

    def parent(self, node: Hashable) -> Hashable | None:
        return int(self.prof.parent[node]) if node != self._root else None

    def weight(self, node: Hashable) -> float:
        return float(self.prof.total_w[node])

    def self_weight(self, node: Hashable) -> float:
        return float(self.prof.self_w[node])

    def name(self, node: Hashable) -> str:
        return self.prof.name(int(node))

    def module(self, node: Hashable) -> str | None:
        return self.prof.samples.module[self.prof.frame[node]] if node else None

    def colour(self, node: Hashable) -> QColor | None:
        return None

    def tooltip(self, node: Hashable) -> str:
        u = self.prof.unit
        w, s = self.weight(node), self.self_weight(node)
        mod = self.module(node)
        return (f"{self.name(node)}" + (f"\n{mod}" if mod else "") +
                f"\n{weight_text(w, u)} ({w / self.whole:.2%}), self {weight_text(s, u)} ({s / self.whole:.2%})")


class DiffSource(ProfileSource):
    """Two profiles merged (a ProfileDiff): boxes as wide as B's weight, red where B grew, blue where it shrank
    (the deeper the colour, the bigger the change against the biggest), as FlameGraph's differential graphs."""

    def __init__(self, d: ProfileDiff) -> None:
        super().__init__(d.profile("b"))
        self.d = d
        self.a_total = subtree_totals(d.parent, d.a_self)
        self.delta = self.prof.total_w - self.a_total
        self.most = float(np.abs(self.delta).max()) if len(self.delta) else 0.0

    def colour(self, node: Hashable) -> QColor | None:
        change = float(self.delta[node])
        if not self.most or change == 0:
            return QColor("#e8e8e8")
        level = int(170 * min(abs(change) / self.most, 1.0))  # at most, light enough for the dark box text
        if level < 8:  # a change too small to see (a normalised total's rounding)
            return QColor("#e8e8e8")
        return QColor(255, 255 - level, 255 - level) if change > 0 else QColor(255 - level, 255 - level, 255)

    def tooltip(self, node: Hashable) -> str:
        u = self.prof.unit
        a, b = float(self.a_total[node]), self.weight(node)
        change = f"{(b - a) / a:+.1%}" if a else "new"
        return f"{self.name(node)}\nA {weight_text(a, u)}, B {weight_text(b, u)} ({change})"
