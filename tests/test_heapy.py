"""guppy3/heapy stat dumps: every entry of a series, and the difference of two, printed line for line as
heapy prints them for the same file (tests/data/samples/heapy/stat_program.py, run here with guppy3 — a
test extra); the entries as stack samples by kind; damaged files said in one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pmdesk.model.dump import Dump
from pmdesk.model.samples.profile import Selection, load, select
from tests.conftest import DATA, run_cli

PROGRAM = DATA / "samples" / "heapy" / "stat_program.py"


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    pytest.importorskip("guppy", reason="guppy3 (a test extra) makes the stat dumps")
    out = tmp_path_factory.mktemp("heapy")
    subprocess.run([sys.executable, str(PROGRAM), str(out)], check=True, timeout=300)
    return out / "growing.heapy", json.loads((out / "truth.json").read_text())


def test_every_entry_prints_as_heapy_prints_it(series: tuple[Path, dict], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path, truth = series
    assert len(truth["entries"]) == 5  # three partitions by kind, one by identity, one difference
    for k, want in enumerate(truth["entries"], 1):
        rc, out, err = run_cli(capsys, "heapy", str(path), "--entry", str(k), "--index-dir", str(tmp_path))
        assert rc == 0, err
        assert out.rstrip("\n") == want, k


@pytest.mark.parametrize(("a", "b"), [(3, 2), (3, 1)])
def test_the_difference_of_two_entries_is_heapys(series: tuple[Path, dict], tmp_path: Path, a: int, b: int,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path, truth = series
    rc, out, err = run_cli(capsys, "heapy", str(path), "--entry", str(a), "--minus", str(b),
                           "--index-dir", str(tmp_path))
    assert rc == 0, err
    assert out.rstrip("\n") == truth[f"difference {a} - {b}"]
    rc, out, _err = run_cli(capsys, "heapy", str(path), "--entry", str(a), "--minus", str(b), "--top", "0",
                            "--index-dir", str(tmp_path), "--json")
    doc = json.loads(out)
    assert {"file", "entries", "entry", "format", "count", "size_bytes", "rows"} <= set(doc)
    assert doc["format"] == "DiffFormat" and sum(r["size_bytes"] for r in doc["rows"]) == doc["size_bytes"]


def test_entries_are_samples_by_kind(series: tuple[Path, dict], tmp_path: Path) -> None:
    path, truth = series
    d = Dump.open(path, index_dir=tmp_path)
    s = load(d)
    assert s.events == [f"entry {k}" for k in range(1, 6)]
    prof = select(s, Selection(event="entry 3"))
    funcs = {f["function"]: f["self"] for f in prof.functions()}
    assert funcs["bytearray"] >= 1000 * 100
    assert len(funcs) == truth["numrows"][2]


@pytest.mark.parametrize(("what", "text"), [
    ("no entry", ".loader: _load_stat\n.format: NoSuchFormat\n.count: 1\n.end: .loader: _load_stat\n"),
    ("not key: value", ".loader: _load_stat\nhello\n"),
    ("damaged row", ".loader: _load_stat\n.format: SetFormat\n.r: many 12 str\n"),
    ("a count that is not a number", ".loader: _load_stat\n.format: SetFormat\n.count: lots\n"),
])
def test_damaged_dumps_give_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], what: str,
                                     text: str) -> None:
    bad = tmp_path / "bad.heapy"
    bad.write_text(text)
    rc, _out, err = run_cli(capsys, "heapy", str(bad), "--index-dir", str(tmp_path / "i"))
    assert rc != 0 and err.count("\n") == 1 and str(bad) in err, (what, err)


def test_a_cut_dump_reads_what_it_holds(series: tuple[Path, dict], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path, _truth = series
    lines = path.read_text().splitlines(keepends=True)
    cut = tmp_path / "cut.heapy"
    cut.write_text("".join(lines[:30]))
    rc, out, err = run_cli(capsys, "heapy", str(cut), "--list", "--index-dir", str(tmp_path / "i"))
    assert rc == 0 and out.count("\n") == 3 and "cut short" in err
