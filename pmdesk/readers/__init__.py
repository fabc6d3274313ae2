"""Format readers (one package each) and the sniffing that picks one for a file by its first bytes. Which
readers exist is the format registry's business (model/formats.py); a reader package's `__init__` holds
only its SPEC and sniff, so naming every reader loads none of their parsers."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence

from pmdesk.base import dump_files
from pmdesk.base.errors import PmdeskError
from pmdesk.readers.base import SNIFF_BYTES, Reader, ReaderSpec


def read_head(path: str) -> bytes:
    """The first SNIFF_BYTES of `path`, with the usual file problems turned into one-line errors."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise PmdeskError(path, "no such file") from None
    except PermissionError:
        raise PmdeskError(path, "permission denied") from None
    if stat.S_ISDIR(st.st_mode):  # a JFR repository: its first chunk file says what it is
        try:
            first = dump_files.parts(path)[0]
        except (dump_files.NotADump, OSError) as e:
            raise PmdeskError(path, str(e)) from None
        return read_head(first)
    if not stat.S_ISREG(st.st_mode):
        raise PmdeskError(path, "is not a regular file")
    if st.st_size == 0:
        raise PmdeskError(path, "is empty (0 bytes)")
    try:
        with open(path, "rb") as f:
            return f.read(SNIFF_BYTES)
    except PermissionError:
        raise PmdeskError(path, "permission denied") from None
    except OSError as e:
        raise PmdeskError(path, os.strerror(e.errno or errno.EIO)) from None


_LOOKS_LIKE = (  # leading bytes -> what the file is, for the one-line error on unknown files
    (b"FLR\0", "a JFR recording"), (b"\x7fELF", "an ELF file"), (b"\x1f\x8b", "gzip data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"), (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"PK\x03\x04", "a zip archive"), (b"MDMP", "a minidump"), (b"%PDF", "a PDF document"),
    (b"SQLite format 3\0", "an SQLite database"),
)


NOT_YET = (  # formats pmdesk knows by their first bytes but does not read yet: (where, bytes, what it is)
    (0, b"MDMP", "a minidump"),
    (0, b"*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***", "an Android tombstone"),
    (None, b'"bug_type"', "an Apple crash report (.ips)"), (None, b"Incident Identifier:", "an Apple crash report"),
)


def not_yet_read(head: bytes) -> str | None:
    """What the file is when it is a format pmdesk recognises but does not read yet."""
    for at, magic, what in NOT_YET:
        if (head.startswith(magic) if at == 0 else magic in head[:1024]):
            return what
    return None


def describe_head(head: bytes) -> str:
    for magic, what in _LOOKS_LIKE:
        if head.startswith(magic):
            return what
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4:
            return "binary data"
    return "text"


def sniff_with(path: str, readers: Sequence[Reader]) -> Reader | None:
    """The first of `readers` (in the order given) that recognises `path` by content, or None."""
    head = read_head(path)
    for reader in readers:
        if reader.sniff(head):
            if os.path.isdir(path) and not reader.SPEC.directories:
                raise PmdeskError(path, "is a directory, not a dump file")
            return reader
    if os.path.isdir(path):
        raise PmdeskError(path, "is a directory, not a dump file")
    for reader in readers:  # what the first bytes cannot tell: a dump further into a log, a compressed core
        deep = getattr(reader, "sniff_deep", None)
        if deep is not None and deep(path, head):
            return reader
    return None


__all__ = ["Reader", "ReaderSpec", "describe_head", "read_head", "sniff_with"]
