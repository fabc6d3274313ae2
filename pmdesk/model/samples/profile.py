"""A dump's stack samples (`Samples`, loaded once from the index) and a selection of them (`Profile`): one
value type, one event, a thread, a time range, pprof's focus/ignore/show/hide by regex — as per-node weights
over the stack trie. From a Profile: folded stacks, functions by self and total weight, the call tree the
flame graph draws, and the callers and callees of a function (the sandwich)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from pmdesk.base.errors import PmdeskError
from pmdesk.index import store
from pmdesk.model.formats import Kind
from pmdesk.model.samples import kernels
from pmdesk.readers.stack_trie import build_trie

if TYPE_CHECKING:
    from pmdesk.model.dump import Dump


@dataclass
class Samples:
    """The samples of one dump, as the index holds them (see index/schema/samples.sql)."""

    path: str
    meta: dict[str, Any]
    types: list[tuple[str, str]]           # (type, unit) per value column
    events: list[str]
    threads: list[tuple[int | None, int | None, str | None]]  # (pid, tid, name)
    function: list[str]
    module: list[str | None]
    file: list[str | None]
    kind: list[str]
    parent: np.ndarray
    frame: np.ndarray
    node: np.ndarray                       # per sample: the node of its innermost frame
    thread: np.ndarray
    event: np.ndarray
    time_ns: np.ndarray | None
    conn: Any = field(repr=False, default=None)
    _values: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    _name_rank: np.ndarray | None = field(default=None, repr=False)
    _leaf_vaddr: np.ndarray | None = field(default=None, repr=False)
    _cpu: np.ndarray | None = field(default=None, repr=False)

    @property
    def cpu(self) -> np.ndarray | None:
        """Per sample, the CPU it was taken on; None when the source does not say."""
        if self._cpu is None and self.conn is not None and self.meta.get("samples.has_cpu"):
            self._cpu = store.load_array(self.conn, "sp_sample.cpu").astype(np.int32)
        return self._cpu

    @property
    def leaf_vaddr(self) -> np.ndarray | None:
        """Per sample, where its innermost frame was in its binary (-1: unknown); None when the source keeps
        no addresses (only perf.data does)."""
        if self._leaf_vaddr is None and self.conn is not None and self.meta.get("perf.binaries") is not None:
            self._leaf_vaddr = store.load_array(self.conn, "sp_sample.leaf_vaddr").astype(np.int64)
        return self._leaf_vaddr
    _labels: tuple[list[str], list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = \
        field(default=None, repr=False)

    @property
    def label_keys(self) -> list[str]:
        """The keys of the samples' labels (pprof's), none for most sources."""
        return self._label_rows()[0]

    def _label_rows(self) -> tuple[list[str], list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(keys, texts, and per label: sample, key, text (-1: numeric), number)."""
        if self._labels is None:
            empty = np.zeros(0, np.int64)
            got: tuple[list[str], list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray] = ([], [], empty,
                                                                                               empty, empty, empty)
            if self.conn is not None and self.meta.get("pprof.labels"):
                keys = [r[0] for r in self.conn.execute("SELECT key FROM sp_label_key ORDER BY idx")]
                texts = [r[0] for r in self.conn.execute("SELECT text FROM sp_label_text ORDER BY idx")]
                got = (keys, texts, *(store.load_array(self.conn, f"sp_label.{c}").astype(np.int64)
                                      for c in ("sample", "key", "text", "num")))
            self._labels = got
        return self._labels

    def tagged(self, spec: str) -> np.ndarray:
        """Which samples carry a label KEY whose value (text, or the number in decimal) matches RE, for
        spec 'KEY=RE' (pprof's -tagfocus); a one-line error for a key no sample has or a bad pattern."""
        key, sep, pattern = spec.partition("=")
        keys, texts, sample, key_col, text_col, num = self._label_rows()
        if not sep or key not in keys:
            raise PmdeskError(self.path, f"has no label '{key}' (labels: {', '.join(keys) or 'none'}); give KEY=RE")
        try:
            rx = re.compile(pattern)
        except re.error as e:
            raise PmdeskError(self.path, f"--tag {spec}: not a pattern ({e})") from None
        mine = key_col == keys.index(key)
        text_ok = np.array([bool(rx.search(t)) for t in texts], bool)
        values = text_col[mine]
        hit = np.where(values >= 0, text_ok[np.clip(values, 0, max(len(texts) - 1, 0))] if len(texts) else False,
                       [bool(rx.search(str(v))) for v in num[mine].tolist()])
        out = np.zeros(len(self.node), bool)
        out[sample[mine][hit]] = True
        return out

    @property
    def name_rank(self) -> np.ndarray:
        """Each frame's function name's place in name order (ties among equal weights are broken by it)."""
        if self._name_rank is None:
            order = sorted(range(len(self.function)), key=self.function.__getitem__)
            rank = np.empty(len(order), np.int64)
            rank[order] = np.arange(len(order))
            self._name_rank = rank
        return self._name_rank

    def values(self, type_idx: int) -> np.ndarray:
        v = self._values.get(type_idx)
        if v is None:
            v = self._values[type_idx] = store.load_array(self.conn, f"sp_sample.value.{type_idx}").astype(np.float64)
        return v

    def type_index(self, name: str | None) -> int:
        """The value column called `name` (default: the source's own default); a one-line error otherwise."""
        name = name or self.meta.get("samples.default_type") or self.types[0][0]
        for i, (t, _u) in enumerate(self.types):
            if t == name:
                return i
        raise PmdeskError(self.path, f"has no sample type '{name}' (it has {', '.join(t for t, _ in self.types)})")

    def event_index(self, name: str | None) -> int | None:
        """The event called `name`; by default the source's own default (`samples.default_event`: a heapy
        series' last entry), else the first (merging two events' samples would mislead, as FlameGraph's
        stackcollapse-perf.pl says); None when the source has at most one."""
        if name is None:
            if len(self.events) < 2:
                return None
            default = self.meta.get("samples.default_event")
            return self.events.index(default) if default in self.events else 0
        if name in self.events:
            return self.events.index(name)
        raise PmdeskError(self.path, f"has no event '{name}' (it has {', '.join(self.events)})")


