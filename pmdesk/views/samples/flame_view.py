"""The Flame graph dock of a profile: the flame graph (or icicle) of the samples chosen — by sample type,
event, thread, pprof's focus/ignore/hide and, for labelled samples, -tagfocus — with a search that
highlights and sums its matches, and, compared with another open profile of any format, the differential
flame graph (width this profile, colour the change since the other)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout

from pmdesk.model.dump import Dump
from pmdesk.model.formats import Kind
from pmdesk.model.samples.profile import load
from pmdesk.views.common.flame_graph import FlameGraph
from pmdesk.views.common.selection import FunctionSelected, SelectionBus
from pmdesk.views.samples.base import DiffSource, ProfileSource, ProfileView, weight_text


class ProfileFlameView(ProfileView):
    VIEW_ID = "profile_flame"
    TITLE = "Flame graph"
    AREA = Qt.DockWidgetArea.LeftDockWidgetArea

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.open_dumps: list[Dump] = []
        self.type_box, self.event_box, self.thread_box, self.compare_box = (QComboBox() for _ in range(4))
        self.type_box.currentIndexChanged.connect(lambda _i: self._chosen("type", self.type_box))
        self.event_box.currentIndexChanged.connect(lambda _i: self._chosen("event", self.event_box))
        self.thread_box.currentIndexChanged.connect(lambda _i: self._chosen("thread", self.thread_box))
        self.compare_box.currentIndexChanged.connect(lambda _i: self._compare_chosen())
        self.filters = {}
        for key, hint in (("focus", "Focus: stacks through…"), ("ignore", "Ignore: stacks through…"),
                          ("hide", "Hide: frames matching…")):
            edit = QLineEdit()
            edit.setPlaceholderText(hint)
            edit.setToolTip(f"{hint.split(':')[0]}: frames matching a regular expression (pprof's -{key})")
            edit.setClearButtonEnabled(True)
            edit.editingFinished.connect(lambda k=key, e=edit: self._filter(k, e.text()))
            self.filters[key] = edit
        self.tag = QLineEdit()  # shown for a profile whose samples have labels (pprof's)
        self.tag.setPlaceholderText("Tag: KEY=value pattern (samples labelled so)")
        self.tag.setClearButtonEnabled(True)
        self.tag.editingFinished.connect(lambda: self._filter("tag", self.tag.text()))
        self.tag.setVisible(False)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search: highlights, sums")
        self.search.setClearButtonEnabled(True)
        self.icicle = QCheckBox("Icicle")
        self.normalize = QCheckBox("Normalize")
        self.normalize.setToolTip("Scale the other profile to this one's total (difffolded.pl -n)")
        self.normalize.toggled.connect(self._normalize)
        self.info = QLabel()
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.flame = FlameGraph()
        self.flame.node_clicked.connect(self._clicked)
        self.flame.matched.connect(self._matched)
        self.search.textChanged.connect(self.flame.set_search)
        self.icicle.toggled.connect(self.flame.set_icicle)
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        for col, (label, w) in enumerate((("Type:", self.type_box), ("Event:", self.event_box),
                                          ("Thread:", self.thread_box))):
            grid.addWidget(QLabel(label), 0, 2 * col)
            grid.addWidget(w, 0, 2 * col + 1)
        for col, key in enumerate(("focus", "ignore", "hide")):
            grid.addWidget(self.filters[key], 1, 2 * col, 1, 2)
        grid.addWidget(self.tag, 3, 0, 1, 6)
        grid.addWidget(self.search, 2, 0, 1, 2)
        compare = QHBoxLayout()
        compare.addWidget(QLabel("Compare with:"))
        compare.addWidget(self.compare_box, 1)
        compare.addWidget(self.normalize)
        compare.addWidget(self.icicle)
        grid.addLayout(compare, 2, 2, 1, 4)
        for c in (1, 3, 5):
            grid.setColumnStretch(c, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(grid)
        lay.addWidget(self.info)
        lay.addWidget(self.flame, 1)

    def load(self, dump: Dump | None) -> None:
        self.dump = dump
        boxes = (self.type_box, self.event_box, self.thread_box)
        for box in boxes:
            box.blockSignals(True)
            box.clear()
        if dump is not None:
            s = load(dump)
            sel = self.profile_state().selection
            default = s.types[s.type_index(None)][0]
            for t, u in s.types:
                self.type_box.addItem(f"{t} ({u})", t)
            self.type_box.setCurrentIndex(self.type_box.findData(sel.type or default))
            if len(s.events) > 1:
                for e in s.events:
                    self.event_box.addItem(e, e)
                self.event_box.setCurrentIndex(max(self.event_box.findData(sel.event or s.events[s.event_index(None)]),
                                                   0))
            self.thread_box.addItem("All threads", None)
            for _pid, tid, name in sorted(s.threads, key=lambda t: (t[2] or "", t[1] or 0)):
                label = f"{name} ({tid})" if name and tid is not None else str(name or tid)
                self.thread_box.addItem(label, str(tid) if tid is not None else name)
            self.thread_box.setCurrentIndex(max(self.thread_box.findData(sel.thread), 0))
            for key, edit in self.filters.items():
                edit.setText(getattr(sel, key) or "")
            self.tag.setText(sel.tag or "")
            self.tag.setToolTip(f"Keep the samples with a label KEY whose value matches a regular expression "
                                f"(pprof's -tagfocus); labels here: {', '.join(s.label_keys)}")
        self.tag.setVisible(dump is not None and bool(load(dump).label_keys))
        self.event_box.setEnabled(self.event_box.count() > 1)
        self.thread_box.setEnabled(self.thread_box.count() > 2)
        for box in boxes:
            box.blockSignals(False)
        self._fill_compare()
        if dump is not None:
            self.normalize.blockSignals(True)
            self.normalize.setChecked(self.profile_state().normalize)
            self.normalize.blockSignals(False)
        self.refresh()

    def open_dumps_changed(self, dumps: list[Dump]) -> None:
        self.open_dumps = [d for d in dumps if d.has(Kind.SAMPLES)]
        self._fill_compare()

    def _fill_compare(self) -> None:
        box = self.compare_box
        box.blockSignals(True)
        box.clear()
        box.addItem("(nothing)", None)
        chosen = self.profile_state().compare if self.dump is not None else None
        for d in self.open_dumps:
            if d is not self.dump:
                box.addItem(d.name, d)
                if d is chosen:
                    box.setCurrentIndex(box.count() - 1)
        box.setEnabled(box.count() > 1)
        box.blockSignals(False)
        self.normalize.setEnabled(box.currentData() is not None)

    def _chosen(self, key: str, box: QComboBox) -> None:
        if self.dump is not None:
            self.change_selection(**{key: box.currentData()})

    def _filter(self, key: str, text: str) -> None:
        if self.dump is not None and (getattr(self.profile_state().selection, key) or "") != text:
            self.change_selection(**{key: text or None})

    def _compare_chosen(self) -> None:
        if self.dump is not None:
            self.profile_state().compare = self.compare_box.currentData()
            self.normalize.setEnabled(self.compare_box.currentData() is not None)
            self.announce()

    def _normalize(self, on: bool) -> None:
        if self.dump is not None:
            self.profile_state().normalize = on
            self.announce()

    def refresh(self) -> None:
        prof, d, problem = self.shown()
        if prof is None:
            self.flame.set_source(None)
            self.info.setText(problem)
            return
        st = self.profile_state()
        self.flame.set_source(DiffSource(d) if d is not None else ProfileSource(prof))
        self.flame.set_search(self.search.text())
        text = f"{prof.count:,} samples — {prof.type}: {weight_text(prof.total, prof.unit)}"
        if d is not None:
            text += (f" — compared with {st.compare.name} ({weight_text(d.a.total * d.scale, d.a.unit)}"
                     f"{', normalized' if st.normalize else ''}): red grew, blue shrank")
        self.info.setText(text)
        self._base_info = text

    def _matched(self, share: float) -> None:
        base = getattr(self, "_base_info", "")
        self.info.setText(base if share < 0 else f"{base} — search matches {share:.2%}")

    def _clicked(self, node: object) -> None:
        src = self.flame.source
        if src is not None and self.dump is not None:
            self.bus.selected.emit(FunctionSelected(self.dump, src.name(node), self.VIEW_ID))

    def view_state(self) -> dict[str, Any]:
        return {"search": self.search.text(), "icicle": self.icicle.isChecked()}

    def restore_state(self, state: dict[str, Any]) -> None:
        self.search.setText(state.get("search", ""))
        self.icicle.setChecked(bool(state.get("icicle")))
