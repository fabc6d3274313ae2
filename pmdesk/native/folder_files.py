"""The files under a folder the user points at for symbols, walked in a stable order and bounded (depth and
count), so a folder as big as a home directory costs a bounded time: what the dSYM and ELF catalogues read."""

from __future__ import annotations

import os
from collections.abc import Iterator

MAX_DEPTH = 10       # folders below the one given
MAX_FILES = 50_000   # files looked at under it


def files_under(folder: str, max_depth: int = MAX_DEPTH, max_files: int = MAX_FILES) -> Iterator[str]:
    """Paths of the files under `folder`, sorted within each folder, at most `max_files` of them."""
    seen = 0
    base_depth = folder.rstrip(os.sep).count(os.sep)
    for root, dirs, files in os.walk(folder):
        if root.count(os.sep) - base_depth >= max_depth:
            dirs[:] = []
        dirs.sort()
        for name in sorted(files):
            seen += 1
            if seen > max_files:
                return
            yield os.path.join(root, name)
