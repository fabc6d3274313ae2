"""Triage of a fleet's dumps on a Dask distributed cluster (`pmdesk triage --cluster tcp://host:8786`, or
`--dask-local N` for a local cluster of N worker processes).

Each task is the desktop's per-dump job (worker.py, in a subprocess of the Dask worker, under the same memory
and time limits: a hostile dump is an error row, never a lost worker); a Dask worker that dies mid-task has
its tasks run again elsewhere (`retries`, and the scheduler's own rescheduling of a lost worker's tasks). Rows
land in Parquet partitioned by day and kind (`day=2026-12-06/kind=crash/…`), every run appended with its
time; the buckets are a DuckDB query over the newest row of each path. Indexes are keyed by content, so
the index a worker built (its `index` column, on the shared filesystem) is the one the desktop opens.

Running it on a real cluster: `dask scheduler` on one machine; `dask worker tcp://SCHEDULER:8786
--nthreads 1 --nworkers N` on each, in an environment with pmdesk installed; the dumps and the index folder
(--index-dir) on a filesystem every worker mounts at the same path.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pmdesk.base.errors import Cancelled, PmdeskError
from pmdesk.base.progress import Progress
from pmdesk.index import store
from pmdesk.model.triage.buckets import DUMP_KEYS
from pmdesk.model.triage.pool import Limits, Worker
from pmdesk.model.triage.summary import file_time, iso_utc

RETRIES = 2
COLUMNS = {  # the Parquet rows' columns (DuckDB types)
    "path": "VARCHAR", "format": "VARCHAR", "what": "VARCHAR", "kind": "VARCHAR", "signature": "VARCHAR",
    "proto_signature": "VARCHAR", "signature_version": "VARCHAR", "reason": "VARCHAR", "top_frames": "VARCHAR[]",
    "program": "VARCHAR", "version": "VARCHAR", "build_ids": "VARCHAR[]", "time": "VARCHAR", "bytes": "BIGINT",
    "raw_bytes": "BIGINT", "compressed": "BOOLEAN", "index_bytes": "BIGINT", "content_key": "VARCHAR",
    "index": "VARCHAR", "local": "VARCHAR", "warnings": "VARCHAR[]", "error": "VARCHAR", "host": "VARCHAR",
    "run": "VARCHAR", "day": "VARCHAR"}


_WORKERS: dict[str | None, Worker] = {}   # a Dask worker's own pmdesk worker process, kept between tasks
_LOCK = threading.Lock()


def task(path: str, index_dir: str | None, memory_bytes: int, seconds: float) -> dict[str, Any]:
    """One dump's row, computed on a Dask worker by its pmdesk worker process (started on its first task, and
    again after a dump killed it — starting one per dump cost 0.2 s a dump)."""
    with _LOCK:
        worker = _WORKERS.get(index_dir)
        if worker is None or not worker.alive():
            worker = _WORKERS[index_dir] = Worker(index_dir)
        row = worker.ask(path, Limits(memory_bytes, seconds), threading.Event())
    if "time" not in row:
        try:
            row["time"] = file_time(path)
        except OSError:
            row["time"] = iso_utc(dt.datetime.now(dt.UTC).timestamp())
    row["host"] = socket.gethostname()
    return row


def _client(scheduler: str | None, local_workers: int | None) -> Any:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise PmdeskError(None, "--cluster and --dask-local need Dask distributed and DuckDB: pip install "
                                "'pmdesk[cluster]'") from None
    if local_workers:
        cluster = LocalCluster(n_workers=local_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=40)
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout=30), None
    except OSError as e:
        raise PmdeskError(None, f"cannot reach the Dask scheduler at {scheduler}: {e}") from None


def summarise_on_cluster(paths: list[str], scheduler: str | None = None, local_workers: int | None = None,
                         index_dir: str | None = None, limits: Limits | None = None,
                         parquet_dir: str | None = None, progress: Progress | None = None) -> ClusterRun:
    """Every path's row, computed on the cluster and appended to the Parquet dataset."""
    from distributed import as_completed

    progress = progress or Progress()
    limits = limits or Limits()
    folder = parquet_dir or str(Path(index_dir or store.default_index_dir()) / "triage-parquet")
    client, cluster = _client(scheduler, local_workers)
    rows: list[dict[str, Any]] = []
    try:
        futures = client.map(task, paths, index_dir=index_dir, memory_bytes=limits.memory_bytes,
                             seconds=limits.seconds, pure=False, retries=RETRIES)
        where = dict(zip((f.key for f in futures), paths, strict=True))
        for fut in as_completed(futures):
            if progress.cancelled:
                client.cancel(futures)
                raise Cancelled()
            try:
                rows.append(fut.result())
            except Exception as e:  # noqa: BLE001 - a task that failed on every try (its workers died): a row
                rows.append({"path": where[fut.key], "error": f"the cluster could not run it ({type(e).__name__}: "
                                                              f"{e})"[:300]})
            progress.update(len(rows) / max(len(paths), 1), f"{len(rows):,} of {len(paths):,} dumps")
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    run = write_parquet(rows, folder)
    order = {p: i for i, p in enumerate(paths)}
    rows.sort(key=lambda r: order.get(r["path"], len(order)))
    return ClusterRun(rows, folder, run)


