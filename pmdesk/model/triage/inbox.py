"""The triage inbox's own state: each bucket's mark (new, known, ignored) and note, and the dumps someone
annotated — kept per folder in the user's data directory (never in the dump folder, which may be read-only
or shared), written atomically. The Triage dock writes it, `pmdesk triage` shows it and the retention
policy keeps annotated dumps by it; a session saves a copy and gives it back when it is opened."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

MARKS = ("new", "known", "ignored")


@dataclass
class BucketState:
    mark: str = "new"
    note: str = ""
    time: str = ""


@dataclass
class Inbox:
    folder: str
    buckets: dict[str, BucketState] = field(default_factory=dict)  # signature → its state
    annotated: dict[str, str] = field(default_factory=dict)  # a dump's content key → its note

    def state(self, signature: str) -> BucketState:
        return self.buckets.get(signature, BucketState())

    def mark(self, signature: str, mark: str | None = None, note: str | None = None) -> BucketState:
        if mark is not None and mark not in MARKS:
            raise ValueError(f"a bucket is marked {', '.join(MARKS)}, not {mark!r}")
        st = self.buckets.setdefault(signature, BucketState())
        if mark is not None:
            st.mark = mark
        if note is not None:
            st.note = note
        st.time = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        return st

    def annotate(self, content_key: str, note: str) -> None:
        if note:
            self.annotated[content_key] = note
        else:
            self.annotated.pop(content_key, None)

    def to_json(self) -> dict[str, Any]:
        return {"folder": self.folder, "buckets": {k: asdict(v) for k, v in self.buckets.items()},
                "annotated": dict(self.annotated)}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Inbox:
        buckets = {}
        for k, v in (doc.get("buckets") or {}).items():
            if isinstance(v, dict):
                mark = str(v.get("mark", "new"))
                buckets[str(k)] = BucketState(mark if mark in MARKS else "new", str(v.get("note", "")),
                                              str(v.get("time", "")))
        return cls(str(doc.get("folder", "")), buckets,
                   {str(k): str(v) for k, v in (doc.get("annotated") or {}).items()})


def folder_key(sources: list[str]) -> str:
    """What an inbox belongs to: the folder triaged (several sources: all of them, in order)."""
    return "\n".join(sorted(os.path.realpath(s) for s in sources))


def inbox_dir() -> Path:
    return Path(platformdirs.user_data_dir("pmdesk", appauthor=False)) / "triage"


def inbox_file(folder: str, base: str | os.PathLike[str] | None = None) -> Path:
    """The inbox of `folder` (a folder_key)."""
    return Path(base or inbox_dir()) / f"{hashlib.sha256(folder.encode()).hexdigest()[:24]}.json"


def load(folder: str, base: str | os.PathLike[str] | None = None) -> Inbox:
    """The folder's inbox (empty when it has none, or when its file is damaged)."""
    try:
        return Inbox.from_json(json.loads(inbox_file(folder, base).read_text()))
    except (OSError, ValueError, TypeError, AttributeError):
        return Inbox(folder)


def save(inbox: Inbox, base: str | os.PathLike[str] | None = None) -> None:
    f = inbox_file(inbox.folder, base)
    f.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=f.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as out:
        json.dump(inbox.to_json(), out, indent=1)
    os.replace(tmp, f)
