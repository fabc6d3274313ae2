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


def corpus(name: str) -> Path:
    p = CORPUS_JVM / name
    if not p.exists():
        pytest.skip(f"corpus file {name} not present (../shared/corpus)")
    return p
