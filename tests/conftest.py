"""Shared fixtures: offscreen Qt, the corpus (when present beside the repo), temp index dirs, and numba's
kernels compiled once into the cache the command line uses."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
from pathlib import Path

import pytest

from pmdesk.launcher import _kernel_cache  # noqa: PLC2701 - the one place the CLI's kernel cache is named

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# the tests in this process and the pmdesk processes they start share one kernel cache (numba's default, beside
# the sources, would be a second one to compile)
os.environ.setdefault("NUMBA_CACHE_DIR", _kernel_cache())

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SAMPLE = ROOT / "resources" / "samples" / "leak-phase1.hprof.gz"
NOCOOPS = DATA / "leak-nocoops-phase1.hprof"
CORPUS_JVM = ROOT.parent / "shared" / "corpus" / "out" / "jvm"


@pytest.fixture(scope="session", autouse=True)
def _kernels_compiled(tmp_path_factory: pytest.TempPathFactory) -> None:
    """On a machine whose kernel cache is empty (a fresh CI machine), every numba kernel compiled once, here,
    before any test starts pmdesk processes — else each of them compiles them again (and each one a fault test
    kills mid-compile, again), which on 2 cores costs minutes."""
    cache = Path(os.environ["NUMBA_CACHE_DIR"])
    if cache.exists() and any(cache.rglob("*.nbi")):
        return
    from pmdesk import cli

    idx = tmp_path_factory.mktemp("kernels")
    heaps = []
    for packed in (DATA / "heaps" / "go" / "leak-1000.heapdump.gz", DATA / "heaps" / "python" / "leak-200.pyheap.gz"):
        heaps.append(idx / packed.stem)  # the readers take these raw
        heaps[-1].write_bytes(gzip.decompress(packed.read_bytes()))
    profiles = DATA / "profiles"
    runs = [["histogram", str(SAMPLE)], *(["histogram", str(h)] for h in heaps),
            ["hot", str(DATA / "jfr" / "workload.jfr")], ["profile", str(profiles / "perf-fpz.data")],
            ["profile", str(profiles / "perf-dwarf.data")], ["profile", str(profiles / "go" / "cpu.pb.gz")]]
    for args in runs:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            cli.main([*args, "--index-dir", str(idx)])


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


def cores_written_here() -> bool:
    """Whether a crashing process here leaves a core file in its working directory (core_pattern names a file,
    not a pipe to systemd-coredump or apport, nor another folder)."""
    try:
        pattern = Path("/proc/sys/kernel/core_pattern").read_text().strip()
    except OSError:
        return False
    return bool(pattern) and not pattern.startswith("|") and "/" not in pattern


def enable_cores() -> None:
    """A subprocess's preexec_fn: core files as big as the hard limit lets (0: none, and the test skips)."""
    import resource

    hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
    resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))


def main_window(qtbot, tmp_path: Path, name: str = "w"):  # noqa: ANN001, ANN201 - pytest-qt's qtbot
    """A shown main window with its own settings, autosave and index folder under `tmp_path`."""
    from PySide6.QtCore import QSettings

    from pmdesk.app.main_window import MainWindow

    w = MainWindow(index_dir=str(tmp_path / "idx"), settings=QSettings(str(tmp_path / f"{name}.ini"),
                                                                        QSettings.Format.IniFormat),
                   autosave=str(tmp_path / f"{name}.pmdesk"))
    qtbot.addWidget(w)
    w.show()
    return w
