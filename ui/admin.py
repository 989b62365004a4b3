"""Admin: staff accounts and roles, passphrase resets, the school's details, auto-lock, the
pupil roster, and the LA front door and school hub services (``ui.services_tab``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import settings
from app.clock import Clock
from app.errors import InputErrors
from app.keys import KdfParams
from app.pupils import ImportResult, import_roster
from app.roles import ROLES
from app.session import User
from app.users import add_user, list_users, remove_user, reset_passphrase
from ui.entry_dialogs import _CoreDialog
from ui.errors import FieldMessage, message_for
from ui.keys import save_key
from ui.ops import Db
from ui.services_tab import ServicesTab
from ui.table_model import Column, RowsModel, rows_table
from ui.theme import heading

ROLE_WORDS = {"staff": "Staff (records concerns)", "dsl": "DSL team (triage, chronologies, "
              "referrals)", "office": "Office (prints released packs)",
              "admin": "Admin (accounts and settings)"}


class AddUserDialog(_CoreDialog):
    def __init__(self, db: Db, parent: QWidget | None = None, *,
                 kdf: KdfParams | None = None) -> None:
        super().__init__(db, "Add a staff account", parent)
        self.kdf = kdf
        self.username = QLineEdit(self)
        self.username.setAccessibleName("Username")
        self.display = QLineEdit(self)
        self.display.setAccessibleName("Full name")
        self.roles = {role: QCheckBox(ROLE_WORDS[role], self) for role in ROLES}
        self.roles["staff"].setChecked(True)
        self.passphrase = QLineEdit(self)
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("First passphrase")
        self.form.addRow("&Username", self.username)
        self.form.addRow("&Full name", self.display)
        for index, box in enumerate(self.roles.values()):
            self.form.addRow("Roles" if index == 0 else "", box)
        self.form.addRow("First &passphrase", self.passphrase)
        self.form.addRow("", QLabel("Tell them in person; they can change it later.", self))

    def prepare(self) -> Any:
        username, display = self.username.text().strip(), self.display.text()
        roles = [role for role, box in self.roles.items() if box.isChecked()]
        secret, kdf = self.passphrase.text(), self.kdf
        return lambda s: add_user(s, username, display, roles, secret, kdf=kdf)


class ResetDialog(_CoreDialog):
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


class AdminPage(QWidget):
    auto_lock_changed = Signal(int)

    def __init__(self, db: Db, *, clock: Clock | None = None, kdf: KdfParams | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.kdf = db, kdf
        tabs = QTabWidget(self)
        tabs.addTab(self._users_tab(), "&Users")
        tabs.addTab(self._school_tab(), "&School")
        tabs.addTab(self._roster_tab(), "&Pupil roster")
        self.services = ServicesTab(db, self)
        tabs.addTab(self.services, "Ser&vices")
        self.tabs = tabs
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Admin", self))
        layout.addWidget(tabs, 1)

    # -- users ---------------------------------------------------------------------------------
    def _users_tab(self) -> QWidget:
        page = QWidget(self)
        self.users = RowsModel([Column("Username", lambda u: u.username),
                                Column("Name", lambda u: u.display_name),
                                Column("Roles", lambda u: ", ".join(u.roles))], self)
        self.user_table = rows_table(self.users, "Staff accounts", page)
        add = QPushButton("&Add account…", page)
        add.clicked.connect(self._add_user)
        reset = QPushButton("&Reset passphrase…", page)
        reset.clicked.connect(self._reset)
        remove = QPushButton("Re&move account…", page)
        remove.clicked.connect(self._remove)
        buttons = QHBoxLayout()
        for button in (add, reset, remove):
            buttons.addWidget(button)
        buttons.addStretch(1)
        note = QLabel("Someone who forgot their passphrase: reset it here. If no admin can sign "
                      "in, use “Forgotten passphrase? Use the recovery key” on the sign-in "
                      "screen.", page)
        note.setWordWrap(True)
        layout = QVBoxLayout(page)
        layout.addLayout(buttons)
        layout.addWidget(self.user_table, 1)
        layout.addWidget(note)
        return page

    def _selected_user(self) -> User | None:
        return self.users.row(self.user_table.currentIndex())

    def _add_user(self) -> None:
        dialog = AddUserDialog(self.db, self, kdf=self.kdf)
        dialog.accepted.connect(self.refresh)
        dialog.open()

    def _reset(self) -> None:
        user = self._selected_user()
        if user is not None:
            dialog = ResetDialog(self.db, user.username, self)
            dialog.accepted.connect(lambda: self._done("The passphrase was reset."))
            dialog.open()

    def _remove(self) -> None:
        user = self._selected_user()
        if user is None:
            return
        answer = QMessageBox.question(self, "Remove account",
                                      f"Remove the account '{user.username}'? Their records "
                                      "stay; they can no longer sign in.")
        if answer == QMessageBox.StandardButton.Yes:
            self.db.op(self, lambda s: remove_user(s, user.username)).success(
                lambda _r: self.refresh()).run()

    def _done(self, text: str) -> None:
        self.school_message.clear_message()
        self.refresh()
        self.db.notify(text)

    # -- school and security -------------------------------------------------------------------
    def _school_tab(self) -> QWidget:
        page = QWidget(self)
        self.school_name = QLineEdit(page)
        self.school_name.setAccessibleName("School name")
        self.setting_edits = {setting.key: QLineEdit(page) for setting in
                              (settings.SCHOOL_ADDRESS, settings.SCHOOL_PHONE,
                               settings.SCHOOL_EMAIL)}
        self.auto_lock = QSpinBox(page)
        self.auto_lock.setRange(1, 60)
        self.auto_lock.setSuffix(" minutes")
        self.auto_lock.valueChanged.connect(
            lambda n: self.auto_lock.setSuffix(" minute" if n == 1 else " minutes"))
        self.auto_lock.setAccessibleName("Lock after this many idle minutes")
        self.school_message = FieldMessage(page)
        save = QPushButton("Save school se&ttings", page)
        save.clicked.connect(self._save_school)
        save_key(save, page)
        form = QFormLayout(page)
        form.addRow("School &name", self.school_name)
        for setting in (settings.SCHOOL_ADDRESS, settings.SCHOOL_PHONE, settings.SCHOOL_EMAIL):
            edit = self.setting_edits[setting.key]
            edit.setAccessibleName(setting.label)
            form.addRow(setting.label, edit)
        form.addRow(settings.AUTO_LOCK_MINUTES.label, self.auto_lock)
        form.addRow("", self.school_message)
        form.addRow("", save)
        return page

    def _save_school(self) -> None:
        self.school_message.clear_message()
        name = self.school_name.text()
        values = {key: edit.text() for key, edit in self.setting_edits.items()}
        minutes = str(self.auto_lock.value())
        by_key = {s.key: s for s in settings.ALL}

        def save(session: Any) -> int:
            settings.set_school_name(session, name)
            for key, value in values.items():
                settings.set_value(session, by_key[key], value)
            settings.set_value(session, settings.AUTO_LOCK_MINUTES, minutes)
            return settings.auto_lock_minutes(session)

        def saved(minutes_now: int) -> None:
            self.auto_lock_changed.emit(minutes_now)
            self._done("The school's settings were saved.")

        self.db.op(self, save).success(saved).failure(
            lambda e: self.school_message.say(message_for(e))).run()

    # -- roster --------------------------------------------------------------------------------
    def _roster_tab(self) -> QWidget:
        page = QWidget(self)
        choose = QPushButton("&Import a roster CSV from the MIS…", page)
        choose.clicked.connect(self._import)
        self.roster_result = QLabel(page)
        self.roster_result.setWordWrap(True)
        self.roster_problems = QListWidget(page)
        self.roster_problems.setAccessibleName("Problems in the roster file")
        self.roster_problems.hide()
        layout = QVBoxLayout(page)
        intro = QLabel("Export the pupil list from SIMS, Arbor or Bromcom as CSV. Every row is "
                       "checked first; if any row is wrong nothing is imported and each problem "
                       "is listed.", page)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addWidget(choose)
        layout.addWidget(self.roster_result)
        layout.addWidget(self.roster_problems, 1)
        layout.addStretch(0)
        return page

    def _import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose the roster CSV", "",
                                              "CSV files (*.csv);;All files (*)")
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> None:
        self.roster_problems.clear()
        self.roster_problems.hide()
        self.roster_result.setText("Checking the file…")

        def run(session: Any) -> ImportResult:
            return import_roster(session, path.read_bytes())

        self.db.op(self, run).success(self._imported).failure(self._import_failed).run()

    def _imported(self, result: ImportResult) -> None:
        self.roster_result.setText(f"Imported: {result.added} added, {result.updated} updated, "
                                   f"{result.unchanged} unchanged.")

    def _import_failed(self, error: BaseException) -> None:
        if isinstance(error, InputErrors):
            self.roster_result.setText(f"⚠ {error.summary} Nothing was imported.")
            self.roster_problems.addItems(error.problems)
            self.roster_problems.show()
        elif isinstance(error, OSError):
            self.roster_result.setText("⚠ The file could not be read.")
        else:
            self.roster_result.setText("⚠ " + message_for(error))

    # -- loading -------------------------------------------------------------------------------
    def refresh(self) -> None:
        def load(session: Any) -> tuple[list[User], str, dict[str, str], int]:
            values = {s.key: settings.get(session, s) for s in settings.ALL}
            return (list_users(session), session.school_name, values,
                    settings.auto_lock_minutes(session))

        self.db.op(self, load).success(self._show).run()
        self.services.refresh()

    def _show(self, result: tuple[list[User], str, dict[str, str], int]) -> None:
        users, school, values, minutes = result
        self.users.set_rows(users)
        self.school_name.setText(school)
        for key, edit in self.setting_edits.items():
            edit.setText(values.get(key, ""))
        self.auto_lock.setValue(minutes)
