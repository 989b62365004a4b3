"""The sending DSL's side in the desktop app: the leaver's card offers both ways to send, and
"through the LA front door" lists the schools the real front door enrolled, finds the one the
child is going to, says plainly when a fingerprint matches no school, and queues the sealed
file; the card then says it goes at the next sync, and after the sync and the receiving DSL's
acceptance it is done. Set CP_SEND_SCREENSHOTS=DIR to save what they look like."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.delivery.cp_decide import accept_file, waiting_files
from app.domain.pupils import child_by_upn
from app.hub.sync import sync_round
from app.transfer.model import transfers
from tests.conftest import FakeClock, SmallSchool
from tests.frontdoor.conftest import Service
from tests.frontdoor.test_cp_transfer import ZOFIA, Two, _two
from tests.ui.conftest import wait_for
from ui.cp_send_dialog import SendThroughFrontDoorDialog
from ui.leaver_cards import ENCRYPTED, FRONT_DOOR, LeaverCards
from ui.ops import Db


def _shot(widget, name: str) -> None:  # type: ignore[no-untyped-def]
    folder = os.environ.get("CP_SEND_SCREENSHOTS")
    if folder:
        widget.grab().save(str(Path(folder) / f"cp-send-{name}.png"))


@pytest.fixture(scope="module")
def engine() -> str:
    """The school's dialog, over a front door on SQLite: the CP file's way through either
    storage is tested in test_cp_transfer.py."""
    return "sqlite"


@pytest.fixture()
def two(school: SmallSchool, fresh_la_service: Service, tmp_path: Path, clock: FakeClock
        ) -> Iterator[Two]:
    """Two schools enrolled at one real LA front door (tests/frontdoor/test_cp_transfer.py)."""
    yield from _two(school, fresh_la_service, tmp_path, clock)


def test_the_leavers_card_sends_the_file_through_the_la_front_door(
        qtbot, two: Two, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    from app.domain.concerns import ConcernDraft, record_concern
    from app.transfer.leaving import mark_left

    db = Db()
    session = two.a.open("dsl")
    db.set_session(session)
    try:
        zofia = child_by_upn(session, ZOFIA)
        record_concern(session, ConcernDraft(
            children=[(zofia.id, "subject")], categories=["neglect"],
            text="Came in hungry again", occurred_at=clock.now()))
        mark_left(session, zofia.id, clock.now().date(), "brookside test academy")
        cards = LeaverCards(db)
        qtbot.addWidget(cards)
        cards.resize(900, 200)
        cards.show()
        cards.refresh()
        wait_for(qtbot, lambda: len(cards.cards) == 1)
        (card,) = cards.cards
        menu = card.button.menu()
        assert menu is not None
        assert [a.text() for a in menu.actions()] == [FRONT_DOOR, ENCRYPTED]
        _shot(cards, "card")
        menu.actions()[0].trigger()
        dialog = next(d for d in cards.findChildren(SendThroughFrontDoorDialog))
        qtbot.addWidget(dialog)
        wait_for(qtbot, lambda: dialog.school.isEnabled())
        # The list is the front door's (school A itself left out); the leaving's destination,
        # typed in another case, is chosen already.
        assert [dialog.school.itemText(i) for i in range(dialog.school.count())] == [
            "Brookside Test Academy"]
        assert dialog.school.currentText() == "Brookside Test Academy"
        assert dialog.state.text() == "1 school can receive it through the LA front door."
        _shot(dialog, "dialog")
        dialog.fingerprint.setText("not a fingerprint")
        dialog.submit()
        wait_for(qtbot, lambda: dialog.buttons.isEnabled())
        assert dialog.message.text().startswith("⚠ Their DSL's fingerprint: is not a key "
                                                "fingerprint")
        dialog.fingerprint.setText("AB12-" * 9 + "AB12")  # well formed, no such school
        dialog.submit()
        wait_for(qtbot, lambda: dialog.buttons.isEnabled())
        assert "no school enrolled at this LA front door has that fingerprint" in \
            dialog.message.text()
        wait_for(qtbot, lambda: db.pending == 0)
        assert transfers(session, zofia.id) == []  # nothing queued
        dialog.fingerprint.clear()
        dialog.parts["profile"].setChecked(False)
        dialog.submit()
        wait_for(qtbot, lambda: not dialog.isVisible())
        wait_for(qtbot, lambda: len(cards.cards) == 1 and cards.cards[0].card.action == "wait")
        # The session is the database thread's: read it here only once that thread is idle
        # (the cards' refresh runs on it as the dialog closes).
        wait_for(qtbot, lambda: db.pending == 0)
        (sent,) = transfers(session, zofia.id)
        assert (sent.school, sent.status, sent.contents) == (
            "Brookside Test Academy", "prepared", ("chronology", "twin", "attachments"))
        assert cards.cards[0].card.words == "Queued for the LA front door: it goes at the next " \
            "sync"
        assert not cards.cards[0].button.isVisible()  # nothing to do: the receipt comes back
    finally:
        db.shutdown()
        session.close()
    with two.a.open("dsl") as a:
        assert [d.outcome for d in sync_round(a).sent] == ["receipted"]
    clock.advance(600)
    with two.b.open("dsl") as b:
        sync_round(b)
        (waiting,) = waiting_files(b)
        accept_file(b, waiting.id)
        sync_round(b)
    clock.advance(600)
    with two.a.open("dsl") as a:
        sync_round(a)
        (done,) = transfers(a, child_by_upn(a, ZOFIA).id)
        assert done.status == "accepted"
