"""The headless CLI: JSON contracts, exit codes, warnings on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pmdesk.cli import main
from tests.conftest import NOCOOPS, SAMPLE


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def test_histogram_json_contract(capsys: pytest.CaptureFixture[str], index_dir: Path) -> None:
    rc, out, err = run(capsys, "histogram", str(NOCOOPS), "--json", "--index-dir", str(index_dir))
    assert rc == 0 and err == ""
    doc = json.loads(out)
    assert set(doc) == {"file", "format", "objects", "shallow_bytes", "classes"}
    assert doc["format"] == "hprof"
    assert all(set(c) == {"name", "count", "shallow_bytes", "retained_bytes"} for c in doc["classes"])
    assert doc["objects"] == sum(c["count"] for c in doc["classes"])
    assert doc["shallow_bytes"] == sum(c["shallow_bytes"] for c in doc["classes"])
    sizes = [c["shallow_bytes"] for c in doc["classes"]]
    assert sizes == sorted(sizes, reverse=True)


def test_histogram_options(capsys: pytest.CaptureFixture[str], index_dir: Path) -> None:
    rc, out, _ = run(capsys, "histogram", str(NOCOOPS), "--json", "--top", "3", "--sort", "count",
                     "--filter", r"^java\.util\.", "--index-dir", str(index_dir))
    classes = json.loads(out)["classes"]
    assert rc == 0 and len(classes) == 3
    assert all(c["name"].startswith("java.util.") for c in classes)
    assert [c["count"] for c in classes] == sorted((c["count"] for c in classes), reverse=True)
    rc, out, _ = run(capsys, "histogram", str(NOCOOPS), "--top", "2", "--index-dir", str(index_dir))
    assert rc == 0 and "byte[]" in out and "Total" in out


def test_bad_regex_is_one_line(capsys: pytest.CaptureFixture[str], index_dir: Path) -> None:
    rc, _, err = run(capsys, "histogram", str(NOCOOPS), "--filter", "(", "--index-dir", str(index_dir))
    assert rc == 2 and len(err.strip().splitlines()) == 1


def test_info_and_index(capsys: pytest.CaptureFixture[str], index_dir: Path) -> None:
    rc, out, _ = run(capsys, "index", str(SAMPLE), "--index-dir", str(index_dir))
    assert rc == 0 and "built" in out
    rc, out, _ = run(capsys, "info", str(SAMPLE), "--json", "--index-dir", str(index_dir))
    info = json.loads(out)
    assert rc == 0 and info["format"] == "hprof" and info["index_state"] == "reused"
    assert info["summary"]["objects"] > 60000
    assert Path(info["index_path"]).parent == index_dir
    rc, out, _ = run(capsys, "index", str(SAMPLE), "--force", "--index-dir", str(index_dir))
    assert rc == 0 and "built" in out
    rc, out, _ = run(capsys, "info", str(SAMPLE), "--index-dir", str(index_dir))
    assert "compressed oops" in out


@pytest.mark.parametrize("make", ["empty", "directory", "text", "missing", "header_only"])
def test_unreadable_files_exit_2_with_one_line(make: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / f"{make}.hprof"
    if make == "empty":
        f.write_bytes(b"")
    elif make == "directory":
        f.mkdir()
    elif make == "text":
        f.write_text("2026-11-26 12:00:00 INFO started\n")
    elif make == "header_only":
        f.write_bytes(NOCOOPS.read_bytes()[:22])
    rc, out, err = run(capsys, "histogram", str(f), "--index-dir", str(tmp_path / "idx"))
    assert rc == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and str(f) in lines[0] and "Traceback" not in err


def test_console_entry_point_runs_headless(tmp_path: Path) -> None:
    # a bare environment (no DISPLAY, a new HOME); the compiled kernels are this run's own, so the test does
    # not spend half a minute compiling them again (benchmarks/first_run.py measures a first run)
    from pmdesk.launcher import _kernel_cache

    r = subprocess.run([sys.executable, "-m", "pmdesk", "histogram", str(NOCOOPS), "--top", "1",
                        "--index-dir", str(tmp_path)], capture_output=True, text=True, timeout=120,
                       env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                            "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR") or _kernel_cache()})
    assert r.returncode == 0, r.stderr
    assert "byte[]" in r.stdout


def test_unknown_format_says_what_it_looks_like(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "archive.gz"
    f.write_bytes(b"\x1f\x8b\x08\x00" + bytes(100))
    rc, _, err = run(capsys, "info", str(f), "--index-dir", str(tmp_path / "idx"))
    assert rc == 2 and "looks like gzip data" in err and "heap dumps" in err and "crash dumps" in err


def test_histogram_sort_choices_are_the_models() -> None:
    from pmdesk.cli.heap import HISTOGRAM_SORTS
    from pmdesk.model.heap import histogram as heap

    assert set(HISTOGRAM_SORTS) == set(heap.SORT_KEYS)


def test_the_launcher_says_what_is_wrong_before_qt_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pmdesk.cli.registry import COMMANDS
    from pmdesk.launcher import gui_problem

    assert "did you mean histogram?" in gui_problem(["histgram", str(NOCOOPS)], COMMANDS)
    said = gui_problem([str(NOCOOPS), "--top", "5"], COMMANDS)
    assert "--top is an option of histogram" in said and "pmdesk histogram FILE --top 5" in said
    assert gui_problem([str(tmp_path / "gone.hprof")], COMMANDS).endswith("gone.hprof: no such file")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    assert "no display" in gui_problem([str(NOCOOPS)], COMMANDS) and "xvfb-run" in gui_problem([], COMMANDS)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert gui_problem([str(NOCOOPS), "--sample"], COMMANDS) is None
    r = subprocess.run([sys.executable, "-m", "pmdesk", "histgram", str(NOCOOPS)], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "did you mean histogram" in r.stderr


def test_formats_and_files_pmdesk_does_not_read_yet(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rc, out, _ = run(capsys, "formats", "--json")
    doc = json.loads(out)
    assert rc == 0 and {f["name"] for f in doc["formats"]} >= {"hprof", "jfr", "elfcore", "threads"}
    assert "stack" in next(f for f in doc["formats"] if f["name"] == "elfcore")["commands"]
    crash = tmp_path / "hs_err_pid1.log"
    crash.write_text("#\n# A fatal error has been detected by the Java Runtime Environment:\n#\n")
    rc, _, err = run(capsys, "info", str(crash), "--index-dir", str(tmp_path / "idx"))
    assert rc == 2 and "HotSpot fatal error log cut before its error line" in err and len(err.splitlines()) == 1
    heap = tmp_path / "heapdump.bin"
    heap.write_bytes(b"go1.7 heap dump\n" + bytes(200))  # a Go heap dump's header, then nonsense: one line
    rc, _, err = run(capsys, "info", str(heap), "--index-dir", str(tmp_path / "idx"))
    assert rc == 2 and str(heap) in err and len(err.strip().splitlines()) == 1
    perf = tmp_path / "perf.data"
    perf.write_bytes(b"PERFILE2" + bytes(200))  # a perf.data header of nonsense: one line naming the file
    rc, _, err = run(capsys, "info", str(perf), "--index-dir", str(tmp_path / "idx"))
    assert rc == 2 and str(perf) in err and "header" in err and len(err.strip().splitlines()) == 1
    text = tmp_path / "notes.txt"
    text.write_text("nothing a dump would say\n")
    rc, _, err = run(capsys, "info", str(text), "--index-dir", str(tmp_path / "idx"))
    assert rc == 2 and len(err) < 250 and "pmdesk formats" in err


def test_help_says_defaults_and_the_window_options() -> None:
    r = subprocess.run([sys.executable, "-m", "pmdesk", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--new-instance" in r.stdout and "--sample" in r.stdout
    r = subprocess.run([sys.executable, "-m", "pmdesk", "biggest", "--help"], capture_output=True, text=True)
    assert "(default 25)" in r.stdout.replace("\n", " ").replace("  ", " ") and "--json" in r.stdout
