"""The DSL's and staff's daily work (issue #13): the DSL searches the whole school and opens
the child at the hit; a teacher opens their own concern read-only and adds further information
(and cannot open another's); an admin changes a role and disables an account."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.domain.concerns import ConcernDraft, add_further_information, record_concern
from app.domain.pupils import list_pupils
from app.domain.records import BodyMark
from app.errors import UnlockError
from app.store.access import unlock
from tests.ui.conftest import PASSPHRASE, settle, sign_in, wait_for
from tests.ui.test_dsl import open_dialog
from tests.ui.test_staff import nav_titles


def a_concern(store: Path, username: str, text: str, *, child_index: int = 0,
              days_ago: int = 3) -> tuple[str, str]:
    """(concern id, child id), recorded through the core as ``username``."""
    with unlock(store, username, PASSPHRASE) as session:
        child = list_pupils(session)[child_index]
        view = record_concern(session, ConcernDraft(
            children=[(child.id, "subject")], categories=["physical-abuse"], text=text,
            occurred_at=session.clock.now() - timedelta(days=days_ago), location="Library",
            child_words="It was at the weekend",
            body_marks=(BodyMark("front", 0.8, 0.31, "Small bruise", "Left arm"),)))
        return view.id, child.id


def test_the_dsl_searches_the_school_and_opens_the_child_at_the_hit(
        qtbot, make_window, demo_store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    concern, child_id = a_concern(demo_store, "teacher", "A bruise shaped like a zeppelin",
                                  child_index=5, days_ago=200)
    with unlock(demo_store, "teacher", PASSPHRASE) as teacher:
        further = add_further_information(teacher, concern, "The zeppelin mark has faded").id
    window = make_window()
    sign_in(qtbot, window, "dsl")
    assert "Search" in nav_titles(window)
    search = window.workspace.show_page("search")
    settle(qtbot, window)
    assert search.box.hasFocus()
    qtbot.keyClicks(search.box, "zeppelin")
    qtbot.keyClick(search.box, Qt.Key.Key_Return)
    settle(qtbot, window)
    rows = search.model.rows
    assert {r.record_id for r in rows} == {concern, further}
    hit = next(i for i, r in enumerate(rows) if r.record_id == concern)
    texts = [search.model.index(hit, c).data() for c in range(4)]
    child_name = rows[hit].child_name
    assert texts[0] == child_name
    assert len(texts[1].split()) == 3 and texts[1][:2].isdigit()  # "02 Dec 2026"
    assert texts[2] == "Concern" and "[zeppelin]" in texts[3]
    assert next(r for r in rows if r.record_id == further).further_information
    assert search.model.index(next(i for i, r in enumerate(rows) if r.record_id == further),
                              2).data() == "Further information"
    assert not search.newest.isVisible()

    search.table.selectRow(hit)
    qtbot.keyClick(search.table, Qt.Key.Key_Return)  # Enter opens the child at this entry
    settle(qtbot, window)
    page = window.workspace.children_page.page
    assert window.workspace.stack.currentWidget() is window.workspace.children_page
    assert page.child.id == child_id
    assert page.current().record_id == concern
    assert page.current().record_id != page.model.item(page.model.rowCount() - 1).record_id \
        or page.model.rowCount() == 1
    assert "zeppelin" in page.detail.toPlainText()
    # The further information is in the chronology, labelled as such.
    row = next(r for r in range(page.model.rowCount())
               if page.model.item(r).record_id == further)
    assert page.model.index(row, 1).data() == "Further info"
    page.table.selectRow(row)
    assert "Further information to the concern of" in page.detail.toPlainText()

    # Words too common to rank every match: the results say "newest only".
    import app.domain.search

    monkeypatch.setattr(app.domain.search, "RANK_WINDOW", 2)
    window.workspace.show_page("search")
    search.box.setText("the")
    search.search()
    settle(qtbot, window)
    assert search.model.rowCount() > 0 and search.newest.isVisible()
    # No words: said at the box, nothing searched.
    search.box.setText("  !! ")
    search.search()
    settle(qtbot, window)
    assert search.message.isVisible() and "word" in search.message.text()


def test_a_teacher_opens_their_concern_and_adds_further_information(
        qtbot, make_window, demo_store) -> None:  # type: ignore[no-untyped-def]
    mine, _ = a_concern(demo_store, "teacher", "Limping after PE, would not say why")
    theirs, _ = a_concern(demo_store, "teacher2", "Recorded by someone else", child_index=1)
    window = make_window()
    sign_in(qtbot, window, "teacher")
    assert nav_titles(window) == ["Record a concern", "My concerns"]  # no school-wide search
    page = window.workspace.show_page("mine")
    settle(qtbot, window)
    row = next(i for i, (v, _) in enumerate(page.model.rows) if v.id == mine)
    page.table.selectRow(row)
    settle(qtbot, window)
    text = page.detail.toPlainText()
    for expected in ("Limping after PE", "Library", "It was at the weekend", "Front: Left arm",
                     "Small bruise", "New: not yet seen by the DSL team", "Physical abuse"):
        assert expected in text, expected
    assert page.detail.isReadOnly()

    assert page.further_button.isEnabled()
    page.further_button.click()
    settle(qtbot, window)
    dialog = open_dialog(window)
    dialog.submit()  # nothing typed: said inline, the dialog stays
    settle(qtbot, window)
    assert dialog.isVisible() and "text" in dialog.message.text().lower()
    qtbot.keyClicks(dialog.text, "Mum said he fell off his bike at the weekend.")
    dialog.submit()
    settle(qtbot, window)
    assert not dialog.isVisible()
    newest = page.model.rows[0][0]
    assert newest.further_to == mine and newest.id != mine
    assert page.model.index(0, 3).data() == "Further information"
    assert page.opened is not None and page.opened.id == newest.id
    assert "Further information to the concern of" in page.detail.toPlainText()
    assert "saved for the DSL team" in window.messages.text

    # Another teacher's concern does not open, whatever asks for it.
    page.open_concern(theirs)
    settle(qtbot, window)
    assert page.opened is None and not page.further_button.isEnabled()
    assert "Recorded by someone else" not in page.detail.toPlainText()
    assert "only see the concerns you recorded" in window.messages.text

    # The DSL team sees it in the inbox as new, linked to the first concern.
    window.lock_now()
    settle(qtbot, window)
    sign_in(qtbot, window, "dsl")
    inbox = window.workspace.pages["inbox"]
    settle(qtbot, window)
    view = next(v for v in inbox.model.rows if v.id == newest.id)
    assert view.status == "new" and view.further_to == mine
    row = inbox.model.rows.index(view)
    assert inbox.model.index(row, 4).data().startswith("Further information · ")
    inbox.table.selectRow(row)
    settle(qtbot, window)
    assert "Further information to the concern of" in inbox.detail.toPlainText()


def test_an_admin_changes_a_role_and_disables_an_account(
        qtbot, make_window, demo_store) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    sign_in(qtbot, window, "admin")
    admin = window.workspace.pages["admin"]
    settle(qtbot, window)

    def select(username: str) -> None:
        admin.user_table.selectRow(next(i for i, u in enumerate(admin.users.rows)
                                        if u.username == username))

    select("teacher2")
    admin._change_roles()
    settle(qtbot, window)
    dialog = open_dialog(window)
    assert dialog.roles["staff"].isChecked() and not dialog.roles["dsl"].isChecked()
    dialog.roles["dsl"].setChecked(True)
    dialog.submit()
    settle(qtbot, window)
    assert not dialog.isVisible()
    assert next(u for u in admin.users.rows if u.username == "teacher2").roles == \
        ("staff", "dsl")
    assert "roles of teacher2" in window.messages.text
    # The admin holds no DSL key: a DSL's next sign-in hands it over (docs/keys.md).
    assert "gets the DSL store's key at the next sign-in of a DSL" in window.messages.text

    select("admin")  # the school's only admin keeps the role
    admin._change_roles()
    settle(qtbot, window)
    dialog = open_dialog(window)
    dialog.roles["admin"].setChecked(False)
    dialog.roles["dsl"].setChecked(True)
    dialog.submit()
    settle(qtbot, window)
    assert dialog.isVisible() and "last admin" in dialog.message.text()
    dialog.reject()

    select("teacher")
    asked: list[str] = []
    admin.confirm = lambda title, text: asked.append(text) or True
    admin._disable()
    settle(qtbot, window)
    assert "can no longer sign in" in asked[0]
    row = next(i for i, u in enumerate(admin.users.rows) if u.username == "teacher")
    assert admin.users.index(row, 3).data().startswith("Disabled ")
    assert admin.users.index(row, 1).data()  # still listed, with its name
    admin.user_table.selectRow(row)
    assert not any(b.isEnabled() for b in admin.account_buttons)

    # The roster: who is on it, and the columns an import expects.
    admin.tabs.setCurrentWidget(admin.roster)
    settle(qtbot, window)
    assert admin.roster.model.rowCount() == 40
    assert "upn" in admin.roster.columns.text() and "legal_forename" in admin.roster.columns.text()

    # The disabled account's sign-in is refused.
    window.lock_now()
    settle(qtbot, window)
    wait_for(qtbot, lambda: window.signin.account.count() > 0)
    offered = [window.signin.account.itemText(i) for i in range(window.signin.account.count())]
    assert "teacher" not in offered and "teacher2" in offered
    window.signin.account.addItem("teacher")  # as if typed in: the core still refuses
    window.signin.account.setCurrentText("teacher")
    window.signin.passphrase.setText(PASSPHRASE)
    window.signin.submit()
    settle(qtbot, window)
    assert window.workspace is None
    assert "teacher" in window.signin.message.text()
    with pytest.raises(UnlockError):
        unlock(demo_store, "teacher", PASSPHRASE)
    sign_in(qtbot, window, "teacher2")  # before a DSL hands the key over: staff, and told why
    assert "Search" not in nav_titles(window)
    assert "DSL role is waiting for its key" in window.messages.text
    window.lock_now()
    settle(qtbot, window)
    unlock(demo_store, "dsl", PASSPHRASE).close()  # a DSL signs in: the key is handed over
    sign_in(qtbot, window, "teacher2")  # the role change holds at the next sign-in
    assert "Search" in nav_titles(window)
    assert not (window.messages.isVisible() and "waiting for its key" in window.messages.text)
