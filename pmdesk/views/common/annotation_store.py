"""The annotations of the session, shared by every dock (through the selection bus): docks mark what is
annotated and add notes; the Annotations dock lists them."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from pmdesk.model.session import Annotation, Session

TAG_COLOURS = {"leak": "#e06666", "culprit": "#f6b26b", "suspect": "#ffd966", "benign": "#93c47d",
               "note": "#9fc5e8"}


class AnnotationStore(QObject):
    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = Session()

    def use(self, session: Session) -> None:
        self.session = session
        self.changed.emit()

    def annotate(self, dump_key: str, kind: str, target: str, label: str, note: str, tag: str = "note") -> Annotation:
        """Add (or replace) the note on one item."""
        old = self.session.find(dump_key, kind, target)
        if old is not None:
            self.session.annotations.remove(old)
        a = Annotation(dump_key, kind, target, label, note, tag, TAG_COLOURS.get(tag, TAG_COLOURS["note"]))
        self.session.annotations.append(a)
        self.session.changed()
        self.changed.emit()
        return a

    def remove(self, a: Annotation) -> None:
        if a in self.session.annotations:
            self.session.annotations.remove(a)
            self.session.changed()
            self.changed.emit()

    def colour_of(self, dump_key: str, kind: str, target: str) -> str | None:
        a = self.session.find(dump_key, kind, target)
        return a.colour if a is not None else None
