"""JFR recordings against `jfr summary` of the same file (OpenJDK 17 and Temurin 25 recordings): every event
type's count and bytes; a recording cut short; the CLI contract."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from pmdesk import cli
from pmdesk.model.dump import Dump
from pmdesk.model.jfr import events as jfr
from pmdesk.model.jfr.values import Values
from tests.conftest import DATA

JFR = DATA / "jfr"
RECORDINGS = ["workload", "jdk25-vthreads", "killed-repository"]


def recording(name: str) -> Path:
    """A recording fixture: NAME.jfr, or the directory NAME (a JFR repository)."""
    return JFR / name if (JFR / name).is_dir() else JFR / f"{name}.jfr"


def jfr_summary(path: Path) -> tuple[dict[str, tuple[int, int]], int]:
    """(event type -> (count, bytes), chunks) from `jfr summary` output."""
    types, chunks = {}, 0
    for line in path.read_text().splitlines():
        if m := re.match(r"^ (\S+)\s+(\d+)\s+(\d+)\s*$", line):
            types[m[1]] = (int(m[2]), int(m[3]))
        elif m := re.match(r"^ Chunks: (\d+)", line):
            chunks = int(m[1])
    return types, chunks


@pytest.mark.parametrize("name", RECORDINGS)
def test_event_counts_equal_jfr_summary(name: str, tmp_path: Path) -> None:
    """The repository of a JVM killed with -9 (three chunk files) against `jfr summary` of what
    `jfr assemble` makes of it."""
    want, chunks = jfr_summary(JFR / f"{name}.summary.txt")
    with Dump.open(recording(name), index_dir=tmp_path) as d:
        doc = jfr.summary(d)
        got = {t["name"]: (t["count"], t["bytes"]) for t in doc["event_types"]}
        assert got == want
        assert doc["chunks"] == chunks
        # a JVM killed mid-chunk never wrote some pool entries (class loaders here) that its classes name
        assert {x.code for x in d.diagnostics()} == ({"jfr.unresolved"} if name == "killed-repository" else set())


def test_a_gzip_compressed_recording_and_other_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A .jfr.gz (gzip, as profilers and CI keep recordings) reads as its recording — `jfr summary`'s counts —
    a gzip bomb is refused in one line, and a recording of Oracle JDK 7u40/8's format 0.9 (its chunk header's
    version, set on a real recording) names its version instead of failing on the records."""
    want, _chunks = jfr_summary(JFR / "workload.summary.txt")
    packed = tmp_path / "workload.jfr.gz"
    packed.write_bytes(gzip.compress((JFR / "workload.jfr").read_bytes()))
    with Dump.open(packed, index_dir=tmp_path / "i") as d:
        assert {t["name"]: (t["count"], t["bytes"]) for t in jfr.summary(d)["event_types"]} == want
    bomb = tmp_path / "bomb.jfr.gz"
    bomb.write_bytes(gzip.compress((JFR / "workload.jfr").read_bytes()[:68] + bytes(300 << 20)))
    assert cli.main(["events", str(bomb), "--index-dir", str(tmp_path / "i")]) == 2
    err = capsys.readouterr().err
    assert str(bomb) in err and "refused" in err and len(err.strip().splitlines()) == 1
    old = bytearray((JFR / "workload.jfr").read_bytes())
    old[4:8] = (0).to_bytes(2, "big") + (9).to_bytes(2, "big")
    (tmp_path / "jdk8.jfr").write_bytes(bytes(old))
    assert cli.main(["events", str(tmp_path / "jdk8.jfr"), "--index-dir", str(tmp_path / "i")]) == 2
    assert "format 0.9 (Oracle JDK 7u40/8" in capsys.readouterr().err


