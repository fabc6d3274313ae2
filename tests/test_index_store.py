"""The per-dump index: reuse by content, rebuild on change or new reader, atomic build, fast reopen."""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from pathlib import Path

import pytest

from pmdesk.base.errors import Cancelled
from pmdesk.base.progress import Progress
from pmdesk.model.dump import Dump, index_state
from pmdesk.model.heap import histogram as heap
from pmdesk.readers import hprof
from tests.conftest import NOCOOPS


def test_renamed_copy_reuses_index(tmp_path: Path, index_dir: Path) -> None:
    Dump.open(str(NOCOOPS), index_dir=index_dir).close()
    copy = tmp_path / "renamed-copy.hprof"
    shutil.copyfile(NOCOOPS, copy)  # new name, new mtime, same content
    with Dump.open(str(copy), index_dir=index_dir) as d:
        assert not d.built
    assert len(list(index_dir.glob("*.sqlite"))) == 1


def test_changed_dump_rebuilds(tmp_path: Path, index_dir: Path) -> None:
    f = tmp_path / "changing.hprof"
    shutil.copyfile(NOCOOPS, f)
    Dump.open(str(f), index_dir=index_dir).close()
    data = bytearray(f.read_bytes())
    mid = len(data) // 2  # inside one of the sampled pieces
    data[mid] ^= 0xFF
    f.write_bytes(bytes(data))
    os.utime(f, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert index_state(str(f), index_dir).state == "missing"


def test_newer_reader_version_rebuilds(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Dump.open(str(NOCOOPS), index_dir=index_dir).close()
    spec = dataclasses.replace(hprof.HprofReader.SPEC, version=hprof.HprofReader.SPEC.version + 1)
    monkeypatch.setattr(hprof.HprofReader, "SPEC", spec)
    with Dump.open(str(NOCOOPS), index_dir=index_dir) as d:
        assert d.built
    assert len(list(index_dir.glob("*.sqlite"))) == 1  # the stale one was removed


def test_reopen_is_fast(index_dir: Path) -> None:
    Dump.open(str(NOCOOPS), index_dir=index_dir).close()
    t = time.perf_counter()
    with Dump.open(str(NOCOOPS), index_dir=index_dir) as d:
        rows = heap.histogram(d)
    assert rows and time.perf_counter() - t < 1.0


def test_cancel_leaves_nothing(index_dir: Path) -> None:
    p = Progress()
    p.callback = lambda f, m: p.cancel() if f > 0 else None
    with pytest.raises(Cancelled):
        Dump.open(str(NOCOOPS), index_dir=index_dir, progress=p)
    assert list(index_dir.iterdir()) == []
