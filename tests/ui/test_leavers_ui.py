"""A leaver's card on the DSL's home, the send dialog (the password shown once, then "sent"),
and the leavers apart on the Children page. Real widgets on a real demo store; set
LEAVERS_SCREENSHOTS=DIR to save what they look like."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from pypdf import PdfReader
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from app.domain.chronology import chronology
from app.domain.pupils import list_pupils
from app.store.access import unlock
from app.transfer.leaving import mark_left
from tests.ui.conftest import PASSPHRASE, settle, sign_in
from ui.leaver_cards import ENCRYPTED, FRONT_DOOR, CardFrame
from ui.transfer_dialogs import SendFileDialog


def _shot(widget, name: str) -> None:  # type: ignore[no-untyped-def]
    folder = os.environ.get("LEAVERS_SCREENSHOTS")
    if folder:
        widget.grab().save(str(Path(folder) / f"leavers-{name}.png"))


def test_the_dsl_sends_a_leaver_s_file_from_the_card(qtbot, make_window, demo_store,  # type: ignore[no-untyped-def]
                                                      tmp_path: Path) -> None:
    with unlock(demo_store, "dsl", PASSPHRASE) as session:
        child = max(list_pupils(session), key=lambda c: len(chronology(session, c.id)))
        mark_left(session, child.id, date.today(), "Oak Academy")
    window = make_window()
    sign_in(qtbot, window, "dsl")
    inbox = window.workspace.show_page("inbox")
    settle(qtbot, window)
    [card] = inbox.leavers.cards
    assert card.card.title.startswith("CP file to send to Oak Academy by")
    assert card.card.child_name in card.accessibleName()
    assert "school days left" in card.accessibleName() or "Due" in card.accessibleName()
    window.resize(1200, 800)
    settle(qtbot, window)
    _shot(inbox, "card")

    menu = card.button.menu()  # two ways to send; this school is on another product's side
    assert [a.text() for a in menu.actions()] == [FRONT_DOOR, ENCRYPTED]
    menu.actions()[1].trigger()
    settle(qtbot, window)
    dialog = next(d for d in window.findChildren(QDialog) if d.isVisible()
                  and isinstance(d, SendFileDialog))
    assert dialog.school.text() == "Oak Academy"
    dialog.path.setText(str(tmp_path / "cp-file.pdf"))
    _shot(dialog, "send-dialog")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    settle(qtbot, window)
    assert dialog.made is not None and dialog.made.password in dialog.shown_once.text()
    _shot(dialog, "send-dialog-password")
    reader = PdfReader(tmp_path / "cp-file.pdf")
    assert reader.decrypt(dialog.made.password).name != "NOT_DECRYPTED"
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()  # "I have sent it"
    settle(qtbot, window)
    assert not dialog.isVisible()
    [card] = inbox.leavers.findChildren(CardFrame)[-1:]
    assert card.card.action == "sent" and "waiting for the receipt code" in card.card.words

    children = window.workspace.show_page("children")
    settle(qtbot, window)
    listed = [children.leavers.item(i).text() for i in range(children.leavers.count())]
    assert any(child.display_name in text and "Oak Academy" in text for text in listed)
    _shot(children, "children")
    window.workspace.open_child(child.id)
    settle(qtbot, window)
    banner = children.page.moves.banner
    assert banner.isVisible() and "read-only until it is reviewed" in banner.text()
    assert "CP file to Oak Academy: sent on" in banner.text()
    _shot(children, "child-page")
