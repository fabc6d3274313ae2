"""The Crash summary dock of an ELF core: what killed the process in plain words ("NULL pointer write in
store_value() at segv_chain.c:9"), the signal with its code and fault address, the crashing thread and frame,
and the command line."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from pmdesk.model.crash import report as native
from pmdesk.views.common.base import fill_pairs, readonly_table
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.crash.base import CoreView


class CoreSummaryView(CoreView):
    VIEW_ID = "core_summary"
    TITLE = "Crash summary"
    AREA = Qt.DockWidgetArea.LeftDockWidgetArea

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        self.headline.setStyleSheet("font-size: 15px; font-weight: bold; color: #a01010; padding: 4px;")
        box = QWidget()
        self.table = readonly_table(box, ["", ""], fit_columns=1)
        self.table.horizontalHeader().setVisible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.headline)
        lay.addWidget(box, 1)

    def show_core(self) -> None:
        s = self.session
        if s is None:
            self.headline.clear()
            self.table.setRowCount(0)
            return
        doc = s.doc
        sig = doc["signal"] or {}
        crashed = s.thread(doc["crashed_thread"]) if doc["crashed_thread"] is not None else None
        top = crashed["frames"][0] if crashed and crashed["frames"] else None
        app = native.first_app_frame(crashed["frames"]) if crashed else None
        rows = [
            ("Signal", native.signal_text(sig)),
            ("Fault address", native.fault_text(sig, s.fault) or "-"),
            ("Crashing thread", str(doc["crashed_thread"])),
            ("Crashing frame", _frame_text(top)),
            ("First frame in the program", _frame_text(app)),
            ("Command", self.dump.meta.get("core.command") or ""),
            ("Threads", str(len(doc["threads"]))),
            ("Modules without symbols", ", ".join(m["path"] for m in doc["modules"] if m["symbols"] == "missing")
             or "none"),
        ]
        self.headline.setText(s.summary())
        fill_pairs(self.table, rows)


def _frame_text(f: dict[str, Any] | None) -> str:
    if f is None:
        return "-"
    where = f" at {f['file']}:{f['line']}" if f["file"] else f" in {f['module']}" if f["module"] else ""
    return f"{f['function'] or '??'}{where} (0x{f['pc']:x})"
