"""The Crash summary dock: what killed the process in plain words ("NULL pointer write in store_value() at
segv_chain.c:9"), the signal with its code and fault address, the crashing thread and frame, and the command
line."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from pmdesk.base.crash import Frame, Section, frame_name
from pmdesk.model.crash import report
from pmdesk.views.common.base import fill_pairs, readonly_table
from pmdesk.views.common.colours import accent
from pmdesk.views.common.selection import SelectionBus
from pmdesk.views.crash.base import CrashView


class CrashSummaryView(CrashView):
    VIEW_ID = "crash_summary"
    TITLE = "Crash summary"
    AREA = Qt.DockWidgetArea.LeftDockWidgetArea

    def __init__(self, parent: Any = None, bus: SelectionBus | None = None) -> None:
        super().__init__(parent, bus)
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        self.headline.setStyleSheet(f"font-size: 15px; font-weight: bold; color: {accent('#a01010').name()}; "
                                    "padding: 4px;")
        box = QWidget()
        self.table = readonly_table(box, ["", ""], fit_columns=1)
        self.table.horizontalHeader().setVisible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.headline)
        lay.addWidget(box, 1)

    def show_crash(self) -> None:
        s = self.session
        if s is None:
            self.headline.clear()
            self.table.setRowCount(0)
            return
        crash = s.crash
        crashed = crash.crashed_thread
        top = crashed.frames[0] if crashed and crashed.frames else None
        app = report.first_app_frame(crashed.frames, crash.modules) if crashed else None
        c, p = crash.cause, crash.process
        rows = [
            *([("Exception", " — ".join(x for x in (c.exception, c.code_name) if x))] if c.exception else []),
            ("Signal", report.signal_text(crash.cause)),
            ("Fault address", report.fault_text(crash.cause) or "-"),
            ("Crashing thread", str(crashed.tid if crashed else None)),
            ("Crashing frame", _frame_text(top)),
            ("First frame in the program", _frame_text(app)),
            *([("Message", c.message)] if c.message else []),
            ("Command", crash.process.command or ""),
            *[(label, value) for label, value in (("Version", p.version),
                                                  ("OS", " ".join(x for x in (p.os, p.os_version) if x)),
                                                  ("Time", p.time),
                                                  ("Executable", p.executable)) if value],
            ("Threads", str(len(crash.threads))),
            ("Modules without symbols", ", ".join(report.unsymbolicated_modules(crash)) or "none"),
            *[row for sec in crash.sections if sec.in_summary for row in _section_rows(sec)],
        ]
        shown = {label for label, _v in rows}  # the Overview's facts folded in here (no Overview for crashes)
        rows += [(label, value) for label, value in self.dump.spec.overview(self.dump)
                 if label in FOLDED and label not in shown] if self.dump is not None else []
        self.headline.setText(s.summary())
        fill_pairs(self.table, rows)


FOLDED = ("File", "Format", "Modules", "Index")  # the Overview's rows a crash shows at the summary's end
MAX_ROWS_OF_SECTION = 16  # a longer list (open files, auxv, memory info) stays one row: Report sections has it


def _section_rows(sec: Section) -> list[tuple[str, str]]:
    """A short section of 'name: value' lines (a report's header facts) as rows of their own; any other
    section as one row (its first line shown, all of it in the tooltip; a long one says where it is)."""
    lines = sec.text.split("\n")
    pairs = [ln.split(": ", 1) for ln in lines]
    if 1 < len(lines) <= MAX_ROWS_OF_SECTION and all(len(p) == 2 and 0 < len(p[0]) <= 40 for p in pairs):
        return [(k, v) for k, v in pairs]
    if len(lines) > MAX_ROWS_OF_SECTION:
        return [(sec.title, f"{len(lines):,} lines: see Report sections\n{sec.text}")]
    return [(sec.title, sec.text)]


def _frame_text(f: Frame | None) -> str:
    if f is None:
        return "-"
    where = f" at {f.file}:{f.line}" if f.file else f" in {f.module}" if f.module and f.function else ""
    return f"{frame_name(f)}{where} (0x{f.pc:x})"
