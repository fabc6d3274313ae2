"""A dump is one file — or a JFR repository directory, whose chunk files (one chunk each, named by the time
they were started) together make one recording. This module lists a dump's parts and reads their bytes as
one stream, so keys, samples and readers treat both alike."""

from __future__ import annotations

import os
from pathlib import Path

REPOSITORY_SUFFIX = ".jfr"


class NotADump(ValueError):
    """A directory that is not a JFR repository (the message says what it holds)."""


def parts(path: str) -> list[str]:
    """The files making up `path`: itself, or a repository directory's chunk files in time order. A
    repository root holding a single recording's directory (repo/<time>_<pid>/) is looked into."""
    if not os.path.isdir(path):
        return [path]
    chunks = sorted(str(p) for p in Path(path).glob(f"*{REPOSITORY_SUFFIX}") if p.is_file())
    if chunks:
        return chunks
    inner = sorted(p for p in Path(path).iterdir() if p.is_dir() and any(p.glob(f"*{REPOSITORY_SUFFIX}")))
    if len(inner) == 1:
        return parts(str(inner[0]))
    if inner:
        raise NotADump(f"holds {len(inner)} JFR repositories ({', '.join(p.name for p in inner[:4])}…): open one")
    raise NotADump("is a directory without .jfr chunk files (pmdesk opens JFR repository directories)")


def sizes(files: list[str]) -> list[int]:
    return [os.stat(f).st_size for f in files]


def read_at(files: list[str], lengths: list[int], offset: int, n: int) -> bytes:
    """n bytes from `offset` of the parts laid end to end (fewer at the end)."""
    out = []
    start = 0
    for f, size in zip(files, lengths, strict=True):
        if n <= 0:
            break
        if offset < start + size:
            with open(f, "rb") as fh:
                fh.seek(offset - start)
                piece = fh.read(min(n, start + size - offset))
            out.append(piece)
            offset += len(piece)
            n -= len(piece)
        start += size
    return b"".join(out)
