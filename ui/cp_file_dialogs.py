"""The receiving DSL's side of a CP file from another ConcernDesk school (issue #19): a card per
file waiting above the inbox ("CP file from <school> for <child>"), and the dialog that accepts
it into the child with its UPN (or one the DSL chooses: the core refuses a UPN that is not the
file's) or rejects it with a reason that goes back to the sending school."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.delivery.cp_decide import Incoming, accept_file, reject_file, waiting_files
from app.domain.pupils import Child, list_pupils
from app.wording import date_text
from ui.entry_dialogs import CoreDialog
from ui.ops import Db

BY_UPN = ""  # the combo's first choice: the child on roll with the file's UPN, or a new one


class IncomingFileDialog(CoreDialog):
    def __init__(self, db: Db, incoming: Incoming, children: list[Child],
                 parent: QWidget | None = None) -> None:
        super().__init__(db, incoming.title, parent)
        self.incoming = incoming
        heading = QLabel(f"<b>{_escape(incoming.title)}</b><br>UPN {incoming.child_upn} · "
                         f"received through the LA front door on "
                         f"{date_text(incoming.received_at.date())}", self)
        heading.setWordWrap(True)
        self.form.addRow(heading)
        self.accept_it = QRadioButton("&Accept it into this school's records", self)
        self.accept_it.setChecked(True)
        self.child = QComboBox(self)
        self.child.setAccessibleName("The child it is for")
        self.child.addItem(f"The child with UPN {incoming.child_upn} (a new child from the "
                           "file if none is on roll)", BY_UPN)
        for child in children:
            self.child.addItem(f"{child.display_name} · {child.upn}", child.id)
        self.reject_it = QRadioButton("&Reject it and say why", self)
        self.reason = QPlainTextEdit(self)
        self.reason.setAccessibleName("Why it is rejected")
        self.reason.setPlaceholderText("e.g. This child is not on our roll")
        self.reason.setFixedHeight(70)
        self.form.addRow(self.accept_it)
        self.form.addRow("&Into", self.child)
        self.form.addRow(_note("Each entry of their chronology comes in read-only, marked as "
                               f"from {incoming.school} with its author and date; the PDF, "
                               "attachments and profile are attached to a 'CP file received' "
                               "entry. Their profile fills in what this school's profile does "
                               "not hold yet, never over it. The sending school is told.",
                               self))
        self.form.addRow(self.reject_it)
        self.form.addRow("Rea&son", self.reason)
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setText("Accept")
        self.accept_it.toggled.connect(lambda on: save.setText("Accept" if on else "Reject"))
        self.resize(600, 420)

    def prepare(self) -> Any:
        incoming_id = self.incoming.id
        if self.reject_it.isChecked():
            reason = self.reason.toPlainText()
            return lambda s: reject_file(s, incoming_id, reason)
        child_id = self.child.currentData() or None
        return lambda s: accept_file(s, incoming_id, child_id)


def _note(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    return label


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class IncomingFiles(QWidget):
    """One card per CP file waiting for this DSL's decision; hidden when none waits."""

    decided = Signal()

    def __init__(self, db: Db, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.cards: list[QFrame] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 4)
        self.hide()

    def refresh(self) -> None:
        self.db.op(self, waiting_files).success(self._show).run()

    def _show(self, files: list[Incoming]) -> None:
        for frame in self.cards:
            frame.deleteLater()
        self.cards = []
        for incoming in files:
            frame = QFrame(self)
            frame.setObjectName("leaverCard")
            frame.setProperty("level", "amber")
            words = QLabel(f"<b>{_escape(incoming.title)}</b><br><b>To decide:</b> received "
                           f"{date_text(incoming.received_at.date())}: accept it into "
                           "their record here, or reject it with a reason", frame)
            words.setWordWrap(True)
            button = QPushButton("Accept or reject…", frame)
            button.setAccessibleName(f"Accept or reject the {incoming.title}")
            button.clicked.connect(lambda _c=False, i=incoming: self.open_file(i))
            layout = QHBoxLayout(frame)
            layout.setContentsMargins(10, 6, 8, 6)
            layout.addWidget(words, 1)
            layout.addWidget(button)
            frame.setAccessibleName(incoming.title)
            self._layout.addWidget(frame)
            self.cards.append(frame)
        self.setVisible(bool(files))

    def open_file(self, incoming: Incoming) -> None:
        def closed(_result: int) -> None:
            self.refresh()
            self.decided.emit()

        def shown(children: list[Child]) -> None:
            dialog = IncomingFileDialog(self.db, incoming, children, self)
            dialog.finished.connect(closed)
            dialog.open()
        self.db.op(self, list_pupils).success(shown).run()
