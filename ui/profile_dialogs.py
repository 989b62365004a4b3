"""Editing a child's profile, for the DSL team: one detail at a time, a contact (every field), an
address, a household member, a professional or a previous name. Each dialog runs one core call;
the core checks what was typed, and its answer shows under the field it is about, with the
dialog left open and nothing typed lost."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from app.errors import InputError
from app.profile.model import (
    PROFESSIONAL_ROLES,
    Address,
    Contact,
    HouseholdMember,
    Phone,
    Professional,
)
from app.profile.profiles import put_item, remove_item, set_fact
from ui.entry_dialogs import CoreDialog
from ui.errors import FieldMessage, field_of, message_for
from ui.note_dialog import NoteDialog
from ui.ops import Db
from ui.profile_text import FACT_LABELS, fact_hint, fact_problem, parse_day
from ui.wording import date_text

RELATIONSHIPS = ("Mother", "Father", "Step-parent", "Grandparent", "Aunt", "Uncle",
                 "Foster carer", "Carer", "Sibling", "Family friend", "Other")
PHONE_KINDS = ("Mobile", "Home", "Work")


def _line(parent: QWidget, name: str, value: str | None = None, hint: str = "") -> QLineEdit:
    edit = QLineEdit(value or "", parent)
    edit.setAccessibleName(name)
    edit.setPlaceholderText(hint)
    return edit


def _choices(parent: QWidget, name: str, items: tuple[str, ...], value: str | None) -> QComboBox:
    """A drop-down of usual answers that also takes the person's own words."""
    combo = QComboBox(parent)
    combo.setEditable(True)
    combo.addItems(["", *items])
    combo.setCurrentText(value or "")
    combo.setAccessibleName(name)
    edit = combo.lineEdit()
    if edit is not None:
        edit.setAccessibleName(name)
    return combo


def _tristate(parent: QWidget, name: str, value: bool | None) -> QComboBox:
    """Yes, no, or not known (the profile keeps "not known" apart from "no")."""
    combo = QComboBox(parent)
    combo.setAccessibleName(name)
    for text, data in (("Not known", None), ("Yes", True), ("No", False)):
        combo.addItem(text, data)
    combo.setCurrentIndex(combo.findData(value) if value is not None else 0)
    return combo


def _text(widget: QLineEdit | QComboBox) -> str | None:
    text = (widget.text() if isinstance(widget, QLineEdit) else widget.currentText()).strip()
    return text or None


