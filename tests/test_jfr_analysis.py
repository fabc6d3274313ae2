"""JFR analyses against the JDK's own answers: hot methods (self and total) against every execution sample's
full stack as `jfr print --json --stack-depth 64` prints it; locks, file I/O, GCs and allocation weights
against the corpus truth (aggregated from `jfr print --json`); the CLI contracts; hostile recordings cut or
corrupted from the real one."""

from __future__ import annotations

import gzip
import json
import os
from collections import Counter
from pathlib import Path

import pytest

from pmdesk import cli
from pmdesk.base.java_names import java_name
from pmdesk.model.dump import Dump
from pmdesk.model.jfr import events as jfr
from pmdesk.model.jfr import insights
from pmdesk.model.jfr.findings import RULES, SEVERITIES, findings
from pmdesk.model.jfr.profile import profile
from pmdesk.model.jfr.recording import Recording
from tests.conftest import DATA
from tests.test_jfr import RECORDINGS, recording

JFR = DATA / "jfr"
TRUTH = json.loads((JFR / "workload.truth.json").read_text())


@pytest.fixture(scope="module")
def workload(tmp_path_factory: pytest.TempPathFactory) -> Recording:
    dump = Dump.open(JFR / "workload.jfr", index_dir=tmp_path_factory.mktemp("idx"))
    yield Recording.of(dump)
    dump.close()


@pytest.mark.parametrize("name", RECORDINGS)
def test_hot_methods_equal_jfr_print_stacks(name: str, tmp_path: Path) -> None:
    with gzip.open(JFR / f"{name}.sample-stacks.json.gz", "rt") as f:
        samples = json.load(f)["samples"]
    want_self = Counter(s["frames"][0] for s in samples if s["frames"])
    want_total = Counter(m for s in samples for m in set(s["frames"]))
    with Dump.open(recording(name), index_dir=tmp_path) as d:
        rec = Recording.of(d)
        p = profile(rec)
        got = p.hot_methods()
        assert p.samples == len(samples)
        assert {m["method"] + m["descriptor"]: m["self"] for m in got if m["self"]} == dict(want_self)
        assert {m["method"] + m["descriptor"]: m["total"] for m in got} == dict(want_total)
        threads = Counter(rec.thread_name(t) for t in rec.events("jdk.ExecutionSample").thread.tolist())
        assert threads == Counter(s["thread"] for s in samples)
        top_down, bottom_up = p.tree(), p.tree(bottom_up=True)
        assert top_down.weight == bottom_up.weight == len(samples)
        assert {p.name(c.method) + p.descriptor(c.method): c.weight for c in bottom_up.children.values()} \
            == dict(want_self)


def test_truth_top_frames_and_threads(workload: Recording) -> None:
    hot = {m["method"]: m["self"] for m in profile(workload).hot_methods()}
    for t in TRUTH["jdk.ExecutionSample"]["top_frames"]:
        assert hot[t["method"]] == t["samples"]


def test_locks_sleeps_and_waits_equal_truth(workload: Recording) -> None:
    for key, want in TRUTH["aggregates"].items():
        type_name, field = key.rsplit(".", 1)
        if field == "eventThread":
            assert insights.by_thread(workload, type_name) == want, key
        else:
            got = {g["class"]: g["count"] for g in insights.lock_contention(workload) if g["event"] == type_name}
            assert got == want, key
    top = insights.lock_contention(workload)[0]
    assert top["class"] == TRUTH["program_self_report"]["contended_monitor_class"]
    assert sum(top["stacks"].values()) == top["count"]


