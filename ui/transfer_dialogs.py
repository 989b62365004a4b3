"""The DSL's dialogs for a leaver's CP file: mark a child as left, send the file to a school on
another product (the encrypted pack, its password shown once), record the receipt code read
back, record what the school keeps, and attach a file received from another product."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

from app.errors import InputError
from app.transfer.incoming import receive_file
from app.transfer.leaving import mark_left
from app.transfer.outgoing import OPTIONAL, PARTS, MadePack, confirm_receipt, make_pack, mark_sent
from app.transfer.retention import decide
from ui.entry_dialogs import CoreDialog
from ui.ops import Db
from ui.qt_dates import python_date
from ui.wording import QT_DATE


def _date_edit(parent: QWidget, name: str, day: QDate | None = None) -> QDateEdit:
    edit = QDateEdit(day or QDate.currentDate(), parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(QT_DATE)
    edit.setAccessibleName(name)
    return edit


def _line(parent: QWidget, name: str, text: str = "") -> QLineEdit:
    edit = QLineEdit(text, parent)
    edit.setAccessibleName(name)
    return edit


def _buddy(text: str, field: QWidget, parent: QWidget) -> QLabel:
    """A form label whose mnemonic reaches ``field`` when the row holds a layout."""
    label = QLabel(text, parent)
    label.setBuddy(field)
    return label


def _note(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    return label


class MarkLeftDialog(CoreDialog):
    def __init__(self, db: Db, child_id: str, parent: QWidget | None = None) -> None:
        super().__init__(db, "The child has left", parent)
        self.child_id = child_id
        self.left_on = _date_edit(self, "Last day at this school")
        self.destination = _line(self, "Next school")
        self.destination.setPlaceholderText("Not known yet")
        self.form.addRow("&Last day", self.left_on)
        self.form.addRow("&Next school", self.destination)
        self.form.addRow(_note("Their file becomes read-only until it is reviewed; the DSL's "
                               "home shows when it is due at the next school.", self))

    def prepare(self) -> Any:
        left, school = python_date(self.left_on.date()), self.destination.text()
        return lambda s: mark_left(s, self.child_id, left, school)


class SendFileDialog(CoreDialog):
    """Choose what goes and where the file is saved; then the password, shown once."""

    def __init__(self, db: Db, child_id: str, school: str | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(db, "Send the CP file to a school on another product", parent)
        self.child_id = child_id
        self.made: MadePack | None = None
        self.school = _line(self, "Receiving school", school or "")
        self.parts: dict[str, QCheckBox] = {}
        for part, words in PARTS.items():
            box = QCheckBox(words[:1].upper() + words[1:], self)
            box.setChecked(True)
            box.setEnabled(part in OPTIONAL)  # the chronology is the file itself
            self.parts[part] = box
        self.path = _line(self, "Save the encrypted file as")
        browse = QPushButton("C&hoose…", self)
        browse.clicked.connect(self._choose)
        where = QHBoxLayout()
        where.addWidget(self.path, 1)
        where.addWidget(browse)
        self.form.addRow("Receiving &school", self.school)
        for i, box in enumerate(self.parts.values()):
            self.form.addRow("What goes" if i == 0 else "", box)
        self.form.addRow(_buddy("&Save as", self.path, self), where)
        self.form.addRow(_note("The file is encrypted (AES-256). Its password is shown once, "
                               "here: phone it through to the receiving DSL; never email it "
                               "with the file.", self))
        self.shown_once = QLabel(self)
        self.shown_once.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.shown_once.setWordWrap(True)
        self.shown_once.hide()
        self.form.addRow(self.shown_once)
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setText("&Make the encrypted file")
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 100)

    def _choose(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the encrypted CP file", "",
                                              "PDF files (*.pdf)")
        if path:
            self.path.setText(path if path.lower().endswith(".pdf") else path + ".pdf")

    def prepare(self) -> Any:
        if not self.path.text().strip():
            raise InputError("file", "choose where to save the encrypted file")
        school, out = self.school.text(), Path(self.path.text().strip()).expanduser()
        without = tuple(p for p, box in self.parts.items() if not box.isChecked())
        return lambda s: make_pack(s, self.child_id, school, out, without)

    def submit(self) -> None:
        if self.made is not None:  # the second press: the DSL says it has gone
            made = self.made
            self.db.op(self, lambda s: mark_sent(s, made.transfer_id)).success(
                lambda _r: self.accept()).failure(self._failed).run()
            return
        self.message.clear_message()
        self.buttons.setEnabled(False)
        try:
            fn = self.prepare()
        except Exception as error:
            self._failed(error)
            return
        self.db.op(self, fn).success(self._made).failure(self._failed).run()

    def _made(self, made: MadePack) -> None:
        self.made = made
        for widget in (self.school, self.path, *self.parts.values()):
            widget.setEnabled(False)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(max(self.font().pointSizeF(), 8.0) * 1.3)
        self.shown_once.setFont(font)
        self.shown_once.setText(f"Password (shown once): {made.password}\n"
                            f"Receipt code on its first page: {made.receipt_code}")
        self.shown_once.setAccessibleName("The file's password and receipt code")
        self.shown_once.show()
        # Taller, never narrower: room for the password and the code, whole.
        self.resize(max(self.width(), self.sizeHint().width()), self.sizeHint().height())
        self.buttons.setEnabled(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(
            "I have &sent it and phoned the password")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Not sent &yet")


class ConfirmReceiptDialog(CoreDialog):
    def __init__(self, db: Db, transfer_id: str, school: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(db, f"Receipt from {school}", parent)
        self.transfer_id = transfer_id
        self.code = _line(self, "Receipt code read back")
        self.code.setPlaceholderText("e.g. ACDE-2347")
        self.by = _line(self, "Who read it back")
        self.form.addRow("Receipt &code", self.code)
        self.form.addRow("Read back &by", self.by)

    def prepare(self) -> Any:
        code, by = self.code.text(), self.by.text()
        return lambda s: confirm_receipt(s, self.transfer_id, code, by)


class RetentionDialog(CoreDialog):
    def __init__(self, db: Db, child_id: str, parent: QWidget | None = None) -> None:
        super().__init__(db, "What this school keeps of the file", parent)
        self.child_id = child_id
        self.archive = QRadioButton("A read-only &archive, until the file's review", self)
        self.archive.setChecked(True)
        self.period = QRadioButton("Kept &until a date, then reviewed", self)
        self.until = _date_edit(self, "Keep until", QDate.currentDate().addYears(1))
        self.until.setEnabled(False)
        self.period.toggled.connect(self.until.setEnabled)
        self.reason = _line(self, "Reason")
        self.form.addRow(self.archive)
        self.form.addRow(self.period, self.until)
        self.form.addRow("&Reason", self.reason)

    def prepare(self) -> Any:
        decision = "period" if self.period.isChecked() else "archive"
        until = python_date(self.until.date()) if decision == "period" else None
        reason = self.reason.text()
        return lambda s: decide(s, self.child_id, decision, until, reason)


class ReceiveFileDialog(CoreDialog):
    def __init__(self, db: Db, child_id: str, parent: QWidget | None = None) -> None:
        super().__init__(db, "CP file received from the previous school", parent)
        self.child_id = child_id
        self.school = _line(self, "Previous school")
        self.received = _date_edit(self, "Received on")
        self.path = _line(self, "The file (PDF)")
        browse = QPushButton("C&hoose…", self)
        browse.clicked.connect(self._choose)
        where = QHBoxLayout()
        where.addWidget(self.path, 1)
        where.addWidget(browse)
        self.form.addRow("Previous &school", self.school)
        self.form.addRow("&Received on", self.received)
        self.form.addRow(_buddy("&File", self.path, self), where)
        self.form.addRow(_note("From CPOMS, MyConcern or a paper file scanned to PDF: it is "
                               "kept inside the encrypted store with a chronology entry.",
                               self))

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "The CP file received", "",
                                              "PDF files (*.pdf)")
        if path:
            self.path.setText(path)

    def prepare(self) -> Any:
        path = Path(self.path.text().strip()).expanduser()
        if not self.path.text().strip():
            raise InputError("file", "choose the PDF the previous school sent")
        school, day = self.school.text(), python_date(self.received.date())

        def receive(session: Any) -> Any:  # read off the GUI thread, like the saving
            try:
                data = path.read_bytes()
            except OSError:
                raise InputError("file", f"cannot read '{path.name}'") from None
            return receive_file(session, self.child_id, school, day, path.name, data)

        return receive
