"""The DSL answers a subject access request from the child's page: drafts it, redacts a
selection with a reason, withholds an entry, makes the PDF; the PDF's text lacks the redacted
words and the chronology holds the log. Real widgets on a real demo store."""

from __future__ import annotations

import os
from pathlib import Path

import pymupdf
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QDialog, QPushButton

from app.domain.chronology import chronology
from app.domain.pupils import list_pupils
from app.store.access import unlock
from tests.ui.conftest import PASSPHRASE, settle, sign_in
from ui.note_dialog import NoteDialog
from ui.sar_dialog import SarDialog


def _visible(window, kind):  # type: ignore[no-untyped-def]
    return next(d for d in window.findChildren(QDialog) if d.isVisible() and isinstance(d, kind))


def test_dsl_drafts_reviews_and_produces_a_response(qtbot, make_window, demo_store,  # type: ignore[no-untyped-def]
                                                    tmp_path: Path) -> None:
    with unlock(demo_store, "dsl", PASSPHRASE) as session:
        child = max(list_pupils(session), key=lambda c: len(chronology(session, c.id)))
    window = make_window()
    sign_in(qtbot, window, "dsl")
    window.workspace.open_child(child.id)
    settle(qtbot, window)
    page = window.workspace.children_page.page
    page.findChild(QPushButton, "sarButton").click()
    settle(qtbot, window)
    dialog = _visible(window, SarDialog)
    dialog.since.setDate(dialog.since.date().addYears(-10))
    dialog.draft_button.click()
    settle(qtbot, window)
    assert dialog.draft is not None and dialog.entries.count() >= 2
    assert "(the child)" in dialog.state.text()

    # Select the first word of the first entry's text, and redact it with a reason.
    dialog.entries.setCurrentRow(0)
    document = dialog.text.toPlainText()
    start = document.index(":\n") + 2
    word = document[start:].split()[0].strip(".,;:'’")
    cursor = dialog.text.textCursor()
    cursor.setPosition(start)
    cursor.setPosition(start + len(word), QTextCursor.MoveMode.KeepAnchor)
    dialog.text.setTextCursor(cursor)
    dialog.harm.setChecked(True)
    dialog.redact_button.click()
    settle(qtbot, window)
    note = _visible(window, NoteDialog)
    note.note.setPlainText("risk of serious harm")
    note.submit()
    settle(qtbot, window)
    assert "[redacted]" in dialog.shown.toPlainText()
    assert dialog.text.extraSelections()  # highlighted

    dialog.entries.setCurrentRow(1)
    dialog.withhold_button.click()
    settle(qtbot, window)
    note = _visible(window, NoteDialog)
    note.note.setPlainText("about another family")
    note.submit()
    settle(qtbot, window)
    assert "WITHHELD" in dialog.entries.item(1).text()
    if os.environ.get("SAR_SCREENSHOT"):
        dialog.entries.setCurrentRow(0)
        dialog.grab().save(os.environ["SAR_SCREENSHOT"])

    out = tmp_path / "response.pdf"
    dialog.make_pdf(out)
    settle(qtbot, window)
    assert dialog.draft.produced_at is not None and not dialog.redact_button.isEnabled()
    with pymupdf.open(out) as pdf:
        text = "\n".join(p.get_text() for p in pdf)
    assert "[redacted]" in text and "Subject access response" in text
    with unlock(demo_store, "dsl", PASSPHRASE) as session:
        log = chronology(session, child.id)[-1]
    assert log.summary.startswith("Subject access response produced")
    assert "withheld in full: about another family" in log.summary
