"""First run: create the school's store (the ``init`` flow), then show the recovery key once —
or, on another PC of a school that has one, join it through the school hub (``ui.join_page``)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.clock import Clock
from app.store.access import create_store
from app.store.keys import KdfParams
from ui.errors import FieldMessage, field_of, message_for
from ui.ops import Db
from ui.recovery_key_box import RecoveryKeyBox
from ui.signin import SignedIn, signed_in
from ui.theme import heading


class CreateSchoolPage(QWidget):
    created = Signal(object)  # SignedIn
    join_requested = Signal()  # this PC joins a school that has one already

    def __init__(self, db: Db, directory: Path, *, clock: Clock | None = None,
                 kdf: KdfParams | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.directory, self.clock, self.kdf = db, directory, clock, kdf
        self._info: SignedIn | None = None
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self._form_page())
        self.stack.addWidget(self._key_page())
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)

    # -- the form ------------------------------------------------------------------------------
    def _form_page(self) -> QWidget:
        page = QWidget(self)
        self.school = QLineEdit(page)
        self.username = QLineEdit("admin", page)
        self.display = QLineEdit(page)
        self.passphrase = QLineEdit(page)
        self.confirm = QLineEdit(page)
        for edit, name in ((self.school, "School name"), (self.username, "Admin username"),
                           (self.display, "Admin's full name"), (self.passphrase, "Passphrase"),
                           (self.confirm, "Passphrase again")):
            edit.setAccessibleName(name)
        for edit in (self.passphrase, self.confirm):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.messages = {name: FieldMessage(page) for name in
                         ("school", "user", "passphrase", "confirm", "other")}
        for key, fields in (("school", (self.school,)), ("user", (self.username, self.display)),
                            ("passphrase", (self.passphrase,)), ("confirm", (self.confirm,))):
            self.messages[key].clear_when_changed(*fields)
        form = QFormLayout()
        form.addRow("&School name", self.school)
        form.addRow("", self.messages["school"])
        form.addRow("Admin &username", self.username)
        form.addRow("", self.messages["user"])
        form.addRow("Admin's &full name", self.display)
        form.addRow("&Passphrase", self.passphrase)
        form.addRow("", self.messages["passphrase"])
        form.addRow("Passphrase &again", self.confirm)
        form.addRow("", self.messages["confirm"])
        form.addRow("", self.messages["other"])
        self.create_button = QPushButton("Create the school", page)
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.submit)
        layout = QVBoxLayout(page)
        layout.addWidget(heading("Create a school", page))
        intro = QLabel("There is no ConcernDesk store on this PC yet. Create one for your "
                       "school: you become its first admin, and can then add staff accounts "
                       "and import the pupil roster.", page)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(form)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.create_button)
        layout.addLayout(row)
        layout.addWidget(self._join_choice(page))
        layout.addStretch(1)
        return page

    def _join_choice(self, page: QWidget) -> QWidget:
        """The other first-run choice: this PC joins a school that uses ConcernDesk already."""
        box = QGroupBox("Or: your school already uses ConcernDesk on another PC", page)
        text = QLabel("Then do not create a school here: join this PC to it through your "
                      "school hub. You need the hub's address and fingerprint from the hub's "
                      "administrator, and the admin PC's fingerprint from your school's admin, "
                      "who then approves this PC.", box)
        text.setWordWrap(True)
        self.join_button = QPushButton("&Join this PC to your school…", box)
        self.join_button.setAccessibleDescription("Join this PC to a school that uses "
                                                  "ConcernDesk already, through the school hub")
        self.join_button.clicked.connect(self.join_requested)
        layout = QVBoxLayout(box)
        layout.addWidget(text)
        row = QHBoxLayout()
        row.addWidget(self.join_button)
        row.addStretch(1)
        layout.addLayout(row)
        return box

    def submit(self) -> None:
        for message in self.messages.values():
            message.clear_message()
        if self.passphrase.text() != self.confirm.text():
            self.messages["confirm"].say("The two passphrases are not the same.")
            self.confirm.setFocus()
            return
        self.create_button.setEnabled(False)
        self.create_button.setText("Creating…")
        db, directory, clock, kdf = self.db, self.directory, self.clock, self.kdf
        school, user = self.school.text(), self.username.text().strip()
        display, secret = self.display.text(), self.passphrase.text()

        def create() -> tuple[SignedIn, str]:
            made = create_store(directory, school_name=school, admin_username=user,
                                admin_display_name=display, passphrase=secret, clock=clock,
                                kdf=kdf)
            db.set_session(made.session)
            return signed_in(db), made.recovery_key

        db.raw(self, create).across_lock().success(self._made).failure(self._failed).run()

    def _failed(self, error: BaseException) -> None:
        self.create_button.setEnabled(True)
        self.create_button.setText("Create the school")
        field = field_of(error)
        key = {"school": "school", "user": "user", "name": "user",
               "passphrase": "passphrase"}.get(field or "", "other")
        self.messages[key].say(message_for(error))

    # -- the recovery key, shown once ----------------------------------------------------------
    def _key_page(self) -> QWidget:
        page = QWidget(self)
        self.key_box = RecoveryKeyBox(
            "Shown once", "This is shown once and never again. With it an admin can re-open "
            "the store on a replacement PC and reset a forgotten passphrase. Print it or write "
            "it down now, and keep it locked away from the PC.", "ConcernDesk recovery key",
            page)
        self.key_label, self.written = self.key_box.key_label, self.key_box.written
        self.carry_on = QPushButton("&Continue", page)
        self.carry_on.setEnabled(False)
        self.written.toggled.connect(self.carry_on.setEnabled)
        self.carry_on.clicked.connect(self._finish)
        layout = QVBoxLayout(page)
        layout.addWidget(heading("Your school's recovery key", page))
        layout.addWidget(self.key_box)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.carry_on)
        layout.addLayout(row)
        layout.addStretch(1)
        return page

    def _made(self, result: tuple[SignedIn, str]) -> None:
        self._info, key = result
        self.key_label.setText(key)
        self.stack.setCurrentIndex(1)
        self.written.setFocus()

    def _finish(self) -> None:
        self.key_label.clear()  # shown once
        if self._info is not None:
            self.created.emit(self._info)
