"""The child's profile as the DSL team sees it, beside the chronology: about the child,
addresses, contacts, household and other professionals, each value with where it came from
(an MIS import, a Common Transfer File, or the person who typed it), and the ways to change it.

A contact the school must not call is said in words at the top and in their row, never by
colour alone. The profile is read only when this tab is shown, as every read is audited."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QKeySequence, QPalette, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.profile.profiles import Profile, Provenance, profile, profile_history
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
from ui.profile_text import (
    FACT_LABELS,
    contact_label,
    do_not_contact_text,
    fact_edit_text,
    fact_text,
    phones_text,
    source_text,
    source_tip,
    yes_no,
)
from ui.table_model import Column, Index, RowsModel, rows_table
from ui.theme import readable
from ui.wording import date_text

EMPTY = ("Nothing is recorded in this profile yet. Import the MIS contact export or a Common "
         "Transfer File from Admin → Pupil roster, or add details here.")
WIDE = 1200  # pixels: below this, two sections side by side would cut their columns
INTRO = ("Seen by the DSL team only. Each detail says where it came from; a change never "
         "overwrites what was there (History… lists every change).")


@dataclass(frozen=True)
class Item:
    """One row: what it is (kind and key, as the core names it), its value and its source."""
    kind: str
    key: str
    value: Any
    prov: Provenance | None
    label: str = ""


def _source(item: Item) -> str:
    return source_text(item.prov)


class ProfileRows(RowsModel):
    """Rows whose "where it came from" reads quieter than the values, and whose urgent rows
    (a contact not to be called) are bold and red as well as worded."""

    def __init__(self, columns: Sequence[Column], urgent: Callable[[Item], bool],
                 parent: Any = None) -> None:
        super().__init__(columns, parent)
        self.urgent = urgent

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.row(index)
        if item is None:
            return None
        palette = QApplication.palette()
        base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
        if role == Qt.ItemDataRole.ForegroundRole:
            if self.urgent(item):
                return readable(QColor("#9b0016"), base, text)
            quiet = self.columns[index.column()].title == "Where it came from" or (
                item.kind == "fact" and item.value is None)
            return readable(QColor(palette.color(QPalette.ColorRole.PlaceholderText)), base,
                            text) if quiet else None
        if role == Qt.ItemDataRole.FontRole and self.urgent(item):
            font = QFont(QApplication.font())
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and self.columns[index.column()].tooltip is None:
            shown = super().data(index, Qt.ItemDataRole.DisplayRole)  # whole, if cut short
            tip = source_tip(item.prov)
            return f"{shown}\n{tip}" if shown and shown != source_text(item.prov) else tip
        return super().data(index, role)


class Section(QGroupBox):
    """One part of the profile: its table (as tall as its rows), a line when it is empty, and
    add, edit and remove. Enter edits the selected row; Delete removes it."""

    def __init__(self, title: str, noun: str, columns: Sequence[Column], add_text: str,
                 parent: QWidget, *, stretch: int = 1,
                 urgent: Callable[[Item], bool] = lambda _i: False) -> None:
        super().__init__(title, parent)
        self.model = ProfileRows(columns, urgent, self)
        self.table = rows_table(self.model, title, self, fit="contents")
        # Long values (a reason not to call, a note) wrap in the one column that stretches,
        # and the table is as tall as its rows: the page scrolls, never a table within it.
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        header.sectionResized.connect(lambda *_: self._fit())
        self.table.horizontalScrollBar().rangeChanged.connect(lambda *_: self._fit())
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        rows = self.table.verticalHeader()
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)
        rows.setMinimumSectionSize(self.fontMetrics().height() + 10)  # fitted rows breathe
        self.empty = QLabel("None recorded.", self)
        self.add_button = QPushButton(add_text, self)
        self.add_button.setAccessibleName(add_text.replace("&", "").rstrip("…"))
        self.edit_button = QPushButton("Edit…", self)
        self.edit_button.setAccessibleName(f"Edit the selected {noun}")
        self.remove_button = QPushButton("Remove…", self)
        self.remove_button.setAccessibleName(f"Remove the selected {noun}")
        self.table.activated.connect(lambda _i: self.edit_button.click())
        QShortcut(QKeySequence.StandardKey.Delete, self.table, self.remove_button.click,
                  context=Qt.ShortcutContext.WidgetShortcut)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selected())
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)
        self.set_rows([])

    def set_rows(self, rows: Sequence[Item]) -> None:
        self.model.set_rows(rows)
        self.table.setVisible(bool(rows))
        self.empty.setVisible(not rows)
        self._fit()
        self._selected()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit()  # wrapped rows need the columns' final widths

    def _fit(self) -> None:
        table = self.table
        table.resizeRowsToContents()
        bar = table.horizontalScrollBar()
        overflow = bar.sizeHint().height() if bar.maximum() > 0 else 0  # columns too wide
        table.setFixedHeight(table.horizontalHeader().sizeHint().height() +
                             table.frameWidth() * 2 + overflow +
                             table.verticalHeader().length())

    def current(self) -> Item | None:
        item = self.model.row(self.table.currentIndex())
        return item if isinstance(item, Item) else None

    def _selected(self) -> None:
        item = self.current()
        self.edit_button.setEnabled(item is not None)
        self.remove_button.setEnabled(item is not None and item.prov is not None)


def _cols(*pairs: tuple[str, Callable[[Item], str]]) -> list[Column]:
    return [Column(t, f) for t, f in pairs] + [Column("Where it came from", _source)]


def _v(name: str) -> Callable[[Item], str]:
    return lambda i: str(getattr(i.value, name) or "")


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
            Column("Where it came from", _source)], "Add a previous &name…", self)
        self.addresses = Section("Addresses", "address", _cols(
            ("Which", lambda i: "Home" if i.key == "home" else "Other"),
            ("Address", lambda i: i.value.text)), "Add an &address…", self)
        self.household = Section("Household", "household member", _cols(
            ("Name", _v("name")), ("Relationship", _v("relationship")),
            ("Born", lambda i: date_text(i.value.date_of_birth) if i.value.date_of_birth
             else ""), ("Notes", _v("notes"))), "Add a household &member…", self, stretch=3)
        self.contacts = Section("Contacts", "contact", _cols(
            ("Priority", lambda i: str(i.value.priority or "")), ("Name", _contact_name),
            ("Relationship", _v("relationship")),
            ("Parental responsibility", lambda i: yes_no(i.value.parental_responsibility)),
            ("Lives with child", lambda i: yes_no(i.value.lives_with_child)),
            ("Phones", lambda i: phones_text(i.value)), ("Email", _v("email"))),
            "Add a &contact…", self, urgent=lambda i: bool(i.value.do_not_contact))
        self.professionals = Section("Other professionals", "professional", _cols(
            ("Role", _v("role")), ("Name", _v("name")), ("Organisation", _v("organisation")),
            ("Phone", _v("phone")), ("Email", _v("email"))), "Add a p&rofessional…", self,
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
        about = [_Fact("fact", name, getattr(found.facts, name), src("fact", name), label)
                 for name, label in FACT_LABELS.items()]
        about += [_Fact("name", k, n, src("name", k), "Previous name")
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


@dataclass(frozen=True)
class _Fact(Item):
    """A row of "About the child": a fact (or a previous name) in words."""

    @property
    def value_text(self) -> str:
        return fact_text(self.key, self.value) if self.kind == "fact" else str(self.value)

