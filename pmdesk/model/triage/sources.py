"""Where triage finds dumps: object-store URLs (remote.py), folders walked recursively (compressed dumps too —
a file counts when a reader claims its content or its name is a dump's), files named one by one,
systemd-coredump's storage directory (core.COMM.UID.BOOT_ID.PID.USEC.zst), and `coredumpctl list --json=short`
output — whose entries whose core systemd-coredump did not keep (corefile "missing": too big for
ProcessSizeMax, removed by MaxUse) are reported, since a dump thrown away before triage is itself a finding."""

from __future__ import annotations

import fnmatch
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from pmdesk.base.errors import PmdeskError, UnsupportedFormat
from pmdesk.model.formats import formats, sniff
from pmdesk.model.triage.remote import is_url, list_dumps

SYSTEMD_STORAGE = "/var/lib/systemd/coredump"
SKIP_NAMES = (".pmdesk-index", ".pmdesk-triage")  # what pmdesk itself writes beside dumps
MAX_LISTING_BYTES = 64 << 20


@dataclass
class Found:
    paths: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)  # {"path", "error"}
    skipped: int = 0  # files that are no dump


def dump_globs() -> tuple[str, ...]:
    """Every file-name pattern a format's desktop type claims (a file so named is a dump even when damaged)."""
    return tuple(g for f in formats() for m in f.mime for g in m.globs)


def _claimed(path: str, globs: tuple[str, ...]) -> str | None:
    """'dump' when a reader claims the file, 'named' when only its name says dump, None otherwise."""
    try:
        sniff(path)
        return "dump"
    except UnsupportedFormat:
        name = os.path.basename(path)
        return "named" if any(fnmatch.fnmatch(name, g) for g in globs) else None
    except PmdeskError:
        return "named"


def find(sources: list[str], storage: str = SYSTEMD_STORAGE) -> Found:
    """The dumps under `sources` (each a folder, a dump, or a coredumpctl JSON listing), each once."""
    found = Found()
    seen: set[str] = set()
    globs = dump_globs()

    def add(path: str, named: bool) -> None:
        real = os.path.realpath(path)
        if real in seen:
            return
        seen.add(real)
        claim = _claimed(path, globs)
        if claim == "dump":
            found.paths.append(path)
        elif claim == "named" or named:
            try:
                sniff(path)
            except PmdeskError as e:
                found.errors.append({"path": path, "error": e.what})
        else:
            found.skipped += 1

    for src in sources:
        if is_url(src):
            try:
                found.paths += [u for u in list_dumps(src, globs) if u not in seen and not seen.add(u)]
            except PmdeskError as e:
                found.errors.append({"path": src, "error": e.what})
        elif os.path.isdir(src):
            for root, dirs, files in os.walk(src):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not d.endswith(SKIP_NAMES))
                for name in sorted(files):
                    if name.startswith(".") or any(s in name for s in SKIP_NAMES):
                        continue
                    add(os.path.join(root, name), False)
        elif os.path.isfile(src):
            listing = coredumpctl_listing(src)
            if listing is None:
                add(src, True)
            else:
                for path, error in resolve_listing(listing, storage):
                    if error:
                        found.errors.append({"path": path, "error": error})
                    else:
                        add(path, True)
        else:
            found.errors.append({"path": src, "error": "does not exist"})
    return found


def coredumpctl_listing(path: str) -> list[dict[str, object]] | None:
    """The entries of `coredumpctl list --json=short|pretty` output, or None when the file is no such listing."""
    try:
        if os.path.getsize(path) > MAX_LISTING_BYTES:
            return None
        with open(path, "rb") as f:
            if f.read(1).lstrip() not in (b"[",):
                return None
            f.seek(0)
            data = json.loads(f.read())
    except (OSError, ValueError):
        return None
    if isinstance(data, list) and data and all(isinstance(e, dict) and "corefile" in e and "pid" in e for e in data):
        return data
    return None


def resolve_listing(entries: list[dict[str, object]], storage: str) -> list[tuple[str, str | None]]:
    """Each listed crash as (its core's path in `storage`, None) or (a label for it, why there is no core).
    A stored core is found by its name's pid and timestamp (systemd names it by both, coredump.c)."""
    try:
        names = os.listdir(storage)
    except OSError:
        names = []
    out: list[tuple[str, str | None]] = []
    for e in entries:
        pid, usec, exe = e.get("pid"), e.get("time"), str(e.get("exe") or "?")
        label = f"{exe} (pid {pid})"
        state = str(e.get("corefile"))
        match = [n for n in names if f".{pid}.{usec}" in n or (f".{pid}." in n and str(usec)[:10] in n)]
        if state == "present" and match:
            out.append((str(Path(storage) / match[0]), None))
        elif state == "present":
            out.append((label, f"coredumpctl lists a core that is not in {storage} (--storage names the folder)"))
        else:
            why = {"missing": "systemd-coredump kept no core (bigger than ProcessSizeMax, or removed by MaxUse/"
                              "KeepFree: see pmdesk doctor)",
                   "inaccessible": f"its core in {storage} cannot be read by this user"}.get(state, f"corefile {state}")
            out.append((label, why))
    return out
