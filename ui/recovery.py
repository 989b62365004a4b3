"""Reset a forgotten passphrase with the school's recovery key (from the sign-in screen)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.clock import Clock
from app.errors import InputError
from app.store.access import recover
from app.store.users import reset_passphrase
from ui.errors import FieldMessage, message_for
from ui.ops import Db


def reset_with_recovery_key(directory: Path, key: str, username: str, new: str,
                            clock: Clock | None) -> None:
    """Runs on the DB thread: opens the store as its admin, resets one passphrase, locks."""
    session = recover(directory, key, clock=clock)
    try:
        reset_passphrase(session, username, new)
    finally:
        session.lock()


class RecoveryDialog(QDialog):
    def __init__(self, db: Db, directory: Path, accounts: list[str], *,
                 clock: Clock | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reset a passphrase with the recovery key")
        self.db, self.directory, self.clock = db, directory, clock
        self.key = QLineEdit(self)
        self.key.setAccessibleName("Recovery key")
        self.key.setPlaceholderText("XXXX-XXXX-…")
        self.account = QLineEdit(self)
        self.account.setAccessibleName("Account to reset")
        if accounts:
            self.account.setText(accounts[0])
        self.new = QLineEdit(self)
        self.new.setEchoMode(QLineEdit.EchoMode.Password)
        self.new.setAccessibleName("New passphrase")
        self.message = FieldMessage(self)
        form = QFormLayout()
        form.addRow("&Recovery key", self.key)
        form.addRow("&Account", self.account)
        form.addRow("&New passphrase", self.new)
        form.addRow("", self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                        QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        intro = QLabel("An admin who holds the school's recovery key can set a new passphrase "
                       "for any account here.", self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

    def submit(self) -> None:
        key, user, new = self.key.text(), self.account.text().strip(), self.new.text()
        if not key.strip():
            self.message.say(message_for(InputError("recovery key", "type the recovery key")))
            return
        self.buttons.setEnabled(False)
        directory, clock = self.directory, self.clock
        (self.db.raw(self, lambda: reset_with_recovery_key(directory, key, user, new, clock))
            .across_lock().success(lambda _r: self.accept()).failure(self._failed).run())

    def _failed(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.message.say(message_for(error))
