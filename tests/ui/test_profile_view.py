"""The child's profile on the child page, as a DSL sees and changes it: one click from the
child, each value with where it came from, a contact not to call said in words, a contact added
through the dialog and listed in the history, the core's message kept at a bad NHS number, and
no removal without a reason. Real widgets on a real store; every person here is invented."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from app.domain.pupils import child_by_upn
from app.profile.model import (
    FACT_NAMES,
    Address,
    Contact,
    Facts,
    HouseholdMember,
    Phone,
    Professional,
    ProfileUpdate,
    PupilLink,
)
from app.profile.profiles import apply_update
from app.store.session import Session
from tests.conftest import PUPILS, SmallSchool
from tests.ui.conftest import wait_for
from ui.child_page import ChildPage
from ui.clipboard import Clipboard
from ui.ops import Db
from ui.profile_dialogs import ContactDialog, FactDialog
from ui.profile_history import ProfileHistoryDialog
from ui.profile_sections import Section
from ui.profile_text import FACT_LABELS, parse_day
from ui.profile_view import ProfileView

ZOFIA, OLU = PUPILS[0].upn, PUPILS[2].upn
BANNED = "Non-molestation order until March 2027"
MIS = "MIS import (SIMS contact export)"


def seed(session: Session, upn: str = ZOFIA) -> str:
    """A full synthetic profile from an MIS export, as the import writes it."""
    child_id = child_by_upn(session, upn).id
    update = ProfileUpdate(
        PupilLink(upn=upn),
        facts=Facts(ethnicity_code="WOTH", ethnicity="White - any other White background",
                    religion="Roman Catholic", first_language_code="POL",
                    first_language="Polish", interpreter_needed=True, sen_status="K",
                    sen_needs=("SLCN",), disability="None known",
                    gp="Example Lane Surgery, Dr R Example", nhs_number="9990000018",
                    looked_after=False, previous_school="Example Primary (999/2000)"),
        addresses=(Address(("12 Example Road", "Exampleton"), "EX1 1AA"),
                   Address(("Flat 3, 40 Sample Street", "Exampleton"), "EX2 2BB")),
        contacts=(
            Contact("Anna Wiśniewska", "Mother", True, True,
                    (Phone("07700 900101", "Mobile"), Phone("07700 900104", "Work")),
                    "anna.w@example.org", priority=1),
            Contact("Marek Wiśniewski", "Father", True, False,
                    (Phone("07700 900102", "Mobile"),), priority=2, do_not_contact=True,
                    do_not_contact_reason=BANNED),
            Contact("Halina Nowak", "Grandmother", False, False,
                    (Phone("07700 900105", "Home"),), "h.nowak@example.org", priority=3)),
        household=(HouseholdMember("Tomasz Wiśniewski", "Brother", date(2018, 9, 1)),
                   HouseholdMember("Piotr Example", "Mother's partner",
                                   notes="Moved in September")),
        professionals=(Professional("Sam Example", "Social worker", "Example Council",
                                    "07700 900103", "sam.example@example.org"),
                       Professional("Jo Sample", "School nurse", "Example Health Trust")),
        previous_names=("Zofia Nowak",))
    with session.tx():
        apply_update(session, child_id, update, "mis", "SIMS contact export")
    return child_id


@dataclass
class Opened:
    page: ChildPage
    session: Session
    db: Db


@pytest.fixture
def opened(qtbot, school: SmallSchool) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """Opens a child's page as the DSL and shows the profile with one click on its tab."""
    db = Db()
    session = school.open("dsl")
    db.set_session(session)
    page = ChildPage(db, Clipboard(), clock=school.clock)
    qtbot.addWidget(page)
    page.resize(1280, 900)
    page.show()

    def open_child(upn: str) -> ChildPage:
        child_id = child_by_upn(session, upn).id
        page.load(child_id)
        wait_for(qtbot, lambda: page.child is not None and page.child.id == child_id)
        bar = page.tabs.tabBar()
        assert bar.tabText(1) == "&Profile"
        qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(1).center())
        wait_for(qtbot, lambda: page.profile_view.profile is not None)
        return page

    yield open_child, Opened(page, session, db)
    db.shutdown()
    session.close()


def texts(section: Section, column: int) -> list[str]:
    model = section.model
    return [model.data(model.index(r, column)) for r in range(model.rowCount())]


def about(view: ProfileView) -> dict[str, tuple[str, str]]:
    """Each row of "About the child": its label -> (value, where it came from)."""
    return dict(zip(texts(view.about, 0), zip(texts(view.about, 1), texts(view.about, 2),
                                              strict=True), strict=True))


