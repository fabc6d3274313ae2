"""memray captures, recorded here with `memray run` (a test extra on Linux) of
tests/data/samples/memray/alloc_program.py, read through memray.FileReader as stack samples: the
high-water mark, leaks, temporary and all allocations, against what `memray stats --json` says of the same
capture; a capture memray cannot read, or no memray, in one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pmdesk.model.dump import Dump
from pmdesk.model.samples.profile import Selection, load, select
from tests.conftest import DATA, run_cli

PROGRAM = DATA / "samples" / "memray" / "alloc_program.py"


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    pytest.importorskip("memray", reason="memray (a test extra on Linux) records the capture")
    out = tmp_path_factory.mktemp("memray")
    cap = out / "alloc.bin"
    subprocess.run([sys.executable, "-m", "memray", "run", "-q", "-o", str(cap), str(PROGRAM)], check=True,
                   timeout=300, capture_output=True)
    stats = out / "stats.json"
    subprocess.run([sys.executable, "-m", "memray", "stats", "--json", "-n", "1000", "-o", str(stats), str(cap)],
                   check=True, timeout=300, capture_output=True)
    return cap, json.loads(stats.read_text())


def _functions(d: Dump, event: str) -> dict[str, dict]:
    return {f["function"]: f for f in select(load(d), Selection(event=event)).functions()}


def test_views_equal_memray_stats(capture: tuple[Path, dict], tmp_path: Path) -> None:
    cap, stats = capture
    d = Dump.open(cap, index_dir=tmp_path)
    s = load(d)
    assert s.events == ["high-water mark", "leaks", "temporary allocations", "all allocations"]
    peak = select(s, Selection(event="high-water mark"))
    assert peak.total == stats["metadata"]["peak_memory"]
    every = select(s, Selection(event="all allocations"))
    assert every.total == stats["total_bytes_allocated"]
    assert select(s, Selection(event="all allocations", type="allocations")).total == stats["total_num_allocations"]
    by_function: dict[str, int] = {}
    for row in stats["top_allocations_by_size"]:
        function = row["location"].split(":", 1)[0]
        by_function[function] = by_function.get(function, 0) + row["size"]
    mine = _functions(d, "all allocations")
    assert {f: int(mine[f]["self"]) for f in ("leak", "churn")} == {f: by_function[f] for f in ("leak", "churn")}


def test_leaks_and_temporary_allocations_are_where_the_program_made_them(capture: tuple[Path, dict],
                                                                         tmp_path: Path) -> None:
    cap, _stats = capture
    d = Dump.open(cap, index_dir=tmp_path)
    leaks, temporary = _functions(d, "leaks"), _functions(d, "temporary allocations")
    assert leaks["leak"]["self"] >= 100 * 100_000 and "churn" not in leaks
    assert temporary["churn"]["self"] >= 50 * 1_000_000
    assert d.meta["memray.version"]


def test_the_profile_commands_read_it(capture: tuple[Path, dict], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    cap, _stats = capture
    rc, out, err = run_cli(capsys, "profile", str(cap), "--event", "leaks", "--index-dir", str(tmp_path), "--json")
    assert rc == 0, err
    assert json.loads(out)["source"] == "memray"


def test_a_capture_memray_cannot_read_is_one_line(capture: tuple[Path, dict], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    cap, _stats = capture
    bad = tmp_path / "cut.bin"
    bad.write_bytes(cap.read_bytes()[:40])
    rc, _out, err = run_cli(capsys, "profile", str(bad), "--index-dir", str(tmp_path / "i"))
    assert rc != 0 and err.count("\n") == 1 and str(bad) in err and "memray" in err


def test_without_memray_the_capture_says_what_to_install(capture: tuple[Path, dict], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    shadow = tmp_path / "shadow"  # the child interpreter that reads captures finds this memray first
    shadow.mkdir()
    (shadow / "memray.py").write_text("raise ImportError('no memray here')\n")
    monkeypatch.setenv("PYTHONPATH", str(shadow))
    rc, _out, err = run_cli(capsys, "profile", str(capture[0]), "--index-dir", str(tmp_path / "i"))
    assert rc != 0 and "pmdesk[memray]" in err and err.count("\n") == 1
