"""A retention policy over triaged dumps: `keep=N[,compress][,delete-after=DAYS]` — in each bucket the N
newest dumps, the newest whatever N is, and every annotated dump stay as they are; the rest are compressed
(into a compression their reader reads: zstd for cores, gzip for heap dumps, recordings, tombstones and
profiles) and, past DAYS old, deleted. A dump that is not indexed and bucketed (an error row) is never
touched. `plan` says what would happen (the default, a dry run); `apply` does it — compressing into a
temporary file beside the dump, checking it inflates to the same bytes, then replacing the dump.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import zstandard

from pmdesk.base.errors import PmdeskError
from pmdesk.model.formats import format_named
from pmdesk.model.triage.buckets import bucket_rows
from pmdesk.model.triage.inbox import Inbox
from pmdesk.model.triage.remote import is_url

SAMPLE_BYTES = 4 << 20   # how much of a dump the dry run compresses to estimate its ratio
CHUNK_BYTES = 1 << 20
SUFFIX = {"zstd": ".zst", "gzip": ".gz"}


@dataclass(frozen=True)
class Policy:
    keep: int
    compress: bool = False
    delete_after_days: float | None = None

    @classmethod
    def parse(cls, text: str) -> Policy:
        """'keep=3,compress,delete-after=30' → Policy(3, True, 30.0); a one-line error otherwise."""
        keep, compress, days = None, False, None
        for part in (p.strip() for p in text.split(",") if p.strip()):
            name, _, value = part.partition("=")
            try:
                if name == "keep":
                    keep = int(value)
                elif name == "compress" and not value:
                    compress = True
                elif name == "delete-after":
                    days = float(value.rstrip("d"))
                else:
                    raise ValueError
            except ValueError:
                raise PmdeskError(None, f"--keep-policy: cannot read {part!r} (the form is keep=N[,compress]"
                                        "[,delete-after=DAYS])") from None
        if keep is None or keep < 0 or (days is not None and days < 0):
            raise PmdeskError(None, "--keep-policy needs keep=N (N ≥ 0), e.g. keep=3,compress,delete-after=30")
        return cls(keep, compress, days)


@dataclass
class Action:
    path: str
    action: str        # 'keep' | 'compress' | 'delete'
    why: str
    signature: str
    bytes: int
    after_bytes: int   # its size once done (an estimate in a dry run)
    compression: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "action": self.action, "why": self.why, "signature": self.signature,
                "bytes": self.bytes, "after_bytes": self.after_bytes, "compression": self.compression}


def compression_for(row: dict[str, Any]) -> str | None:
    """The compression the dump's reader reads it in (zstd preferred), None when it reads none or it is
    compressed already."""
    if row.get("compressed"):
        return None
    forms = format_named(row["format"]).reader.SPEC.compressed
    return next((c for c in ("zstd", "gzip") if c in forms), None)


def _estimate(path: str, size: int, compression: str) -> int:
    with open(path, "rb") as f:
        sample = f.read(SAMPLE_BYTES)
    if not sample:
        return size
    packed = zstandard.ZstdCompressor(level=3).compress(sample) if compression == "zstd" else gzip.compress(sample, 6)
    return int(size * len(packed) / len(sample))


def plan(rows: list[dict[str, Any]], policy: Policy, inbox: Inbox | None = None,
         now: dt.datetime | None = None) -> list[Action]:
    """What the policy does to each bucketed dump."""
    now = now or dt.datetime.now(dt.UTC)
    annotated = set(inbox.annotated) if inbox else set()
    out: list[Action] = []
    for b in bucket_rows(rows):
        for i, r in enumerate(b.rows):   # newest first
            size = int(r["bytes"])
            if is_url(r["path"]):
                out.append(Action(r["path"], "keep", "in an object store: its own retention rules", b.signature,
                                  size, size))
                continue
            if r.get("content_key") in annotated:
                out.append(Action(r["path"], "keep", "annotated", b.signature, size, size))
                continue
            if i < max(policy.keep, 1):
                out.append(Action(r["path"], "keep", "the newest" if i == 0 else f"among the {policy.keep} newest",
                                  b.signature, size, size))
                continue
            age_days = (now - dt.datetime.fromisoformat(r["time"].replace("Z", "+00:00"))).total_seconds() / 86400
            if policy.delete_after_days is not None and age_days > policy.delete_after_days:
                out.append(Action(r["path"], "delete", f"{age_days:.0f} days old, past {policy.delete_after_days:g}",
                                  b.signature, size, 0))
                continue
            comp = compression_for(r) if policy.compress else None
            if comp:
                out.append(Action(r["path"], "compress", f"beyond the {policy.keep} newest", b.signature, size,
                                  _estimate(r["path"], size, comp), comp))
            else:
                why = "compressed already" if r.get("compressed") else (
                    "its reader reads it only uncompressed" if policy.compress else "the policy does not compress")
                out.append(Action(r["path"], "keep", why, b.signature, size, size))
    return out


def compress_file(path: str, compression: str) -> str:
    """`path` compressed beside itself (path + .zst/.gz), checked to inflate to the same bytes, and the original
    removed; its mtime kept. Returns the new path."""
    target = path + SUFFIX[compression]
    if os.path.exists(target):
        raise PmdeskError(target, "exists already: not overwritten")
    st = os.stat(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".pmdesk-compress-")
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as src, os.fdopen(fd, "wb") as raw:
            sink = (zstandard.ZstdCompressor(level=3).stream_writer(raw, closefd=False) if compression == "zstd"
                    else gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0))
            with sink:
                while chunk := src.read(CHUNK_BYTES):
                    digest.update(chunk)
                    sink.write(chunk)
            raw.flush()
            os.fsync(raw.fileno())
        if _inflated_digest(tmp, compression) != digest.hexdigest():
            raise PmdeskError(path, "its compressed copy did not inflate to the same bytes: left as it was")
        os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    os.unlink(path)
    return target


def _inflated_digest(path: str, compression: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        reader = zstandard.ZstdDecompressor().stream_reader(f) if compression == "zstd" else gzip.GzipFile(fileobj=f)
        with reader:
            while chunk := reader.read(CHUNK_BYTES):
                h.update(chunk)
    return h.hexdigest()


def apply(actions: list[Action], on_done: Callable[[Action, str | None], None] | None = None) -> list[dict[str, str]]:
    """Carry the actions out; returns the ones that failed ({"path", "error"})."""
    failed = []
    for a in actions:
        try:
            if a.action == "compress" and a.compression:
                new = compress_file(a.path, a.compression)
                a.after_bytes = os.path.getsize(new)
            elif a.action == "delete":
                os.unlink(a.path)
            if on_done:
                on_done(a, None)
        except (OSError, PmdeskError) as e:
            msg = e.what if isinstance(e, PmdeskError) else (e.strerror or str(e))
            failed.append({"path": a.path, "error": msg})
            if on_done:
                on_done(a, msg)
    return failed