def dialog_of(page: ChildPage, kind: type[QDialog]) -> Any:
    return next(d for d in page.findChildren(kind) if d.isVisible())


def select(section: Section, column: int, text: str) -> None:
    section.table.selectRow(texts(section, column).index(text))


def test_a_dsl_sees_the_profile_with_where_each_value_came_from(opened) -> None:  # type: ignore[no-untyped-def]
    open_child, o = opened
    seed(o.session)
    view = open_child(ZOFIA).profile_view
    assert view.empty_hint.isHidden()
    contacts = view.contacts
    names = texts(contacts, 1)
    assert names[0] == "Anna Wiśniewska" and "Halina Nowak" in names
    assert names[1] == f"⚠ Marek Wiśniewski\nDo not contact: {BANNED}"  # in words
    assert view.warning.isVisible()
    assert view.warning.text() == f"⚠ Marek Wiśniewski (Father) — Do not contact: {BANNED}"
    assert texts(contacts, 3)[0] == "Yes" and texts(contacts, 4)[1] == "No"
    assert texts(contacts, 5)[0] == "07700 900101 (Mobile); 07700 900104 (Work)"
    assert set(texts(contacts, 7)) == {MIS}
    tip = contacts.model.data(contacts.model.index(0, 1), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith(f"Anna Wiśniewska\nWhere it came from: {MIS}, ")
    shown = about(view)
    assert shown["NHS number"] == ("999 000 0018", MIS)
    assert shown["Ethnicity code"][0] == "WOTH"
    assert shown["SEN status"][0] == "SEN support (K)"
    assert shown["Interpreter needed"][0] == "Yes" and shown["Looked after"][0] == "No"
    assert shown["Previous name"] == ("Zofia Nowak", MIS)
    assert texts(view.addresses, 0) == ["Home", "Other"]
    assert texts(view.addresses, 1)[0] == "12 Example Road, Exampleton, EX1 1AA"
    assert "Tomasz Wiśniewski" in texts(view.household, 0)
    assert texts(view.professionals, 0) == ["School nurse", "Social worker"]


def test_an_empty_profile_says_what_to_do(opened) -> None:  # type: ignore[no-untyped-def]
    open_child, _o = opened
    view = open_child(OLU).profile_view
    assert view.empty_hint.isVisible() and "Import the MIS contact export" in \
        view.empty_hint.text()
    assert about(view)["GP"] == ("Not recorded", "")
    assert view.contacts.empty.isVisible() and not view.warning.isVisible()


def test_a_contact_added_in_the_dialog_appears_and_is_in_the_history(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    open_child, o = opened
    seed(o.session)
    page = open_child(ZOFIA)
    view = page.profile_view
    view.contacts.add_button.click()
    dialog = dialog_of(page, ContactDialog)
    dialog.name.setText("Kasia Example")
    dialog.relationship.setCurrentText("Aunt")
    dialog.responsibility.setCurrentIndex(dialog.responsibility.findData(False))
    dialog.phones[0][0].setText("07700 900106")
    dialog.phones[0][1].setCurrentText("Mobile")
    dialog.email.setText("kasia@example.org")
    dialog.priority.setValue(4)
    dialog.do_not_contact.setChecked(True)
    dialog.submit()  # "do not contact" without a reason: the core refuses, the form stays
    wait_for(qtbot, lambda: dialog.buttons.isEnabled())
    message = dialog._at["do not contact"][0]
    assert message.isVisible() and "say why" in message.text()
    assert dialog.isVisible() and dialog.name.text() == "Kasia Example"
    dialog.reason.setText("Asked not to be called at work")
    dialog.submit()
    wait_for(qtbot, lambda: not dialog.isVisible())
    wait_for(qtbot, lambda: "⚠ Kasia Example\nDo not contact: Asked not to be called at work"
             in texts(view.contacts, 1))
    row = texts(view.contacts, 1).index(
        "⚠ Kasia Example\nDo not contact: Asked not to be called at work")
    assert texts(view.contacts, 7)[row] == "Typed in by Dana Lead"
    assert texts(view.contacts, 0)[row] == "4" and texts(view.contacts, 3)[row] == "No"
    assert "Kasia Example (Aunt)" in view.warning.text()

    view.history_button.click()
    wait_for(qtbot, lambda: any(d.isVisible() for d in page.findChildren(ProfileHistoryDialog)))
    history = dialog_of(page, ProfileHistoryDialog)
    rows = history.model.rows
    added = [r for r in rows if r[1] == "Contact: Kasia Example"]
    assert len(added) == 1 and added[0][3:] == ("Typed in", "Dana Lead")
    assert "07700 900106 (Mobile)" in added[0][2]
    assert any(r[1] == "NHS number" and r[3] == MIS for r in rows)


def test_a_bad_nhs_number_shows_the_core_message_and_keeps_the_text(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    open_child, o = opened
    seed(o.session)
    page = open_child(ZOFIA)
    view = page.profile_view
    select(view.about, 0, "NHS number")
    view.about.edit_button.click()
    dialog = dialog_of(page, FactDialog)
    assert dialog.value.text() == "999 000 0018"
    dialog.value.setText("999 000 0019")
    dialog.submit()
    wait_for(qtbot, lambda: dialog.buttons.isEnabled())
    message = dialog._at["nhs_number"][0]
    assert message.isVisible() and message.text() == "⚠ NHS number check digit is wrong"
    assert dialog.isVisible() and dialog.value.text() == "999 000 0019"
    dialog.value.setText("999 000 0026")
    dialog.submit()
    wait_for(qtbot, lambda: about(view)["NHS number"] == ("999 000 0026",
                                                          "Typed in by Dana Lead"))


def test_removing_needs_a_reason_and_the_history_keeps_it(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    from ui.note_dialog import NoteDialog

    open_child, o = opened
    seed(o.session)
    page = open_child(ZOFIA)
    view = page.profile_view
    select(view.household, 0, "Piotr Example")
    view.household.remove_button.click()
    dialog = dialog_of(page, NoteDialog)
    dialog.submit()
    wait_for(qtbot, lambda: dialog.buttons.isEnabled())
    assert "say why" in dialog.message.text() and dialog.isVisible()
    dialog.note.setPlainText("Moved out in January")
    dialog.submit()
    wait_for(qtbot, lambda: texts(view.household, 0) == ["Tomasz Wiśniewski"])
    view.show_history()
    wait_for(qtbot, lambda: any(d.isVisible() for d in page.findChildren(ProfileHistoryDialog)))
    rows = dialog_of(page, ProfileHistoryDialog).model.rows
    assert rows[-1][1:] == ("Household: Piotr Example", "Removed (reason: Moved out in January)",
                            "Typed in", "Dana Lead")


def test_every_detail_has_words_and_dates_read_as_people_write_them() -> None:
    assert set(FACT_LABELS) == set(FACT_NAMES)
    for text in ("04/05/1985", "4.5.1985", "1985-05-04", "04 May 1985"):
        assert parse_day(text) == date(1985, 5, 4)
    assert parse_day("  ") is None
    with pytest.raises(Exception, match="day/month/year"):
        parse_day("31/02/1985")


def test_the_keyboard_reaches_every_change_and_no_access_key_is_used_twice(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QAbstractButton

    from tests.ui.walk import clashes
    from ui.note_dialog import NoteDialog
    from ui.profile_dialogs import (
        AddressDialog,
        HouseholdDialog,
        NameDialog,
        ProfessionalDialog,
    )

    open_child, o = opened
    seed(o.session)
    page = open_child(ZOFIA)
    assert clashes(page) == {}
    view = page.profile_view
    select(view.contacts, 1, "Anna Wiśniewska")
    view.contacts.table.setFocus()
    qtbot.keyClick(view.contacts.table, Qt.Key.Key_Delete)  # Delete asks why
    dialog_of(page, NoteDialog).reject()
    qtbot.keyClick(view.contacts.table, Qt.Key.Key_Return)  # Enter edits
    edit = dialog_of(page, ContactDialog)
    assert edit.name.text() == "Anna Wiśniewska" and edit.email.text() == "anna.w@example.org"
    edit.reject()
    child_id = page.child.id
    for dialog in (ContactDialog(o.db, child_id), FactDialog(o.db, child_id, "gp", ""),
                   AddressDialog(o.db, child_id), HouseholdDialog(o.db, child_id),
                   ProfessionalDialog(o.db, child_id), NameDialog(o.db, child_id)):
        for button in dialog.findChildren(QAbstractButton):  # the platform's own keys too
            if button.text() in ("Save (Ctrl+S)", "Cancel"):
                button.setText("&" + button.text())
        qtbot.addWidget(dialog)
        dialog.show()
        assert clashes(dialog) == {}, dialog.windowTitle()
