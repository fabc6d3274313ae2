"""JFR recordings against `jfr summary` of the same file (OpenJDK 17 and Temurin 25 recordings): every event
type's count and bytes; a recording cut short; the CLI contract."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pmdesk import cli
from pmdesk.model import jfr
from pmdesk.model.dump import Dump
from tests.conftest import DATA

JFR = DATA / "jfr"


def jfr_summary(path: Path) -> tuple[dict[str, tuple[int, int]], int]:
    """(event type -> (count, bytes), chunks) from `jfr summary` output."""
    types, chunks = {}, 0
    for line in path.read_text().splitlines():
        if m := re.match(r"^ (\S+)\s+(\d+)\s+(\d+)\s*$", line):
            types[m[1]] = (int(m[2]), int(m[3]))
        elif m := re.match(r"^ Chunks: (\d+)", line):
            chunks = int(m[1])
    return types, chunks


@pytest.mark.parametrize("name", ["workload", "jdk25-vthreads"])
def test_event_counts_equal_jfr_summary(name: str, tmp_path: Path) -> None:
    want, chunks = jfr_summary(JFR / f"{name}.summary.txt")
    with Dump.open(JFR / f"{name}.jfr", index_dir=tmp_path) as d:
        doc = jfr.summary(d)
        got = {t["name"]: (t["count"], t["bytes"]) for t in doc["event_types"]}
        assert got == want
        assert doc["chunks"] == chunks
        assert d.diagnostics() == []


def test_a_recording_cut_short(tmp_path: Path) -> None:
    data = (JFR / "workload.jfr").read_bytes()
    cut = tmp_path / "cut.jfr"
    cut.write_bytes(data[: len(data) * 3 // 5])
    with Dump.open(cut, index_dir=tmp_path / "idx") as d:
        assert [x.code for x in d.diagnostics()] == ["jfr.incomplete_chunk"]
        assert str(cut) in d.warnings()[0]
        total = sum(t["count"] for t in jfr.summary(d)["event_types"])
        assert 0 < total < 130_082  # what was complete before the cut


def test_cli_events_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["events", str(JFR / "workload.jfr"), "--index-dir", str(tmp_path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"file", "chunks", "start_ns", "duration_ns", "event_types"} <= set(doc)
    assert all({"name", "count"} <= set(t) for t in doc["event_types"])
    assert doc["event_types"][0]["name"] == "jdk.PromoteObjectOutsidePLAB"
    assert cli.main(["events", str(DATA / "threads" / "go_deadlock.sigquit.txt"), "--index-dir", str(tmp_path)]) == 2
    assert "needs a JFR recording" in capsys.readouterr().err
