"""First run: create the school's store (the ``init`` flow), then show the recovery key once."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont, QFontDatabase, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.clock import Clock
from app.keys import KdfParams
from app.store import create_store
from ui.errors import FieldMessage, field_of, message_for
from ui.ops import Db
from ui.signin import SignedIn, signed_in
from ui.theme import heading


class CreateSchoolPage(QWidget):
    created = Signal(object)  # SignedIn

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
        layout.addStretch(1)
        return page

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
        self.key_label = QLabel(page)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(max(QFont().pointSizeF(), 8.0) * 1.4)
        self.key_label.setFont(mono)
        self.key_label.setWordWrap(True)
        self.key_label.setAccessibleName("Recovery key")
        self.key_label.setTextInteractionFlags(self.key_label.textInteractionFlags())
        print_button = QPushButton("&Print the recovery key…", page)
        print_button.clicked.connect(self.print_key)
        self.written = QCheckBox("I have printed the recovery key or written it down, and it "
                                 "will be locked away", page)
        self.carry_on = QPushButton("&Continue", page)
        self.carry_on.setEnabled(False)
        self.written.toggled.connect(self.carry_on.setEnabled)
        self.carry_on.clicked.connect(self._finish)
        layout = QVBoxLayout(page)
        layout.addWidget(heading("Your school's recovery key", page))
        text = QLabel("This is shown once and never again. With it an admin can re-open the "
                      "store on a replacement PC and reset a forgotten passphrase. Print it or "
                      "write it down now, and keep it locked away from the PC.", page)
        text.setWordWrap(True)
        layout.addWidget(text)
        layout.addWidget(self.key_label)
        layout.addWidget(print_button)
        layout.addWidget(self.written)
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

    def print_key(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter()
        dialog = QPrintDialog(printer, self)
        if dialog.exec() == QPrintDialog.DialogCode.Accepted:
            document = QTextDocument()
            document.setPlainText("ConcernDesk recovery key\n\n" + self.key_label.text() +
                                  "\n\nKeep this locked away from the PC.")
            document.print_(printer)

    def _finish(self) -> None:
        self.key_label.clear()  # shown once
        if self._info is not None:
            self.created.emit(self._info)
