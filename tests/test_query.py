"""The query console: SQL over the views of each kind of index (a real JDK 17 heap dump with jmap's histogram
beside it, a jstack dump, a core of a program crashed under gdb, a JFR recording), MAT's OQL forms, a console
that cannot change anything (every kind of write tried, the index's bytes compared), one-line errors,
cancellation, and the Query dock (run off the GUI thread, ids as links, saved queries in the session)."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest

from pmdesk.base.errors import Cancelled, PmdeskError
from pmdesk.base.progress import Progress
from pmdesk.model.dump import Dump
from pmdesk.model.query.console import QueryConsole
from tests.conftest import main_window, run_cli

DATA = Path(__file__).parent / "data"
HEAP = DATA / "leak-phase2.hprof.gz"
TRUTH = json.loads((DATA / "leak-phase2.truth.json").read_text())["histogram"]


@pytest.fixture(scope="module")
def heap(tmp_path_factory: pytest.TempPathFactory) -> QueryConsole:
    from pmdesk.model.heap.graph import ensure_graph

    d = Dump.open(str(HEAP), index_dir=tmp_path_factory.mktemp("idx"))
    ensure_graph(d)
    return QueryConsole(d)


def test_objects_and_classes_views_are_jmaps(heap: QueryConsole) -> None:
    r = heap.run("SELECT count(*), sum(shallow_bytes) FROM objects WHERE class = 'com.example.leak.Session'")
    truth = TRUTH["custom_classes"]["com.example.leak.Session"]
    assert r.rows == [(truth["instances"], truth["bytes"])]
    r = heap.run("SELECT objects, shallow_bytes FROM classes WHERE name = 'com.example.leak.Event'")
    assert r.rows == [(TRUTH["custom_classes"]["com.example.leak.Event"]["instances"],
                       TRUTH["custom_classes"]["com.example.leak.Event"]["bytes"])]
    r = heap.run("SELECT value, count(*) FROM strings GROUP BY value ORDER BY 2 DESC, 1 LIMIT 3")
    assert r.rows == [("evt-0", 3350), ("evt-1", 3350), ("evt-2", 3350)]
    # every reference of a Session goes from it; the HashMap entries hold them (LeakApp.SESSIONS)
    r = heap.run("SELECT DISTINCT s.class FROM refs JOIN objects s ON s.id = refs.source JOIN objects t "
                 "ON t.id = refs.target WHERE t.class = 'com.example.leak.Session'")
    assert ("java.util.HashMap$Node",) in r.rows
    assert heap.run("SELECT count(*) FROM roots").rows[0][0] > 0


def test_oql_forms(heap: QueryConsole) -> None:
    r = heap.run("SELECT s.size FROM java.util.HashMap s WHERE s.size >= 3350")
    assert r.oql and (3350,) in r.rows and all(v >= 3350 for (v,) in r.rows)   # LeakApp.SESSIONS
    r = heap.run('SELECT toString(s) FROM java.lang.String s WHERE toString(s) LIKE "evt-%"', limit=20_000)
    named = [v for (v,) in r.rows if v in ("evt-0", "evt-1", "evt-2")]   # (and the program's "evt-" constants)
    assert len(named) == TRUTH["custom_classes"]["com.example.leak.Event"]["instances"]
    assert all(v.startswith("evt-") for (v,) in r.rows)
    r = heap.run("SELECT * FROM INSTANCEOF java.util.AbstractMap")
    classes = {row[1] for row in r.rows}
    assert {"java.util.HashMap", "java.util.IdentityHashMap"} <= classes
    assert "'java.util.concurrent.ConcurrentHashMap'" in r.sql   # subclasses loaded, instances or not
    r = heap.run("SELECT s.@usedHeapSize, s.@retainedHeapSize FROM com.example.leak.Session s "
                 "WHERE s.@retainedHeapSize > 2100")
    assert r.columns == ["shallow_bytes", "retained_bytes"] and all(x > 2100 for _s, x in r.rows)
    r = heap.run('SELECT * FROM "com\\.example\\.leak\\.(Session|Event)"')
    assert {row[1] for row in r.rows} == {"com.example.leak.Session", "com.example.leak.Event"}


def test_the_console_only_reads(heap: QueryConsole, tmp_path: Path) -> None:
    index = heap.dump.index_path
    before = hashlib.sha256(index.read_bytes()).hexdigest()
    for sql in ("DELETE FROM meta", "UPDATE meta SET value = 1", "INSERT INTO meta VALUES ('a', 'b')",
                "DROP TABLE meta", "CREATE TABLE x (a)", "CREATE TEMP TABLE x (a)", "PRAGMA writable_schema = 1",
                "PRAGMA query_only = 0", f"ATTACH DATABASE '{tmp_path / 'x.db'}' AS x", "VACUUM",
                "REPLACE INTO meta VALUES ('a', 'b')", "SELECT 1; DELETE FROM meta"):
        with pytest.raises(PmdeskError) as e:
            heap.run(sql)
        assert "\n" not in e.value.one_line()
    assert hashlib.sha256(index.read_bytes()).hexdigest() == before
    assert not (tmp_path / "x.db").exists()


def test_errors_are_one_line_and_a_long_query_cancels(heap: QueryConsole) -> None:
    for sql, said in (("SELEC 1", "syntax error"), ("SELECT nope FROM objects", "no such column"),
                      ("", "empty"), ("SELECT * FROM FROM", "syntax error")):
        with pytest.raises(PmdeskError, match=said):
            heap.run(sql)
    progress = Progress()
    threading.Timer(0.5, progress.cancel).start()
    with pytest.raises(Cancelled):   # a cross join of every reference with itself: billions of rows
        heap.run("SELECT count(*) FROM refs a, refs b", progress=progress)


def test_query_cli_on_every_kind(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    idx = str(tmp_path / "idx")
    code, out, err = run_cli(capsys, "query", str(DATA / "threads" / "deadlock-sync.jstack.txt"),
                             "SELECT name FROM threads WHERE state = 'BLOCKED' ORDER BY name", "--json",
                             "--index-dir", idx)
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"file", "sql", "oql", "columns", "rows", "truncated"}
    assert doc["rows"] == [["deadlock-A"], ["deadlock-B"]]
    code, out, _ = run_cli(capsys, "query", str(DATA / "threads" / "deadlock-sync.jstack.txt"),
                           "SELECT count(*) FROM frames WHERE function LIKE '%SyncDeadlock%'", "--csv",
                           "--index-dir", idx)
    assert code == 0 and out.splitlines()[0] == "count(*)" and int(out.splitlines()[1]) >= 2
    code, out, _ = run_cli(capsys, "query", str(DATA / "jfr" / "workload.jfr"),
                           "SELECT count(*) FROM events WHERE type = 'jdk.ExecutionSample'", "--json",
                           "--index-dir", idx)
    summary = (DATA / "jfr" / "workload.summary.txt").read_text()
    line = next(x for x in summary.splitlines() if x.split()[:1] == ["jdk.ExecutionSample"])
    assert json.loads(out)["rows"] == [[int(line.split()[1])]]   # as `jfr summary` counts them
    code, out, _ = run_cli(capsys, "query", str(DATA / "native" / "cores" / "segv_chain.core"), "--views",
                           "--json", "--index-dir", idx)
    assert {v["name"] for v in json.loads(out)["views"]} >= {"crash_frames", "crash_threads", "threads"}
    code, _out, err = run_cli(capsys, "query", str(DATA / "threads" / "deadlock-sync.jstack.txt"),
                              "DELETE FROM td_thread", "--index-dir", idx)
    assert code == 2 and "only reads" in err


def test_query_dock(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    w = main_window(qtbot, tmp_path)
    w.open_path(str(HEAP))
    qtbot.waitUntil(w.is_idle, timeout=120000)
    view = w.view("query")
    w.bring_forward("query")
    qtbot.waitUntil(lambda: view.console is not None, timeout=30000)
    assert "FROM objects" in view.editor.toPlainText()   # an example to start from
    view.editor.setPlainText("SELECT id, class, retained_bytes FROM objects WHERE class = 'com.example.leak.Session' "
                             "ORDER BY retained_bytes DESC LIMIT 5")
    view.run_query()
    qtbot.waitUntil(lambda: view.job is None and view.result is not None, timeout=60000)
    assert view.table.rowCount() == 5 and view.table.item(0, 0).text().startswith("0x")
    view._open_cell(0, 0)
    inspector = w.view("object_inspector")
    assert inspector.node is not None
    view.save_query()
    assert w.session_now().views["query"]["saved"][0].startswith("SELECT id, class")
    view.editor.setPlainText("DELETE FROM meta")
    view.run_query()
    qtbot.waitUntil(lambda: view.job is None, timeout=30000)
    assert "only reads" in view.status.text()