def test_file_io_gc_and_allocation_equal_truth(workload: Recording) -> None:
    io = {f"{g['event']} {os.path.basename(g['target'])}": {"count": g["count"], "bytes": g["bytes"]}
          for g in insights.file_io(workload)}
    assert io == TRUTH["file_io_by_type_and_file"]
    gcs = insights.garbage_collections(workload)
    assert Counter(g["name"] for g in gcs) == TRUTH["garbage_collections_by_name"]
    assert all(g["heap_before"] and g["heap_after"] for g in gcs if g["name"] == "G1New")
    alloc = insights.allocations(workload)
    # jfr names classes as the JVM does ([B); pmdesk as the heap docks and JMC do (byte[])
    assert [{"class": g["key"], "weight": g["weight"]} for g in alloc["by_class"][:10]] == \
        [{**t, "class": java_name(t["class"].replace(".", "/"))} for t in TRUTH["allocation_sample_weight_top10"]]


def test_findings(workload: Recording) -> None:
    found = findings(workload)
    assert len(RULES) >= 12 and len(found) == len(RULES)
    assert all(f.severity in SEVERITIES and f.summary for f in found)
    by_rule = {f.rule: f for f in found}
    assert by_rule["contended_monitors"].evidence["class"] == "com.example.jfr.ContendedResource"
    assert by_rule["hot_methods"].evidence["method"] == "com.example.jfr.Hot.crc"
    first, last = workload.start_ns, workload.start_ns + workload.duration_ns // 10
    windowed = {f.rule: f for f in findings(workload, (first, last))}
    assert windowed["hot_methods"].evidence["samples"] < by_rule["hot_methods"].evidence["samples"]


def workload_start(f: str, idx: str) -> int:
    with Dump.open(f, index_dir=idx) as d:
        return int(d.meta["jfr.start_ns"])


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_cli_events_of_a_type_hot_and_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f, idx = str(JFR / "workload.jfr"), str(tmp_path)
    rc, out, _ = _cli(capsys, "events", f, "--index-dir", idx, "--type", "jdk.ThreadPark", "--limit", "2", "--json")
    doc = json.loads(out)
    assert rc == 0 and set(doc) == {"file", "type", "count", "events"} and doc["count"] == 647
    park = doc["events"][0]
    assert park["parkedClass"]["name"] == "java/util/concurrent/locks/ReentrantLock$NonfairSync"
    assert park["eventThread"]["javaName"].startswith("rlock-contender")
    assert park["stackTrace"]["frames"][0]["method"]["name"] == "park"
    rc, out, _ = _cli(capsys, "events", f, "--index-dir", idx, "--type", "jdk.GarbageCollection", "--limit", "1")
    assert rc == 0 and "gcId=" in out and "cause=" in out
    rc, _, err = _cli(capsys, "events", f, "--index-dir", idx, "--type", "jdk.NoSuchEvent")
    assert rc == 2 and "no event type 'jdk.NoSuchEvent'" in err
    rc, out, _ = _cli(capsys, "hot", f, "--index-dir", idx, "--json", "--top", "3")
    doc = json.loads(out)
    assert set(doc) == {"file", "event", "samples", "methods", "top_down", "bottom_up", "unit"}
    want = [t["method"] for t in TRUTH["jdk.ExecutionSample"]["top_frames"]][:3]
    assert [m["method"] for m in doc["methods"]] == want
    assert doc["top_down"]["weight"] == doc["samples"] == 1513 and doc["unit"] == "events"
    # allocation samples weigh what they stand for, in bytes (as JMC weighs them)
    rc, out, _ = _cli(capsys, "hot", f, "--index-dir", idx, "--json", "--event", "jdk.ObjectAllocationSample")
    alloc = json.loads(out)
    rc, out, _ = _cli(capsys, "events", f, "--index-dir", idx, "--json", "--type", "jdk.ObjectAllocationSample")
    events = json.loads(out)["events"]
    assert alloc["unit"] == "bytes" and alloc["samples"] == sum(e["weight"] for e in events if e["stackTrace"])
    rc, out, _ = _cli(capsys, "findings", f, "--index-dir", idx, "--json")
    assert rc == 0 and len(json.loads(out)["findings"]) == len(RULES)
    rc, out, _ = _cli(capsys, "hot", f, "--index-dir", idx, "--json", "--from", "2", "--to", "4")
    part = json.loads(out)["samples"]
    rc, out, _ = _cli(capsys, "hot", f, "--index-dir", idx, "--json", "--from", "4")
    assert 0 < part < 1513 and part + json.loads(out)["samples"] < 1513
    rc, out, _ = _cli(capsys, "events", f, "--index-dir", idx, "--type", "jdk.GarbageCollection", "--to", "1",
                      "--json")
    early = json.loads(out)
    assert 0 < early["count"] == len(early["events"]) < 582
    assert all(e["startTime"] < workload_start(f, idx) + 1_000_000_000 for e in early["events"])