def test_a_recording_cut_short(tmp_path: Path) -> None:
    data = (JFR / "workload.jfr").read_bytes()
    cut = tmp_path / "cut.jfr"
    cut.write_bytes(data[: len(data) * 3 // 5])
    with Dump.open(cut, index_dir=tmp_path / "idx") as d:
        codes = [x.code for x in d.diagnostics()]
        # JDK 17 writes the chunk's constant pools at its end: references in a cut chunk stay unresolved
        assert codes[0] == "jfr.incomplete_chunk" and set(codes) == {"jfr.incomplete_chunk", "jfr.unresolved"}
        assert str(cut) in d.warnings()[0]
        total = sum(t["count"] for t in jfr.summary(d)["event_types"])
        assert 0 < total < 130_082  # what was complete before the cut
        heap = jfr.events(d, "jdk.GCHeapSummary", limit=1)[0]  # values without references still decode
        assert heap["heapUsed"] > 0 and heap["heapSpace"]["reservedSize"] == 1 << 30


def test_cli_events_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["events", str(JFR / "workload.jfr"), "--index-dir", str(tmp_path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"file", "chunks", "start_ns", "duration_ns", "event_types"} <= set(doc)
    assert all({"name", "count"} <= set(t) for t in doc["event_types"])
    assert doc["event_types"][0]["name"] == "jdk.PromoteObjectOutsidePLAB"
    assert cli.main(["events", str(DATA / "threads" / "go_deadlock.sigquit.txt"), "--index-dir", str(tmp_path)]) == 2
    assert "reads JFR recordings" in capsys.readouterr().err


INT64 = np.iinfo(np.int64)
ISO_INSTANT = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")
ISO_DURATION = re.compile(r"^PT(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?)(\d+)(?:\.(\d+))?S)?$")


def _jfr_time_ns(text: str) -> int | None:
    """`jfr print --json` writes timestamps as ISO instants and time spans as ISO durations; pmdesk as ns.
    Long.MIN_VALUE ("no time") is Instant.MIN there, the int64 minimum here."""
    if text.startswith("-999999999-01-01T00:00"):
        return int(INT64.min)
    if m := ISO_INSTANT.match(text):
        zone = "+00:00" if m[3] == "Z" else m[3]
        seconds = int(dt.datetime.fromisoformat(m[1] + zone).timestamp())
        return seconds * 1_000_000_000 + int((m[2] or "0").ljust(9, "0"))
    if (m := ISO_DURATION.match(text)) and text != "PT":
        sign = -1 if m[3] == "-" else 1
        seconds = int(m[1] or 0) * 3600 + int(m[2] or 0) * 60 + sign * int(m[4] or 0)
        return seconds * 1_000_000_000 + sign * int((m[5] or "0").ljust(9, "0"))
    return None


def same(ours: object, theirs: object) -> bool:
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return ours.keys() == theirs.keys() and all(same(ours[k], theirs[k]) for k in ours)
    if isinstance(ours, list) and isinstance(theirs, list):
        return len(ours) == len(theirs) and all(same(a, b) for a, b in zip(ours, theirs, strict=True))
    if isinstance(ours, int) and not isinstance(ours, bool) and isinstance(theirs, str):
        ns = _jfr_time_ns(theirs)  # spans past int64 ns ("forever") are stored saturated
        return ns is not None and max(min(ns, INT64.max), INT64.min) == ours
    if isinstance(ours, float) and isinstance(theirs, (int, float)):  # Java prints a float's shortest digits
        return ours == theirs or np.float32(ours) == np.float32(theirs)
    if isinstance(ours, float) and theirs is None:  # NaN and infinities print as null
        return not np.isfinite(ours)
    return ours == theirs and type(ours) is type(theirs)


@pytest.mark.parametrize("name", RECORDINGS)
def test_field_values_equal_jfr_print_json(name: str, tmp_path: Path) -> None:
    """For the first, middle and last event of every type `jfr print --json` shows, pmdesk has an event of that
    type at that start time with exactly the same fields and values (stack frames, threads, classes resolved)."""
    with gzip.open(JFR / f"{name}.print-sample.json.gz", "rt") as f:
        sample = json.load(f)["events"]
    with Dump.open(recording(name), index_dir=tmp_path) as d:
        values = Values(d)
        wrong = []
        for event in sample:
            table = values.table(event["type"])
            assert table is not None, event["type"]
            start = _jfr_time_ns(event["values"]["startTime"])
            rows = np.flatnonzero(table.column("startTime") == start).tolist()
            if not any(same(values.row(table, r), event["values"]) for r in rows):
                wrong.append((event["type"], start, [values.row(table, r) for r in rows][:1], event["values"]))
        assert not wrong, f"{len(wrong)} of {len(sample)} differ ({sorted({w[0] for w in wrong})}); first: {wrong[0]}"


def test_chunks_of_different_jdks_in_one_file(tmp_path: Path) -> None:
    """A JDK 17 recording and a JDK 25 one laid end to end (chunks that declare types differently: fields
    added, units and signedness changed): every count is the sum of `jfr summary` of each, and every sampled
    event of each equals what that JDK's `jfr print --json` says of it."""
    mixed = tmp_path / "mixed.jfr"
    mixed.write_bytes((JFR / "workload.jfr").read_bytes() + (JFR / "jdk25-vthreads.jfr").read_bytes())
    want: dict[str, tuple[int, int]] = {}
    for name in ("workload", "jdk25-vthreads"):
        for t, (n, b) in jfr_summary(JFR / f"{name}.summary.txt")[0].items():
            c0, b0 = want.get(t, (0, 0))
            want[t] = (c0 + n, b0 + b)
    with Dump.open(mixed, index_dir=tmp_path / "idx") as d:
        assert d.diagnostics() == []
        assert {t["name"]: (t["count"], t["bytes"]) for t in jfr.summary(d)["event_types"]} == want
        values = Values(d)
        for name in ("workload", "jdk25-vthreads"):
            with gzip.open(JFR / f"{name}.print-sample.json.gz", "rt") as f:
                sample = json.load(f)["events"]
            for event in sample:
                table = values.table(event["type"])
                rows = np.flatnonzero(table.column("startTime") == _jfr_time_ns(event["values"]["startTime"]))
                assert any(same(values.row(table, int(r)), event["values"]) for r in rows), event["type"]
        sleep = values.table("jdk.ThreadSleep")  # ms in JDK 17, ns in JDK 25: both read as ns
        assert set(values.row(sleep, 0)) == set(values.row(sleep, len(sleep.matrix) - 1))
        assert (sleep.column("time") >= 0).all()


def test_lengths_near_two_to_the_63_do_not_wrap() -> None:
    """A record size or string length of 2**63 - 1 (a fuzzed varint) once wrapped p + size negative and the
    kernels read outside the buffer (SIGSEGV): now the record does not fit and reading stops."""
    import numpy as np

    from pmdesk.readers.jfr.decode import _skip_string, scan_records, string_keys

    v, huge = (1 << 63) - 1, []
    for _ in range(8):
        huge.append((v & 0x7F) | 0x80)
        v >>= 7
    huge.append(v)
    data = np.array(huge + [0] * 64, np.uint8)
    assert scan_records(data, 0, len(data))[4] == 0  # stopped at the record that cannot fit
    text = np.array([3, *huge, *b"ABCDEFGH"], np.uint8)  # an inline string claiming 2**63 - 1 bytes
    assert _skip_string(text, 0, len(text)) == -1
    assert string_keys(text, np.array([0], np.int64))[0][0] == 3


@pytest.mark.parametrize("mode", ["wall", "cpu"])
def test_async_profiler_recordings_weigh_their_samples(mode: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """async-profiler's wall-clock events fold a stack's consecutive samples into one event with a `samples`
    count: hot methods weigh by it as async-profiler's converter does (its collapsed output beside the
    recording) — the total, and each Java method's self samples; CPU mode's execution samples weigh one each.
    Without --event, a recording with no jdk.ExecutionSample profiles its wall-clock samples."""
    rec = JFR / "async-profiler" / f"{mode}.jfr"
    leaves: Counter[str] = Counter()
    for line in (JFR / "async-profiler" / f"{mode}.collapsed").read_text().splitlines():
        stack, count = line.rsplit(" ", 1)
        leaves[re.sub(r"_\[[a-z0-9]\]$", "", stack.split(";")[-1])] += int(count)
    assert cli.main(["hot", str(rec), "--index-dir", str(tmp_path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["event"] == ("profiler.WallClockSample" if mode == "wall" else "jdk.ExecutionSample")
    assert doc["samples"] == sum(leaves.values())
    java = {m["method"]: m["self"] for m in doc["methods"] if m["method"].startswith("Spin.") and m["self"]}
    assert java and java == {k: v for k, v in leaves.items() if k.startswith("Spin.")}
    if mode == "wall":
        assert doc["unit"] == "samples" and doc["samples"] > 10 * jfr_events(rec, tmp_path)
        assert cli.main(["profile", str(rec), "--index-dir", str(tmp_path), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["total"] == doc["samples"]


def jfr_events(rec: Path, tmp_path: Path) -> int:
    with Dump.open(rec, index_dir=tmp_path) as d:
        return sum(t["count"] for t in jfr.summary(d)["event_types"] if t["name"] == "profiler.WallClockSample")
