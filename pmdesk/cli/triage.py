"""CLI commands for many dumps at once: `triage` (dumps of folders grouped into buckets by signature, the size
report, a retention policy; on this machine's cores, or a Dask cluster's) and `doctor` (what on this machine
would lose or spoil the next dump)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from pmdesk.base.errors import PmdeskError
from pmdesk.base.words import human_bytes
from pmdesk.cli.command import INDEX_DIR, JSON, Arg, Command, Invocation, Output, terminal_progress

MIB = 1 << 20


def _rows(inv: Invocation, paths: list[str]) -> tuple[list[dict[str, Any]], Any]:
    """Every path's summary row — on a Dask cluster when asked (with the cluster run, whose buckets are a
    query over its Parquet rows), else in worker processes here (and None)."""
    from pmdesk.model.triage.pool import Limits, summarise_all

    a = inv.args
    limits = Limits((a.memory_limit or _default_memory_mib()) * MIB, float(a.timeout))
    bar = terminal_progress("triage")
    try:
        if a.cluster or a.dask_local:
            from pmdesk.model.triage.cluster import summarise_on_cluster

            run = summarise_on_cluster(paths, scheduler=a.cluster, local_workers=a.dask_local,
                                       index_dir=a.index_dir, limits=limits, parquet_dir=a.parquet, progress=bar)
            return run.rows, run
        return summarise_all(paths, a.index_dir, a.jobs, limits, bar), None
    finally:
        from pmdesk.cli.command import end_progress

        end_progress(bar)


def triage(inv: Invocation) -> Output:
    from pmdesk.model.triage import inbox as inboxes
    from pmdesk.model.triage import retention
    from pmdesk.model.triage.buckets import bucket_rows, size_report, triage_doc
    from pmdesk.model.triage.sources import find

    a = inv.args
    policy = retention.Policy.parse(a.keep_policy) if a.keep_policy else None
    if a.apply and policy is None:
        raise PmdeskError(None, "--apply carries out a --keep-policy: give one")
    found = find(a.sources, a.storage)
    rows, run = _rows(inv, found.paths)
    inbox = inboxes.load(inboxes.folder_key(a.sources))
    if run is None:
        doc = triage_doc(rows, found.errors, inbox)
    else:
        from pmdesk.model.triage.cluster import bucket_query

        doc = bucket_query(run.parquet_dir, run.run)
        for b in doc["buckets"]:
            st = inbox.state(b["signature"])
            b["mark"], b["note"] = st.mark, st.note
        doc["errors"] = found.errors + doc["errors"]
        doc["parquet"] = run.parquet_dir
    doc["sizes"] = size_report(rows)
    doc["skipped"] = found.skipped
    actions: list[retention.Action] = []
    failed: list[dict[str, str]] = []
    if policy is not None:
        actions = retention.plan(rows, policy, inbox)
        if a.apply:
            failed = retention.apply(actions)
        doc["policy"] = {"keep": policy.keep, "compress": policy.compress,
                         "delete_after_days": policy.delete_after_days, "applied": bool(a.apply),
                         "actions": [x.as_json() for x in actions], "failed": failed}
    buckets = bucket_rows(rows)

    def text() -> Iterator[str]:
        n = sum(b.count for b in buckets)
        yield f"{n:,} dumps in {len(buckets):,} buckets" + (f", {len(doc['errors']):,} unreadable" if doc["errors"]
                                                           else "") + (f" ({found.skipped:,} other files skipped)"
                                                                       if found.skipped else "")
        for b in buckets:
            st = inbox.state(b.signature)
            mark = "" if st.mark == "new" else f" [{st.mark}]"
            yield f"{b.count:>6}  {b.kind:<10} {b.last_seen:<20}  {b.signature}{mark}"
            if a.verbose:
                for r in b.rows:
                    yield f"{'':>8}{r['time']}  {human_bytes(int(r['bytes'])):>10}  {r['path']}"
        for e in doc["errors"]:
            yield f"error: {e['path']}: {e['error']}"
        if a.sizes:
            yield "\nsizes (on disk, inflated, how many compressed, index):"
            for kind, k in doc["sizes"]["kinds"].items():
                yield (f"  {kind:<10} {k['dumps']:>6} dumps  {human_bytes(k['bytes']):>10}  "
                       f"raw {human_bytes(k['raw_bytes']):>10}  {k['compressed_dumps']:>5} compressed  "
                       f"index {human_bytes(k['index_bytes'])}")
        if policy is not None:
            verb = "done" if a.apply else "would be done (a dry run: --apply does it)"
            saved = sum(x.bytes - x.after_bytes for x in actions)
            yield f"\nretention ({a.keep_policy}): {verb}; frees {'about ' if not a.apply else ''}{human_bytes(saved)}"
            for x in actions:
                if x.action != "keep" or a.verbose:
                    yield f"  {x.action:<8} {x.path}  ({x.why})"
            for f in failed:
                yield f"  failed   {f['path']}: {f['error']}"

    return Output(doc, text)


def doctor(inv: Invocation) -> Output:
    from pmdesk.model.triage.doctor import doctor as check

    a = inv.args
    rows: list[dict[str, Any]] = []
    if a.dumps:
        from pmdesk.model.triage.sources import find

        rows, _run = _rows(inv, find(a.dumps).paths)
    doc = check(a.root, rows)

    def text() -> Iterator[str]:
        if not doc["findings"]:
            yield f"nothing found ({doc['processes']} processes checked)"
        for f in doc["findings"]:
            yield f"{f['severity'].upper():<8} {f['what']}"
            yield f"{'':9}fix: {f['fix']}"

    return Output(doc, text)


def _positive_int(text: str) -> int:
    n = int(text)
    if n < 1:
        raise ValueError(text)
    return n


def _default_memory_mib() -> int:
    """Each worker's share of this machine's memory (at least 1 GiB)."""
    from pmdesk.model.triage.pool import default_workers

    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        total = 8 << 30
    return max(1024, total // MIB // max(default_workers(), 1))


RUN_ARGS = (
    INDEX_DIR,
    Arg.of("--jobs", type=_positive_int, metavar="N", help="dumps indexed at once, each in its own process "
           "(default: one per core)"),
    Arg.of("--memory-limit", type=_positive_int, metavar="MIB", help="a dump whose reading needs more memory than "
           "this is reported, not read (default: this machine's memory shared among the jobs, at least 1 GiB)"),
    Arg.of("--timeout", type=float, default=900.0, metavar="S", help="a dump taking longer is reported, not read"),
    Arg.of("--cluster", metavar="ADDRESS", help="run the per-dump job on this Dask scheduler (tcp://host:8786); "
           "the workers need pmdesk and the dumps' paths"),
    Arg.of("--dask-local", type=_positive_int, metavar="N", help="run it on a local Dask cluster of N workers"),
    Arg.of("--parquet", metavar="DIR", help="with --cluster/--dask-local: where the rows land (Parquet, partitioned "
           "by day and kind; default: beside the indexes)"),
)

COMMANDS = (
    Command("triage", "many dumps: each indexed once, grouped into buckets by signature (Socorro-style for native "
            "crashes); sizes and a retention policy", triage, (
                Arg.of("sources", nargs="+", metavar="DIR|FILE", help="folders (walked recursively), dumps, "
                       "systemd-coredump's storage folder, or a `coredumpctl list --json=short` listing"),
                *RUN_ARGS,
                Arg.of("--storage", default="/var/lib/systemd/coredump", metavar="DIR",
                       help="where the cores of a coredumpctl listing are"),
                Arg.of("--sizes", action="store_true", help="print the size report (per kind)"),
                Arg.of("--keep-policy", metavar="POLICY", help="keep=N[,compress][,delete-after=DAYS]: the N newest "
                       "of each bucket, the newest and every annotated dump kept; the rest compressed (zstd, gzip) "
                       "or, past DAYS, deleted — a dry run unless --apply"),
                Arg.of("--apply", action="store_true", help="carry the --keep-policy out"),
                Arg.of("--verbose", "-v", action="store_true", help="list each bucket's dumps"), JSON),
            summary="buckets of dumps by signature; --keep-policy, --cluster/--dask-local"),
    Command("doctor", "this machine: what would lose or spoil the next dump (core limits, core_pattern, "
            "systemd-coredump, JVM/Go/Python settings, symbols, dump storms), each with its fix", doctor, (
                Arg.of("dumps", nargs="*", metavar="DIR", help="triaged folders to look for dump storms in"),
                Arg.of("--root", default="/", metavar="DIR", help="read /proc and /etc under DIR"),
                *RUN_ARGS, JSON),
            summary="core limits, core_pattern, JVM/Go/Python settings, symbols, dump storms"),
)
