"""The desktop shows every word recorded: the child page's detail pane has every field of a
concern and each status change with the DSL's note; the inbox detail has the notes; every
view names a body-map mark's full place ("Front: Left arm")."""

from __future__ import annotations

from app.domain.chronology import record_history
from app.domain.concerns import get_concern
from app.domain.pupils import child_by_upn
from tests.conftest import SmallSchool
from tests.test_fidelity import (
    ACTION,
    ACTIONED,
    MARK_NOTE,
    OUTCOME,
    TEXT,
    UPN,
    WHERE,
    WITNESSES,
    WORDS,
    _record_course,
)
from tests.ui.conftest import wait_for
from ui.child_page import ChildPage
from ui.clipboard import Clipboard
from ui.concern_text import concern_html
from ui.history_dialog import history_html
from ui.ops import Db


def _plain(html: str) -> str:
    from PySide6.QtGui import QTextDocument

    document = QTextDocument()
    document.setHtml(html)
    return document.toPlainText()


def test_the_child_page_detail_shows_every_field_and_each_status_note(
        qtbot, school: SmallSchool) -> None:  # type: ignore[no-untyped-def]
    _record_course(school)
    db = Db()
    session = school.open("dsl")
    db.set_session(session)
    page = ChildPage(db, Clipboard(), clock=school.clock)
    qtbot.addWidget(page)
    try:
        page.load(child_by_upn(session, UPN).id)
        wait_for(qtbot, lambda: page.model.rowCount() == 5)
        page.table.selectRow(0)
        shown = page.detail.toPlainText()
        for words in (TEXT, WORDS, ACTION, WHERE, WITNESSES, "Front: Left arm", MARK_NOTE):
            assert words in shown, words
        assert page.amend_button.isEnabled()
        texts = []
        for row in range(1, 5):
            page.table.selectRow(row)
            texts.append(page.detail.toPlainText())
        assert f"Actioned — {ACTIONED}" in texts[2] and "Dana Lead" in texts[2]
        assert f"Closed — {OUTCOME}" in texts[3]
        assert "Assigned to Dev Deputy" in texts[1]
        assert not page.amend_button.isEnabled()  # a status change is not amended
        assert page.model.data(page.model.index(3, 2)) == f"Actioned — {ACTIONED}"
    finally:
        db.shutdown()
        session.close()


def test_the_inbox_detail_and_history_name_the_place_and_the_notes(
        school: SmallSchool) -> None:
    course = _record_course(school)
    with school.open("dsl") as dsl:
        inbox = _plain(concern_html(get_concern(dsl, course.concern_id)))
        history = _plain(history_html(record_history(dsl, course.concern_id)))
    for words in (f"Actioned — {ACTIONED}", f"Closed — {OUTCOME}", "Front: Left arm",
                  MARK_NOTE, WITNESSES, WHERE, ACTION):
        assert words in inbox, words
    assert f"Front: Left arm — {MARK_NOTE}" in history
