"""Summary rows grouped into buckets by (kind, signature) — `pmdesk triage --json`'s document and the Triage
dock's table — and the size report (per kind and per bucket: bytes on disk, how many compressed, index
bytes).

The document (a contract; README): {"buckets": [{"signature", "kind", "count", "first_seen", "last_seen",
"bytes", "dumps": [{"path", …}], …}], "errors": [{"path", "error"}]}; a bucket also has index_bytes,
versions, programs, reason, proto_signature, representative, mark and note; a dump its format, time,
bytes, raw_bytes, compressed, index_bytes, content_key, index, reason, top_frames, build_ids, version, program,
warnings and local (a URL's fetched copy).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pmdesk.model.triage.inbox import Inbox

DUMP_KEYS = ("path", "format", "time", "bytes", "raw_bytes", "compressed", "index_bytes", "content_key", "index",
             "reason", "top_frames", "build_ids", "version", "program", "warnings", "local")


@dataclass
class Bucket:
    signature: str
    kind: str
    rows: list[dict[str, Any]]  # newest first

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def first_seen(self) -> str:
        return min(r["time"] for r in self.rows)

    @property
    def last_seen(self) -> str:
        return max(r["time"] for r in self.rows)

    @property
    def bytes(self) -> int:
        return sum(int(r["bytes"]) for r in self.rows)

    @property
    def representative(self) -> dict[str, Any]:
        """The dump to open first: the newest one."""
        return self.rows[0]

    def as_json(self, inbox: Inbox | None = None) -> dict[str, Any]:
        st = inbox.state(self.signature) if inbox else None
        return {"signature": self.signature, "kind": self.kind, "count": self.count, "first_seen": self.first_seen,
                "last_seen": self.last_seen, "bytes": self.bytes,
                "dumps": [{k: r.get(k) for k in DUMP_KEYS} for r in self.rows],
                "index_bytes": sum(int(r.get("index_bytes") or 0) for r in self.rows),
                "versions": sorted({r["version"] for r in self.rows if r.get("version")}),
                "programs": sorted({r["program"] for r in self.rows if r.get("program")}),
                "reason": self.representative.get("reason"),
                "proto_signature": self.representative.get("proto_signature"),
                "representative": self.representative["path"],
                "mark": st.mark if st else "new", "note": st.note if st else ""}


def bucket_rows(rows: Iterable[dict[str, Any]]) -> list[Bucket]:
    """Rows without an error grouped by (kind, signature); biggest bucket first, then the most recent."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if not r.get("error"):
            groups[(r["kind"], r["signature"])].append(r)
    out = [Bucket(sig, kind, sorted(rs, key=lambda r: (r["time"], r["path"]), reverse=True))
           for (kind, sig), rs in groups.items()]
    out.sort(key=lambda b: (-b.count, _neg(b.last_seen), b.signature))
    return out


def _neg(iso: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in iso)


def triage_doc(rows: list[dict[str, Any]], errors: Iterable[dict[str, str]] = (),
               inbox: Inbox | None = None) -> dict[str, Any]:
    """`pmdesk triage --json`'s document."""
    errs = [{"path": e["path"], "error": e["error"]} for e in errors]
    errs += [{"path": r["path"], "error": r["error"]} for r in rows if r.get("error")]
    return {"buckets": [b.as_json(inbox) for b in bucket_rows(rows)], "errors": errs}


def size_report(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Bytes per kind and per bucket: on disk, inflated (raw), compressed dumps' share, index bytes."""
    kinds: dict[str, dict[str, int]] = defaultdict(lambda: {"dumps": 0, "bytes": 0, "raw_bytes": 0,
                                                            "compressed_dumps": 0, "compressed_bytes": 0,
                                                            "index_bytes": 0})
    for r in rows:
        if r.get("error"):
            continue
        k = kinds[r["kind"]]
        k["dumps"] += 1
        k["bytes"] += int(r["bytes"])
        k["index_bytes"] += int(r.get("index_bytes") or 0)
        k["raw_bytes"] += int(r.get("raw_bytes") or r["bytes"])   # unknown inflated size: counted as stored
        if r.get("compressed"):
            k["compressed_dumps"] += 1
            k["compressed_bytes"] += int(r["bytes"])
    return {"kinds": dict(kinds),
            "buckets": [{"signature": b.signature, "kind": b.kind, "count": b.count, "bytes": b.bytes,
                         "raw_bytes": sum(int(r.get("raw_bytes") or r["bytes"]) for r in b.rows),
                         "compressed_dumps": sum(1 for r in b.rows if r.get("compressed")),
                         "index_bytes": sum(int(r.get("index_bytes") or 0) for r in b.rows)}
                        for b in bucket_rows(rows)]}
