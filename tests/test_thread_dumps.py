"""Thread dumps against the truth the generators recorded: Java threads, states and deadlocks as jstack
itself reports them (three producers each), Go goroutines, Python faulthandler stacks; series, cut and
unrelated input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pmdesk import cli
from pmdesk.base.errors import PmdeskError
from pmdesk.model.dump import Dump
from pmdesk.model.threads import dumps as threads
from tests.conftest import DATA

TD = DATA / "threads"
JAVA = ["deadlock-sync", "deadlock-rlock", "busy-pool"]
PRODUCERS = ["jstack.txt", "jcmd-thread-print.txt", "sigquit.stdout.log"]


def open_dump(path: Path, tmp_path: Path) -> Dump:
    return Dump.open(path, index_dir=tmp_path / "idx")


@pytest.mark.parametrize("case", JAVA)
@pytest.mark.parametrize("producer", PRODUCERS)
def test_java_threads_states_and_deadlocks_equal_the_truth(case: str, producer: str, tmp_path: Path) -> None:
    truth = json.loads((TD / f"{case}.truth.json").read_text())
    with open_dump(TD / f"{case}.{producer}", tmp_path) as d:
        (dv,) = threads.load_dumps(d)
        java = {t.name: t for t in dv.threads if t.java_thread}
        assert len(java) == truth["java_thread_count"]
        assert len([t for t in dv.threads if not t.java_thread]) == truth["vm_thread_count"]
        for name, th in truth["threads"].items():
            if th.get("java_thread", True):
                assert java[name].state == th["state"], name
                assert java[name].daemon == th["daemon"], name
                top = java[name].frames[0] if java[name].frames else None
                if th.get("top_frame") and producer == "jstack.txt":  # the truth's frames are jstack's
                    assert top is not None and th["top_frame"].startswith(top.function + "("), name
                if "locked" in th:
                    assert {lk["address"] for lk in th["locked"]} <= set(java[name].holds), name
        got = sorted(sorted(dl.threads) for dl in dv.deadlocks)
        assert got == sorted(sorted(dl["threads"]) for dl in truth["deadlocks"])
        for dl, want in zip(sorted(dv.deadlocks, key=lambda x: sorted(x.threads)),
                            sorted(truth["deadlocks"], key=lambda x: sorted(x["threads"])), strict=True):
            assert sorted(dl.locks) == sorted(e["object"] for e in want["edges"])


def test_threads_blocked_behind_a_deadlock_are_not_deadlocked(tmp_path: Path) -> None:
    with open_dump(TD / "deadlock-rlock.jstack.txt", tmp_path) as d:
        (dv,) = threads.load_dumps(d)
        victim = next(t for t in dv.threads if t.name == "rl-victim")
        assert victim.waits_for is not None and victim.wait_status == "blocked"
        assert {t.name for t in dv.threads if t.wait_status == "deadlocked"} == {"rl-deadlock-1", "rl-deadlock-2"}


def test_busy_pool_lock_owners_and_waiters(tmp_path: Path) -> None:
    truth = json.loads((TD / "busy-pool.truth.json").read_text())["expected"]
    with open_dump(TD / "busy-pool.jstack.txt", tmp_path) as d:
        (dv,) = threads.load_dumps(d)
        for key in ("blocked_on_monitor", "parked_on_reentrantlock"):
            lock = next(lk for lk in dv.locks if lk.cls == truth[key]["class"])
            assert lock.owner == truth[key]["owner"]
            assert sum(t.waits_for == lock.id for t in dv.threads) == truth[key]["waiters"]
        roles = truth["roles"]
        for role in roles.values():
            members = [t for t in dv.threads if t.name.startswith(role["name_prefix"])]
            assert len(members) == role["count"] and {t.state for t in members} == {role["state"]}
        groups = threads.groups(dv.threads)
        assert any(len(g.threads) == roles["blocked"]["count"] and g.state == "BLOCKED" for g in groups)


def test_go_goroutines_equal_the_truth(tmp_path: Path) -> None:
    truth = json.loads((TD / "go.truth.json").read_text())["go_deadlock.sigquit.txt"]
    with open_dump(TD / "go_deadlock.sigquit.txt", tmp_path) as d:
        (dv,) = threads.load_dumps(d)
        assert dv.runtime == "go" and dv.title == truth["header_first_line"]
        got = [(int(t.ident), t.state, t.frames[0].function) for t in dv.threads]
        assert got == [(g["id"], g["state"], g["top_function"]) for g in truth["goroutines_parsed"]]
        user = {next((f.function for f in t.frames if f.function.startswith("main.")), None) for t in dv.threads}
        assert set(truth["expected_user_goroutines"]) <= user
        waiters = [t for t in dv.threads if any(f.function == "main.lockWaiter" for f in t.frames)]
        assert waiters and all(t.waits_for and t.waits_for.startswith("0x") for t in waiters)


@pytest.mark.parametrize("name", ["py_hang.later.stderr.txt", "py_hang.sigabrt.stderr.txt", "py_segv.stderr.txt"])
def test_python_faulthandler_equals_the_truth(name: str, tmp_path: Path) -> None:
    truth = json.loads((TD / "python.truth.json").read_text())[name]
    with open_dump(TD / name, tmp_path) as d:
        (dv,) = threads.load_dumps(d)
        assert dv.runtime == "python" and dv.title.startswith(truth["header"].split("(")[0].rstrip())
        assert len(dv.threads) == truth["thread_count"]
        stacks = []
        for t in dv.threads:
            frames = list(reversed(t.frames))  # outermost first, as the truth lists them
            while frames and (frames[0].file or "").endswith("/threading.py"):
                frames.pop(0)  # the truth leaves out threading's start-up frames (_bootstrap, run)
            stacks.append([f.function for f in frames])
        assert sorted(stacks) == sorted(truth["threads"].values())


def test_a_log_with_several_dumps_is_a_series(tmp_path: Path) -> None:
    one = (TD / "busy-pool.sigquit.stdout.log").read_text()
    log = tmp_path / "app.log"
    log.write_text("app starting\n" * 1000 + one + "request served\n" * 50 + one + one)
    with open_dump(log, tmp_path) as d:
        series = threads.load_dumps(d)
        assert len(series) == 3 and all(len(s.threads) == 72 for s in series)
        doc = threads.report([d])
        assert doc["dumps"] == 3
        stuck = set(doc["stuck"])
        assert {f"busy-blocked-{i:02d}" for i in range(1, 9)} <= stuck  # BLOCKED on the same monitor each time
        assert not any(n.startswith("busy-sleep-") for n in stuck)  # sleeping is not being stuck


def test_cut_dump_and_text_without_a_dump(tmp_path: Path) -> None:
    text = (TD / "deadlock-sync.jstack.txt").read_text()
    cut = tmp_path / "cut.txt"
    cut.write_text(text[: len(text) // 2])
    with open_dump(cut, tmp_path) as d:
        (dv,) = threads.load_dumps(d)
        assert 0 < len(dv.threads) < 22
        cuts = [x for x in d.diagnostics() if x.code == "threads.cut"]
        assert cuts and cuts[0].offset == len(text[: len(text) // 2].splitlines())
        assert d.warnings() and str(cut) in d.warnings()[0]
    plain = tmp_path / "notes.txt"
    plain.write_text("nothing to see here\n" * 100)
    with pytest.raises(PmdeskError, match="not a format pmdesk reads"):
        open_dump(plain, tmp_path)


def test_cli_threads_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["threads", str(TD / "deadlock-sync.jcmd-thread-print.txt"), "--index-dir", str(tmp_path),
                     "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"dumps", "threads", "locks", "deadlocks", "groups", "stuck"} <= set(doc)
    t = doc["threads"][0]
    assert set(t) == {"name", "id", "state", "frames", "holds", "waits_for", "ancestors"}
    assert set(t["frames"][0]) == {"function", "file", "line"} if t["frames"] else True
    assert all(set(lk) == {"id", "class", "owner"} for lk in doc["locks"])
    assert [sorted(dl["threads"]) for dl in doc["deadlocks"]] == [["deadlock-A", "deadlock-B"]]
    assert all(set(dl) == {"threads", "locks", "ids"} for dl in doc["deadlocks"])
    assert all({"count", "frames", "threads"} <= set(g) for g in doc["groups"])
    # several files: a series
    files = [str(TD / "busy-pool.jstack.txt"), str(TD / "busy-pool.jcmd-thread-print.txt")]
    assert cli.main(["threads", *files, "--index-dir", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["dumps"] == 2
    assert cli.main(["threads", str(DATA / "leak-phase2.hprof.gz"), "--index-dir", str(tmp_path)]) == 2
    assert "reads thread dumps (try: pmdesk histogram" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["jdk25-vthreads.dump.json", "jdk25-vthreads.dump.txt", "jdk25-vthreads.jstack.txt"])
def test_jdk25_thread_dump_to_file_and_jstack(name: str, tmp_path: Path) -> None:
    """VThreads.java: deadlock-A and deadlock-B deadlocked on two monitors, five virtual threads parked on
    one ReentrantLock that main holds, three virtual threads sleeping."""
    with open_dump(TD / name, tmp_path) as d:
        (dv,) = threads.load_dumps(d)
        assert [sorted(dl.threads) for dl in dv.deadlocks] == [["deadlock-A", "deadlock-B"]]
        by_name = {t.name: t for t in dv.threads}
        assert by_name["deadlock-A"].state == by_name["deadlock-B"].state == "BLOCKED"
        virtual = [t for t in dv.threads if t.detail == "virtual"]
        if name.endswith("jstack.txt"):
            assert not virtual  # jstack lists platform threads only
            return
        assert len(virtual) == 8
        parked = [t for t in virtual if t.state == "WAITING"]
        assert len(parked) == 5 and len({t.waits_for for t in parked}) == 1
        assert parked[0].waits_for.startswith("java.util.concurrent.locks.ReentrantLock$NonfairSync@")
        assert sum(t.state == "TIMED_WAITING" for t in virtual) == 3


def test_go_1_21_goroutine_headers(tmp_path: Path) -> None:
    """Go 1.21+ writes `goroutine N gp=0x… m=… mp=… [state]:`; the Go here (1.19) cannot, so the real
    1.19 dump is rewritten into that form."""
    import re

    text = (TD / "go_deadlock.sigquit.txt").read_text()
    new = re.sub(r"^goroutine (\d+) \[", lambda m: f"goroutine {m[1]} gp=0xc000{m[1]}380 m=nil [", text, flags=re.M)
    f = tmp_path / "go121.txt"
    f.write_text(new)
    truth = json.loads((TD / "go.truth.json").read_text())["go_deadlock.sigquit.txt"]
    with open_dump(f, tmp_path) as d:
        (dv,) = threads.load_dumps(d)
        assert [(int(t.ident), t.state) for t in dv.threads] == [(g["id"], g["state"])
                                                                 for g in truth["goroutines_parsed"]]


def test_text_prints_stacks_as_jstack_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = str(TD / "deadlock-sync.jstack.txt")
    assert cli.main(["threads", f, "--index-dir", str(tmp_path), "--thread", "deadlock-A"]) == 0
    out = capsys.readouterr().out
    assert out.startswith('"deadlock-A" #12') and "   java.lang.Thread.State: BLOCKED" in out
    want = [ln.rstrip() for ln in (TD / "deadlock-sync.jstack.txt").read_text().splitlines()]
    start = next(i for i, ln in enumerate(want) if ln.startswith('"deadlock-A"'))
    end = want.index("", start)  # the stack ends at the first blank line (jstack -l's lock list follows)
    frames = [ln for ln in want[start:end] if ln.startswith(("\tat ", "\t- "))]
    got = [ln for ln in out.splitlines() if ln.startswith(("\tat ", "\t- "))]
    assert got == [ln.replace("java.base@17.0.15/", "") for ln in frames]  # jstack's lines, module prefix aside
    assert cli.main(["threads", f, "--index-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "DEADLOCK: deadlock-A -> deadlock-B -> deadlock-A (locks 0x" in out and "SyncDeadlock$LedgerLock)" in out
    go = str(TD / "go_deadlock.sigquit.txt")
    assert cli.main(["threads", go, "--index-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "main.producer (./main.go:16)" in out and "created by main.main" in out
    assert cli.main(["threads", f, "--index-dir", str(tmp_path), "--thread", "nobody"]) == 2


def test_what_real_files_carry_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Windows line ends, a NUL byte from a log rotated mid-write, a JSON dump without a final newline (no false
    'cut' warning), JSON nested 1,000 deep and a line number of 2**66 (one line or a value left unknown)."""
    go = (TD / "go_deadlock.sigquit.txt").read_bytes()
    crlf = tmp_path / "go-windows.txt"
    crlf.write_bytes(go.replace(b"\n", b"\r\n"))
    nul = tmp_path / "rotated.log"
    jstack = (TD / "deadlock-sync.jstack.txt").read_bytes()
    nul.write_bytes(jstack[:200] + b"\0" + jstack[200:])
    json_dump = tmp_path / "dump.json"
    json_dump.write_text((TD / "jdk25-vthreads.dump.json").read_text().rstrip("\n"))
    for f, count in ((crlf, 12), (nul, 22), (json_dump, 21)):
        assert cli.main(["threads", str(f), "--index-dir", str(tmp_path / "i"), "--json"]) == 0, f
        out, err = capsys.readouterr()
        assert len(json.loads(out)["threads"]) == count and "warning" not in err, f
    deep = tmp_path / "deep.json"
    deep.write_text('{"threadDump": ' + "[" * 1000 + "]" * 1000 + "}")
    assert cli.main(["threads", str(deep), "--index-dir", str(tmp_path / "i")]) == 2
    assert "nested too deeply" in capsys.readouterr().err
    big = tmp_path / "bigline.txt"
    big.write_bytes(jstack.replace(b"SyncDeadlock.java:57", b"SyncDeadlock.java:" + str(2**66).encode()))
    assert cli.main(["threads", str(big), "--index-dir", str(tmp_path / "i"), "--json"]) == 0
    assert "Traceback" not in capsys.readouterr().err
