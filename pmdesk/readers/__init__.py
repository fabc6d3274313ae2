"""The registry of format readers and the sniffing that picks one for a file by its first bytes. The reader
packages are imported on first use of the registry, so code that needs one reader's modules (the `stack`
command reads a core with no index) does not load the others."""

from __future__ import annotations

import errno
import os
import stat
from functools import cache
from typing import Any

from pmdesk.base import dump_files
from pmdesk.base.errors import PmdeskError, UnsupportedFormat
from pmdesk.readers.base import SNIFF_BYTES, Reader, ReaderSpec


@cache
def readers() -> tuple[Reader, ...]:
    """Every reader, highest priority (lowest number) first."""
    from pmdesk.readers import elfcore, hprof, jfr, threaddump

    found: tuple[Reader, ...] = (hprof.HprofReader, jfr.JfrReader, threaddump.ThreadDumpReader,
                                 elfcore.ElfCoreReader)
    names = [r.SPEC.name for r in found]
    prios = [r.SPEC.priority for r in found]
    if len(set(names)) != len(names) or len(set(prios)) != len(prios):
        raise RuntimeError("reader names and priorities must be unique")
    return tuple(sorted(found, key=lambda r: r.SPEC.priority))


def __getattr__(name: str) -> Any:  # READERS, built when first asked for
    if name == "READERS":
        return readers()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def known_formats() -> str:
    return ", ".join(r.SPEC.description for r in readers())


_LOOKS_LIKE = (  # leading bytes -> what the file is, for the one-line error on unknown files
    (b"FLR\0", "a JFR recording"), (b"\x7fELF", "an ELF file"), (b"\x1f\x8b", "gzip data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"), (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"PK\x03\x04", "a zip archive"), (b"MDMP", "a minidump"), (b"%PDF", "a PDF document"),
    (b"SQLite format 3\0", "an SQLite database"),
)


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


def sniff(path: str) -> Reader:
    """The reader for `path`, chosen by content; raises UnsupportedFormat naming what pmdesk reads."""
    head = read_head(path)
    for reader in readers():
        if reader.sniff(head):
            if os.path.isdir(path) and not reader.SPEC.directories:
                raise PmdeskError(path, "is a directory, not a dump file")
            return reader
    if os.path.isdir(path):
        raise PmdeskError(path, "is a directory, not a dump file")
    for reader in readers():  # what the first bytes cannot tell: a dump further into a log, a compressed core
        deep = getattr(reader, "sniff_deep", None)
        if deep is not None and deep(path, head):
            return reader
    raise UnsupportedFormat(path, f"looks like {describe_head(head)}, not a format pmdesk reads "
                                  f"(it reads: {known_formats()})")


def reader_by_name(name: str) -> Reader:
    for reader in readers():
        if reader.SPEC.name == name:
            return reader
    raise KeyError(name)


__all__ = ["READERS", "Reader", "ReaderSpec", "known_formats", "read_head", "reader_by_name", "readers", "sniff"]
