"""MAT's questions about a class's instances (or any set of objects), on the dominator tree: the instances
themselves, their immediate dominators grouped by class, the retained set grouped by class, and the merged
shortest paths from GC roots — array operations and one kernel over the tree, no Python object per node."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from pmdesk.model.heap.graph import HeapGraph

MERGED_PATHS_OF = 50  # the biggest instances whose shortest paths are merged (each walk is over the whole graph)


def instances(g: HeapGraph, class_idx: int) -> np.ndarray:
    """Nodes of a class's instances (the class as the histogram's row names it: one loader's), biggest
    retained first."""
    nodes = np.nonzero(g.node_class == class_idx)[0]
    return nodes[np.argsort(-g.retained[nodes], kind="stable")]


@dataclass
class ClassRow:
    name: str
    objects: int        # objects of this class in the answer
    dominated: int      # (immediate dominators) the selected objects they dominate
    shallow_bytes: int
    retained_bytes: int  # (immediate dominators) what those dominators retain


def _by_class(g: HeapGraph, nodes: np.ndarray, dominated: np.ndarray | None = None,
              retained: bool = False) -> list[ClassRow]:
    cls = g.node_class[nodes]
    order = np.unique(cls)
    counts = np.bincount(np.searchsorted(order, cls), minlength=len(order))
    shallow = np.bincount(np.searchsorted(order, cls), weights=g.shallow[nodes], minlength=len(order))
    kept = np.bincount(np.searchsorted(order, cls), weights=g.retained[nodes], minlength=len(order)) \
        if retained else np.zeros(len(order))
    dom = np.bincount(np.searchsorted(order, dominated), minlength=len(order)) if dominated is not None \
        else np.zeros(len(order), np.int64)
    rows = [ClassRow(g.class_names.get(int(c), "?"), int(counts[i]), int(dom[i]), int(shallow[i]), int(kept[i]))
            for i, c in enumerate(order)]
    return sorted(rows, key=lambda r: (-r.retained_bytes, -r.shallow_bytes, r.name))


def immediate_dominators(g: HeapGraph, nodes: np.ndarray) -> tuple[list[ClassRow], int]:
    """The objects that immediately dominate `nodes`, grouped by class (how many of them, how many of the
    nodes they dominate, their shallow and retained bytes), and how many nodes only the root dominates."""
    idom = g.idom[nodes]
    by_root = int((idom < 0).sum())
    idom = idom[idom >= 0]
    doms = np.unique(idom)
    return _by_class(g, doms, dominated=g.node_class[idom], retained=True), by_root


@njit(cache=True, nogil=True)
def _mark_subtrees(seeds, start, kids, mark):
    stack = np.empty(len(mark) + 1, np.int64)
    for s in seeds:
        if mark[s]:
            continue
        top = 0
        stack[0] = s
        mark[s] = True
        while top >= 0:
            v = stack[top]
            top -= 1
            for e in range(start[v], start[v + 1]):
                k = kids[e]
                if not mark[k]:
                    mark[k] = True
                    top += 1
                    stack[top] = k
    return mark


def retained_set(g: HeapGraph, nodes: np.ndarray) -> list[ClassRow]:
    """The objects `nodes` keep alive together (their dominator subtrees), grouped by class."""
    start, kids = g._dom
    mark = _mark_subtrees(nodes.astype(np.int64), start, kids, np.zeros(len(g.idom), np.bool_))
    return _by_class(g, np.nonzero(mark)[0])


@dataclass
class PathNode:
    label: str               # the class of the object at this step (with the root kind at the top)
    objects: int             # instances whose shortest path passes here
    children: dict[str, PathNode]


def merged_paths(g: HeapGraph, nodes: np.ndarray, most: int = MERGED_PATHS_OF) -> PathNode:
    """The shortest path from a GC root of each of the `most` biggest nodes, merged by class from the root
    down (MAT's merged paths to GC roots): a tree whose counts say how many instances each step holds."""
    top = PathNode("all", 0, {})
    for node in nodes[:most].tolist():
        paths = g.paths_from_roots(int(node), 1)
        if not paths:
            continue
        top.objects += 1
        here = top
        for step in paths[0]:
            key = g.represented_class(step) and f"class {g.represented_class(step)}" or g.obj(step).class_name
            here = here.children.setdefault(key, PathNode(key, 0, {}))
            here.objects += 1
    return top


@dataclass
class ValueRow:
    value: str
    objects: int
    shallow_bytes: int
    retained_bytes: int


def group_by_value(g: HeapGraph, nodes: np.ndarray) -> tuple[list[ValueRow], int]:
    """`nodes` grouped by value (strings by text, boxed numbers by number: MAT's "group by value"), the most
    objects first; and how many of them have no such value."""
    values = g.object_reader().values(nodes.tolist())
    groups: dict[str, list[int]] = {}
    for v, text in values.items():
        groups.setdefault(text, []).append(v)
    rows = []
    for text, members in groups.items():
        idx = np.asarray(members, np.int64)
        rows.append(ValueRow(text, len(members), int(g.shallow[idx].sum()), int(g.retained[idx].sum())))
    rows.sort(key=lambda r: (-r.objects, -r.retained_bytes, r.value))
    return rows, len(nodes) - len(values)


def nodes_of_class(g: HeapGraph, name: str) -> np.ndarray:
    """The instances of every class called `name` (each loader's), biggest retained first; empty when none."""
    idxs = [i for i, n in g.class_names.items() if n == name]
    if not idxs:
        return np.zeros(0, np.int64)
    nodes = np.nonzero(np.isin(g.node_class, idxs))[0]
    return nodes[np.argsort(-g.retained[nodes], kind="stable")]
