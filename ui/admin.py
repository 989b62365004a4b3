"""Admin: staff accounts and roles, passphrase resets, the school's details, auto-lock, the
pupil roster, and the LA front door and school hub services (``ui.services_tab``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.clock import Clock
from app.domain.leavers import set_term_dates
from app.store import settings
from app.store.keys import KdfParams
from app.store.requests import awaiting_words
from app.store.users import Account, disable_user, list_accounts, remove_user
from ui.account_dialogs import AddUserDialog, ResetDialog, RolesDialog
from ui.errors import FieldMessage, message_for
from ui.keys import save_key
from ui.la_choice import LaChoice
from ui.ops import Db
from ui.roster_tab import RosterTab
from ui.services_tab import ServicesTab
from ui.table_model import Column, RowsModel, local_time, rows_table
from ui.theme import heading


def account_state(account: Account) -> str:
    if account.disabled_at is None:
        return "Can sign in"
    return f"Disabled {local_time(account.disabled_at, with_time=False)}"


class AdminPage(QWidget):
    auto_lock_changed = Signal(int)

    def __init__(self, db: Db, *, clock: Clock | None = None, kdf: KdfParams | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.kdf = db, kdf
        tabs = QTabWidget(self)
        tabs.addTab(self._users_tab(), "&Users")
        tabs.addTab(self._school_tab(), "&School")
        self.roster = RosterTab(db, self)
        tabs.addTab(self.roster, "&Pupil roster")
        # (the roster tab's parts, by their old names)
        self.roster_result, self.roster_problems = self.roster.result, self.roster.problems
        self.import_file = self.roster.import_file
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
                                Column("Roles", lambda u: ", ".join(u.roles)),
                                Column("Account", account_state)], self)
        self.user_table = rows_table(self.users, "Staff accounts", page)
        add = QPushButton("&Add account…", page)
        add.clicked.connect(self._add_user)
        roles = QPushButton("Change r&oles…", page)
        roles.clicked.connect(self._change_roles)
        reset = QPushButton("&Reset passphrase…", page)
        reset.clicked.connect(self._reset)
        disable = QPushButton("&Disable account…", page)
        disable.clicked.connect(self._disable)
        remove = QPushButton("Re&move account…", page)
        remove.clicked.connect(self._remove)
        self.account_buttons = (roles, reset, disable, remove)
        self.user_table.selectionModel().currentRowChanged.connect(lambda *_: self._enable())
        buttons = QHBoxLayout()
        for button in (add, *self.account_buttons):
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

    def _selected_user(self) -> Account | None:
        return self.users.row(self.user_table.currentIndex())

    def _enable(self) -> None:
        user = self._selected_user()
        for button in self.account_buttons:  # a disabled account stays only for the record
            button.setEnabled(user is not None and user.disabled_at is None)

    def _change_roles(self) -> None:
        user = self._selected_user()
        if user is not None:
            dialog = RolesDialog(self.db, user.username, user.roles, self)
            done = f"The roles of {user.username} were changed."
            dialog.accepted.connect(lambda: self.db.op(
                self, lambda s: awaiting_words(s, user.username)).success(
                lambda more: self._done(done + more)).run())
            dialog.open()

    def _disable(self) -> None:
        user = self._selected_user()
        if user is None:
            return
        answer = self.confirm("Disable account",
                              f"Disable the account '{user.username}'? They can no longer sign "
                              "in on any PC. The account stays listed, and their name stays on "
                              "everything they recorded.")
        if answer:
            self.db.op(self, lambda s: disable_user(s, user.username)).success(
                lambda rekeyed: self._done(f"{user.username} was disabled.{rekeyed}")).run()

    def confirm(self, title: str, text: str) -> bool:
        """Asks Yes or No (a test answers it without a modal box)."""
        return QMessageBox.question(self, title, text) == QMessageBox.StandardButton.Yes

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
        if self.confirm("Remove account", f"Remove the account '{user.username}'? Their "
                        "records stay; they can no longer sign in."):
            self.db.op(self, lambda s: remove_user(s, user.username)).success(
                lambda rekeyed: self._done(f"{user.username} was removed.{rekeyed}")).run()

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
                              settings.SCHOOL_DETAILS}
        self.auto_lock = QSpinBox(page)
        self.auto_lock.setRange(1, 60)
        self.auto_lock.setSuffix(" minutes")
        self.auto_lock.valueChanged.connect(
            lambda n: self.auto_lock.setSuffix(" minute" if n == 1 else " minutes"))
        self.auto_lock.setAccessibleName("Lock after this many idle minutes")
        # Retention periods (docs/retention.md): the admin sets them; files are the DSL's.
        self.retention_years: dict[str, QSpinBox] = {}
        for setting in settings.RETENTION:
            box = QSpinBox(page)
            box.setRange(settings.MIN_RETENTION_YEARS, settings.MAX_RETENTION_YEARS)
            box.setSuffix(" years")
            box.setAccessibleName(setting.label)
            self.retention_years[setting.key] = box
        # Leavers' CP files are due in school days: term dates and training days, one a line.
        self.term_dates = QPlainTextEdit(page)
        self.term_dates.setAccessibleName(settings.TERM_DATES.label)
        self.term_dates.setTabChangesFocus(True)
        self.term_dates.setPlaceholderText("2026-09-03 to 2026-10-23\n2026-11-02 to "
                                           "2026-12-18\nclosed 2026-11-27")
        self.term_dates.setMaximumHeight(self.fontMetrics().height() * 7 + 12)
        self.school_message = FieldMessage(page)
        save = QPushButton("Save school se&ttings", page)
        save.clicked.connect(self._save_school)
        save_key(save, page)
        form = QFormLayout(page)
        form.addRow("School &name", self.school_name)
        for setting in settings.SCHOOL_DETAILS:
            edit = self.setting_edits[setting.key]
            edit.setAccessibleName(setting.label)
            form.addRow(setting.label, edit)
        form.addRow(settings.AUTO_LOCK_MINUTES.label, self.auto_lock)
        for setting in settings.RETENTION:
            form.addRow(setting.label, self.retention_years[setting.key])
        form.addRow("Term dates\n(bank holidays\nare built in)", self.term_dates)
        form.addRow("", self.school_message)
        form.addRow("", save)
        self.la_choice = LaChoice(self.db, page)  # saved on its own: referrals follow it
        form.addRow("The school's &LA", self.la_choice)
        return page

    def _save_school(self) -> None:
        self.school_message.clear_message()
        name = self.school_name.text()
        values = {key: edit.text() for key, edit in self.setting_edits.items()}
        minutes = str(self.auto_lock.value())
        terms = self.term_dates.toPlainText()
        by_key = {s.key: s for s in settings.ALL}
        periods = {by_key[key]: str(box.value()) for key, box in self.retention_years.items()}

        def save(session: Any) -> int:
            changed = {s: v for s, v in periods.items() if settings.get(session, s) != v}
            if changed:  # first, and checked together: a refusal saves nothing
                settings.set_retention(session, changed)
            settings.set_school_name(session, name)
            for key, value in values.items():
                settings.set_value(session, by_key[key], value)
            settings.set_value(session, settings.AUTO_LOCK_MINUTES, minutes)
            set_term_dates(session, terms)
            return settings.auto_lock_minutes(session)

        def saved(minutes_now: int) -> None:
            self.auto_lock_changed.emit(minutes_now)
            self._done("The school's settings were saved.")

        self.db.op(self, save).success(saved).failure(
            lambda e: self.school_message.say(message_for(e))).run()

    # -- loading -------------------------------------------------------------------------------
    def refresh(self) -> None:
        def load(session: Any) -> tuple[list[Account], str, dict[str, str], int]:
            values = {s.key: settings.get(session, s) for s in settings.ALL}
            return (list_accounts(session), session.school_name, values,
                    settings.auto_lock_minutes(session))

        self.db.op(self, load).success(self._show).run()
        self.la_choice.refresh()
        self.services.refresh()
        self.roster.refresh()

    def _show(self, result: tuple[list[Account], str, dict[str, str], int]) -> None:
        users, school, values, minutes = result
        self.users.set_rows(users)
        self._enable()
        self.school_name.setText(school)
        for key, edit in self.setting_edits.items():
            edit.setText(values.get(key, ""))
        self.auto_lock.setValue(minutes)
        for key, box in self.retention_years.items():
            box.setValue(int(values.get(key) or 25))
        self.term_dates.setPlainText(values.get(settings.TERM_DATES.key, ""))
