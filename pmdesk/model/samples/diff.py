"""Two profiles compared, whatever their formats: their stacks merged into one trie with A's and B's weights
(frames matched by function name, and by module when both name one), A optionally scaled to B's total as
FlameGraph's difffolded.pl -n does (each stack's weight scaled and truncated to an integer). What the
differential flame graph (width B, colour the change), the table of functions by change and
`pmdesk profile-diff` show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pmdesk.model.samples import kernels
from pmdesk.model.samples.profile import Profile, Samples, folded_name, num
from pmdesk.readers.stack_trie import build_trie


@dataclass
class ProfileDiff:
    a: Profile
    b: Profile
    scale: float          # what A's weights were multiplied by (1.0 unless normalised)
    merged: Samples       # the frames of both, matched
    parent: np.ndarray
    frame: np.ndarray
    a_self: np.ndarray
    b_self: np.ndarray

    def profile(self, which: str) -> Profile:
        """A's or B's weights over the merged trie (the flame graph and tables of one side)."""
        side = self.a if which == "a" else self.b
        w = self.a_self if which == "a" else self.b_self
        return Profile(self.merged, side.type, side.unit, self.parent, self.frame, w, side.count)

    def folded(self) -> list[tuple[list[str], float, float]]:
        """(frames root first, A's weight, B's weight) for every stack either has, sorted by its text."""
        nodes = np.flatnonzero((self.a_self > 0) | (self.b_self > 0)).astype(np.int32)
        off, fr = kernels.paths(self.parent, self.frame, kernels.depths(self.parent), nodes)
        names = [folded_name(f, k) for f, k in zip(self.merged.function, self.merged.kind, strict=True)]
        out = [([names[f] for f in fr[off[i]:off[i + 1]].tolist()], float(self.a_self[n]), float(self.b_self[n]))
               for i, n in enumerate(nodes.tolist())]
        out.sort(key=lambda r: ";".join(r[0]))
        return out

    def functions(self) -> list[dict[str, Any]]:
        """Every function either profile has: {function, module, a_self, b_self, a_total, b_total, delta_self,
        delta_total}, the biggest change (of total, then self) first."""
        rows: dict[tuple[str, str | None], dict[str, Any]] = {}
        for side in ("a", "b"):
            for f in self.profile(side).functions():
                r = rows.setdefault((f["function"], f["module"]), {
                    "function": f["function"], "module": f["module"], "a_self": 0, "b_self": 0, "a_total": 0,
                    "b_total": 0})
                r[f"{side}_self"], r[f"{side}_total"] = f["self"], f["total"]
        for r in rows.values():
            r["delta_self"] = num(r["b_self"] - r["a_self"])
            r["delta_total"] = num(r["b_total"] - r["a_total"])
        return sorted(rows.values(), key=lambda r: (-abs(r["delta_total"]), -abs(r["delta_self"]), r["function"]))


def _stacks(p: Profile) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    nodes = np.flatnonzero(p.self_w > 0).astype(np.int32)
    off, fr = kernels.paths(p.parent, p.frame, kernels.depths(p.parent), nodes)
    return off, fr, p.self_w[nodes]


def _match(a: Samples, b: Samples) -> tuple[list[tuple[str, str | None, str]], np.ndarray, np.ndarray]:
    """Merged frames (function, module, kind) and the merged id of each of A's and B's frames."""
    keys: dict[tuple[str, str | None], int] = {}
    merged: list[tuple[str, str | None, str]] = []

    def key_id(name: str, module: str | None, kind: str) -> int:
        k = keys.get((name, module))
        if k is None:
            k = keys[(name, module)] = len(merged)
            merged.append((name, module, kind))
        return k

    b_ids = np.asarray([key_id(f, m, k) for f, m, k in zip(b.function, b.module, b.kind, strict=True)], np.int32)
    b_modules: dict[str, list[str | None]] = {}
    for f, m in zip(b.function, b.module, strict=True):
        b_modules.setdefault(f, []).append(m)
    a_ids = []
    for f, m, k in zip(a.function, a.module, a.kind, strict=True):
        mods = b_modules.get(f)
        if mods and (m is None or m in mods or None in mods):
            m = m if m in mods else (None if None in mods and m is not None else mods[0])
        a_ids.append(key_id(f, m, k))
    return merged, np.asarray(a_ids, np.int32), b_ids


def diff(a: Profile, b: Profile, normalize: bool = False, truncate: bool = True) -> ProfileDiff:
    """A and B merged; with `normalize`, A's stacks scaled to B's total — each truncated to an integer, as
    difffolded.pl -n does, unless not `truncate` (the window's colours: the totals then equal exactly)."""
    merged, a_ids, b_ids = _match(a.samples, b.samples)
    a_off, a_fr, a_w = _stacks(a)
    b_off, b_fr, b_w = _stacks(b)
    scale = b.total / a.total if normalize and a.total and a.total != b.total else 1.0
    if scale != 1.0:
        a_w = a_w * b.total / a.total  # difffolded.pl's order of operations
        a_w = np.floor(a_w) if truncate else a_w
    off = np.concatenate([a_off, a_off[-1] + b_off[1:]])
    fr = np.concatenate([a_ids[a_fr] if len(a_fr) else a_fr, b_ids[b_fr] if len(b_fr) else b_fr]).astype(np.int32)
    node, parent, frame = build_trie(off, fr, False)
    na = len(a_w)
    a_self = np.bincount(node[:na], weights=a_w, minlength=len(parent))
    b_self = np.bincount(node[na:], weights=b_w, minlength=len(parent))
    samples = Samples(f"{a.samples.path} vs {b.samples.path}", {}, [(b.type, b.unit)], [], [],
                      [m[0] for m in merged], [m[1] for m in merged], [None] * len(merged), [m[2] for m in merged],
                      parent, frame, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.int32), None)
    return ProfileDiff(a, b, scale, samples, parent, frame, a_self, b_self)
