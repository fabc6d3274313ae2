"""Sessions: one .pmdesk file with the dumps, layout, dock states and annotations; a moved dump found
again by content, a changed one reported with the notes that cannot be placed; damaged files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from pmdesk.app.main_window import MainWindow
from pmdesk.core.errors import PmdeskError
from pmdesk.model import session as sessions
from pmdesk.model.heap_graph import format_id, graph_of
from pmdesk.views.models.dominator_model import DominatorModel
from tests.conftest import SAMPLE


def make_window(qtbot, tmp_path: Path, name: str) -> MainWindow:  # noqa: ANN001
    settings = QSettings(str(tmp_path / f"{name}.ini"), QSettings.Format.IniFormat)
    w = MainWindow(index_dir=str(tmp_path / "idx"), settings=settings, autosave=str(tmp_path / f"{name}-auto.pmdesk"))
    qtbot.addWidget(w)
    w.show()
    return w


def idle(qtbot, w: MainWindow) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: w.job is None and not w.jobs, timeout=60000)


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
    node = w.view("dominator_tree").model.data(w.view("dominator_tree").model.index(0, 0), DominatorModel.NODE_ROLE)
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
