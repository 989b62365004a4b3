"""A child's profile travels between a school's DSL PCs through the hub: both PCs read the same
profile after edits on each, nothing applies twice, and no staff PC receives it."""

from __future__ import annotations

from app.domain.pupils import child_by_upn
from app.profile.model import Contact, Phone
from app.profile.profiles import profile, profile_history, put_item, set_fact
from tests.hub.conftest import HubSchool

UPN = "B801200005001"


def test_a_profile_edited_on_two_dsl_pcs_converges_and_stays_with_the_dsl_team(
        school4: HubSchool) -> None:
    with school4.open("dsl") as dsl:
        child = child_by_upn(dsl, UPN).id
        put_item(dsl, child, "contact", Contact("Marta Example", "Mother", True, True,
                                                (Phone("07700 900456", "mobile"),)))
        set_fact(dsl, child, "gp", "Dr Q Example, Larkspur Surgery")
    school4.clock.advance(5)
    with school4.open("deputy") as deputy:  # apart from the DSL PC: its own edit
        set_fact(deputy, child_by_upn(deputy, UPN).id, "religion", "Quaker")
    for pc in ("dsl", "deputy", "dsl", "deputy"):  # twice: applying again changes nothing
        school4.sync(pc)
    seen = []
    for pc in ("dsl", "deputy"):
        with school4.open(pc) as session:
            known = profile(session, child, audit=False)
            assert known.facts.gp == "Dr Q Example, Larkspur Surgery"
            assert known.facts.religion == "Quaker"
            assert [c.name for _, c in known.contacts] == ["Marta Example"]
            seen.append([(h.kind, h.key, h.value) for h in profile_history(session, child)])
    assert seen[0] == seen[1] and len(seen[0]) == 3
    school4.sync("teacher")
    with school4.open("teacher") as teacher:
        assert teacher.conn.execute("SELECT count(*) FROM profile_items").fetchone()[0] == 0
