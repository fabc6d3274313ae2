"""Desktop integration the way the desktop does it: install the file types and the .desktop entry into a
temporary XDG_DATA_HOME, ask xdg-mime what the dumps are and what opens them, then start pmdesk through
the entry's Exec line (under xvfb-run) and check that it opened the file."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATA, ROOT

TOOLS = ("xdg-mime", "update-mime-database")
pytestmark = pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS),
                                reason="xdg-utils / shared-mime-info not installed")
INSTALLERS = ROOT / "installers" / "linux"


@pytest.fixture
def desktop(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_DATA_DIRS": "/usr/local/share:/usr/share"}
    env.pop("XDG_CURRENT_DESKTOP", None)
    pmdesk = Path(sys.executable).with_name("pmdesk")
    subprocess.run(["bash", str(INSTALLERS / "install.sh"), str(pmdesk)], env=env, check=True, capture_output=True)
    return env


def query(env: dict[str, str], *args: str) -> str:
    return subprocess.run(["xdg-mime", "query", *args], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_dumps_get_pmdesk_types_and_pmdesk_opens_them(desktop: dict[str, str]) -> None:
    cases = {DATA / "leak-nocoops-phase1.hprof": "application/x-java-hprof",
             DATA / "leak-phase2.hprof.gz": "application/x-java-hprof",
             DATA / "threads" / "deadlock-sync.jstack.txt": "text/x-java-thread-dump",
             DATA / "threads" / "jdk25-vthreads.dump.json": "text/x-java-thread-dump",
             DATA / "threads" / "jdk25-vthreads.dump.txt": "text/x-java-thread-dump",
             DATA / "threads" / "go_deadlock.sigquit.txt": "text/x-go-goroutine-dump",
             DATA / "threads" / "py_hang.sigabrt.stderr.txt": "text/x-python-faulthandler-dump",
             DATA / "native" / "compressed" / "segv_chain.core.zst": "application/x-compressed-core",
             DATA / "native" / "cores" / "segv_chain.core": "application/x-core",
             DATA / "profiles" / "perf-fp.script.txt": "text/x-perf-script",
             DATA / "profiles" / "perf-fp.pl.folded": "text/x-folded-stacks",
             DATA / "profiles" / "bpftrace-ustack.txt": "text/x-bpftrace-output",
             DATA / "profiles" / "bpftrace-ustack.json": "text/x-bpftrace-output",
             DATA / "profiles" / "offcputime.txt": "text/x-offcputime-output",
             DATA / "profiles" / "go" / "cpu.pb.gz": "application/x-pprof"}
    for path, mime in cases.items():
        assert query(desktop, "filetype", str(path)) == mime, path
        assert query(desktop, "default", mime) == "pmdesk.desktop"
    assert query(desktop, "default", "application/x-core") == "pmdesk.desktop"
    session = Path(desktop["XDG_DATA_HOME"]) / "case.pmdesk"
    session.write_text('{"format": "pmdesk-session", "version": 1}')
    assert query(desktop, "filetype", str(session)) == "application/x-pmdesk-session"
    assert query(desktop, "default", "application/x-pmdesk-session") == "pmdesk.desktop"


def gio_type(env: dict[str, str], path: Path) -> str:
    out = subprocess.run(["gio", "info", "-a", "standard::content-type", str(path)], env=env, capture_output=True,
                         text=True, check=True).stdout
    return out.rsplit("standard::content-type:", 1)[1].strip()


@pytest.mark.skipif(shutil.which("gio") is None, reason="gio (libglib2.0-bin) not installed")
def test_file_managers_send_apple_reports_to_pmdesk_and_patches_elsewhere(desktop: dict[str, str],
                                                                           tmp_path: Path) -> None:
    """GIO (what file managers use) types by glob first: .ips is also an IPS patch's extension, so pmdesk
    declares the glob too and its content rule decides — a crash report is pmdesk's, a patch stays a patch."""
    mobile = ROOT.parent / "shared" / "corpus" / "out" / "mobile"
    reports = sorted([*mobile.glob("ips/*.ips"), *mobile.glob("crash/*.crash")])
    if not reports:
        pytest.skip("corpus not present")
    for path in reports:
        assert gio_type(desktop, path) == "application/x-apple-crash-report", path
        assert query(desktop, "filetype", str(path)) == "application/x-apple-crash-report", path
    patch = tmp_path / "rom.ips"
    patch.write_bytes(b"PATCH\x00\x00\x10\x00\x01AEOF")
    assert gio_type(desktop, patch) == "application/x-ips-patch"
    mime = subprocess.run(["gio", "mime", "application/x-apple-crash-report"], env=desktop, capture_output=True,
                          text=True, check=True).stdout
    assert "Default application for “application/x-apple-crash-report”: pmdesk.desktop" in mime


def test_install_refuses_a_pmdesk_that_is_not_there(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    r = subprocess.run(["bash", str(INSTALLERS / "install.sh"), str(tmp_path / "no" / "pmdesk")], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "no pmdesk to register" in r.stderr
    assert not (tmp_path / "data" / "applications" / "pmdesk.desktop").exists()


def test_corpus_types(desktop: dict[str, str]) -> None:
    jfr = ROOT.parent / "shared" / "corpus" / "out" / "jvm" / "workload.jfr"
    if not jfr.exists():
        pytest.skip("corpus not present")
    assert query(desktop, "filetype", str(jfr)) == "application/x-java-flight-recording"


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run not installed")
def test_the_entry_starts_pmdesk_with_the_file_open(desktop: dict[str, str], tmp_path: Path) -> None:
    entry = Path(desktop["XDG_DATA_HOME"]) / "applications" / "pmdesk.desktop"
    exec_line = next(ln.split("=", 1)[1] for ln in entry.read_text().splitlines() if ln.startswith("Exec="))
    dump = DATA / "threads" / "deadlock-rlock.jstack.txt"
    argv = [a for a in shlex.split(exec_line.replace("%F", shlex.quote(str(dump))))]
    env = {**desktop, "PMDESK_EXIT_AFTER_OPEN": "1"}
    env.pop("QT_QPA_PLATFORM", None)
    r = subprocess.run(["xvfb-run", "-a", *argv, "--new-instance"], env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert f"opened {dump}" in r.stdout


def test_uninstall_removes_the_entry(desktop: dict[str, str]) -> None:
    subprocess.run(["bash", str(INSTALLERS / "uninstall.sh")], env=desktop, check=True, capture_output=True)
    assert not (Path(desktop["XDG_DATA_HOME"]) / "applications" / "pmdesk.desktop").exists()
    assert query(desktop, "filetype", str(DATA / "threads" / "deadlock-sync.jstack.txt")) != "text/x-java-thread-dump"
