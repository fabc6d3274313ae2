"""Sessions: one .pmdesk file with the dumps, layout, dock states and annotations; a moved dump found
again by content, a changed one reported with the notes that cannot be placed; damaged files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from pmdesk.app.main_window import MainWindow
from pmdesk.base.errors import PmdeskError
from pmdesk.model import session as sessions
from pmdesk.model.heap.graph import format_id, graph_of
from pmdesk.views.common.roles import Role
from tests.conftest import SAMPLE


def make_window(qtbot, tmp_path: Path, name: str) -> MainWindow:  # noqa: ANN001
    settings = QSettings(str(tmp_path / f"{name}.ini"), QSettings.Format.IniFormat)
    w = MainWindow(index_dir=str(tmp_path / "idx"), settings=settings, autosave=str(tmp_path / f"{name}-auto.pmdesk"))
    qtbot.addWidget(w)
    w.show()
    return w


def idle(qtbot, w: MainWindow) -> None:  # noqa: ANN001
    qtbot.waitUntil(w.is_idle, timeout=60000)


def test_session_file_round_trip_and_damage(tmp_path: Path) -> None:
    s = sessions.Session([sessions.SessionDump("/x/a.hprof", 10, "k")], 0, "", {"threads": {"filter": "x"}},
                         [sessions.Annotation("k", "object", "0x10", "java.util.HashMap @ 0x10", "leaks", "leak")])
    f = tmp_path / "one.pmdesk"
    sessions.save(s, f)
    back = sessions.load(f)
    assert back.to_json() == s.to_json()
    assert not list(tmp_path.glob(".one.pmdesk.*"))  # no temp file left
    for text in ("{not json", '{"format": "something else"}', '{"format": "pmdesk-session", "version": 99}'):
        f.write_text(text)
        with pytest.raises(PmdeskError) as e:
            sessions.load(f)
        assert str(f) in e.value.one_line() and "\n" not in e.value.one_line()


def test_annotated_session_is_saved_and_reopened(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    dump = dumps / "leak.hprof.gz"
    shutil.copyfile(SAMPLE, dump)
    w = make_window(qtbot, tmp_path, "first")
    w.open_path(str(dump))
    idle(qtbot, w)
    g = graph_of(w.current)
    node = w.view("dominator_tree").model.data(w.view("dominator_tree").model.index(0, 0), Role.NODE)
    target = format_id(int(g.ids[node]))
    w.bus.annotations.annotate(w.current.content_key, "object", target, g.label(node), "holds the sessions", "leak")
    model = w.view("dominator_tree").model
    assert model.data(model.index(0, 0), Qt.ItemDataRole.BackgroundRole) is not None  # marked in the tree
    assert w.view("annotations").table.rowCount() == 1
    w.view("dominator_tree").by_class.setChecked(True)
    saved = tmp_path / "case.pmdesk"
    w.save_session(str(saved))
    w.close()

    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.move(str(dump), moved / "leak.hprof.gz")  # the colleague keeps dump and session side by side
    shutil.move(str(saved), moved / "case.pmdesk")
    w2 = make_window(qtbot, tmp_path, "second")
    w2.open_path(str(moved / "case.pmdesk"))  # what a double-click on the session does
    idle(qtbot, w2)
    assert [d.path for d in w2.dumps] == [str(moved / "leak.hprof.gz")]
    assert w2.view("dominator_tree").by_class.isChecked()
    notes = w2.view("annotations")
    assert notes.table.rowCount() == 1 and notes.table.item(0, 2).text() == "holds the sessions"
    notes.go_to(0)
    assert w2.view("object_inspector").node == node


def test_a_changed_dump_is_reported_with_its_notes(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    dump = tmp_path / "leak.hprof.gz"
    shutil.copyfile(SAMPLE, dump)
    s = sessions.Session([sessions.SessionDump(str(dump), dump.stat().st_size, "not-its-content")], 0, "", {},
                         [sessions.Annotation("not-its-content", "object", "0x1", "x", "a note")])
    f = tmp_path / "old.pmdesk"
    sessions.save(s, f)
    w = make_window(qtbot, tmp_path, "third")
    w.open_session(str(f))
    assert w.dumps == [] and not w.jobs
    text = w.last_message.text()
    assert "1 dump(s) not found or changed" in text and "1 annotation(s)" in text


def test_autosave_keeps_the_session(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    w = make_window(qtbot, tmp_path, "auto")
    w.open_path(str(SAMPLE))
    idle(qtbot, w)
    w.save_autosave()
    assert [d.path for d in sessions.load(w.autosave_path).dumps] == [str(SAMPLE)]


def test_notes_on_classes_frames_and_threads_and_view_state(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    from tests.conftest import DATA

    w = make_window(qtbot, tmp_path, "kinds")
    w.open_path(str(SAMPLE))
    idle(qtbot, w)
    key = w.current.content_key
    w.bus.annotations.annotate(key, "class", "com.example.leak.Session", "class Session", "one per login", "suspect")
    hist = w.view("heap_histogram")
    hist.filter.setText(r"^com\.example\.leak\.Session$")
    src = hist.proxy.mapToSource(hist.proxy.index(0, 0))
    assert hist.model.data(src, Qt.ItemDataRole.BackgroundRole) is not None  # the class is marked
    tree = w.view("dominator_tree")
    first = tree.model.index(0, 0)
    tree.tree.expand(first)
    tree.tree.setCurrentIndex(tree.model.index(0, 0, first))
    state = tree.view_state()
    assert state["selected"] and state["expanded"]
    w.save_session(str(tmp_path / "kinds.pmdesk"))
    w.close()
    w2 = make_window(qtbot, tmp_path, "kinds2")
    w2.open_session(str(tmp_path / "kinds.pmdesk"))
    idle(qtbot, w2)
    t2 = w2.view("dominator_tree")
    assert t2.view_state()["selected"] == state["selected"]  # the selection came back with the tree
    assert t2.tree.isExpanded(t2.model.index(0, 0))
    # threads: a note on a thread and one on a frame
    w2.open_path(str(DATA / "threads" / "deadlock-sync.jstack.txt"))
    idle(qtbot, w2)
    th = w2.view("threads")
    row = next(r for r in range(th.table.rowCount()) if th.table.item(r, 0).text() == "deadlock-A")
    th.table.setCurrentCell(row, 0)
    stack = w2.view("thread_stack")
    from pmdesk.views.threads.stack_view import frame_target
    from pmdesk.views.threads.threads_view import thread_target

    k2 = w2.current.content_key
    w2.bus.annotations.annotate(k2, "thread", thread_target(stack.thread), "thread deadlock-A", "stuck", "culprit")
    w2.bus.annotations.annotate(k2, "frame", frame_target(stack.thread, 0, stack.thread.frames[0].function),
                                "frame", "takes A then B", "culprit")
    assert th.table.item(row, 0).background().color().name() == "#f6b26b"
    assert stack.table.item(0, 0).background().color().name() == "#f6b26b"
    assert w2.view("annotations").table.rowCount() == 3


def test_a_dump_found_where_the_user_says(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    other = tmp_path / "moved-far-away.hprof.gz"
    shutil.copyfile(SAMPLE, other)
    w = make_window(qtbot, tmp_path, "ask")
    w.open_path(str(SAMPLE))
    idle(qtbot, w)
    s = w.session_now()
    s.dumps[0].path = "/nowhere/leak.hprof.gz"
    sessions.save(s, tmp_path / "lost.pmdesk")
    w.close_current()
    w.open_session(str(tmp_path / "lost.pmdesk"))
    assert w.missing and w.locate_dialog is not None  # asked where it is
    w.locate_dialog.reject()
    w.open_session(str(tmp_path / "lost.pmdesk"))
    assert not w.relocate(w.missing[0], str(tmp_path / "lost.pmdesk"))  # not that file
    w.open_session(str(tmp_path / "lost.pmdesk"))
    assert w.relocate(w.missing[0], str(other))
    idle(qtbot, w)
    assert [d.path for d in w.dumps] == [str(other)]


def test_damaged_session_files_open_what_is_valid(tmp_path: Path) -> None:
    """Every field checked for its shape: what is wrong is left out and listed, never an exception; a file
    nested a thousand deep or with a version that is no number is one line; 10,000 notes open in well under 2 s."""
    import copy
    import json
    import random
    import time

    from pmdesk.base.errors import PmdeskError

    good = {"format": "pmdesk-session", "version": 1, "dumps": [{"path": "/x", "size": 3, "content_key": "k"}],
            "current": 0, "layout": "", "views": {"dominator_tree": {"selected": "0x1"}},
            "annotations": [{"dump_key": "k", "kind": "class", "target": "T", "label": "L", "note": "n"}]}
    places = [("version",), ("dumps",), ("dumps", 0, "path"), ("dumps", 0, "size"), ("current",), ("layout",),
              ("views",), ("views", "dominator_tree"), ("annotations",), ("annotations", 0, "note"),
              ("annotations", 0, "target")]
    bad = ["x", None, 1e308, 10**20, -1, [], {}, True, "1e400", [[[[]]]]]
    rng = random.Random(5)
    f = tmp_path / "s.pmdesk"
    for _ in range(300):
        doc = copy.deepcopy(good)
        for _ in range(rng.randint(1, 3)):
            *where, last = rng.choice(places)
            target = doc
            for k in where:
                target = target[k] if isinstance(target, dict | list) and k in (target if isinstance(target, dict)
                                                                                 else range(len(target))) else {}
            if isinstance(target, dict):
                target[last] = rng.choice(bad)
        f.write_text(json.dumps(doc))
        try:
            s = sessions.load(f)
        except PmdeskError as e:
            assert str(f) in e.one_line() and "\n" not in e.one_line()
        else:
            assert all(isinstance(a.note, str) for a in s.annotations) and -1 <= s.current < max(len(s.dumps), 1)
    f.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(PmdeskError, match="nested too deeply"):
        sessions.load(f)
    doc = copy.deepcopy(good)
    doc["annotations"] = [{"dump_key": "k", "kind": "object", "target": f"0x{i:x}", "label": "o", "note": "",
                           "tag": "note", "colour": "#fff", "author": "a", "time": "t"} for i in range(10_000)]
    f.write_text(json.dumps(doc))
    t = time.perf_counter()
    s = sessions.load(f)
    assert s.find("k", "object", "0x2a") is not None and time.perf_counter() - t < 2


def test_bad_json_on_the_instance_socket_is_refused_quietly(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    from PySide6.QtNetwork import QLocalSocket

    from pmdesk.app.single_instance import InstanceServer

    server = InstanceServer(f"pmdesk-badjson-{tmp_path.name}")
    got: list[list[str]] = []
    server.open_requested.connect(got.append)
    for payload in (b'{"open": 5}\n', b"[1, 2]\n", b'{"open": [1, "/a"]}\n', b"\xff\xfe\n"):
        sock = QLocalSocket()
        sock.connectToServer(server.name)
        assert sock.waitForConnected(1000)
        before = len(got)
        sock.write(payload)
        sock.waitForBytesWritten(1000)
        qtbot.waitUntil(lambda before=before: len(got) > before, timeout=5000)
        sock.disconnectFromServer()
    assert got == [[], [], ["/a"], []]
    server.server.close()