def load(dump: Dump) -> Samples:
    """The dump's samples (kept in dump.cache)."""
    got = dump.cache.get("samples")
    if got is None and dump.has(Kind.EVENTS):
        from pmdesk.model.samples.from_jfr import samples_of

        got = dump.cache["samples"] = samples_of(dump)
    if got is None:
        c = dump.conn
        frames = c.execute("SELECT function, module, file, kind FROM sp_frame ORDER BY idx").fetchall()
        time_ns = store.load_array(c, "sp_sample.time_ns") if dump.meta.get("samples.has_time") else None
        got = dump.cache["samples"] = Samples(
            dump.path, dump.meta, [tuple(r) for r in c.execute("SELECT type, unit FROM sp_value_type ORDER BY idx")],
            [r[0] for r in c.execute("SELECT name FROM sp_event ORDER BY idx")],
            [tuple(r) for r in c.execute("SELECT pid, tid, name FROM sp_thread ORDER BY idx")],
            [r[0] for r in frames], [r[1] for r in frames], [r[2] for r in frames], [r[3] for r in frames],
            *(store.load_array(c, name).astype(np.int32) for name in (
                "sp_node.parent", "sp_node.frame", "sp_sample.node", "sp_sample.thread", "sp_sample.event")),
            time_ns, c)
    return got


DRAWN_SHARE = 1 / 4000  # a box a flame graph draws is at least half a pixel of some 2,000 (warm, order_children)


@dataclass(frozen=True)
class Selection:
    """What part of the samples a profile shows (every field optional)."""

    type: str | None = None         # value type: 'samples', 'cpu', 'alloc_space' …
    event: str | None = None
    thread: str | None = None       # a tid, or a thread/command name (exact)
    from_s: float | None = None     # seconds after the first sample
    to_s: float | None = None
    focus: str | None = None        # keep samples whose stack has a frame matching (pprof -focus)
    ignore: str | None = None       # drop samples whose stack has a frame matching (pprof -ignore)
    show: str | None = None         # keep only frames matching (pprof -show)
    hide: str | None = None         # drop frames matching (pprof -hide)
    tag: str | None = None          # KEY=RE: keep samples with a label KEY whose value matches (pprof -tagfocus)


