"""Finding an Apple image's symbols by its UUID, off macOS: dSYM bundles (X.dSYM/Contents/Resources/DWARF/X)
and bare Mach-O binaries anywhere under the folders the user gives (`--debug-dir`, `--search-dir`, File ›
Symbol paths…) and beside the report — so a UUID-named folder layout, an Xcode archive's dSYMs folder and a
symbol server's mirror are all found. The slice whose LC_UUID equals the image's is the one used: the same
offset in another architecture's slice is another function. Every image says where pmdesk looked."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

from pmdesk.native.folder_files import files_under
from pmdesk.native.macho import MachOError, Slice, is_macho, slices, uuid_key

MAX_DEPTH = 8            # folders below a search folder (X.dSYM/Contents/Resources/DWARF/X is 4 deep)
MIN_MACHO_BYTES = 28     # a Mach-O header


@dataclass
class Found:
    slice: Slice | None
    looked: list[str] = field(default_factory=list)
    warning: str | None = None  # a file of the image's name whose UUIDs differ


@lru_cache(maxsize=64)
def _catalogue(folder: str, _mtime_ns: int) -> tuple[dict[str, Slice], dict[str, list[Slice]]]:
    """The Mach-O slices under `folder`, by UUID and by file name (read once per folder while it is unchanged)."""
    by_uuid: dict[str, Slice] = {}
    by_name: dict[str, list[Slice]] = {}
    for path in files_under(folder, MAX_DEPTH):
        try:
            if os.path.getsize(path) < MIN_MACHO_BYTES:
                continue
            with open(path, "rb") as f:
                if not is_macho(f.read(8)):
                    continue
            found = slices(path)
        except (OSError, MachOError):
            continue
        for sl in found:
            if sl.uuid:  # a dSYM (DWARF) is preferred to a binary with the same UUID
                if sl.uuid not in by_uuid or (sl.has_dwarf and not by_uuid[sl.uuid].has_dwarf):
                    by_uuid[sl.uuid] = sl
            by_name.setdefault(os.path.basename(path), []).append(sl)
    return by_uuid, by_name


def catalogue(folder: str) -> tuple[dict[str, Slice], dict[str, list[Slice]]]:
    try:
        mtime = os.stat(folder).st_mtime_ns
    except OSError:
        return {}, {}
    return _catalogue(os.path.abspath(folder), mtime)


def find_by_uuid(uuid: str | None, name: str, folders: list[str]) -> Found:
    """The slice with this UUID under any of `folders` (searched in order), or where pmdesk looked and, when
    a file of the image's name is there with other UUIDs, why it was not used."""
    out = Found(None)
    if not uuid or not uuid_key(uuid).strip("0"):
        out.looked.append("no UUID in the report: images are matched by UUID only")
        return out
    key = uuid_key(uuid)
    for folder in folders:
        by_uuid, by_name = catalogue(folder)
        out.looked.append(f"{folder} (UUID {key})")
        if key in by_uuid:
            out.slice = by_uuid[key]
            return out
        others = by_name.get(name)
        if others and out.warning is None:
            out.warning = (f"{others[0].path} has UUID {', '.join(f'{s.uuid} ({s.arch})' for s in others)}, not "
                           f"{key}: another build of {name}, not used")
    return out
