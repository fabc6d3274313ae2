"""Finding the files that describe a module of a core: the binary (from `--exe`, search directories or the
path the core recorded — refused when its build-id differs from the one in the core's memory) and its debug
file (a `.build-id/xx/rest.debug` tree in the given and system debug directories, `.gnu_debuglink` with its
CRC checked, or a debuginfod server with the standard client cache)."""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from pmdesk.native.elf_sections import SHT_NOTE, gnu_build_id, sections

SYSTEM_DEBUG_DIRS = ("/usr/lib/debug",)


@dataclass
class SearchPaths:
    exe: str | None = None
    search_dirs: list[str] = field(default_factory=list)
    debug_dirs: list[str] = field(default_factory=list)
    debuginfod_urls: list[str] = field(default_factory=lambda: os.environ.get("DEBUGINFOD_URLS", "").split())
    cache_dir: str = field(default_factory=lambda: os.environ.get("DEBUGINFOD_CACHE_PATH") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "debuginfod_client"))
    system: bool = True  # also this machine's files: a module's recorded path, system debug dirs, debuginfod


def build_id_of_file(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            elf = ELFFile(f)
            secs = sections(elf)
            for sec in secs.list:
                if sec.type == SHT_NOTE and sec.has_bytes:
                    got = gnu_build_id(secs.data(sec))
                    if got:
                        return got
    except (OSError, ELFError, ValueError):
        return None
    return None


def section_names(path: str) -> set[str]:
    """The names of an ELF file's sections that hold bytes (empty when it is no ELF file or unreadable)."""
    try:
        with open(path, "rb") as f:
            return {s.name for s in sections(ELFFile(f)).list if s.has_bytes}
    except (OSError, ELFError, ValueError):
        return set()


def debuglink(path: str) -> tuple[str, int] | None:
    """The .gnu_debuglink of a binary: (file name, CRC32 of the debug file)."""
    try:
        with open(path, "rb") as f:
            secs = sections(ELFFile(f))
            sec = secs.get(".gnu_debuglink")
            if sec is None:
                return None
            data = secs.data(sec)
    except (OSError, ELFError, ValueError):
        return None
    name = data.split(b"\0", 1)[0].decode("utf-8", "replace")
    at = (len(name) + 1 + 3) & ~3
    return name, int.from_bytes(data[at:at + 4], "little")


def crc32_of(path: str) -> int:
    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
    return crc


@dataclass
class Found:
    path: str | None
    looked: list[str]  # where pmdesk looked, for the Modules dock and the warnings
    warning: str | None = None


def find_binary(recorded: str, build_id: str | None, paths: SearchPaths, is_main: bool,
                beside: str | None = None) -> Found:
    """The binary of a module: --exe (the program), by name in the search directories, at its recorded path,
    then by name in `beside` (the core's directory, where people put the binaries they collect with it)."""
    looked: list[str] = []
    candidates = []
    if is_main and paths.exe:
        candidates.append(paths.exe)
    candidates += [os.path.join(d, os.path.basename(recorded)) for d in paths.search_dirs]
    if os.path.isabs(recorded):
        candidates.append(recorded)
    if beside is not None:
        candidates.append(os.path.join(beside, os.path.basename(recorded)))
    refused = None
    for c in candidates:
        looked.append(c)
        if not os.path.isfile(c):
            continue
        got = build_id_of_file(c)
        if build_id and got and got != build_id:
            refused = f"{c} has build-id {got}, the core's {os.path.basename(recorded)} has {build_id}: not used"
            continue
        return Found(c, looked)
    if build_id:
        got = _debuginfod(build_id, "executable", paths, looked)
        if got:
            return Found(got, looked)
    return Found(None, looked, refused)


def find_debug_file(binary: str | None, build_id: str | None, paths: SearchPaths) -> Found:
    looked: list[str] = []
    dirs = [*paths.debug_dirs, *SYSTEM_DEBUG_DIRS]
    if build_id and len(build_id) > 2:
        for d in dirs:
            c = os.path.join(d, ".build-id", build_id[:2], build_id[2:] + ".debug")
            looked.append(c)
            if os.path.isfile(c):
                return Found(c, looked)
    link = debuglink(binary) if binary else None
    if link is not None and binary is not None:
        name, crc = link
        where = os.path.dirname(os.path.abspath(binary))
        for c in [os.path.join(where, name), os.path.join(where, ".debug", name),
                  *(os.path.join(d, where.lstrip("/"), name) for d in dirs), *(os.path.join(d, name) for d in dirs)]:
            looked.append(c)
            if os.path.isfile(c) and os.path.abspath(c) != os.path.abspath(binary) and crc32_of(c) == crc:
                return Found(c, looked)
    if build_id:
        got = _debuginfod(build_id, "debuginfo", paths, looked)
        if got:
            return Found(got, looked)
    return Found(None, looked)


def _debuginfod(build_id: str, kind: str, paths: SearchPaths, looked: list[str]) -> str | None:
    """GET /buildid/<id>/<kind> from each DEBUGINFOD_URLS server, kept in the client cache layout
    (<cache>/<id>/<kind>) that debuginfod-find uses too."""
    cached = os.path.join(paths.cache_dir, build_id, kind)
    if os.path.isfile(cached):
        looked.append(cached)
        return cached
    if not paths.debuginfod_urls:
        return None
    import urllib.error
    import urllib.request

    for url in paths.debuginfod_urls:
        target = f"{url.rstrip('/')}/buildid/{build_id}/{kind}"
        looked.append(target)
        try:
            with urllib.request.urlopen(target, timeout=10) as r:  # noqa: S310 - the user's configured servers
                data = r.read()
        except (urllib.error.URLError, OSError, ValueError):
            continue
        os.makedirs(os.path.dirname(cached), exist_ok=True)
        tmp = cached + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, cached)
        return cached
    return None