@dataclass
class Profile:
    """Weights over a stack trie: self (samples whose innermost frame is the node) and total (with callees)."""

    samples: Samples
    type: str
    unit: str
    parent: np.ndarray
    frame: np.ndarray
    self_w: np.ndarray
    count: int                             # samples selected
    _total: np.ndarray | None = field(default=None, repr=False)
    _children: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _ordered: dict[int, list[int]] = field(default_factory=dict, repr=False)  # children() already asked

    @property
    def total_w(self) -> np.ndarray:
        if self._total is None:
            self._total = kernels.subtree_totals(self.parent, self.self_w)
        return self._total

    @property
    def total(self) -> float:
        return float(self.self_w.sum())

    def name(self, node: int) -> str:
        return self.samples.function[self.frame[node]] if node > 0 else "all"

    def children(self, node: int) -> list[int]:
        """The node's children, heaviest first (ties by name), without those of no weight."""
        got = self._ordered.get(node)
        if got is None:
            got = self._ordered[node] = self._children_of(node)
        return got

    def order_children(self, min_share: float) -> None:
        """children() worked out beforehand (in a worker) for every node of at least `min_share` of the whole —
        those a flame graph draws — so its first paint only reads them."""
        floor = self.total * min_share
        todo = [0]
        while todo:
            node = todo.pop()
            todo += [k for k in self.children(node) if self.total_w[k] >= floor]

    def _children_of(self, node: int) -> list[int]:
        if self._children is None:
            self._children = kernels.children_csr(self.parent)
        off, ids = self._children
        kids = ids[off[node]:off[node + 1]]
        tw = self.total_w
        kids = kids[tw[kids] > 0]
        if len(kids) > 1:
            kids = kids[np.lexsort((self.samples.name_rank[self.frame[kids]], -tw[kids]))]
        return kids.tolist()

    def folded(self) -> list[tuple[list[str], float]]:
        """(frames outermost first, weight) for each distinct stack with weight, sorted by the stack's text."""
        nodes = np.flatnonzero(self.self_w > 0).astype(np.int32)
        off, fr = kernels.paths(self.parent, self.frame, kernels.depths(self.parent), nodes)
        names = [folded_name(f, k) for f, k in zip(self.samples.function, self.samples.kind, strict=True)]
        out = [([names[f] for f in fr[off[i]:off[i + 1]].tolist()], float(self.self_w[n]))
               for i, n in enumerate(nodes.tolist())]
        out.sort(key=lambda r: ";".join(r[0]))
        return out

    def functions(self) -> list[dict[str, Any]]:
        """Every function with weight: {function, module, self, total}, by self then total (descending);
        total counts a sample once however often the function is on its stack."""
        s = self.samples
        key = _function_keys(s)
        nk = int(key.max()) + 1 if len(key) else 0
        self_by, total_by = kernels.function_sums(self.parent, self.frame, key, np.asarray(self.self_w, np.float64),
                                                  np.asarray(self.total_w, np.float64), nk)
        rep = np.unique(key, return_index=True)[1]  # a frame of each function (keys number them in order)
        out = [{"function": s.function[rep[k]], "module": s.module[rep[k]], "self": num(self_by[k]),
                "total": num(total_by[k])} for k in np.flatnonzero(total_by > 0).tolist()]
        out.sort(key=lambda r: (-r["self"], -r["total"], r["function"]))
        return out

    def tree(self, node: int = 0, min_share: float = 0.0, depth: int = 64) -> dict[str, Any]:
        """The call tree from `node` as nested {function, module, weight, self, children}, dropping nodes
        under min_share of the whole."""
        floor = self.total * min_share
        s = self.samples

        def conv(n: int, d: int) -> dict[str, Any]:
            f = int(self.frame[n])
            kids = [c for c in self.children(n) if self.total_w[c] >= floor] if d < depth else []
            return {"function": s.function[f] if n else "all", "module": s.module[f] if n else None,
                    "weight": num(self.total_w[n]), "self": num(self.self_w[n]),
                    "children": [conv(c, d + 1) for c in kids]}

        return conv(node, 0)

    def stacks_through(self, function: str) -> tuple[Profile, Profile]:
        """The sandwich of `function`: (its callees — the stacks from its outermost occurrence on, merged — and
        its callers — the stacks up to that occurrence, reversed so the function is the root)."""
        s = self.samples
        nodes = np.flatnonzero(self.self_w > 0).astype(np.int32)
        off, fr = kernels.paths(self.parent, self.frame, kernels.depths(self.parent), nodes)
        target = {i for i, f in enumerate(s.function) if f == function}
        callees: list[list[int]] = []
        callers: list[list[int]] = []
        weights: list[float] = []
        for i, n in enumerate(nodes.tolist()):
            path = fr[off[i]:off[i + 1]].tolist()
            at = next((j for j, f in enumerate(path) if f in target), None)
            if at is None:
                continue
            callees.append(path[at:])
            callers.append(path[:at + 1][::-1])
            weights.append(float(self.self_w[n]))
        return self._from_paths(callees, weights), self._from_paths(callers, weights)

    def inverted(self) -> Profile:
        """The bottom-up tree: each stack from its innermost frame out, so the roots are where time was spent
        and their children the callers."""
        nodes = np.flatnonzero(self.self_w > 0).astype(np.int32)
        off, fr = kernels.paths(self.parent, self.frame, kernels.depths(self.parent), nodes)
        paths = [fr[off[i]:off[i + 1]][::-1].tolist() for i in range(len(nodes))]
        return self._from_paths(paths, self.self_w[nodes].tolist())

    def _from_paths(self, paths: list[list[int]], weights: list[float]) -> Profile:
        return profile_from_paths(self.samples, self.type, self.unit, paths, weights)


