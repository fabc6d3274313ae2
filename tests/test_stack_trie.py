"""The stack trie every profile is stored as (readers/stack_trie.build_trie), against a trie built the plain
way — a dict per node — on stacks shaped to reach each of its paths: a level of few nodes (one table, grown
past its first size), a level of many (partitioned), stacks alone through a node (appended as chains),
empty stacks, both frame orders."""

from __future__ import annotations

import numpy as np
import pytest

from pmdesk.readers.stack_trie import SMALL_LEVEL, build_trie


def plain_trie(offsets: np.ndarray, frames: np.ndarray, leaf_first: bool) -> tuple[list[tuple[int, ...]], int]:
    """Each stack's path (outermost first) and how many distinct non-empty prefixes there are (the node count
    without the root)."""
    paths = []
    prefixes: set[tuple[int, ...]] = set()
    for i in range(len(offsets) - 1):
        stack = frames[offsets[i]:offsets[i + 1]].tolist()
        path = tuple(stack[::-1] if leaf_first else stack)
        paths.append(path)
        prefixes.update(path[:j] for j in range(1, len(path) + 1))
    return paths, len(prefixes)


def walk(node: np.ndarray, parent: np.ndarray, frame: np.ndarray, i: int) -> tuple[int, ...]:
    out = []
    v = int(node[i])
    while v > 0:
        out.append(int(frame[v]))
        v = int(parent[v])
    return tuple(out[::-1])


@pytest.mark.parametrize(("stacks", "longest", "distinct_frames"), [
    (1, 3, 1), (50, 6, 2),  # tiny
    (3000, 12, 3),  # narrow: every level in one small table
    (20000, 8, 4000),  # wide: the second level alone has thousands of nodes (partitioned)
    (5000, 60, 2),  # deep and mostly distinct: most stacks end as chains
])
@pytest.mark.parametrize("leaf_first", [False, True])
def test_trie_equals_the_plain_trie(stacks: int, longest: int, distinct_frames: int, leaf_first: bool) -> None:
    rng = np.random.default_rng(stacks + longest)
    lengths = rng.integers(0, longest + 1, stacks)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    frames = rng.integers(0, distinct_frames, int(offsets[-1])).astype(np.int32)
    node, parent, frame = build_trie(offsets, frames, leaf_first)
    paths, prefixes = plain_trie(offsets, frames, leaf_first)
    assert node.dtype == parent.dtype == frame.dtype == np.int32
    assert len(parent) == prefixes + 1 and parent[0] == -1 and frame[0] == -1
    assert (parent[1:] < np.arange(1, len(parent))).all()  # a parent always lower than its child
    assert [walk(node, parent, frame, i) for i in range(stacks)] == paths
    assert len({(int(p), int(f)) for p, f in zip(parent[1:], frame[1:], strict=True)}) == prefixes  # no twins


def test_a_small_level_outgrowing_its_table() -> None:
    """A level after a one-node level expects at most 16 children; here it gets SMALL_LEVEL of them."""
    n = SMALL_LEVEL
    offsets = np.arange(0, 2 * n + 1, 2, dtype=np.int64)
    frames = np.stack([np.zeros(n, np.int32), np.arange(n, dtype=np.int32)], axis=1).ravel()
    node, parent, frame = build_trie(offsets, frames, False)
    assert len(parent) == n + 2
    assert sorted(frame[node].tolist()) == list(range(n))


def test_no_stacks() -> None:
    node, parent, frame = build_trie(np.zeros(1, np.int64), np.zeros(0, np.int32), True)
    assert len(node) == 0 and parent.tolist() == [-1] and frame.tolist() == [-1]