@pytest.mark.parametrize("make, message", [
    (lambda d: b"", "empty"),
    (lambda d: b"FLR\0" + d[4:40], "shorter than a JFR chunk header"),
    (lambda d: d[:68] + bytes(4000), "not one complete record"),
])
def test_unreadable_recordings_say_so(make, message: str, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jfr"
    bad.write_bytes(make((JFR / "workload.jfr").read_bytes()))
    rc, _, err = _cli(capsys, "events", str(bad), "--index-dir", str(tmp_path / "idx"))
    assert rc == 2 and str(bad) in err and message in err and len(err.strip().splitlines()) == 1


def test_corrupted_recordings_give_diagnostics(tmp_path: Path) -> None:
    data = bytearray((JFR / "workload.jfr").read_bytes())
    garbage = tmp_path / "garbage.jfr"
    garbage.write_bytes(bytes(data) + b"this is not a chunk" * 10)
    with Dump.open(garbage, index_dir=tmp_path / "i1") as d:
        assert [x.code for x in d.diagnostics()] == ["jfr.garbage"]
        assert sum(t["count"] for t in jfr.summary(d)["event_types"]) == 130_082
    meta = int.from_bytes(data[24:32], "big")  # the metadata record's offset in the chunk header
    broken = bytearray(data)
    broken[meta + 40: meta + 400] = bytes(360)
    bad_meta = tmp_path / "badmeta.jfr"
    bad_meta.write_bytes(bytes(broken))
    with Dump.open(bad_meta, index_dir=tmp_path / "i2") as d:
        codes = {x.code for x in d.diagnostics()}
        assert "jfr.bad_metadata" in codes
        assert Recording.of(d).events("jdk.ExecutionSample").start_ns.size == 0  # counted by id, not decoded


def test_corrupted_bytes_never_crash(tmp_path: Path) -> None:
    """Bytes of a real recording overwritten at random places (seeded): every variant either indexes with
    diagnostics or is refused in one line, and the analyses run on whatever was read."""
    import random

    from pmdesk.base.errors import PmdeskError

    data = (JFR / "jdk25-vthreads.jfr").read_bytes()
    rng = random.Random(5)
    for variant in range(12):
        broken = bytearray(data)
        for _ in range(rng.choice([1, 5, 40])):
            at = rng.randrange(len(broken))
            broken[at:at + 4] = bytes(rng.randrange(256) for _ in range(4))
        f = tmp_path / f"v{variant}.jfr"
        f.write_bytes(bytes(broken))
        try:
            with Dump.open(f, index_dir=tmp_path / "idx") as d:
                rec = Recording.of(d)
                findings(rec)
                profile(rec).tree()
                jfr.events(d, "jdk.ExecutionSample", limit=5)
        except PmdeskError as e:
            assert str(f) in e.one_line()


def test_cancelled_indexing_leaves_nothing(tmp_path: Path) -> None:
    from pmdesk.base.errors import Cancelled
    from pmdesk.base.progress import Progress

    seen: list[float] = []
    progress = Progress()
    progress.callback = lambda fraction, _message: (seen.append(fraction), progress.cancel())
    with pytest.raises(Cancelled):
        Dump.open(JFR / "workload.jfr", index_dir=tmp_path, progress=progress)
    assert seen and not list(tmp_path.glob("*"))
