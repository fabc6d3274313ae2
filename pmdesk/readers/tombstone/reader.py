"""Reads an Android tombstone — text, or protobuf (raw or gzip-compressed) — into the crash model and the
index, symbolicated from the app's own .so files found by BuildId."""

from __future__ import annotations

from pmdesk.base.crash import Crash
from pmdesk.base.errors import DumpFormatError
from pmdesk.base.progress import Progress
from pmdesk.native.symbol_files import SearchPaths
from pmdesk.readers.base import read_capped
from pmdesk.readers.gzip_bytes import inflate
from pmdesk.readers.protobuf_wire import WireError
from pmdesk.readers.tombstone.crash import crash_of
from pmdesk.readers.tombstone.proto import parse_proto
from pmdesk.readers.tombstone.text import parse_text

MAX_TOMBSTONE_BYTES = 256 << 20  # debuggerd caps its own; a bigger file is not a tombstone


def load_bytes(path: str) -> bytes:
    """The tombstone's bytes, inflated when gzip-compressed, never more than MAX_TOMBSTONE_BYTES."""
    data = read_capped(path, MAX_TOMBSTONE_BYTES, "a tombstone")
    return inflate(path, data, MAX_TOMBSTONE_BYTES, "not a tombstone")


def read_crash(path: str, paths: SearchPaths, progress: Progress) -> Crash:
    progress.update(0.0, "reading the tombstone")
    data = load_bytes(path)
    if is_text(data[:4096]):
        t = parse_text(data.decode("utf-8", "replace"))
        if not t.threads:
            raise DumpFormatError(path, "has a tombstone's banner but no pid/tid line (cut short?)")
    else:
        try:
            t = parse_proto(data)
        except WireError as e:
            raise DumpFormatError(path, f"is a damaged protobuf tombstone: {e}", e.offset) from None
        except RecursionError:
            raise DumpFormatError(path, "is a protobuf nested too deeply to be a tombstone", 0) from None
    progress.update(0.3, "symbolicating")
    return crash_of(t, path, paths, progress)


def is_text(head: bytes) -> bool:
    return head.lstrip().startswith(b"*** *** ***") or b"\npid: " in head[:4096] and b">>> " in head[:4096]

