"""tracemalloc snapshots (Snapshot.dump) read without running their pickle: statistics and compare_to line for
line as the stdlib prints them for the same files (tests/data/samples/tracemalloc/snapshot_program.py, run
here with the interpreter under test), the tracebacks as stack samples, and hostile pickles refused."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from pmdesk import cli
from pmdesk.model.dump import Dump
from pmdesk.model.samples.profile import load, select
from tests.conftest import DATA, run_cli

PROGRAM = DATA / "samples" / "tracemalloc" / "snapshot_program.py"


@pytest.fixture(scope="module")
def snaps(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    out = tmp_path_factory.mktemp("tm")
    subprocess.run([sys.executable, str(PROGRAM), str(out)], check=True, timeout=120)
    return out / "a.tracemalloc", out / "b.tracemalloc", json.loads((out / "truth.json").read_text())


@pytest.mark.parametrize("key", ["lineno", "filename", "traceback", "lineno-cumulative", "filename-cumulative"])
@pytest.mark.parametrize("what", ["statistics", "compare_to"])
def test_statistics_print_as_the_stdlib_prints_them(snaps: tuple[Path, Path, dict], tmp_path: Path, key: str,
                                                    what: str, capsys: pytest.CaptureFixture[str]) -> None:
    a, b, truth = snaps
    by, _, cumulative = key.partition("-")
    argv = ["allocations", str(b), "--by", by, "--top", "0", "--index-dir", str(tmp_path)]
    argv += ["--cumulative"] if cumulative else []
    argv += ["--compare", str(a)] if what == "compare_to" else []
    rc, out, err = run_cli(capsys, *argv)
    assert rc == 0, err
    assert out.splitlines() == truth[f"{what} {key}"]
    rc, out, err = run_cli(capsys, *argv, "--json")
    doc = json.loads(out)
    assert set(doc) == {"file", "compared_to", "key_type", "cumulative", "traces", "size_bytes", "statistics"}
    assert len(doc["statistics"]) == len(truth[f"{what} {key}"])
    assert doc["traces"] == truth["traces"] and doc["size_bytes"] == truth["bytes"]


def test_tracebacks_are_stack_samples_weighted_by_bytes(snaps: tuple[Path, Path, dict], tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    _a, b, truth = snaps
    d = Dump.open(b, index_dir=tmp_path)
    prof = select(load(d))
    assert prof.type == "inuse_space" and prof.total == truth["bytes"]
    mine = [f for f in prof.functions() if f["module"] == str(PROGRAM.parent)]
    assert all(f["function"].startswith(f"{PROGRAM.name}:") for f in mine)
    leaf = next(f for f in mine if f["self"] > 100_000)
    assert leaf["self"] == leaf["total"]
    nested = [f for f in mine if f["total"] > f["self"]]
    assert nested  # the calls above the allocating line hold it in their totals
    rc, out, err = run_cli(capsys, "profile-diff", str(_a), str(b), "--index-dir", str(tmp_path), "--json")
    assert rc == 0, err
    assert json.loads(out)["b"]["total"] == truth["bytes"]


# ---------------------------------------------------------------- hostile pickles
def _op_string(s: str) -> bytes:
    data = s.encode()
    return b"\x8c" + bytes([len(data)]) + data  # SHORT_BINUNICODE


def _malicious(marker: Path) -> bytes:
    """A pickle that first names tracemalloc.Snapshot (so it looks like a snapshot), then calls os.system."""
    return (b"\x80\x04" + _op_string("tracemalloc") + _op_string("Snapshot") + b"\x93" + b"0"  # STACK_GLOBAL, POP
            + _op_string("os") + _op_string("system") + b"\x93" + _op_string(f"touch {marker}") + b"\x85"  # TUPLE1
            + b"R" + b".")  # REDUCE, STOP


def test_the_malicious_pickle_would_run_a_command(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    subprocess.run([sys.executable, "-c", "import pickle, sys; pickle.loads(sys.stdin.buffer.read())"],
                   input=_malicious(marker), check=True, timeout=60)
    assert marker.exists()  # what pickle.load (and so Snapshot.load) does with it


def test_a_malicious_pickle_is_refused_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "ran"
    bad = tmp_path / "evil.tracemalloc"
    bad.write_bytes(_malicious(marker))
    rc, _out, err = run_cli(capsys, "profile", str(bad), "--index-dir", str(tmp_path / "i"))
    assert rc == cli.EXIT_UNREADABLE and err.count("\n") == 1 and str(bad) in err
    assert "os.system" in err and "refused" in err
    assert not marker.exists()


@pytest.mark.parametrize(("what", "data"), [
    ("a pickle of a dict", pickle.dumps({"tracemalloc": "Snapshot"}, 4)),
    ("cut", None),
    ("another global", b"\x80\x04" + _op_string("tracemalloc") + _op_string("Snapshot") + b"\x930"
     + _op_string("builtins") + _op_string("eval") + b"\x93."),
    ("a damaged trace", None),
])
def test_damaged_snapshots_give_one_line(snaps: tuple[Path, Path, dict], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str], what: str, data: bytes | None) -> None:
    good = snaps[1].read_bytes()
    if what == "cut":
        data = good[:len(good) // 2]
    elif what == "a damaged trace":
        import tracemalloc

        data = pickle.dumps(tracemalloc.Snapshot([(0, -5, (("f.py", 1),), 1)], 1), 4)
    bad = tmp_path / "bad.tracemalloc"
    bad.write_bytes(data)  # type: ignore[arg-type]
    rc, _out, err = run_cli(capsys, "allocations", str(bad), "--index-dir", str(tmp_path / "i"))
    assert rc != 0 and err.count("\n") == 1 and str(bad) in err, (what, err)
    assert "Traceback" not in err


def test_allocations_refuses_other_profiles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folded = tmp_path / "x.folded"
    folded.write_text("main;work 10\nmain;idle 5\n")
    rc, _out, err = run_cli(capsys, "allocations", str(folded), "--index-dir", str(tmp_path / "i"))
    assert rc != 0 and "not a tracemalloc snapshot" in err and err.count("\n") == 1
