"""Comparing two heap dumps of one process (the corpus pair: leak-phase1, then leak-phase2 after the leak
grew) against what the generator recorded; an unrelated dump; the CLI contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pmdesk import cli
from pmdesk.model.dump import Dump
from pmdesk.model.heap.diff import compare
from pmdesk.model.heap.graph import HeapGraph, ensure_graph, heap_graph
from tests.conftest import DATA, SAMPLE
from tests.test_heap_graph import _hostile_graph_dump

PHASE2 = DATA / "leak-phase2.hprof.gz"
TRUTH = json.loads((DATA / "leak-phase2.truth.json").read_text())


def graph(path: Path, tmp: Path) -> HeapGraph:
    d = Dump.open(path, index_dir=tmp)
    ensure_graph(d)
    return heap_graph(d)


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    tmp = tmp_path_factory.mktemp("idx")
    return compare(graph(SAMPLE, tmp), graph(PHASE2, tmp))


def test_sessions_map_is_the_holder_that_grew_most(comparison) -> None:  # noqa: ANN001
    first = comparison.holders[0]
    assert first.path == ("class com.example.leak.LeakApp", "static SESSIONS: java.util.HashMap")
    assert first.retained_b == 5_579_984 and first.growth > 0  # B's value: see test_heap_graph
    assert first.objects_b > first.objects_a
    cache = next(h for h in comparison.holders if h.path[-1] == "static CACHE: java.util.ArrayList")
    assert cache.retained_b == 534_648 and cache.growth > 0
    assert comparison.matched_fraction > 0.99


def test_collections_grew_as_the_program_reports(comparison) -> None:  # noqa: ANN001
    prog = TRUTH["program_self_report"]
    sizes = {c.path[-1]: (c.size_a, c.size_b) for c in comparison.collections}
    roots = prog["static_roots"]
    assert sizes["static SESSIONS: java.util.HashMap"] == (1500, roots["com.example.leak.LeakApp.SESSIONS"]["size"])
    assert sizes["table: java.util.HashMap$Node[]"][1] == prog["SESSIONS_table_length"]
    assert sizes["static CACHE: java.util.ArrayList"] == (1000, roots["com.example.leak.LeakApp.CACHE"]["size"])
    assert sizes["elementData: java.lang.Object[]"][1] == prog["CACHE_elementData_length"]


def test_class_deltas_equal_the_histogram_difference(comparison) -> None:  # noqa: ANN001
    by_name = {c.name: c for c in comparison.classes}
    for name, want in TRUTH["diff_vs_phase1"]["classes"].items():
        if "$$Lambda" in name:
            continue  # hidden class names carry an address that differs between dumps
        got = by_name[name]
        assert (got.count_a, got.count_b) == (want["instances_phase1"], want["instances_phase2"]), name
        assert got.shallow_b - got.shallow_a == want["bytes_delta"], name
        assert got.retained_a is not None and got.retained_b is not None


def test_unrelated_dumps_compare_with_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.hprof"
    _hostile_graph_dump(other)
    assert cli.main(["diff", str(other), str(PHASE2), "--index-dir", str(tmp_path)]) == 0
    assert "are these dumps of the same program?" in capsys.readouterr().out
    text = tmp_path / "notes.txt"
    text.write_text("not a dump\n")
    assert cli.main(["diff", str(other), str(text), "--index-dir", str(tmp_path)]) == cli.EXIT_UNREADABLE
    errors = [ln for ln in capsys.readouterr().err.splitlines() if not ln.startswith("warning:")]
    assert len(errors) == 1 and str(text) in errors[0]  # the hostile dump's own warnings aside


def test_cli_diff_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["diff", str(SAMPLE), str(PHASE2), "--index-dir", str(tmp_path), "--json", "--top", "5"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"a", "b", "classes", "holders"} <= set(doc)
    assert all(set(c) == {"name", "count_a", "count_b", "shallow_a", "shallow_b", "retained_a", "retained_b"}
               for c in doc["classes"])
    assert all(set(h) == {"path", "retained_a", "retained_b", "objects_a", "objects_b"} for h in doc["holders"])
    assert doc["holders"][0]["path"][-1] == "static SESSIONS: java.util.HashMap"
    assert cli.main(["diff", str(SAMPLE), str(PHASE2), "--index-dir", str(tmp_path), "--json", "--by", "class"]) == 0
    assert "holders" not in json.loads(capsys.readouterr().out)
