"""The small dialog that pins a note, a tag and a colour to an item a dock shows."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from pmdesk.model.dump import Dump
from pmdesk.model.session import TAGS
from pmdesk.views.common.annotation_store import AnnotationStore


def annotate_dialog(parent: QWidget, store: AnnotationStore, dump: Dump | None, kind: str, target: str,
                    label: str) -> None:
    """Ask for the note and tag (window-modal, not blocking the event loop) and store them."""
    if dump is None:
        return
    old = store.session.find(dump.content_key, kind, target)
    dlg = QDialog(parent)
    dlg.setWindowTitle("Annotate")
    form = QFormLayout(dlg)
    form.addRow(QLabel(label))
    note = QLineEdit(old.note if old else "")
    tag = QComboBox()
    tag.addItems(TAGS)
    if old:
        tag.setCurrentText(old.tag)
    form.addRow("Note", note)
    form.addRow("Tag", tag)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dlg.accept)
    buttons.rejected.connect(dlg.reject)
    form.addRow(buttons)
    dlg.accepted.connect(lambda: store.annotate(dump.content_key, kind, target, label, note.text(), tag.currentText()))
    dlg.open()
