"""A file destroyed at review on one DSL PC is destroyed on every DSL PC of the school through
the hub, leaves no trace there either, and an older copy still on its way is refused rather
than brought back (docs/retention.md)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from app.clock import FakeClock
from app.domain import retention
from app.domain.child_flags import set_flag
from app.domain.chronology import chronology
from app.domain.concerns import ConcernDraft, record_concern, set_status
from app.domain.destruction import destroy
from app.domain.pupils import apply_roster, child_by_upn
from app.domain.roster_csv import RosterRow
from app.identifiers import upn_check_letter
from app.store.verify import verify_store
from tests.conftest import SmallSchool
from tests.frontdoor.conftest import Service
from tests.hub.conftest import HubSchool, make_school
from tests.sqlcipher_scan import scan

BODY = "801200005099"
UPN = upn_check_letter(BODY) + BODY


def _leaver(main: SmallSchool) -> None:
    """A pupil who left long ago: 26 years old today (the FakeClock's 2 March 2026)."""
    with main.open("admin") as admin:
        apply_roster(admin, [RosterRow(UPN, "Imogen", "Farthingale", None, date(2000, 1, 10),
                                       "F", "X", None, 0)])


def test_a_destruction_reaches_the_other_dsl_pc_and_an_older_copy_is_refused(
        tmp_path: Path, hub: Service) -> None:
    school: HubSchool = make_school(tmp_path, hub, FakeClock(),
                                    before_hub=_leaver)
    with school.open("dsl") as dsl:
        child = child_by_upn(dsl, UPN).id
        concern = record_concern(dsl, ConcernDraft(
            children=[(child, "subject")], categories=["neglect"],
            occurred_at=dsl.clock.now() - timedelta(hours=2),
            text="Imogen spoke of Brackenfold at the bus stop"))
        set_flag(dsl, child, "child-in-need", True, "Plan names Brackenfold")
        retention.hold(dsl, child, "Synthetic inquiry about Brackenfold")
    school.sync("dsl")
    school.sync("deputy")
    with school.open("deputy") as deputy:
        mine = child_by_upn(deputy, UPN).id
        assert len(chronology(deputy, mine, audit=False)) == 1
        assert retention.file_review(deputy, mine).held  # a hold holds on every DSL PC
        school.clock.advance(5)
        retention.release(deputy, mine, "Inquiry closed")
    school.sync("deputy")
    school.sync("dsl")
    with school.open("deputy") as deputy:
        # The deputy works on the record before hearing of the destruction: its copy of the
        # record goes to the hub after the destruction does.
        set_status(deputy, concern.id, "acknowledged", "Spoke to Brackenfold school")
    school.clock.advance(60)
    with school.open("dsl") as dsl:
        destroy(dsl, child, confirm=True)
    school.sync("dsl")
    deputy_report = school.sync("deputy")
    assert any("destroyed" in r.detail for r in deputy_report.received)
    again = school.sync("dsl")  # the deputy's older copy arrives here now
    assert any("not brought back" in r.detail for r in again.received)
    for pc in ("dsl", "deputy"):
        with school.open(pc) as session:
            here = child_by_upn(session, UPN).id
            assert chronology(session, here, audit=False) == []
            assert verify_store(session).ok
            key = session.data_key
        store = school.dirs[pc] / "store.db"
        assert scan(store, key, "Brackenfold") == [], pc
