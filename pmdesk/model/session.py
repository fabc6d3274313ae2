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
    skipped: list[str] = field(default_factory=list)  # what a loaded file held that could not be used, and why
    _index: dict[tuple[str, str, str], Annotation] | None = field(default=None, repr=False, compare=False)

    def annotations_for(self, dump_key: str, kind: str | None = None) -> list[Annotation]:
        return [a for a in self.annotations if a.dump_key == dump_key and (kind is None or a.kind == kind)]

    def find(self, dump_key: str, kind: str, target: str) -> Annotation | None:
        """The note on one item (docks ask this for every row they draw: a dict, not a scan)."""
        if self._index is None:
            self._index = {(a.dump_key, a.kind, a.target): a for a in self.annotations}
        return self._index.get((dump_key, kind, target))

    def changed(self) -> None:
        """Say the annotations list was changed in place."""
        self._index = None

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "dumps": [asdict(d) for d in self.dumps],
                "current": self.current, "layout": self.layout, "views": self.views,
                "annotations": [asdict(a) for a in self.annotations]}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Session:
        """A session from its JSON, field by field: what has the wrong shape is left out and said in `skipped`."""
        skipped: list[str] = []
        dumps = _entries(doc.get("dumps"), "dumps", SessionDump, {"path": str, "size": int, "content_key": str},
                         skipped)
        current = doc.get("current", -1)
        if not _is(current, int) or not -1 <= current < len(dumps):
            skipped += [] if current == -1 else ["the current dump (not an index of the dumps)"]
            current = -1
        layout = doc.get("layout", "")
        if not isinstance(layout, str):
            skipped.append("the window layout (not text)")
            layout = ""
        views = doc.get("views", {})
        if not isinstance(views, dict):
            skipped.append("the docks' states (not an object)")
            views = {}
        good_views = {k: v for k, v in views.items() if isinstance(k, str) and isinstance(v, dict)}
        skipped += [f"the state of dock {k!r} (not an object)" for k in views if k not in good_views]
        fields = {k: str for k in ("dump_key", "kind", "target", "label", "note", "tag", "colour", "author", "time")}
        notes = _entries(doc.get("annotations"), "annotations", Annotation, fields, skipped,
                         required=("dump_key", "kind", "target", "label"))
        return cls(dumps, current, layout, good_views, notes, skipped)


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


def _is(value: Any, kind: type) -> bool:
    """A JSON value of this Python type (a bool is not an int, an int is not a float here)."""
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def _entries(items: Any, what: str, cls: type, fields: dict[str, type], skipped: list[str],
             required: tuple[str, ...] | None = None) -> list[Any]:
    """The entries of a list field that have the shape `fields` says (others skipped, counted in `skipped`)."""
    if items is None:
        return []
    if not isinstance(items, list):
        skipped.append(f"the {what} (not a list)")
        return []
    out, bad = [], 0
    need = required if required is not None else tuple(fields)
    for item in items:
        if (isinstance(item, dict) and all(k in item for k in need)
                and all(_is(item[k], t) for k, t in fields.items() if k in item)
                and all(not _is(item[k], int) or 0 <= item[k] < 2**63 for k in item if k in fields)):
            out.append(cls(**{k: item[k] for k in fields if k in item}))
        else:
            bad += 1
    if bad:
        skipped.append(f"{bad:,} of the {what} (damaged entries)")
    return out


MAX_SESSION_BYTES = 256 << 20


def load(path: str | os.PathLike[str]) -> Session:
    """Read a session file; one clear error when it is none, else what is usable (see Session.skipped)."""
    try:
        if Path(path).stat().st_size > MAX_SESSION_BYTES:
            raise PmdeskError(path, f"is over {MAX_SESSION_BYTES >> 20} MB: not a pmdesk session")
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PmdeskError(path, "no such file") from None
    except RecursionError:
        raise PmdeskError(path, "not a pmdesk session (nested too deeply)") from None
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise PmdeskError(path, f"not a pmdesk session ({type(e).__name__})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise PmdeskError(path, "not a pmdesk session")
    version = doc.get("version", 1)
    if not _is(version, int):
        raise PmdeskError(path, f"damaged session (its version is {str(version)[:20]!r}, not a number)")
    if version > VERSION:
        raise PmdeskError(path, f"a session of a newer pmdesk (version {version})")
    return Session.from_json(doc)


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