def profile_from_paths(samples: Samples, type_: str, unit: str, paths: list[list[int]],
                       weights: list[float]) -> Profile:
    """A profile over new stacks (frame ids root first) of the same samples' frames."""
    off = np.zeros(len(paths) + 1, np.int64)
    off[1:] = np.cumsum([len(p) for p in paths]) if paths else []
    flat = np.asarray([f for p in paths for f in p], np.int32)
    node, parent, frame = build_trie(off, flat, False)
    self_w = np.bincount(node, weights=np.asarray(weights, np.float64), minlength=len(parent)) if paths \
        else np.zeros(len(parent))
    return Profile(samples, type_, unit, parent, frame, self_w, len(paths))


def folded_name(function: str, kind: str) -> str:
    """A frame as a folded line names it: ';' (the separator) as ':', and a command's spaces as '_', as
    FlameGraph's stackcollapse scripts write them."""
    name = function.replace(";", ":")
    return name.replace(" ", "_") if kind == "process" else name


def _function_keys(s: Samples) -> np.ndarray:
    """A function id per frame: frames of one (function, module) share it (a file differing does not split)."""
    ids: dict[tuple[str, str | None], int] = {}
    return np.asarray([ids.setdefault((f, m), len(ids)) for f, m in zip(s.function, s.module, strict=True)],
                      np.int64)


def num(x: float) -> int | float:
    """A weight as JSON shows it: an int when whole."""
    return int(x) if float(x).is_integer() else float(x)


def sample_mask(samples: Samples, sel: Selection) -> np.ndarray:
    """Which samples `sel`'s event, thread, label and time range pick (focus/ignore/show/hide act on stacks)."""
    mask = np.ones(len(samples.node), bool)
    ev = samples.event_index(sel.event)
    if ev is not None:
        mask &= samples.event == ev
    if sel.thread is not None:
        wanted = [i for i, (_p, tid, name) in enumerate(samples.threads) if sel.thread in (str(tid), name)]
        if not wanted:
            raise PmdeskError(samples.path, f"has no thread '{sel.thread}'")
        mask &= np.isin(samples.thread, wanted)
    if sel.tag:
        mask &= samples.tagged(sel.tag)
    if sel.from_s is not None or sel.to_s is not None:
        if samples.time_ns is None:
            raise PmdeskError(samples.path, "has no sample times: --from/--to need a source with time (perf)")
        t0 = int(samples.time_ns.min()) if len(samples.time_ns) else 0
        if sel.from_s is not None:
            mask &= samples.time_ns >= t0 + sel.from_s * 1e9
        if sel.to_s is not None:
            mask &= samples.time_ns <= t0 + sel.to_s * 1e9
    return mask


