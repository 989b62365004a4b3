"""The office's "printed" mark travels back to the DSL team: every DSL PC shows who printed the
released pack and when."""

from __future__ import annotations

from app.domain.referrals import get_referral
from app.pack.assembly import mark_printed, printed_marks, released_packs
from tests.hub.conftest import HubSchool
from tests.hub.test_hub_sync import release_with_an_office_pc


def test_the_office_printed_mark_reaches_every_dsl_pc(school4: HubSchool) -> None:
    referral_id, pack_id = release_with_an_office_pc(school4, "Said she was left alone overnight")
    school4.sync("dsl")
    school4.sync("deputy")
    with school4.open("deputy") as deputy:
        assert printed_marks(deputy, referral_id) == []  # released, not printed yet

    school4.sync("office", "office")
    school4.clock.advance(90)
    with school4.open("office", "office") as office:
        mark_printed(office, pack_id)
        [mine] = printed_marks(office, referral_id)
    report = school4.sync("office", "office")
    assert report.sent and {d.outcome for d in report.sent} == {"receipted"}

    for pc in ("dsl", "deputy", "dsl", "deputy"):  # twice: the mark is there once
        school4.sync(pc)
    for pc in ("dsl", "deputy"):
        with school4.open(pc) as dsl:
            [mark] = printed_marks(dsl, referral_id)
            assert mark == mine
            assert mark.pack_id == pack_id
            assert mark.printed_by == "Olly Office"
            assert mark.text.startswith("printed by Olly Office at ")
            # A printed mark is an event, not a state: the referral stays released.
            assert get_referral(dsl, referral_id).status == "released"
    with school4.open("dsl") as dsl:  # the PC that released it sees the pack as printed
        assert [(p.id, p.printed) for p in released_packs(dsl)] == [(pack_id, True)]
    with school4.open("teacher") as teacher:  # nothing of it reaches a teacher's PC
        assert teacher.conn.execute("SELECT count(*) FROM referrals").fetchone()[0] == 0
