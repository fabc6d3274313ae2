"""The per-dump job of triage: a dump indexed (once — its index is reused after), its signature computed, and
one summary row returned — what buckets, the size report, the retention policy and a cluster's Parquet
rows are made of. Rows are cached beside the indexes by content key and signature version, so a folder
triaged again costs a hash per dump; a rule change (another SIGNATURE_VERSION) computes them again.

A row: path, format, what (the file in words), kind, signature, proto_signature, signature_version, reason,
top_frames, program, version, build_ids, warnings (the dump's first problems), time (ISO 8601 UTC: when it
crashed if the dump says, else the file's mtime), bytes (on disk), raw_bytes (inflated, when the reader says;
None for a compressed dump it does not), compressed, index_bytes, content_key,
index (the index file's path); and for a dump named by URL, local (its fetched copy).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

from pmdesk.base.progress import Progress
from pmdesk.index import store
from pmdesk.model.formats import Kind, sniff
from pmdesk.model.triage.signature import SIGNATURE_VERSION, signature_of

CACHE_FOLDER = "triage-rows"
WARNINGS = 3   # a row keeps the dump's first problems (truncated, symbols missing…)
COMPRESSED_SUFFIXES = (".zst", ".xz", ".gz", ".lz4", ".bz2")
_SYSTEMD_NAME = re.compile(r"^core\.(?P<comm>.+)\.(?P<uid>\d+)\.(?P<boot>[0-9a-f]{32})\.(?P<pid>\d+)\."
                           r"(?P<usec>\d{10,})(\.\w+)?$")  # systemd-coredump's storage names (coredump.c)


def iso_utc(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def file_time(path: str) -> str:
    """When the dump was written: systemd-coredump's name says (microseconds since the epoch), else mtime."""
    m = _SYSTEMD_NAME.match(os.path.basename(path))
    if m:
        return iso_utc(int(m["usec"]) / 1e6)
    return iso_utc(os.stat(path).st_mtime)


def _cache_file(index_dir: str | os.PathLike[str] | None, content_key: str) -> Path:
    return Path(index_dir or store.default_index_dir()) / CACHE_FOLDER / f"{content_key}.json"


def cached_row(path: str, index_dir: str | os.PathLike[str] | None) -> dict[str, Any] | None:
    """The row computed for this content before under this signature version (its path made this one's)."""
    key = store.dump_key(path)
    f = _cache_file(index_dir, key.content)
    try:
        row = json.loads(f.read_text())
    except (OSError, ValueError):
        return None
    if row.get("signature_version") != SIGNATURE_VERSION or not Path(row.get("index", "")).is_file():
        return None
    return {**row, "path": path, "bytes": key.size, "time": row.get("crash_time") or file_time(path)}


def summarise(path: str, index_dir: str | os.PathLike[str] | None = None,
              progress: Progress | None = None) -> dict[str, Any]:
    """The summary row of one dump (raises PmdeskError when it cannot be read)."""
    from pmdesk.model.dump import Dump
    from pmdesk.model.triage.remote import fetched, is_url

    if is_url(path):   # an object store's dump: its local copy indexed, the row keeping the URL
        local = fetched(path, index_dir)
        return {**summarise(local, index_dir, progress), "path": path, "local": local}
    row = cached_row(path, index_dir)
    if row is not None:
        return row
    fmt = sniff(path)
    progress = progress or Progress(path=path)
    with Dump.open(path, index_dir=index_dir, progress=progress, fmt=fmt) as dump:
        sig = signature_of(dump)
        facts = _facts(dump)
        index = dump.index_path
        row = {"path": path, "format": fmt.name, "what": fmt.what, "kind": sig.kind, "signature": sig.signature,
               "proto_signature": sig.proto, "signature_version": SIGNATURE_VERSION, "reason": sig.reason,
               "top_frames": list(sig.top_frames), **facts, "bytes": os.path.getsize(path),
               "compressed": path.endswith(COMPRESSED_SUFFIXES), "index_bytes": index.stat().st_size,
               "raw_bytes": dump.meta.get("dump.inflated_bytes") or (
                   None if path.endswith(COMPRESSED_SUFFIXES) else os.path.getsize(path)),
               "content_key": dump.content_key, "index": str(index),
               "warnings": [w.removeprefix(f"{path}: ") for w in dump.warnings(WARNINGS)]}
    row["time"] = row.get("crash_time") or file_time(path)
    f = _cache_file(index_dir, row["content_key"])
    f.parent.mkdir(parents=True, exist_ok=True)
    tmp = f.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(row))
    os.replace(tmp, f)
    return row


def _facts(dump: Any) -> dict[str, Any]:
    """What the dump says of the program: its name, version, build ids, and when it crashed."""
    out: dict[str, Any] = {"program": None, "version": None, "build_ids": [], "crash_time": None}
    if dump.has(Kind.CRASH):
        from pmdesk.model.crash.store import load_crash

        crash = load_crash(dump)
        p = crash.process
        exe = p.executable or (p.command.split()[0] if p.command else None)
        out["program"] = os.path.basename(exe) if exe else None
        out["version"] = p.version
        out["build_ids"] = sorted({m.build_id for m in crash.modules if m.build_id})[:64]
        out["crash_time"] = _iso(p.time)
    return out


def _iso(text: str | None) -> str | None:
    """A report's time as ISO 8601 UTC, when it parses ('2023-05-04 10:11:12.123 +0200', ISO forms)."""
    if not text:
        return None
    t = text.strip().replace(" +", "+").replace(" -", "-")
    for form in (None, "%Y-%m-%d %H:%M:%S.%f%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            d = dt.datetime.fromisoformat(t) if form is None else dt.datetime.strptime(t, form)
        except ValueError:
            continue
        if d.tzinfo is None:
            d = d.replace(tzinfo=dt.UTC)
        return d.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return None
