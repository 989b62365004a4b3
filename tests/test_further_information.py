"""Further information: a new concern linked to the one it adds to (never an edit), added by
its author or the DSL team only, seen as new in the inbox and labelled in the chronology."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.domain.chronology import chronology
from app.domain.concerns import (
    ConcernDraft,
    add_further_information,
    get_concern,
    inbox,
    my_concerns,
    record_concern,
    set_status,
)
from app.domain.pupils import list_pupils
from app.domain.records import history
from app.errors import AccessDenied, InputError, NotFound
from app.store.session import Session
from tests.conftest import SmallSchool


def record(session: Session, text: str = "Bruise on the left arm, said she fell") -> str:
    child = list_pupils(session)[0]
    return record_concern(session, ConcernDraft(
        children=[(child.id, "subject")], categories=["physical-abuse"], text=text,
        occurred_at=session.clock.now() - timedelta(hours=2))).id


def test_the_author_adds_further_information_as_a_new_linked_concern(
        school: SmallSchool) -> None:
    with school.open("teacher") as teacher:
        first = record(teacher)
        before = history(teacher.conn, first)
        school.clock.advance(3600)
        added = add_further_information(teacher, first, "  She said her brother did it.  ",
                                        child_words="He hit me")
        assert added.id != first
        assert added.further_to == first
        assert added.further_to_recorded == get_concern(teacher, first).recorded_at
        assert added.latest.fields.summary == "She said her brother did it."
        assert added.latest.fields.categories == ("physical-abuse",)
        assert [c.id for c, _ in added.children] == \
            [c.id for c, _ in get_concern(teacher, first).children]
        assert history(teacher.conn, first) == before  # the first concern is not touched
        assert [v.id for v in my_concerns(teacher)][:2] == [added.id, first]
        # Further information to further information is linked to the first concern.
        again = add_further_information(teacher, added.id, "And again at home time.")
        assert again.further_to == first
    with school.open("dsl") as dsl:
        set_status(dsl, first, "acknowledged")
        views = {v.id: v for v in inbox(dsl)}
        assert views[added.id].status == "new" and views[first].status == "acknowledged"
        child = added.children[0][0]
        items = {i.record_id: i for i in chronology(dsl, child.id)}
        assert items[added.id].further_to_recorded == views[first].recorded_at
        assert items[first].further_to_recorded is None
        # The DSL team may add further information to anyone's concern.
        assert add_further_information(dsl, first, "Mum rang the office.").further_to == first


def test_only_the_author_or_the_dsl_team_may_add_further_information(
        school: SmallSchool) -> None:
    with school.open("teacher") as teacher:
        first = record(teacher)
    with school.open("dsl") as dsl:
        from app.domain.chronology import add_entry

        child = list_pupils(dsl)[0]
        entry = add_entry(dsl, [child.id], "note", "A phone call",
                          dsl.clock.now()).record_id
    with school.open("teacher2") as other:
        with pytest.raises(AccessDenied):
            add_further_information(other, first, "Not mine to add to")
        assert other.conn.execute("SELECT count(*) FROM record_links").fetchone()[0] == 0
    with school.open("office") as office, pytest.raises(AccessDenied):
        add_further_information(office, first, "Office may not")
    with school.open("admin") as admin, pytest.raises(AccessDenied):
        add_further_information(admin, first, "Admin may not")
    with school.open("teacher") as teacher:
        with pytest.raises(InputError, match="text"):
            add_further_information(teacher, first, "   ")
        with pytest.raises(InputError, match="occurred"):
            add_further_information(teacher, first, "Later", occurred_at=teacher.clock.now()
                                    + timedelta(days=1))
        # Without the DSL store, an id this account cannot see is refused like another's
        # (docs/keys.md): it never learns whether such a concern exists.
        with pytest.raises(AccessDenied):
            add_further_information(teacher, "no-such-concern", "Anything")
        with pytest.raises(InputError):
            add_further_information(teacher, first, "x" * 20_001)
    with school.open("dsl") as dsl, pytest.raises(NotFound):
        add_further_information(dsl, entry, "An entry is not a concern")


def test_school_search_lists_a_row_per_child_for_the_dsl_team_only(school: SmallSchool) -> None:
    from app.domain.school_search import school_search

    with school.open("teacher") as teacher:
        first = record(teacher, "Mentioned a trampoline accident")
        added = add_further_information(teacher, first, "The trampoline is at her aunt's")
    with school.open("dsl") as dsl:
        found = school_search(dsl, "trampoline")
        assert {r.record_id for r in found.rows} == {first, added.id}
        assert all(r.kind == "concern" and r.child_name for r in found.rows)
        assert [r.further_information for r in found.rows if r.record_id == added.id] == [True]
        assert not found.newest_only
        with pytest.raises(InputError, match="query"):
            school_search(dsl, " ?! ")
    for name in ("teacher", "office", "admin"):
        with school.open(name) as other, pytest.raises(AccessDenied):
            school_search(other, "trampoline")
