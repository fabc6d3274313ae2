"""MAT's class-level questions from the command line, on a real JDK 17 heap dump of a leaking program
(tests/data/leak-phase2.hprof.gz, with jmap -histo:live's answer beside it): a class's instances and their
references, grouped by value, their merged paths from GC roots, their immediate dominators, their retained set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli

DATA = Path(__file__).parent / "data"
DUMP = str(DATA / "leak-phase2.hprof.gz")
TRUTH = json.loads((DATA / "leak-phase2.truth.json").read_text())["histogram"]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("idx"))


def doc(capsys: pytest.CaptureFixture[str], index: str, *argv: str) -> dict:
    code, out, err = run_cli(capsys, *argv, DUMP, "--json", "--index-dir", index)
    assert code == 0, err
    return json.loads(out)


def test_objects_of_a_class_are_jmaps(capsys: pytest.CaptureFixture[str], index: str) -> None:
    d = doc(capsys, index, "objects", "--class", "com.example.leak.Session", "--top", "3", "--refs", "incoming")
    truth = TRUTH["custom_classes"]["com.example.leak.Session"]
    assert d["objects"] == truth["instances"] and d["shallow_bytes"] == truth["bytes"]
    first = d["instances"][0]
    assert first["retained_bytes"] >= d["instances"][1]["retained_bytes"]
    assert [r["class"] for r in first["incoming"]] == ["java.util.HashMap$Node"]   # held in LeakApp.SESSIONS
    out = doc(capsys, index, "objects", "--class", "com.example.leak.Session", "--top", "1", "--refs", "outgoing")
    assert {r["via"] for r in out["instances"][0]["outgoing"]} >= {"id", "events"}


def test_group_by_value(capsys: pytest.CaptureFixture[str], index: str) -> None:
    d = doc(capsys, index, "objects", "--class", "java.lang.String", "--group-by-value", "--top", "0")
    assert d["objects"] == TRUTH["top_classes_by_bytes"][1]["instances"]
    assert sum(v["objects"] for v in d["values"]) + d["without_value"] == d["objects"]
    events = TRUTH["custom_classes"]["com.example.leak.Event"]["instances"]
    top3 = d["values"][:3]
    assert {v["value"] for v in top3} == {"evt-0", "evt-1", "evt-2"}    # each session's three events' names
    assert sum(v["objects"] for v in top3) == events
    boxed = doc(capsys, index, "objects", "--class", "java.lang.Integer", "--group-by-value", "--top", "0")
    assert boxed["without_value"] == 0 and all(v["value"].lstrip("-").isdigit() for v in boxed["values"])


def test_immediate_dominators_and_retained_set(capsys: pytest.CaptureFixture[str], index: str) -> None:
    d = doc(capsys, index, "dominators", "--class", "byte[]", "--top", "0")
    assert d["objects"] == TRUTH["top_classes_by_bytes"][0]["instances"]
    assert sum(r["dominated"] for r in d["dominators"]) + d["dominated_by_roots"] == d["objects"]
    assert d["dominators"][0]["class"] == "com.example.leak.Session"
    kept = doc(capsys, index, "retained-set", "--class", "com.example.leak.Session", "--top", "0")
    each = doc(capsys, index, "objects", "--class", "com.example.leak.Session", "--top", "0")
    # no session dominates another: together they retain the sum of what each retains
    assert kept["retained_bytes"] == sum(o["retained_bytes"] for o in each["instances"])
    by_class = {r["class"]: r["objects"] for r in kept["classes"]}
    assert by_class["com.example.leak.Session"] == each["objects"]
    assert by_class["com.example.leak.Event"] == TRUTH["custom_classes"]["com.example.leak.Event"]["instances"]


def test_merged_paths(capsys: pytest.CaptureFixture[str], index: str) -> None:
    d = doc(capsys, index, "paths", "--class", "com.example.leak.Session", "--max-objects", "20")
    assert d["merged"] == 20
    chain, node = [], d["paths"]
    while node["children"]:
        node = node["children"][0]
        chain.append(node["label"])
    assert chain[:4] == ["jdk.internal.loader.ClassLoaders$AppClassLoader", "class com.example.leak.LeakApp",
                         "java.util.HashMap", "java.util.HashMap$Node[]"]


def test_unknown_class_is_one_line_with_suggestions(capsys: pytest.CaptureFixture[str], index: str) -> None:
    code, _out, err = run_cli(capsys, "objects", DUMP, "--class", "java.lang.Integr", "--index-dir", index)
    assert code == 2 and err.count("\n") == 1 and "did you mean java.lang.Integer" in err
    code, _out, err = run_cli(capsys, "paths", DUMP, "0x1", "--class", "x", "--index-dir", index)
    assert code == 2 and "two questions" in err
