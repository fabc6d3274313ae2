"""Hot methods from stack-carrying events (jdk.ExecutionSample by default — async-profiler's wall-clock
samples when a recording has none — or any weighted event such as allocation samples; an event with a
`samples` field weighs that many): self counts (top frame), total counts (anywhere on the stack, once per sample), and
the top-down and bottom-up call trees the Hot methods dock and flame graph draw."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pmdesk.model.jfr.recording import Recording, Window

SAMPLES = "jdk.ExecutionSample"
# what a CPU/wall profile of a recording is made of, in the order one is chosen when none is asked for: the
# JVM's execution samples, async-profiler's wall-clock samples, JDK 25's CPU-time samples
SAMPLE_EVENTS = (SAMPLES, "profiler.WallClockSample", "jdk.CPUTimeSample")


@dataclass
class Node:
    method: int  # method id (Recording.method_ident); -1 for the root
    weight: float = 0.0
    self_weight: float = 0.0
    children: dict[int, Node] = field(default_factory=dict)

    def child(self, method: int) -> Node:
        node = self.children.get(method)
        if node is None:
            node = self.children[method] = Node(method)
        return node

    def sorted_children(self) -> list[Node]:
        return sorted(self.children.values(), key=lambda n: -n.weight)


@dataclass
class Profile:
    rec: Recording
    samples: float
    stacks: np.ndarray  # distinct stack rows that carry weight
    weights: np.ndarray  # weight of each

    def ident(self, rows: np.ndarray) -> np.ndarray:
        """Method rows -> method ids (-1 stays -1)."""
        ids = self.rec.method_ident
        return np.where(rows >= 0, ids[np.clip(rows, 0, max(len(ids) - 1, 0))], -1) if len(ids) else rows

    def name(self, ident: int) -> str:
        return self.rec.method_names[int(self.rec.ident_rows[ident])] if ident >= 0 else "<all>"

    def descriptor(self, ident: int) -> str:
        return self.rec.method_descriptors[int(self.rec.ident_rows[ident])] if ident >= 0 else ""

    def hot_methods(self) -> list[dict[str, Any]]:
        """Methods by self weight, then total: [{method, descriptor, self, total}] (weights as counts for
        samples); total counts each sample once however often the method is on its stack."""
        st = self.rec.stacks
        n = len(self.rec.ident_rows) if len(self.rec.method_names) else 0
        self_w = np.zeros(n + 1)
        total_w = np.zeros(n + 1)
        top = self.ident(st.top(self.stacks))
        np.add.at(self_w, np.where(top >= 0, top, n), self.weights)
        counts = st.offsets[self.stacks + 1] - st.offsets[self.stacks]
        if counts.sum():
            owner = np.repeat(np.arange(len(self.stacks)), counts)
            idx = np.concatenate([np.arange(st.offsets[s], st.offsets[s + 1]) for s in self.stacks.tolist()])
            methods = self.ident(st.method[idx])
            pairs = np.unique(owner * (n + 1) + np.where(methods >= 0, methods, n))
            np.add.at(total_w, pairs % (n + 1), self.weights[pairs // (n + 1)])
        out = [{"method": self.name(m), "descriptor": self.descriptor(m), "self": _num(self_w[m]),
                "total": _num(total_w[m])} for m in np.flatnonzero(total_w[:n] > 0).tolist()]
        out.sort(key=lambda r: (-r["self"], -r["total"], r["method"], r["descriptor"]))
        return out

    def tree(self, bottom_up: bool = False) -> Node:
        """Top-down: root -> outermost frame -> … -> top frame. Bottom-up: root -> top frame -> its callers."""
        root = Node(-1)
        st = self.rec.stacks
        for s, w in zip(self.stacks.tolist(), self.weights.tolist(), strict=True):
            frames = self.ident(st.methods(s)).tolist()
            if not bottom_up:
                frames.reverse()
            root.weight += w
            node = root
            for m in frames:
                node = node.child(m)
                node.weight += w
            node.self_weight += w
        return root

    def tree_json(self, bottom_up: bool = False, min_share: float = 0.0) -> dict[str, Any]:
        """The tree as nested {method, weight, self, children}, dropping nodes under min_share of the root."""
        root = self.tree(bottom_up)
        floor = root.weight * min_share

        def conv(n: Node) -> dict[str, Any]:
            return {"method": self.name(n.method), "descriptor": self.descriptor(n.method),
                    "weight": _num(n.weight), "self": _num(n.self_weight),
                    "children": [conv(c) for c in n.sorted_children() if c.weight >= floor and c.weight > 0]}

        return conv(root)


# What an event weighs in a profile, as JMC weighs it (bytes for allocations); other events weigh 1 each.
WEIGHTS = {"jdk.ObjectAllocationSample": ("weight", "bytes"), "jdk.ObjectAllocationInNewTLAB": ("tlabSize", "bytes"),
           "jdk.ObjectAllocationOutsideTLAB": ("allocationSize", "bytes")}


def weight_of(event_type: str, rec: Recording | None = None) -> tuple[str | None, str]:
    """(the field an event type's profile is weighted by, or None for one each; the unit of the weights).
    An event with a `samples` field stands for that many samples (async-profiler folds consecutive samples of
    one stack into one event) and weighs them, as its converter and JMC weigh it."""
    if event_type in WEIGHTS:
        return WEIGHTS[event_type]
    if rec is not None and rec.field(rec.events(event_type), "samples") is not None:
        return "samples", "samples"
    return None, "events"


def default_event(rec: Recording) -> str:
    """The event a profile of the recording is made of when none is asked for: the first of SAMPLE_EVENTS the
    recording has (jdk.ExecutionSample when it has none)."""
    return next((t for t in SAMPLE_EVENTS if len(rec.events(t))), SAMPLES)


def profile(rec: Recording, event_type: str | None = None, weight_field: str | None = None,
            window: Window = None, thread: int | None = None) -> Profile:
    """The profile of `event_type` events' stacks (default_event when None), each event weighing 1 or its
    `weight_field` (when None: weight_of's)."""
    event_type = event_type or default_event(rec)
    weight_field = weight_field or weight_of(event_type, rec)[0]
    ev = rec.events(event_type, window)
    keep = ev.stack >= 0
    if thread is not None:
        keep &= ev.thread == thread
    w = np.ones(len(ev))
    if weight_field is not None:
        col = rec.field(ev, weight_field)
        w = col.astype(float) if col is not None else w
    stacks, inverse = np.unique(ev.stack[keep], return_inverse=True)
    weights = np.bincount(inverse, weights=w[keep], minlength=len(stacks)) if len(stacks) else np.zeros(0)
    return Profile(rec, float(w[keep].sum()), stacks.astype(np.int64), weights)


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)