class _ProfileDialog(CoreDialog):
    """A core dialog whose problems show under the field they name (else above the buttons)."""

    def __init__(self, db: Db, title: str, parent: QWidget | None) -> None:
        super().__init__(db, title, parent)
        self._at: dict[str, tuple[FieldMessage, QWidget]] = {}

    def row(self, label: str, widget: QWidget, *errors: str, focus: QWidget | None = None
            ) -> None:
        """A labelled field; a problem the core reports under one of ``errors`` shows here."""
        self.form.addRow(label, widget)
        if errors:
            message = FieldMessage(self)
            message.setAccessibleDescription(f"Problem with {label.replace('&', '')}")
            self.form.addRow(message)
            for error in errors:
                self._at[error] = (message, focus or widget)

    def describe(self, error: BaseException) -> str:
        return message_for(error)

    def submit(self) -> None:
        for message, _w in self._at.values():
            message.clear_message()
        super().submit()

    def _failed(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        message, widget = self._at.get(field_of(error) or "", (self.message, None))
        message.say(self.describe(error))
        if widget is not None:
            widget.setFocus()


class FactDialog(_ProfileDialog):
    """One detail of "About the child", checked by the core as it is saved."""

    def __init__(self, db: Db, child_id: str, name: str, text: str,
                 parent: QWidget | None = None) -> None:
        label = FACT_LABELS[name]
        super().__init__(db, f"Edit: {label}", parent)
        self.child_id, self.name = child_id, name
        self.value = _line(self, label, text)
        self.row(f"&{label}", self.value, name, name.replace("_", " "), label, label.lower())
        hint = QLabel(fact_hint(name), self)
        hint.setWordWrap(True)
        self.form.addRow("", hint)
        self.resize(460, 160)

    def prepare(self) -> Callable[[Any], Any]:
        child_id, name, text = self.child_id, self.name, self.value.text()
        return lambda s: set_fact(s, child_id, name, text)

    def describe(self, error: BaseException) -> str:
        return fact_problem(self.name, error)


class _ItemDialog(_ProfileDialog):
    kind = ""

    def __init__(self, db: Db, child_id: str, title: str, key: str | None,
                 parent: QWidget | None) -> None:
        super().__init__(db, title, parent)
        self.child_id, self.key = child_id, key

    def item(self) -> object:
        raise NotImplementedError

    def prepare(self) -> Callable[[Any], Any]:
        child_id, kind, key, item = self.child_id, self.kind, self.key, self.item()
        return lambda s: put_item(s, child_id, kind, item, key)


class _AddressFields:
    def __init__(self, dialog: _ProfileDialog, address: Address | None, what: str) -> None:
        self.lines = QPlainTextEdit("\n".join(address.lines) if address else "", dialog)
        self.lines.setAccessibleName(f"{what}, one line per row")
        self.lines.setTabChangesFocus(True)
        self.lines.setFixedHeight(self.lines.fontMetrics().height() * 4 + 12)
        self.postcode = _line(dialog, "Postcode", address.postcode if address else None)
        dialog.row("&Address", self.lines, "address")
        dialog.row("&Postcode", self.postcode)

    def address(self) -> Address | None:
        lines = tuple(t.strip() for t in self.lines.toPlainText().splitlines() if t.strip())
        postcode = _text(self.postcode)
        return Address(lines, postcode.upper() if postcode else None) \
            if lines or postcode else None


class AddressDialog(_ItemDialog):
    kind = "address"

    def __init__(self, db: Db, child_id: str, key: str | None = None,
                 address: Address | None = None, parent: QWidget | None = None) -> None:
        title = "Edit the address" if key else "Add an address"
        super().__init__(db, child_id, title, key, parent)
        self.fields = _AddressFields(self, address, "Address")
        if key is None:
            self.form.insertRow(0, QLabel("The first address is the child's home.", self))
        self.resize(460, 240)

    def item(self) -> object:
        return self.fields.address() or Address(())  # the core says what is missing


class ContactDialog(_ItemDialog):
    """Every field of a contact; "do not contact" needs the reason (the core insists)."""

    kind = "contact"

    def __init__(self, db: Db, child_id: str, key: str | None = None,
                 contact: Contact | None = None, parent: QWidget | None = None) -> None:
        super().__init__(db, child_id, "Edit the contact" if key else "Add a contact", key,
                         parent)
        c = contact or Contact("")
        self.name = _line(self, "Name", c.name)
        self.relationship = _choices(self, "Relationship to the child", RELATIONSHIPS,
                                     c.relationship)
        self.responsibility = _tristate(self, "Parental responsibility",
                                        c.parental_responsibility)
        self.lives_with = _tristate(self, "Lives with the child", c.lives_with_child)
        self.priority = QSpinBox(self)
        self.priority.setRange(0, 99)
        self.priority.setSpecialValueText("Not set")
        self.priority.setValue(c.priority or 0)
        self.priority.setAccessibleName("Priority (1 is called first)")
        self.phones: list[tuple[QLineEdit, QComboBox]] = []
        self.row("&Name", self.name, "name")
        self.row("&Relationship", self.relationship)
        self.row("Parental r&esponsibility", self.responsibility)
        self.row("&Lives with the child", self.lives_with)
        self.row("Pr&iority", self.priority)
        for n in range(max(3, len(c.phones))):
            phone = c.phones[n] if n < len(c.phones) else Phone("")
            number = _line(self, f"Phone {n + 1} number", phone.number, "e.g. 07700 900123")
            kind = _choices(self, f"Phone {n + 1} kind", PHONE_KINDS, phone.kind)
            box = QHBoxLayout()
            box.addWidget(number, 2)
            box.addWidget(kind, 1)
            self.form.addRow(f"Phone &{n + 1}" if n < 9 else f"Phone {n + 1}", box)
            label = self.form.labelForField(box)
            if isinstance(label, QLabel):
                label.setBuddy(number)  # Alt+1 goes to the number
            self.phones.append((number, kind))
        self.email = _line(self, "Email", c.email)
        self.row("E&mail", self.email)
        self.address = _AddressFields(self, c.address, "Contact's address")
        self.born = _line(self, "Date of birth", date_text(c.date_of_birth)
                          if c.date_of_birth else "", "e.g. 04/05/1985")
        self.row("&Date of birth", self.born, "date of birth")
        self.do_not_contact = QCheckBox("Do no&t contact", self)
        self.do_not_contact.setChecked(c.do_not_contact)
        self.reason = _line(self, "Why the school must not contact them",
                            c.do_not_contact_reason, "Needed: e.g. a court order")
        self.reason.setEnabled(c.do_not_contact)
        self.do_not_contact.toggled.connect(self.reason.setEnabled)
        self.form.addRow("", self.do_not_contact)
        self.row("Reas&on", self.reason, "do not contact")
        self.resize(520, self.sizeHint().height())

    def item(self) -> object:
        phones = tuple(Phone(number.text().strip(), _text(kind))
                       for number, kind in self.phones if number.text().strip())
        banned = self.do_not_contact.isChecked()
        return Contact(
            name=self.name.text().strip(), relationship=_text(self.relationship),
            parental_responsibility=self.responsibility.currentData(),
            lives_with_child=self.lives_with.currentData(), phones=phones,
            email=_text(self.email), address=self.address.address(),
            priority=self.priority.value() or None, do_not_contact=banned,
            do_not_contact_reason=_text(self.reason) if banned else None,
            date_of_birth=parse_day(self.born.text()))


class HouseholdDialog(_ItemDialog):
    kind = "household"

    def __init__(self, db: Db, child_id: str, key: str | None = None,
                 member: HouseholdMember | None = None, parent: QWidget | None = None) -> None:
        super().__init__(db, child_id, "Edit the household member" if key
                         else "Add a household member", key, parent)
        m = member or HouseholdMember("")
        self.name = _line(self, "Name", m.name)
        self.relationship = _choices(self, "Relationship to the child", RELATIONSHIPS,
                                     m.relationship)
        self.born = _line(self, "Date of birth", date_text(m.date_of_birth)
                          if m.date_of_birth else "", "e.g. 04/05/2012")
        self.notes = _line(self, "Notes", m.notes)
        self.row("&Name", self.name, "name")
        self.row("&Relationship", self.relationship)
        self.row("&Date of birth", self.born, "date of birth")
        self.row("N&otes", self.notes)
        self.resize(460, 220)

    def item(self) -> object:
        return HouseholdMember(self.name.text().strip(), _text(self.relationship),
                               parse_day(self.born.text()), _text(self.notes))


class ProfessionalDialog(_ItemDialog):
    kind = "professional"

    def __init__(self, db: Db, child_id: str, key: str | None = None,
                 pro: Professional | None = None, parent: QWidget | None = None) -> None:
        super().__init__(db, child_id, "Edit the professional" if key
                         else "Add a professional", key, parent)
        p = pro or Professional("", "")
        self.role = _choices(self, "Role (choose or type)", PROFESSIONAL_ROLES, p.role)
        self.name = _line(self, "Name", p.name)
        self.organisation = _line(self, "Organisation", p.organisation)
        self.phone = _line(self, "Phone", p.phone)
        self.email = _line(self, "Email", p.email)
        self.row("R&ole", self.role, "role")
        self.row("&Name", self.name, "name")
        self.row("O&rganisation", self.organisation)
        self.row("&Phone", self.phone)
        self.row("E&mail", self.email)
        self.resize(460, 240)

    def item(self) -> object:
        role = _text(self.role)
        if role is None:
            raise InputError("role", "choose a role or type one")
        return Professional(self.name.text().strip(), role, _text(self.organisation),
                            _text(self.phone), _text(self.email))


class NameDialog(_ItemDialog):
    kind = "name"

    def __init__(self, db: Db, child_id: str, key: str | None = None, name: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(db, child_id, "Edit the previous name" if key
                         else "Add a previous name", key, parent)
        self.name = _line(self, "Previous name", name, "As it was written, e.g. on a CTF")
        self.row("Previous &name", self.name, "name")
        self.resize(420, 120)

    def item(self) -> object:
        return self.name.text().strip()


def remove_dialog(db: Db, child_id: str, kind: str, key: str, what: str,
                  parent: QWidget) -> NoteDialog:
    """Asks why, then removes the item; its history stays. The core refuses an empty reason,
    and the dialog says so and stays open."""
    return NoteDialog(db, f"Remove {what}",
                      f"Why is {what} removed from the profile? (needed; kept in the history)",
                      lambda s, reason: remove_item(s, child_id, kind, key, reason),
                      ok_text="Remove", parent=parent)
