"""`pmdesk triage` on a Dask cluster: a LocalCluster of 2 workers over the artefacts here gives the buckets the
local run gives (the cluster's a DuckDB query over its Parquet rows, partitioned by day and kind); a Dask worker
killed mid-run has its tasks run again; a hostile file comes back as an error row, not a failed run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pmdesk.base.progress import Progress
from pmdesk.model.triage.buckets import triage_doc
from pmdesk.model.triage.pool import summarise_all
from pmdesk.model.triage.sources import find

distributed = pytest.importorskip("distributed")
pytest.importorskip("duckdb")

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("fleet")
    for p in sorted((DATA / "native" / "cores").glob("*")) + sorted((DATA / "native" / "compressed").glob("*")):
        shutil.copy(p, d / p.name)
    for p in sorted((DATA / "threads").glob("*.jstack.txt")) + sorted((DATA / "hserr").glob("jdk*.log")):
        shutil.copy(p, d / p.name)
    # an HPROF header claiming 7-byte identifiers, then records whose lengths run past the end
    (d / "hostile.hprof").write_bytes(b"JAVA PROFILE 1.0.2\0\0\0\0\x07" + b"\0" * 8 + b"\x01" + b"\xff" * 26)
    return d


def _comparable(doc: dict) -> list[tuple]:
    return [(b["signature"], b["kind"], b["count"], b["first_seen"], b["last_seen"], b["bytes"],
             [x["path"] for x in b["dumps"]], b["representative"], b["versions"], b["programs"])
            for b in doc["buckets"]]


def test_local_cluster_buckets_equal_the_local_run(folder: Path, tmp_path: Path) -> None:
    index = tmp_path / "idx"
    r = subprocess.run([sys.executable, "-m", "pmdesk", "triage", str(folder), "--dask-local", "2", "--json",
                        "--index-dir", str(index), "--parquet", str(tmp_path / "rows")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    cluster_doc = json.loads(r.stdout)
    found = find([str(folder)])
    local_doc = triage_doc(summarise_all(found.paths, str(index)), found.errors)
    assert _comparable(cluster_doc) == _comparable(local_doc)
    assert cluster_doc["errors"] == local_doc["errors"]
    assert [Path(e["path"]).name for e in cluster_doc["errors"]] == ["hostile.hprof"]
    parts = {p.parent.name for p in (tmp_path / "rows").rglob("*.parquet")}
    assert {"kind=crash", "kind=threads", "kind=error"} <= parts
    assert all(p.parent.parent.name.startswith("day=") for p in (tmp_path / "rows").rglob("*.parquet"))
    # the index a worker built is the one the desktop opens
    from pmdesk.model.dump import Dump

    dump = cluster_doc["buckets"][0]["dumps"][0]
    with Dump.open(dump["path"], index_dir=os.path.dirname(dump["index"])) as d:
        assert not d.built


def test_a_worker_killed_mid_run_has_its_tasks_run_again(folder: Path, tmp_path: Path) -> None:
    from pmdesk.model.triage.cluster import bucket_query, summarise_on_cluster

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       silence_logs=40)
    client = distributed.Client(cluster)
    try:
        pids = list(client.run(os.getpid).values())
        killed: list[int] = []

        def kill_one(fraction: float, _message: str) -> None:
            if fraction > 0 and not killed:
                killed.append(pids[0])
                os.kill(pids[0], signal.SIGKILL)

        paths = find([str(folder)]).paths
        run = summarise_on_cluster(paths, scheduler=cluster.scheduler_address, index_dir=str(tmp_path / "idx"),
                                   parquet_dir=str(tmp_path / "rows"), progress=Progress(kill_one))
        assert killed
        assert sorted(r["path"] for r in run.rows) == sorted(paths)
        assert [Path(r["path"]).name for r in run.rows if r.get("error")] == ["hostile.hprof"]
        doc = bucket_query(run.parquet_dir, run.run)
        assert sum(b["count"] for b in doc["buckets"]) == len(paths) - 1
    finally:
        client.close()
        cluster.close()
