"""Sending a leaver's CP file to another ConcernDesk school through the LA front door: the
receiving school chosen from the front door's directory (its own LA's schools, then those of
the LAs it trusts), or found by the fingerprint its DSL read out; what goes, everything by
default. The file is sealed to that school's DSL team key and goes at the next sync; their
signed receipt and their decision come back by themselves (app/delivery/cp_send.py)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QWidget

from app.delivery.cp_send import Destination, choose, school_directory, send_file
from app.errors import InputError
from app.transfer.outgoing import OPTIONAL, PARTS
from ui.entry_dialogs import CoreDialog
from ui.errors import message_for
from ui.ops import Db


class SendThroughFrontDoorDialog(CoreDialog):
    def __init__(self, db: Db, child_id: str, school: str | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(db, "Send the CP file through the LA front door", parent)
        self.child_id = child_id
        self.wanted = " ".join((school or "").split()).casefold()
        self.schools: list[Destination] = []
        self.state = QLabel("Asking the LA front door which schools can receive it…", self)
        self.state.setWordWrap(True)
        self.school = QComboBox(self)
        self.school.setAccessibleName("Receiving school")
        self.school.setEnabled(False)
        self.fingerprint = QLineEdit(self)
        self.fingerprint.setAccessibleName("Or the fingerprint the receiving DSL read out")
        self.fingerprint.setPlaceholderText("Only when their name is not in the list, or is "
                                            "there twice")
        self.parts: dict[str, QCheckBox] = {}
        for part, words in PARTS.items():
            if part == "chronology":  # no receipt slip here: the receipt comes back signed
                words = "the chronology pack (PDF)"
            box = QCheckBox(words[:1].upper() + words[1:], self)
            box.setChecked(True)
            box.setEnabled(part in OPTIONAL)  # the chronology is the file itself
            self.parts[part] = box
        self.form.addRow(self.state)
        self.form.addRow("Receiving &school", self.school)
        self.form.addRow("Or their DSL's &fingerprint", self.fingerprint)
        for i, box in enumerate(self.parts.values()):
            self.form.addRow("What goes" if i == 0 else "", box)
        note = QLabel("Sealed so that only the receiving school's DSL team can open it. It goes "
                      "at the next sync; their signed receipt, then their decision, come back "
                      "by themselves and show on the leaver's card.", self)
        note.setWordWrap(True)
        self.form.addRow(note)
        self.buttons.button(self.buttons.StandardButton.Save).setText("&Send")
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 110)
        db.op(self, school_directory).success(self._listed).failure(self._unlisted).run()

    def _listed(self, schools: list[Destination]) -> None:
        self.schools = schools
        self.school.clear()
        for destination in schools:
            self.school.addItem(destination.label)
        found = [i for i, s in enumerate(schools) if s.name.casefold() == self.wanted]
        if found:
            self.school.setCurrentIndex(found[0])
        self.school.setEnabled(bool(schools))
        self.state.setText(
            f"{len(schools)} school{'s' * (len(schools) != 1)} can receive it through the LA "
            "front door." if schools else "No school at the LA front door can receive a CP "
            "file yet: give the fingerprint the receiving DSL reads out, or make an encrypted "
            "file for a school on another product.")
        self.adjustSize()

    def _unlisted(self, error: BaseException) -> None:
        self.state.setText("The LA front door's list of schools could not be read ("
                           + message_for(error).rstrip(".") + "). Try again when this PC is "
                           "online, or make an encrypted file for a school on another product.")
        self.adjustSize()

    def _failed(self, error: BaseException) -> None:
        super()._failed(error)
        self.adjustSize()  # room for the message: a wrapped label does not grow the dialog

    def prepare(self) -> Any:
        typed = self.fingerprint.text().strip()
        if typed:
            try:
                to = choose(self.schools, fingerprint=typed)
            except InputError as error:  # named as this dialog names it, not as the CLI does
                raise InputError("their DSL's fingerprint", error.problem) from None
        elif self.school.currentIndex() >= 0 and self.schools:
            to = self.schools[self.school.currentIndex()]
        else:
            raise InputError("school", "choose the receiving school, or give the fingerprint "
                             "their DSL reads out")
        without = tuple(p for p, box in self.parts.items() if not box.isChecked())
        child_id = self.child_id
        return lambda s: send_file(s, child_id, to, without)