def select(samples: Samples, sel: Selection = Selection()) -> Profile:
    """The profile of the samples `sel` picks."""
    t = samples.type_index(sel.type)
    values = samples.values(t)
    mask = sample_mask(samples, sel)
    n_nodes = len(samples.parent)
    self_w = np.bincount(samples.node[mask], weights=values[mask], minlength=n_nodes)
    parent, frame = samples.parent, samples.frame
    for pattern, keep in ((sel.focus, True), (sel.ignore, False)):
        if pattern:
            flags = kernels.path_flags(parent, frame, _matches(samples, pattern))
            self_w = np.where(flags if keep else ~flags, self_w, 0.0)
    prof = Profile(samples, samples.types[t][0], samples.types[t][1], parent, frame, self_w, int(mask.sum()))
    if sel.show or sel.hide:
        keep_frame = np.ones(len(samples.function), bool)
        if sel.show:
            keep_frame &= _matches(samples, sel.show)
        if sel.hide:
            keep_frame &= ~_matches(samples, sel.hide)
        nodes = np.flatnonzero(self_w > 0).astype(np.int32)
        off, fr = kernels.paths(parent, frame, kernels.depths(parent), nodes)
        paths = [[f for f in fr[off[i]:off[i + 1]].tolist() if keep_frame[f]] for i in range(len(nodes))]
        prof = profile_from_paths(samples, prof.type, prof.unit, paths, self_w[nodes].tolist())
        prof.count = int(mask.sum())
    return prof


def warm(dump: Dump) -> None:
    """For a worker thread: the dump's samples loaded and its whole profile selected, with its totals, child
    lists and name order — what the first paint of the profile docks asks for — kept for profile_of(). A
    profile that cannot be selected is left for the docks to report."""
    try:
        prof = select(load(dump))
    except PmdeskError:
        return
    prof.order_children(DRAWN_SHARE)
    dump.cache["profile.whole"] = prof


def profile_of(dump: Dump, sel: Selection) -> Profile:
    """The dump's profile as `sel` selects it (the whole one as warm() left it, when it did)."""
    got = dump.cache.get("profile.whole") if sel == Selection() else None
    return got if got is not None else select(load(dump), sel)


def _matches(samples: Samples, pattern: str) -> np.ndarray:
    try:
        rx = re.compile(pattern)
    except re.error as e:
        raise PmdeskError(samples.path, f"'{pattern}' is not a regular expression ({e})") from None
    return np.asarray([rx.search(f) is not None for f in samples.function], bool) if samples.function \
        else np.zeros(0, bool)


def describe_type(samples: Samples, idx: int) -> str:
    t, u = samples.types[idx]
    return f"{t} ({u})"


def status_line(dump: Dump) -> str:
    """What the status line says once a profile is open."""
    m = dump.meta
    return f"{m.get('samples.count', 0):,} samples, {m.get('samples.frames', 0):,} distinct frames"


def overview(dump: Dump) -> list[tuple[str, str]]:
    """(label, value) pairs describing a profile."""
    s = load(dump)
    m = dump.meta
    prof = select(s)
    rows = [("File", dump.path), ("Format", f"{dump.spec.what} ({m.get('samples.source')})"),
            ("File size", f"{m.get('dump.size', 0):,} bytes"),
            ("Samples", f"{m.get('samples.count', 0):,}"),
            ("Sample types", ", ".join(describe_type(s, i) for i in range(len(s.types)))),
            (f"Total ({prof.type})", f"{num(prof.total):,} {prof.unit}")]
    if len(s.events) > 1:
        rows.append(("Events", ", ".join(s.events)))
    if s.threads:
        rows.append(("Threads", f"{len(s.threads):,}"))
    if s.time_ns is not None and len(s.time_ns):
        rows.append(("Duration", f"{(int(s.time_ns.max()) - int(s.time_ns.min())) / 1e9:.3f} s"))
    rows.append(("Index", str(dump.index_path)))
    return rows
