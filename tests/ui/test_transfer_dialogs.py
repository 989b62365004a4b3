"""The child's page's "School moves…" dialogs on a real store: the child has left, a file from
another product (a bad file said inline, nothing saved), the receipt code read back (a wrong
one said inline) and what the school keeps. Every person here is invented."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QDate

from app.domain.pupils import child_by_upn
from app.transfer.leaving import file_notes
from app.transfer.model import transfers
from app.transfer.outgoing import make_pack
from tests.conftest import PUPILS, SmallSchool
from tests.ui.conftest import wait_for
from ui.child_moves import MovesBox
from ui.ops import Db
from ui.transfer_dialogs import (
    ConfirmReceiptDialog,
    MarkLeftDialog,
    ReceiveFileDialog,
    RetentionDialog,
)


def _save(qtbot, dialog) -> None:  # type: ignore[no-untyped-def]
    """Saves; returns when the core has answered (refused: the dialog stays, enabled)."""
    if not dialog.isVisible():
        qtbot.addWidget(dialog)
        dialog.show()
    dialog.submit()
    wait_for(qtbot, lambda: dialog.buttons.isEnabled() or not dialog.isVisible())


def test_the_moves_dialogs_record_each_step_and_say_what_is_wrong(
        qtbot, school: SmallSchool, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = Db()
    session = school.open("dsl")
    db.set_session(session)
    try:
        zofia = child_by_upn(session, PUPILS[0].upn)
        word = tmp_path / "file.docx"
        word.write_bytes(b"PK\x03\x04 synthetic")
        received = ReceiveFileDialog(db, zofia.id)
        received.school.setText("Elm Primary")
        received.received.setDate(QDate(2026, 2, 27))
        received.path.setText(str(word))
        _save(qtbot, received)
        assert "is not a PDF" in received.message.text() and received.isVisible()
        scan = tmp_path / "scan.pdf"
        scan.write_bytes(b"%PDF-1.4\n% synthetic\n%%EOF\n")
        received.path.setText(str(scan))
        _save(qtbot, received)
        assert not received.isVisible()

        left = MarkLeftDialog(db, zofia.id)
        left.left_on.setDate(QDate(2026, 3, 4))
        left.destination.setText("Oak Academy")
        _save(qtbot, left)
        assert not left.isVisible()

        box = MovesBox(db)
        qtbot.addWidget(box)
        box.show()
        box.show_for(zofia.id)
        wait_for(qtbot, lambda: box.banner.isVisible())
        assert "Left on 04 Mar 2026 for Oak Academy" in box.banner.text()
        assert "A CP file from the previous school, Elm Primary" in box.banner.text()
        assert not box.left_action.isEnabled()
        if os.environ.get("LEAVERS_SCREENSHOTS"):
            box.grab().save(str(Path(os.environ["LEAVERS_SCREENSHOTS"]) / "leavers-moves.png"))

        made = make_pack(session, zofia.id, "Oak Academy", tmp_path / "cp.pdf")
        confirm = ConfirmReceiptDialog(db, made.transfer_id, "Oak Academy")
        confirm.code.setText("AAAA-AAAA")
        confirm.by.setText("Ann Lee")
        _save(qtbot, confirm)
        assert "does not match" in confirm.message.text()
        confirm.code.setText(made.receipt_code)
        _save(qtbot, confirm)
        assert not confirm.isVisible()

        keep = RetentionDialog(db, zofia.id)
        keep.period.setChecked(True)
        keep.until.setDate(QDate(2031, 3, 4))
        keep.reason.setText("until the next review")
        _save(qtbot, keep)
        assert not keep.isVisible()
        lines = file_notes(session, zofia.id).lines
        assert "CP file to Oak Academy: receipt confirmed by Ann Lee on 02 Mar 2026." in lines
        assert "This school's copy is kept until 04 Mar 2031, then reviewed." in lines
        assert [t.direction for t in transfers(session, zofia.id)] == ["out", "in"]
    finally:
        db.shutdown()
        session.close()
