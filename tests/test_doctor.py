"""`pmdesk doctor` on this machine's real processes — a JVM started without a heap dump on OutOfMemoryError or a
flight recording, a Python without faulthandler, a process whose core limit is 0 — and on a root whose
/proc and /etc say core_pattern pipes to systemd-coredump set to keep nothing; dump storms in triaged rows."""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pmdesk.model.triage.doctor import check_storms, doctor


def _no_cores() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


@pytest.fixture
def python_without_faulthandler():  # noqa: ANN201
    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], preexec_fn=_no_cores,
                         env={"PATH": "/usr/bin:/bin"})
    time.sleep(0.3)
    yield p
    p.kill()
    p.wait()


def test_processes_without_cores_or_faulthandler(python_without_faulthandler: subprocess.Popen) -> None:
    doc = doctor()
    mine = [f for f in doc["findings"] if python_without_faulthandler.pid in f["pids"]]
    checks = {f["check"] for f in mine}
    assert {"core.rlimit", "python.faulthandler"} <= checks
    rl = next(f for f in mine if f["check"] == "core.rlimit")
    assert f"--pid {python_without_faulthandler.pid}" in rl["fix"]
    assert {"findings", "checked", "processes"} <= set(doc)
    for f in doc["findings"]:
        assert set(f) == {"check", "severity", "what", "fix", "pid", "pids"}
        assert f["severity"] in ("error", "warning", "info")


@pytest.mark.skipif(shutil.which("java") is None, reason="needs a JDK")
def test_jvm_without_heap_dump_on_oom(tmp_path: Path) -> None:
    src = tmp_path / "Sleep.java"
    src.write_text("public class Sleep { public static void main(String[] a) throws Exception "
                   "{ System.out.println(\"up\"); Thread.sleep(60000); } }")
    bare = subprocess.Popen(["java", "-Xmx64m", str(src)], stdout=subprocess.PIPE, text=True)
    kept = subprocess.Popen(["java", "-Xmx64m", "-XX:+HeapDumpOnOutOfMemoryError", f"-XX:HeapDumpPath={tmp_path}",
                             "-XX:StartFlightRecording=maxage=1m", str(src)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        for p in (bare, kept):   # JFR says it started a recording first
            assert any(line.strip() == "up" for line in iter(p.stdout.readline, ""))
        doc = doctor()
        bare_checks = {f["check"] for f in doc["findings"] if f["pid"] == bare.pid}
        kept_checks = {f["check"] for f in doc["findings"] if f["pid"] == kept.pid}
        assert {"jvm.heap-dump", "jvm.flight-recorder"} <= bare_checks
        assert not kept_checks & {"jvm.heap-dump", "jvm.flight-recorder"}
        fix = next(f["fix"] for f in doc["findings"] if f["pid"] == bare.pid and f["check"] == "jvm.heap-dump")
        assert fix.startswith(f"jcmd {bare.pid} VM.set_flag HeapDumpOnOutOfMemoryError true")
    finally:
        for p in (bare, kept):
            p.kill()
            p.wait()


def test_systemd_coredump_keeping_nothing(tmp_path: Path) -> None:
    (tmp_path / "proc/sys/kernel").mkdir(parents=True)
    (tmp_path / "proc/sys/kernel/core_pattern").write_text("|/usr/lib/systemd/systemd-coredump %P %u %g %s %t %c %h\n")
    (tmp_path / "etc/systemd/coredump.conf.d").mkdir(parents=True)
    (tmp_path / "etc/systemd/coredump.conf").write_text("[Coredump]\n#Storage=external\nCompress=no\n")
    (tmp_path / "etc/systemd/coredump.conf.d/50-site.conf").write_text("[Coredump]\nStorage=none\nMaxUse=1G\n")
    checks = {f["check"]: f for f in doctor(str(tmp_path))["findings"]}
    assert checks["coredump.storage"]["severity"] == "error" and "Storage=external" in checks["coredump.storage"]["fix"]
    assert "coredump.compress" in checks and "coredump.maxuse" in checks
    (tmp_path / "proc/sys/kernel/core_pattern").write_text("/nonexistent/cores/core.%p\n")
    assert {f["check"] for f in doctor(str(tmp_path))["findings"]} >= {"core.pattern"}


def test_dump_storm() -> None:
    rows = [{"path": f"/d/{i}", "kind": "crash", "signature": "store_value", "time": f"2026-12-06T10:{i:02d}:00Z",
             "bytes": 1} for i in range(12)]
    rows += [{"path": f"/e/{i}", "kind": "crash", "signature": "other", "time": f"2026-12-0{i + 1}T10:00:00Z",
              "bytes": 1} for i in range(5)]
    storms = check_storms(rows)   # 12 in 11 minutes; the other bucket's 5 a day apart
    assert len(storms) == 1 and "store_value" in storms[0].what and "12 within an hour" in storms[0].what


def test_doctor_cli_json() -> None:
    r = subprocess.run([sys.executable, "-m", "pmdesk", "doctor", "--json"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert isinstance(json.loads(r.stdout)["findings"], list)


def test_go_program_without_gotraceback_crash() -> None:
    """A real Go binary (tests/data/native/go, built by its make.sh) is told by its .go.buildinfo section."""
    from pmdesk.model.triage.doctor import Process, check_runtimes

    exe = str(Path(__file__).parent / "data" / "native" / "go" / "crash.bin")
    found = check_runtimes([Process(4321, exe, [exe], {}, None)])
    assert [f.check for f in found] == ["go.traceback"] and "GOTRACEBACK=crash" in found[0].fix
    assert check_runtimes([Process(4321, exe, [exe], {"GOTRACEBACK": "crash"}, None)]) == []
    assert check_runtimes([Process(4321, "/bin/sh", ["/bin/sh"], {}, None)]) == []