@dataclass(frozen=True)
class ClusterRun:
    rows: list[dict[str, Any]]
    parquet_dir: str
    run: str   # the run's id in the dataset (when it was written, ISO 8601)


def write_parquet(rows: list[dict[str, Any]], folder: str) -> str:
    """Append rows to the dataset under `folder`, partitioned by day and kind (errors: kind 'error'); returns
    the run's id."""
    import duckdb

    run = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".jsonl")
    try:
        with os.fdopen(fd, "w") as out:
            for r in rows:
                rec = {k: r.get(k) for k in COLUMNS}
                rec["kind"] = r.get("kind") or "error"
                rec["time"] = r.get("time") or run
                rec["run"], rec["day"] = run, rec["time"][:10]
                out.write(json.dumps(rec) + "\n")
        cols = ", ".join(f"'{k}': '{v}'" for k, v in COLUMNS.items())
        with duckdb.connect() as db:
            db.execute(f"COPY (SELECT * FROM read_json('{_sql_path(tmp)}', format='newline_delimited', "
                       f"columns={{{cols}}})) TO '{_sql_path(folder)}' (FORMAT parquet, PARTITION_BY (day, kind), "
                       "APPEND)")
    finally:
        os.unlink(tmp)
    return run


def _sql_path(path: str) -> str:
    return path.replace("'", "''")


def _newest(folder: str, run: str | None) -> str:
    """The dataset's rows: one run's, or (run None) the newest run's row of each path."""
    rows = (f"SELECT * FROM read_parquet('{_sql_path(folder)}/**/*.parquet', hive_partitioning=true, "
            "union_by_name=true)")
    if run is not None:
        return f"{rows} WHERE run = '{_sql_path(run)}'"
    return f"{rows} QUALIFY row_number() OVER (PARTITION BY path ORDER BY run DESC) = 1"


def bucket_query(folder: str, run: str | None = None) -> dict[str, Any]:
    """The triage document's buckets and errors, queried from the Parquet dataset — one run's, or the newest
    row of every path ever triaged into it (the document buckets.triage_doc makes from rows in memory, marks
    left 'new')."""
    import duckdb

    dump_fields = ", ".join(f"'{k}': \"{k}\"" for k in DUMP_KEYS)
    sql = f"""
        WITH rows AS ({_newest(folder, run)})
        SELECT signature, kind, count(*) AS count, min(time) AS first_seen, max(time) AS last_seen,
               sum(bytes) AS bytes, sum(coalesce(index_bytes, 0)) AS index_bytes,
               list({{{dump_fields}}} ORDER BY time DESC, path DESC) AS dumps,
               list(DISTINCT version ORDER BY version) FILTER (WHERE version IS NOT NULL) AS versions,
               list(DISTINCT program ORDER BY program) FILTER (WHERE program IS NOT NULL) AS programs,
               arg_max(reason, time || path) AS reason, arg_max(proto_signature, time || path) AS proto_signature,
               arg_max(path, time || path) AS representative
        FROM rows WHERE error IS NULL
        GROUP BY kind, signature
        ORDER BY count DESC, last_seen DESC, signature"""
    with duckdb.connect() as db:
        cur = db.execute(sql)
        names = [d[0] for d in cur.description]
        buckets = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        errors = db.execute(f"SELECT path, error FROM ({_newest(folder, run)}) WHERE error IS NOT NULL "
                            "ORDER BY path").fetchall()
    for b in buckets:
        b["versions"] = b["versions"] or []
        b["programs"] = b["programs"] or []
        b["mark"], b["note"] = "new", ""
    return {"buckets": buckets, "errors": [{"path": p, "error": e} for p, e in errors]}
