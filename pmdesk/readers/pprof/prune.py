"""A profile's own drop_frames / keep_frames, applied as pprof applies them when it reads a profile
(github.com/google/pprof, profile/prune.go: RemoveUninteresting and Prune): a location whose function —
simplified, its argument list cut — matches `^(drop_frames)$` and not `^(keep_frames)$` is cut with the frames it
called (the leaf side of every sample through it), the inlined lines up to the match dropped from it; the
frames of a sample before its first frame that matches nothing (from the root) are never cut."""

from __future__ import annotations

import re
from collections.abc import Callable

import numba
import numpy as np

RESERVED = ("(anonymous namespace)", "operator()")
BRACKET = re.compile("|".join(re.escape(n) for n in (*RESERVED, "(")))


def simplify(name: str) -> str:
    """pprof's simplifyFunc: a leading '.' dropped, the name cut at its first '(' that is not in a reserved
    name."""
    name = name.removeprefix(".")
    for m in BRACKET.finditer(name):
        if m[0] not in RESERVED:
            return name[:m.start()]
    return name


def location_rules(drop: re.Pattern[str], keep: re.Pattern[str] | None, line_offsets: np.ndarray,
                   line_function: np.ndarray, function_name: Callable[[int], str]
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per location: whether it goes with what it called (prune), whether what it called goes (beneath),
    and its first line kept (lines are innermost first; those up to the matching one are dropped)."""
    n = len(line_offsets) - 1
    prune, beneath = np.zeros(n, bool), np.zeros(n, bool)
    first = line_offsets[:-1].astype(np.int64).copy()
    for li in range(n):
        a, b = int(line_offsets[li]), int(line_offsets[li + 1])
        for i in range(b - 1, a - 1, -1):
            name = function_name(int(line_function[i]))
            if not name:
                continue
            short = simplify(name)
            if drop.match(short) and (keep is None or not keep.match(short)):
                beneath[li] = True
                prune[li] = i == b - 1
                first[li] = i + 1
                break
    return prune, beneath, first


@numba.njit(cache=True, nogil=True)
def sample_starts(offsets: np.ndarray, loc_index: np.ndarray, prune: np.ndarray, beneath: np.ndarray) -> np.ndarray:
    """Where each sample's kept locations begin (locations are leaf first): scanning from the root, at the
    first pruned location past a frame that matches nothing, after it (prune) or at it (beneath)."""
    n = len(offsets) - 1
    start = offsets[:-1].copy()
    for s in range(n):
        found_user = False
        for j in range(offsets[s + 1] - 1, offsets[s] - 1, -1):
            li = loc_index[j]
            if li < 0 or (not prune[li] and not beneath[li]):
                found_user = True
                continue
            if not found_user:
                continue
            start[s] = j + 1 if prune[li] else j
            break
    return start


def compile_rules(drop: str, keep: str | None) -> tuple[re.Pattern[str], re.Pattern[str] | None] | str:
    """The two patterns as pprof compiles them, or why one does not compile."""
    try:
        return re.compile(f"^({drop})$"), re.compile(f"^({keep})$") if keep else None
    except re.error as e:
        return str(e)
