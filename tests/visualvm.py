"""The VisualVM heap library (Debian package `visualvm`) as a second oracle for retained sizes.

VisualVM sizes objects differently from the JVM (a fixed size for every java.lang.Class, no injected
fields), so comparisons re-add pmdesk's dominator subtrees under VisualVM's own size model: equal
retained sizes then mean equal retained *sets*, whatever the size model.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np

from pmdesk.model.heap.graph import HeapGraph

JAR = Path("/usr/share/visualvm/visualvm/modules/org-graalvm-visualvm-lib-jfluid-heap.jar")
SOURCE = Path(__file__).resolve().parents[1] / "benchmarks" / "VisualVMHeap.java"


def available() -> bool:
    return JAR.exists() and shutil.which("java") is not None


def run(dump: str | Path, top: int, java_opts: tuple[str, ...] = ()) -> dict:
    """VisualVM's biggest objects, its per-class size model, its timing and the JVM's peak RSS (KiB).
    VisualVM keeps what it computed in a DUMP.hwcache directory beside the dump: removed before (so the
    run starts from scratch) and after (so the dump's directory is left as it was)."""
    cache = Path(f"{dump}.hwcache")
    shutil.rmtree(cache, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    try:
        out = subprocess.run(["java", *java_opts, "-cp", str(JAR), str(SOURCE), str(dump), str(top)],
                             capture_output=True, text=True, check=True).stdout
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    wall = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    res: dict = {"biggest": [], "classes": {}, "wall_s": wall, "peak_rss_kb": rss if rss > before else None}
    for line in out.splitlines():
        r = json.loads(line)
        if r["kind"] == "biggest":
            res["biggest"].append(r)
        elif r["kind"] == "class":
            res["classes"][r["id"]] = r
        elif r["kind"] == "timing":
            res["timing"] = r
    return res


def retained_under_model(g: HeapGraph, classes: dict[int, dict]) -> np.ndarray:
    """Every node's retained size from pmdesk's dominator tree, with VisualVM's shallow sizes."""
    n = len(g.idom)
    class_id = {idx: cid & 0xFFFFFFFFFFFFFFFF for idx, cid in g.conn.execute(
        "SELECT class_idx, class_id FROM hprof_class WHERE class_id IS NOT NULL")}
    inst = np.zeros(max(class_id, default=0) + 1, np.int64)
    for idx, cid in class_id.items():
        inst[idx] = classes.get(cid, {}).get("instance_size", 0)
    size = g.shallow.copy()
    objs = np.arange(g.n_objects)
    is_instance = g._array_length < 0
    size[objs[is_instance]] = inst[g.node_class[objs[is_instance]]]
    for k in range(n - g.n_objects):
        cid = int(g.ids[g.n_objects + k])
        size[g.n_objects + k] = 0 if cid in classes else size[g.n_objects + k]
    start, kids = g._dom
    levels = []
    frontier = kids[start[n]:start[n + 1]]
    while len(frontier):
        levels.append(frontier)
        counts = start[frontier + 1] - start[frontier]
        total = int(counts.sum())
        first = np.repeat(start[frontier], counts)
        within = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        frontier = kids[first + within]
    acc = size.astype(np.int64)
    for level in reversed(levels):
        parents = g.idom[level]
        keep = parents >= 0
        np.add.at(acc, parents[keep], acc[level[keep]])
    return acc


def mismatches(g: HeapGraph, vv: dict) -> list[str]:
    """VisualVM's biggest objects whose retained size pmdesk's tree does not reproduce."""
    acc = retained_under_model(g, vv["classes"])
    bad = []
    for r in vv["biggest"]:
        node = g.node_of(r["id"])
        if node is None:
            bad.append(f"{r['class']} 0x{r['id']:x}: not in pmdesk's graph")
            continue
        if int(acc[node]) != r["retained_bytes"]:
            bad.append(f"{r['class']} 0x{r['id']:x}: VisualVM {r['retained_bytes']:,}, pmdesk {int(acc[node]):,} "
                       f"(pmdesk's own sizes: {int(g.retained[node]):,})")
    return bad
