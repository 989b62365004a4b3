"""The child's profile as the DSL team sees it, beside the chronology: about the child,
addresses, contacts, household and other professionals, each value with where it came from
(an MIS import, a Common Transfer File, or the person who typed it), and the ways to change it.

A contact the school must not call is said in words at the top and in their row, never by
colour alone. The profile is read only when this tab is shown, as every read is audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.profile.profiles import Profile, profile, profile_history
from ui.ops import Db
from ui.profile_dialogs import (
    AddressDialog,
    ContactDialog,
    FactDialog,
    HouseholdDialog,
    NameDialog,
    ProfessionalDialog,
    remove_dialog,
)
from ui.profile_history import ProfileHistoryDialog
from ui.profile_sections import Fact, Item, Section, attr, source_columns, source_of
from ui.profile_text import (
    FACT_LABELS,
    contact_label,
    do_not_contact_text,
    fact_edit_text,
    phones_text,
    yes_no,
)
from ui.table_model import Column
from ui.wording import date_text

EMPTY = ("Nothing is recorded in this profile yet. Import the MIS contact export or a Common "
         "Transfer File with “Import contacts or a CTF…” at the top of the Children page, "
         "or add details here.")
WIDE = 1200  # pixels: below this, two sections side by side would cut their columns
INTRO = ("Seen by the DSL team only. Each detail says where it came from; a change never "
         "overwrites what was there (History… lists every change).")


def _contact_name(item: Item) -> str:
    return f"⚠ {item.value.name}\n{do_not_contact_text(item.value)}" \
        if item.value.do_not_contact else item.value.name


class ProfileView(QWidget):
    def __init__(self, db: Db, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.child_id: str | None = None
        self.profile: Profile | None = None
        intro = QLabel(INTRO, self)
        intro.setWordWrap(True)
        self.history_button = QPushButton("&History…", self)
        self.history_button.setAccessibleName("History of this profile")
        self.history_button.clicked.connect(self.show_history)
        self.empty_hint = QLabel(EMPTY, self)
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setAccessibleName(EMPTY)
        self.warning = QLabel(self)  # the contacts not to call, in words, above everything
        self.warning.setObjectName("doNotContact")
        self.warning.setWordWrap(True)
        self.warning.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.about = Section("About the child", "detail", [
            Column("Detail", lambda i: i.label), Column("Value", lambda i: i.value_text),
            Column("Where it came from", source_of)], "Add a previous &name…", self)
        self.addresses = Section("Addresses", "address", source_columns(
            ("Which", lambda i: "Home" if i.key == "home" else "Other"),
            ("Address", lambda i: i.value.text)), "Add an &address…", self)
        self.household = Section("Household", "household member", source_columns(
            ("Name", attr("name")), ("Relationship", attr("relationship")),
            ("Born", lambda i: date_text(i.value.date_of_birth) if i.value.date_of_birth
             else ""), ("Notes", attr("notes"))), "Add a household &member…", self, stretch=3)
        self.contacts = Section("Contacts", "contact", source_columns(
            ("Priority", lambda i: str(i.value.priority or "")), ("Name", _contact_name),
            ("Relationship", attr("relationship")),
            ("Parental responsibility", lambda i: yes_no(i.value.parental_responsibility)),
            ("Lives with child", lambda i: yes_no(i.value.lives_with_child)),
            ("Phones", lambda i: phones_text(i.value)), ("Email", attr("email"))),
            "Add a &contact…", self, urgent=lambda i: bool(i.value.do_not_contact))
        self.professionals = Section("Other professionals", "professional", source_columns(
            ("Role", attr("role")), ("Name", attr("name")), ("Organisation", attr("organisation")),
            ("Phone", attr("phone")), ("Email", attr("email"))), "Add a p&rofessional…", self,
            stretch=2)
        self.about.add_button.clicked.connect(lambda: self._edit(None, NameDialog))
        self.about.edit_button.clicked.connect(self._edit_about)
        for section, dialog in ((self.addresses, AddressDialog), (self.contacts, ContactDialog),
                                (self.household, HouseholdDialog),
                                (self.professionals, ProfessionalDialog)):
            section.add_button.clicked.connect(lambda _c=False, d=dialog: self._edit(None, d))
            section.edit_button.clicked.connect(
                lambda _c=False, s=section, d=dialog: self._edit(s.current(), d))
        for section in self.sections:
            section.remove_button.clicked.connect(lambda _c=False, s=section: self._remove(s))

        top = QHBoxLayout()
        top.addWidget(intro, 1)
        top.addWidget(self.history_button)
        body = QWidget(self)
        self.grid = QGridLayout(body)
        self.grid.setContentsMargins(0, 0, 4, 0)
        self.wide: bool | None = None
        self._arrange(False)
        scroll = QScrollArea(self)
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setAccessibleName("The child's profile")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.empty_hint)
        layout.addWidget(self.warning)
        layout.addWidget(scroll, 1)
        self.clear()

    def _arrange(self, wide: bool) -> None:
        """Wide: about the child beside the addresses and household (short tables), contacts
        and professionals across the page. Narrow: one under another, so nothing is cut. The
        sections are made in this order, so Tab follows it."""
        if wide == self.wide:
            return
        self.wide = wide
        grid = self.grid
        for section in self.sections:
            grid.removeWidget(section)
        top = Qt.AlignmentFlag.AlignTop
        places: tuple[tuple[Section, int, int, int, int], ...]
        if wide:
            places = ((self.about, 0, 0, 2, 1), (self.addresses, 0, 1, 1, 1),
                      (self.household, 1, 1, 1, 1), (self.contacts, 2, 0, 1, 2),
                      (self.professionals, 3, 0, 1, 2))
        else:
            places = tuple((s, n, 0, 1, 2) for n, s in enumerate(self.sections))
        for section, row, column, rows, columns in places:
            grid.addWidget(section, row, column, rows, columns, top)
        for row in range(6):
            grid.setRowStretch(row, 1 if row == (1 if wide else 5) else 0)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1 if wide else 0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange(event.size().width() >= WIDE)

    @property
    def sections(self) -> tuple[Section, ...]:
        return (self.about, self.addresses, self.household, self.contacts, self.professionals)

    # -- loading -------------------------------------------------------------------------------
    def clear(self) -> None:
        """Shows nothing (another child, or not yet read): no child's details linger."""
        self.profile = None
        for section in self.sections:
            section.set_rows([])
        self.empty_hint.hide()
        self.warning.hide()

    def load(self, child_id: str, *, audit: bool = True) -> None:
        """Reads the profile (audited as a view; a reload after this DSL's own change is not
        a new view of it)."""
        if child_id != self.child_id:
            self.clear()
        self.child_id = child_id
        self.db.op(self, lambda s: profile(s, child_id, audit=audit)).success(
            self.show_profile).run()

    def show_profile(self, found: Profile) -> None:
        if found.child_id != self.child_id:
            return  # a slow read for the child shown before
        self.profile = found
        self.empty_hint.setVisible(found.is_empty)
        banned = [c for _k, c in found.contacts if c.do_not_contact]
        self.warning.setText("\n".join(f"⚠ {contact_label(c)} — {do_not_contact_text(c)}"
                                       for c in banned))
        self.warning.setAccessibleName("; ".join(self.warning.text().splitlines()))
        self.warning.setVisible(bool(banned))
        src = found.source_of
        about = [Fact("fact", name, getattr(found.facts, name), src("fact", name), label)
                 for name, label in FACT_LABELS.items()]
        about += [Fact("name", k, n, src("name", k), "Previous name")
                  for k, n in found.previous_names]
        self.about.set_rows(about)
        addresses = ([("home", found.home)] if found.home else []) + list(found.other_addresses)
        for section, kind, pairs in (
                (self.addresses, "address", addresses), (self.contacts, "contact",
                                                         found.contacts),
                (self.household, "household", found.household),
                (self.professionals, "professional", found.professionals)):
            section.set_rows([Item(kind, k, v, src(kind, k)) for k, v in pairs])

    # -- changing it ---------------------------------------------------------------------------
    def _edit_about(self) -> None:
        item = self.about.current()
        if item is None or self.child_id is None:
            return
        if item.kind == "fact":
            self._opened(FactDialog(self.db, self.child_id, item.key,
                                    fact_edit_text(item.key, item.value), self))
        else:
            self._edit(item, NameDialog)

    def _edit(self, item: Item | None, dialog: Callable[..., Any]) -> None:
        if self.child_id is None:
            return
        if item is None:
            self._opened(dialog(self.db, self.child_id, parent=self))
        else:
            self._opened(dialog(self.db, self.child_id, item.key, item.value, parent=self))

    def _remove(self, section: Section) -> None:
        item = section.current()
        if item is None or self.child_id is None or item.prov is None:
            return
        what = item.label or getattr(item.value, "name", None) or (
            "the home address" if item.key == "home" else "this address")
        self._opened(remove_dialog(self.db, self.child_id, item.kind, item.key,
                                   f"“{what}”", self))

    def _opened(self, dialog: Any) -> None:
        dialog.accepted.connect(self._changed)
        dialog.open()

    def _changed(self) -> None:
        if self.child_id is not None:
            self.load(self.child_id, audit=False)
            self.db.changed.emit()  # to the DSL team through the hub

    def show_history(self) -> None:
        child_id = self.child_id
        if child_id is not None:
            self.db.op(self, lambda s: profile_history(s, child_id)).success(
                lambda changes: ProfileHistoryDialog(changes, self).open()).run()
