"""The other routes' dialogs (DSL): secure email (save the AES-256 encrypted pack, read the
one-time password out by phone, confirm it was sent), a referral made by phone, and the LA's
reference and outcome that end every route. Each runs one call of ``app.delivery.la_routes``
through ``CoreDialog``; nothing is marked sent unless the DSL ticks that it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.delivery import la_routes
from app.domain.la_profiles import LaProfile
from app.errors import InputError
from ui.entry_dialogs import CoreDialog
from ui.ops import Db

# Working Together 2023's usual decisions; the DSL may type another.
OUTCOMES = ("No further action", "Information and advice", "Early help",
            "Section 17 assessment (child in need)", "Section 47 enquiry (child protection)",
            "Strategy discussion")


class SecureEmailDialog(CoreDialog):
    def __init__(self, db: Db, referral_id: str, profile: LaProfile,
                 parent: QWidget | None = None) -> None:
        super().__init__(db, f"Send by secure email — {profile.name}", parent)
        self.referral_id = referral_id
        steps = QLabel(
            f"1. Save the pack, encrypted (AES-256), and attach it to a <b>secure email</b> "
            f"from the school's secure mailbox to <b>{profile.secure_email}</b>.<br>"
            f"2. Phone the password to {profile.service} on <b>{profile.phone_in_hours}</b>. "
            "Never put it in an email.<br>3. Tick that it was sent, then Record as sent.", self)
        steps.setWordWrap(True)
        self.path = QLineEdit(self)
        self.path.setAccessibleName("Where to save the encrypted pack")
        self.path.setPlaceholderText("A folder you will attach it from, e.g. referral.pdf")
        browse = QPushButton("&Browse…", self)
        browse.clicked.connect(self._browse)
        self.save_pack = QPushButton("Save the &encrypted pack", self)
        self.save_pack.clicked.connect(self.save_encrypted)
        where = QHBoxLayout()
        where.addWidget(self.path, 1)
        where.addWidget(browse)
        where.addWidget(self.save_pack)
        self.password = QLabel("The one-time password appears here when the pack is saved.",
                               self)
        self.password.setAccessibleName("One-time password: read it out by phone")
        self.password.setWordWrap(True)
        self.sent = QCheckBox(f"I have sent it by secure email to {profile.secure_email}", self)
        self.reference = QLineEdit(self)
        self.reference.setAccessibleName("The LA's reference")
        self.reference.setPlaceholderText("If the LA gave one; add it later otherwise")
        self.form.addRow(steps)
        self.form.addRow("Save &to", where)
        self.saved = QLabel(self)  # news, not a problem: not the message line
        self.saved.setWordWrap(True)
        self.form.addRow("Password", self.password)
        self.form.addRow("", self.saved)
        self.form.addRow("", self.sent)
        self.form.addRow("The LA's &reference", self.reference)
        self.resize(760, 360)
        # Saving here records the referral as sent: the button says so.
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(
            "Record as sent (Ctrl+S)")

    def _browse(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self, "Save the encrypted pack", "referral.pdf",
                                                "PDF (*.pdf)")
        if chosen:
            self.path.setText(chosen)

    def save_encrypted(self) -> None:
        self.message.clear_message()
        text = self.path.text().strip()
        if not text:
            self.message.say("Save to: choose where to save the encrypted pack")
            return
        referral_id, out = self.referral_id, Path(text).expanduser()
        self.save_pack.setEnabled(False)
        self.db.op(self, lambda s: la_routes.save_email_pack(s, referral_id, out)).success(
            self._show_password).failure(self._pack_failed).run()

    def _show_password(self, password: str) -> None:
        # Shown here only: the password is kept nowhere (app/delivery/la_routes.py).
        self.password.setText(password)
        font = QFont("monospace")
        font.setPointSizeF(self.font().pointSizeF() * 1.6)
        font.setBold(True)
        self.password.setFont(font)
        self.save_pack.setEnabled(True)
        self.password.setToolTip("For this pack only. Read it out by phone; never email it.")
        self.saved.setText("Saved. Attach the file to the secure email; read the password "
                           "out by phone, never email it.")

    def _pack_failed(self, error: BaseException) -> None:
        self.save_pack.setEnabled(True)
        self._failed(error)

    def prepare(self) -> Any:
        if not self.sent.isChecked():
            raise InputError("sent", "tick that you have sent it; nothing is marked sent "
                             "before")
        referral_id, reference = self.referral_id, self.reference.text().strip()

        return lambda s: la_routes.confirm_sent(s, referral_id, "email", reference=reference)


class PhoneSentDialog(CoreDialog):
    def __init__(self, db: Db, referral_id: str, profile: LaProfile,
                 parent: QWidget | None = None) -> None:
        super().__init__(db, "Referral made by phone", parent)
        self.referral_id = referral_id
        self.to = QLineEdit(profile.phone_in_hours, self)
        self.to.setAccessibleName("Number or person phoned")
        self.form.addRow(QLabel(f"{profile.service}: in hours {profile.phone_in_hours}; out "
                                f"of hours {profile.phone_out_of_hours}.", self))
        self.form.addRow("&Phoned", self.to)
        self.resize(560, 160)

    def prepare(self) -> Any:
        referral_id, to = self.referral_id, self.to.text()
        return lambda s: la_routes.confirm_sent(s, referral_id, "phone", to)


class LaAnswerDialog(CoreDialog):
    """The LA's reference, or its decision, for a referral that was sent."""

    def __init__(self, db: Db, referral_id: str, what: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(db, "The LA's reference" if what == "reference" else
                         "The LA's decision", parent)
        self.referral_id, self.what = referral_id, what
        self.value: QLineEdit | QComboBox
        if what == "reference":
            self.value = QLineEdit(self)
            self.form.addRow("The LA's &reference", self.value)
        else:
            self.value = QComboBox(self)
            self.value.setEditable(True)
            self.value.addItems(["", *OUTCOMES])
            self.note = QLineEdit(self)
            self.note.setAccessibleName("What the LA said with it")
            self.form.addRow("&Decision", self.value)
            self.form.addRow("&Note", self.note)
        self.value.setAccessibleName("The LA's " + what)
        self.resize(520, 160)

    def prepare(self) -> Any:
        referral_id = self.referral_id
        if isinstance(self.value, QLineEdit):
            reference = self.value.text()
            return lambda s: la_routes.record_reference(s, referral_id, reference)
        outcome, note = self.value.currentText(), self.note.text()
        return lambda s: la_routes.record_outcome(s, referral_id, outcome, note)
