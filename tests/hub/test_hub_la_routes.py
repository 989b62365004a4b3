"""A referral sent to an LA without our front door, on one DSL PC, shows the same way on the
other: how it was sent, the LA's reference, its decision, and the chronology entries (issue
#18). The route's steps are events of the referral, replicated like its other states."""

from __future__ import annotations

from app.delivery import la_routes
from app.domain.chronology import chronology
from app.domain.pupils import child_by_upn
from app.domain.referrals import approve_referral, create_referral, get_referral
from tests.frontdoor.test_school_delivery import READY
from tests.hub.conftest import HubSchool
from tests.hub.test_hub_sync import UPN, record


def test_a_phoned_referral_and_the_la_answer_reach_the_deputy(school4: HubSchool) -> None:
    with school4.open("teacher") as teacher:
        record(teacher, "Said there was nobody home all weekend")
    for pc in ("teacher", "dsl"):
        school4.sync(pc)
    with school4.open("dsl") as dsl:
        referral = create_referral(dsl, child_by_upn(dsl, UPN).id, READY)
        approve_referral(dsl, referral.id)
        la_routes.confirm_sent(dsl, referral.id, "phone", "Duty social worker")
        school4.clock.advance(3600)
        la_routes.record_reference(dsl, referral.id, "PH-2026-7")
        mine = la_routes.record_outcome(dsl, referral.id, "Strategy discussion")
    for pc in ("dsl", "deputy", "dsl", "deputy"):  # twice: each step arrives once
        school4.sync(pc)
    with school4.open("deputy") as deputy:
        assert get_referral(deputy, referral.id).status == "sent"
        theirs = la_routes.route_state(deputy, referral.id)
        text = [i.summary for i in chronology(deputy, referral.child_id)]
    assert theirs == mine
    assert theirs.route == "phone" and theirs.to == "Duty social worker"
    assert sum("by phone to Duty social worker" in t for t in text) == 1
    assert sum("PH-2026-7" in t for t in text) == 1
    assert sum("Strategy discussion" in t for t in text) == 1
