"""A session: the dumps open, the window's layout, each dock's state, and the annotations someone pinned to
what the docks show — saved as one `.pmdesk` file to hand to a colleague.

The file is JSON, not SQLite: a session is small (paths, hashes, a few hundred notes), a person may read
or merge it, and it must not depend on the index format (indexes are rebuilt from the dumps). A dump is
recognised by its content key (size + hash of its first and last MiB, as the index names it), so a dump
that moved is found again, and one that changed is reported with the annotations that could not be placed.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pmdesk.base.errors import PmdeskError

FORMAT = "pmdesk-session"
VERSION = 1
SUFFIX = ".pmdesk"
TAGS = ("leak", "culprit", "suspect", "benign", "note")


@dataclass
class Annotation:
    dump_key: str   # content key of the dump it belongs to
    kind: str       # 'object' | 'class' | 'thread' | …: what the target names
    target: str     # object id (0x…), class name, thread name, … as the views show it
    label: str      # how the item read when it was annotated
    note: str = ""
    tag: str = "note"
    colour: str = "#ffd966"
    author: str = field(default_factory=getpass.getuser)
    time: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))


@dataclass
class SessionDump:
    path: str
    size: int
    content_key: str


@dataclass
class Session:
    dumps: list[SessionDump] = field(default_factory=list)
    current: int = -1
    layout: str = ""  # the main window's saved state (base64)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    annotations: list[Annotation] = field(default_factory=list)

    def annotations_for(self, dump_key: str, kind: str | None = None) -> list[Annotation]:
        return [a for a in self.annotations if a.dump_key == dump_key and (kind is None or a.kind == kind)]

    def find(self, dump_key: str, kind: str, target: str) -> Annotation | None:
        return next((a for a in self.annotations if (a.dump_key, a.kind, a.target) == (dump_key, kind, target)), None)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "dumps": [asdict(d) for d in self.dumps],
                "current": self.current, "layout": self.layout, "views": self.views,
                "annotations": [asdict(a) for a in self.annotations]}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Session:
        return cls([SessionDump(**d) for d in doc.get("dumps", [])], int(doc.get("current", -1)),
                   str(doc.get("layout", "")), dict(doc.get("views", {})),
                   [Annotation(**a) for a in doc.get("annotations", [])])


def save(session: Session, path: str | os.PathLike[str]) -> None:
    """Write atomically (temp file, then rename): a crash mid-save keeps the previous session."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(session.to_json(), f, indent=1)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: str | os.PathLike[str]) -> Session:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PmdeskError(path, "no such file") from None
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise PmdeskError(path, f"not a pmdesk session ({type(e).__name__})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise PmdeskError(path, "not a pmdesk session")
    if int(doc.get("version", 0)) > VERSION:
        raise PmdeskError(path, f"a session of a newer pmdesk (version {doc.get('version')})")
    try:
        return Session.from_json(doc)
    except (TypeError, ValueError) as e:
        raise PmdeskError(path, f"damaged session ({e})") from None


def locate(entry: SessionDump, session_file: str | os.PathLike[str], key_of: Any) -> str | None:
    """Where the dump is now: its recorded path if the content there still matches, else a file of the
    same name and size beside the session file whose content key matches; None when it cannot be found."""
    candidates = [Path(entry.path), Path(session_file).parent / Path(entry.path).name]
    for c in candidates:
        try:
            if c.is_file() and c.stat().st_size == entry.size and key_of(str(c)) == entry.content_key:
                return str(c)
        except OSError:
            continue
    return None
