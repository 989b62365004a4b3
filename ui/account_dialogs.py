"""The admin's dialogs for accounts: add one, reset a passphrase, change its roles."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QWidget

from app.store.keys import KdfParams
from app.store.roles import ROLES
from app.store.users import add_user, change_role, reset_passphrase
from ui.entry_dialogs import CoreDialog
from ui.ops import Db

ROLE_WORDS = {"staff": "Staff (records concerns)", "dsl": "DSL team (triage, chronologies, "
              "referrals)", "office": "Office (prints released packs)",
              "admin": "Admin (accounts and settings)"}


def role_boxes(dialog: CoreDialog, checked: tuple[str, ...]) -> dict[str, QCheckBox]:
    boxes = {role: QCheckBox(ROLE_WORDS[role], dialog) for role in ROLES}
    for index, (role, box) in enumerate(boxes.items()):
        box.setChecked(role in checked)
        dialog.form.addRow("Roles" if index == 0 else "", box)
    return boxes


def checked_roles(boxes: dict[str, QCheckBox]) -> list[str]:
    return [role for role, box in boxes.items() if box.isChecked()]


class AddUserDialog(CoreDialog):
    def __init__(self, db: Db, parent: QWidget | None = None, *,
                 kdf: KdfParams | None = None) -> None:
        super().__init__(db, "Add a staff account", parent)
        self.kdf = kdf
        self.username = QLineEdit(self)
        self.username.setAccessibleName("Username")
        self.display = QLineEdit(self)
        self.display.setAccessibleName("Full name")
        self.passphrase = QLineEdit(self)
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("First passphrase")
        self.form.addRow("&Username", self.username)
        self.form.addRow("&Full name", self.display)
        self.roles = role_boxes(self, ("staff",))
        self.form.addRow("First &passphrase", self.passphrase)
        self.form.addRow("", QLabel("Tell them in person; they can change it later.", self))

    def prepare(self) -> Any:
        username, display = self.username.text().strip(), self.display.text()
        roles = checked_roles(self.roles)
        secret, kdf = self.passphrase.text(), self.kdf
        return lambda s: add_user(s, username, display, roles, secret, kdf=kdf)


class ResetDialog(CoreDialog):
    def __init__(self, db: Db, username: str, parent: QWidget | None = None) -> None:
        super().__init__(db, f"New passphrase for {username}", parent)
        self.username = username
        self.passphrase = QLineEdit(self)
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("New passphrase")
        self.form.addRow("&New passphrase", self.passphrase)

    def prepare(self) -> Any:
        username, secret = self.username, self.passphrase.text()
        return lambda s: reset_passphrase(s, username, secret)


class RolesDialog(CoreDialog):
    """An account's roles from now on (the school always keeps at least one admin)."""

    def __init__(self, db: Db, username: str, roles: tuple[str, ...],
                 parent: QWidget | None = None) -> None:
        super().__init__(db, f"Roles of {username}", parent)
        self.username = username
        note = QLabel("What they can see and do changes at their next sign-in, on every PC of "
                      "the school.", self)
        note.setWordWrap(True)
        self.form.addRow(note)
        self.roles = role_boxes(self, roles)

    def prepare(self) -> Any:
        username, roles = self.username, checked_roles(self.roles)
        return lambda s: change_role(s, username, roles)
