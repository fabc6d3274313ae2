"""The cycles of a wait-for graph — who waits for whom, each waiter waiting for one other — found once
for every format that has one: thread dumps (Java monitors, ownable synchronizers, …) and native crashes
(threads asleep on a mutex another thread owns). A cycle is a deadlock."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def wait_cycles(waits_for: Mapping[K, K]) -> list[list[K]]:
    """Each cycle once, in the order a walk from each waiter (in the mapping's order) first meets it; a
    cycle starts at the member the walk entered it by."""
    cycles: list[list[K]] = []
    done: set[K] = set()
    for start in waits_for:
        path: list[K] = []
        where: dict[K, int] = {}
        v: K | None = start
        while v is not None and v not in done and v not in where:
            where[v] = len(path)
            path.append(v)
            v = waits_for.get(v)
        if v is not None and v in where:  # a new cycle: path[where[v]:]
            cycles.append(path[where[v]:])
        done.update(path)
    return cycles
