"""A leaver and their CP file's transfer, on one DSL PC of a hub school, reach the school's other
DSL PCs: the deputy on another PC sees the same leaver's card, the same transfer status and
the same decision on what is kept (issue #19, docs/hub-sync.md)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from app.clock import FakeClock
from app.domain.concerns import ConcernDraft, record_concern
from app.domain.leavers import leaving_of
from app.domain.pupils import child_by_upn
from app.transfer.leaving import leaver_cards, mark_left
from app.transfer.model import transfers
from app.transfer.outgoing import confirm_receipt, make_pack, mark_sent
from app.transfer.retention import decide, retention_of
from tests.frontdoor.conftest import Service
from tests.hub.conftest import HubSchool, make_school

UPN = "B801200005001"  # on the hub school's synthetic roster


def test_a_leaver_and_their_transfer_reach_the_other_dsl_pc(tmp_path: Path,
                                                             hub: Service) -> None:
    school: HubSchool = make_school(tmp_path, hub, FakeClock())
    with school.open("dsl") as dsl:
        child = child_by_upn(dsl, UPN).id
        record_concern(dsl, ConcernDraft(
            children=[(child, "subject")], categories=["neglect"],
            occurred_at=dsl.clock.now() - timedelta(hours=2), text="Came in hungry again"))
        mark_left(dsl, child, dsl.clock.now().date(), "Brookside Test Academy")
    school.sync("dsl")
    school.sync("deputy")
    with school.open("deputy") as deputy:
        mine = child_by_upn(deputy, UPN).id
        leaving = leaving_of(deputy.conn, mine)
        assert leaving is not None and leaving.destination == "Brookside Test Academy"
        (card,) = leaver_cards(deputy)
        assert card.title.startswith("CP file to send to Brookside Test Academy by ")
    with school.open("dsl") as dsl:
        made = make_pack(dsl, child, "Brookside Test Academy", tmp_path / "file.pdf")
        mark_sent(dsl, made.transfer_id, "handed to their DSL")
        school.clock.advance(3600)
        confirm_receipt(dsl, made.transfer_id, made.receipt_code, "Dana Brook")
        decide(dsl, child, "archive", reason="Kept until the retention review")
    school.sync("dsl")
    report = school.sync("deputy")
    assert report.received
    with school.open("deputy") as deputy:
        mine = child_by_upn(deputy, UPN).id
        (transfer,) = transfers(deputy, mine)
        assert transfer.id == made.transfer_id
        assert transfer.status_words.startswith("receipt confirmed by Dana Brook on ")
        # Each step once, though several snapshots of the transfer carried it.
        assert [s.status for s in transfer.steps] == ["prepared", "sent", "receipt confirmed"]
        kept = retention_of(deputy, mine)
        assert kept is not None and kept.decision == "archive"
        assert leaver_cards(deputy) == []  # done on every DSL PC, not only the sender's
