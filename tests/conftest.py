"""Shared fixtures: offscreen Qt, the corpus (when present beside the repo), and temp index dirs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SAMPLE = ROOT / "resources" / "samples" / "leak-phase1.hprof.gz"
NOCOOPS = DATA / "leak-nocoops-phase1.hprof"
CORPUS_JVM = ROOT.parent / "shared" / "corpus" / "out" / "jvm"


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    d = tmp_path / "index"
    d.mkdir()
    return d


MOBILE = ROOT.parent / "shared" / "corpus" / "out" / "mobile"


def mobile(*parts: str) -> Path:
    """A public mobile artefact of the shared corpus (Apple reports, dSYMs, tombstones), or skip the test."""
    p = MOBILE.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"{p} not present (../shared/corpus/out/mobile)")
    return p


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`pmdesk ARGV` in this process: exit code, stdout, stderr."""
    from pmdesk.cli import main

    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def corpus(name: str) -> Path:
    p = CORPUS_JVM / name
    if not p.exists():
        pytest.skip(f"corpus file {name} not present (../shared/corpus)")
    return p


def assert_read_only_dump_untouched(source: Path, tmp_path: Path, suffix: str) -> None:
    """Index a read-only copy of a heap dump, build its graph and read an object: its bytes stay as they were."""
    import shutil

    import numpy as np

    from pmdesk.model.dump import Dump
    from pmdesk.model.heap.graph import ensure_graph, heap_graph

    copy = tmp_path / f"ro{suffix}"
    shutil.copyfile(source, copy)
    before = copy.read_bytes()
    copy.chmod(0o444)
    d = Dump.open(copy, index_dir=tmp_path / "i")
    ensure_graph(d)
    heap_graph(d).object_reader().details(0)
    assert copy.read_bytes() == before and np.any(np.frombuffer(before[:16], np.uint8))
