"""Concerns reach the DSL team through the school hub, and the DSL team's PCs converge."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.delivery.delivered import delivery_state
from app.delivery.team_keys import team_pairs
from app.domain.chronology import add_entry, chronology
from app.domain.concerns import ConcernDraft, amend_concern, get_concern, record_concern, set_status
from app.domain.pupils import child_by_upn
from app.domain.records import history
from app.errors import AccessDenied, UnlockError
from app.hub.provisional import sign_in
from app.store.session import Session
from tests.conftest import STAFF_PASS
from tests.hub.conftest import HubSchool

UPN = "B801200005001"


def record(session: Session, text: str, upn: str = UPN) -> str:
    child = child_by_upn(session, upn)
    return record_concern(session, ConcernDraft(
        children=[(child.id, "subject")], categories=["neglect"], text=text,
        occurred_at=session.clock.now() - timedelta(hours=1))).id


def chronology_of(school: HubSchool, pc: str, upn: str = UPN) -> list[tuple[str, str, str]]:
    with school.open(pc) as session:
        child = child_by_upn(session, upn)
        return [(i.record_id, i.version_id, i.summary) for i in chronology(session, child.id)]


def records_on(school: HubSchool, pc: str, username: str | None = None) -> set[str]:
    with school.open(pc, username) as session:
        return {r[0] for r in session.conn.execute("SELECT id FROM records")}


def test_joined_pcs_get_accounts_and_roster_but_only_dsl_pcs_get_the_team_key(
        school4: HubSchool) -> None:
    # On the DSL PC only its DSL accounts hold the team key: it lives in the DSL store.
    for pc, user, holds in (("deputy", "deputy", True), ("deputy", "teacher", False),
                            ("teacher", None, False), ("teacher2", None, False)):
        with school4.open(pc, user) as session:
            assert session.school_name == "Larkfield Test Primary"
            assert child_by_upn(session, UPN).legal_forename == "Zofia"
            assert (team_pairs(session.conn, "dsl") is not None) == holds
            assert session.conn.execute("SELECT count(*) FROM main.team_keys WHERE private IS "
                                        "NOT NULL").fetchone()[0] == 0
    # Nothing in the join file opens the store once set up, and a wrong passphrase is refused.
    text = (school4.dirs["teacher"] / "join.json").read_text()
    assert "device_wrap" not in text
    with pytest.raises(UnlockError):
        sign_in(school4.dirs["teacher2"], "dsl", "not the passphrase", clock=school4.clock)


def test_a_concern_recorded_offline_reaches_every_dsl_pc_once(school4: HubSchool) -> None:
    hub = school4.hub
    with school4.open("teacher") as teacher:
        concern = record(teacher, "Arrived hungry again, no breakfast")
        assert delivery_state(teacher, concern).state == "waiting"
    hub.stop()  # the network is down: the concern waits, safe in the encrypted store
    try:
        report = school4.sync("teacher")
        assert [d.outcome for d in report.sent] == ["waiting"]
    finally:
        hub.start(port=hub.port)
    school4.clock.advance(60)
    report = school4.sync("teacher")
    assert [d.outcome for d in report.sent] == ["receipted"]
    with school4.open("teacher") as teacher:
        state = delivery_state(teacher, concern)
        assert state.state == "delivered" and state.delivered_at is not None
        assert state.text.startswith("delivered to DSL team at ")

    for pc in ("dsl", "deputy", "dsl", "deputy"):  # twice: applying again changes nothing
        school4.sync(pc)
    for pc in ("dsl", "deputy"):
        with school4.open(pc) as dsl:
            assert get_concern(dsl, concern).latest.fields.summary.startswith("Arrived hungry")
            assert dsl.conn.execute("SELECT count(*) FROM records WHERE id = ?", (concern,)
                                    ).fetchone()[0] == 1
            applied = dsl.conn.execute("SELECT count(*) FROM audit WHERE action = 'sync' AND "
                                       "object_id IN (SELECT envelope_id FROM inbox_applied)"
                                       ).fetchone()[0]
            assert applied >= 1
    # The other teacher's PC never receives it; the teacher cannot read others' concerns.
    school4.sync("teacher2")
    assert concern not in records_on(school4, "teacher2")
    with school4.open("teacher2", "teacher2") as other, pytest.raises(AccessDenied):
        get_concern(other, concern)  # not even its id is on that PC: refused as another's


def test_dsl_pcs_acting_apart_converge_and_keep_both_amendments(school4: HubSchool) -> None:
    with school4.open("teacher") as teacher:
        concern = record(teacher, "Bruise on the left arm, said she fell")
    for pc in ("teacher", "dsl", "deputy"):
        school4.sync(pc)
    # Apart: each DSL PC amends the same concern and adds its own entries.
    with school4.open("dsl") as dsl:
        amend_concern(dsl, concern, "spelling", text="Bruise on the left forearm, said she fell")
        set_status(dsl, concern, "acknowledged")
        add_entry(dsl, [child_by_upn(dsl, UPN).id], "contact", "Phoned mother",
                  dsl.clock.now() - timedelta(minutes=30))
    school4.clock.advance(5)
    with school4.open("deputy") as deputy:
        amend_concern(deputy, concern, "detail", text="Bruise on the left arm, about 3 cm")
        add_entry(deputy, [child_by_upn(deputy, UPN).id], "meeting", "Met the class teacher",
                  deputy.clock.now() - timedelta(minutes=45))
    for pc in ("dsl", "deputy", "dsl", "deputy"):
        school4.sync(pc)
    assert chronology_of(school4, "dsl") == chronology_of(school4, "deputy")
    # the concern, two entries and the DSL's "Acknowledged", on both PCs
    assert len(chronology_of(school4, "dsl")) == 4
    assert "Acknowledged" in [summary for _, _, summary in chronology_of(school4, "deputy")]
    for pc in ("dsl", "deputy"):
        with school4.open(pc) as session:
            versions = history(session.conn, concern)
            assert [v.version for v in versions] == [1, 2, 2]  # both amendments kept
    with school4.open("dsl") as dsl, school4.open("deputy") as deputy:
        assert get_concern(dsl, concern).latest.id == get_concern(deputy, concern).latest.id
        assert get_concern(deputy, concern).status == "acknowledged"
    # The teacher's PC holds the teacher's own concern only: no entries, no DSL amendments.
    with school4.open("teacher") as teacher:
        assert teacher.conn.execute("SELECT count(*) FROM records").fetchone()[0] == 1
        assert teacher.conn.execute("SELECT count(*) FROM record_versions").fetchone()[0] == 1


def test_a_dsl_pc_added_later_receives_the_full_history(school4: HubSchool) -> None:
    with school4.open("dsl") as dsl:
        add_entry(dsl, [child_by_upn(dsl, UPN).id], "note", "Chronology started",
                  dsl.clock.now() - timedelta(days=3))
    with school4.open("teacher") as teacher:
        record(teacher, "Said nobody was home last night")
    for pc in ("teacher", "dsl", "deputy"):
        school4.sync(pc)
    school4.join("dsl2", "dsl")
    school4.sync("dsl2", "deputy")  # dsl2 is used by the deputy
    with school4.open("dsl2", "deputy") as late, school4.open("dsl") as dsl:
        child_late, child_dsl = child_by_upn(late, UPN), child_by_upn(dsl, UPN)
        assert [(i.record_id, i.version_id) for i in chronology(late, child_late.id)] == \
            [(i.record_id, i.version_id) for i in chronology(dsl, child_dsl.id)]
        assert len(chronology(late, child_late.id)) == 2


def test_first_sign_in_on_a_joined_pc_needs_the_right_passphrase(school4: HubSchool) -> None:
    directory = school4.dirs["teacher"]
    with pytest.raises(UnlockError, match="wrong"):
        sign_in(directory, "deputy", "a wrong passphrase here", clock=school4.clock)
    with sign_in(directory, "deputy", STAFF_PASS, clock=school4.clock) as session:
        assert session.user.username == "deputy"
    keys = (directory / "keys.json").read_text()
    assert '"deputy"' in keys


def release_with_an_office_pc(school4: HubSchool, concern: str) -> tuple[str, str]:
    """An office PC joins; a teacher's concern reaches the DSL, who refers the child and
    releases the pack: (referral id, pack id), nothing synced after the release."""
    from app.domain.referrals import approve_referral, create_referral
    from app.pack.assembly import release_referral
    from tests.frontdoor.test_school_delivery import READY

    school4.join("office", "office")
    with school4.open("teacher") as teacher:
        record(teacher, concern)
    for pc in ("teacher", "dsl"):
        school4.sync(pc)
    with school4.open("dsl") as dsl:
        referral = create_referral(dsl, child_by_upn(dsl, UPN).id, READY)
        approve_referral(dsl, referral.id)
        return referral.id, release_referral(dsl, referral.id)


def test_released_packs_reach_the_office_pc_and_nothing_else_does(school4: HubSchool) -> None:
    from app.pack.assembly import released_pack_pdf, released_packs

    referral_id, pack_id = release_with_an_office_pc(school4,
                                                     "Told a friend she is scared to go home")
    with school4.open("dsl") as dsl:
        released = released_pack_pdf(dsl, pack_id, "view")
    for pc in ("dsl", "deputy"):
        school4.sync(pc)
    school4.sync("office", "office")
    with school4.open("office", "office") as office:
        queue = released_packs(office)
        assert [p.id for p in queue] == [pack_id]
        assert released_pack_pdf(office, pack_id) == released
        assert office.conn.execute("SELECT count(*) FROM records").fetchone()[0] == 0
        assert office.conn.execute("SELECT count(*) FROM children").fetchone()[0] == 1
    with school4.open("deputy") as deputy:  # the DSL team sees the referral's state
        from app.domain.referrals import get_referral

        assert get_referral(deputy, referral_id).status == "released"


def test_accounts_added_or_removed_later_reach_the_joined_pcs(school4: HubSchool) -> None:
    from app.store.keys import TEST_KDF
    from app.store.users import add_user, remove_user

    with school4.main.open("admin") as admin:
        add_user(admin, "newdsl", "Nia Newlead", "dsl", STAFF_PASS, kdf=TEST_KDF)
        remove_user(admin, "teacher2")
    school4.sync("dsl", "admin")
    school4.sync("deputy")
    school4.sync("teacher2", "teacher")
    with school4.open("deputy", "newdsl") as newcomer:
        assert newcomer.user.display_name == "Nia Newlead"
    with pytest.raises(UnlockError):
        sign_in(school4.dirs["teacher2"], "teacher2", STAFF_PASS, clock=school4.clock)
