"""Hostile inputs cut or corrupted from real dumps: partial results with a warning, never a crash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pmdesk.base.errors import PmdeskError
from pmdesk.base.progress import Progress
from pmdesk.cli import main
from pmdesk.model.dump import Dump
from pmdesk.model.heap import histogram as heap
from tests.conftest import NOCOOPS, SAMPLE

REAL = NOCOOPS.read_bytes()


def first_segment(data: bytes) -> int:
    p = data.index(b"\0") + 13
    while data[p] != 0x1C:
        p += 9 + int.from_bytes(data[p + 5:p + 9], "big")
    return p


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    f = tmp_path / name
    f.write_bytes(data)
    return f


@pytest.mark.parametrize("cut", [1_000_000, 3_000_000, len(REAL) - 5])
def test_truncated_dump_indexes_what_is_there(cut: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "truncated_segment.hprof", REAL[:cut])
    rc = main(["histogram", str(f), "--json", "--index-dir", str(tmp_path / "idx")])
    _out, err = capsys.readouterr()
    assert rc == 0
    assert err.startswith("warning: ") and "truncated" in err and str(f) in err
    with Dump.open(str(f), index_dir=tmp_path / "idx") as d:
        assert d.meta["hprof.truncated_at"] <= cut
        assert [x.code for x in d.diagnostics() if x.code == "hprof.truncated"]
        assert d.meta["summary.objects"] > 0 or cut < 2_000_000


def test_truncated_gzip_dump(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "truncated.hprof.gz", SAMPLE.read_bytes()[:1_800_000])
    rc = main(["histogram", str(f), "--top", "1", "--index-dir", str(tmp_path / "idx")])
    err = capsys.readouterr().err
    assert rc == 0 and "truncated" in err and "compressed stream ends early" in err


def test_length_beyond_file_never_allocates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = bytearray(REAL)
    p = data.index(b"\0") + 13
    data[p + 5:p + 9] = b"\xff\xff\xff\xf0"  # first record claims ~4 GiB
    f = write(tmp_path, "huge_length.hprof", bytes(data))
    rc = main(["histogram", str(f), "--index-dir", str(tmp_path / "idx")])
    err = capsys.readouterr().err
    assert rc == 0 and "claims 4,294,967,280 bytes" in err


def test_unknown_subrecord_skips_segment_with_diagnostic(tmp_path: Path) -> None:
    data = bytearray(REAL)
    data[first_segment(REAL) + 9] = 0x77
    f = write(tmp_path, "bad_subrecord_tag.hprof", bytes(data))
    with Dump.open(str(f), index_dir=tmp_path / "idx") as d:
        codes = [x.code for x in d.diagnostics()]
        assert "hprof.bad_subrecord" in codes
        assert heap.histogram(d)  # later segments still indexed


def test_bad_identifier_size(tmp_path: Path) -> None:
    data = bytearray(REAL)
    hl = data.index(b"\0") + 1
    data[hl:hl + 4] = (3).to_bytes(4, "big")
    f = write(tmp_path, "bad_id_size.hprof", bytes(data))
    with pytest.raises(PmdeskError, match="unsupported identifier size 3"):
        Dump.open(str(f), index_dir=tmp_path / "idx")


def test_dump_is_never_written(tmp_path: Path) -> None:
    f = write(tmp_path, "readonly.hprof", REAL)
    f.chmod(0o444)
    before = os.stat(f)
    Dump.open(str(f), index_dir=tmp_path / "idx").close()
    after = os.stat(f)
    assert (before.st_mtime_ns, before.st_size) == (after.st_mtime_ns, after.st_size)
    assert f.read_bytes() == REAL


def test_file_removed_while_indexing(tmp_path: Path) -> None:
    f = write(tmp_path, "vanishing.hprof", REAL)

    def remove(fraction: float, _msg: str) -> None:
        if f.exists() and fraction > 0:
            f.unlink()

    with pytest.raises(PmdeskError, match="removed while it was being indexed"):
        Dump.open(str(f), index_dir=tmp_path / "idx", progress=Progress(remove))
    assert not list((tmp_path / "idx").glob("*.sqlite"))


def test_kill_during_indexing_leaves_no_index(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    code = ("import os, signal, sys; from pmdesk.base.progress import Progress; from pmdesk.model.dump import Dump;"
            "Dump.open(sys.argv[1], index_dir=sys.argv[2],"
            " progress=Progress(lambda f, m: os.kill(os.getpid(), signal.SIGKILL) if f > 0.2 else None))")
    r = subprocess.run([sys.executable, "-c", code, str(NOCOOPS), str(idx)], timeout=120)
    assert r.returncode == -9
    assert not list(idx.glob("*.sqlite"))
    leftovers = list(idx.glob("*.tmp-*"))
    with Dump.open(str(NOCOOPS), index_dir=idx) as d:  # the next run rebuilds and clears the leftover
        assert d.built
    assert not any(p.exists() for p in leftovers)


def test_garbage_after_gzip_dump(tmp_path: Path) -> None:
    f = write(tmp_path, "trailing_garbage.hprof.gz", SAMPLE.read_bytes() + b"not gzip at all")
    with Dump.open(str(f), index_dir=tmp_path / "idx") as d:
        assert [x.message for x in d.diagnostics() if x.code == "hprof.gzip"] == [
            "data after the end of the compressed stream"]
        assert d.meta["hprof.truncated_at"] is None and d.meta["summary.objects"] == 66334
