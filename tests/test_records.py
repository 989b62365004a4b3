"""Concerns, amendments, triage, chronology order and search, on a real store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.domain.chronology import add_entry, chronology, record_history
from app.domain.concerns import (
    ConcernDraft,
    amend_concern,
    concern_history,
    get_concern,
    inbox,
    my_concerns,
    record_concern,
    set_status,
)
from app.domain.records import BodyMark
from app.domain.search import search
from app.errors import AccessDenied, InputError
from tests.conftest import SmallSchool


def _child(session, upn: str) -> str:  # type: ignore[no-untyped-def]
    return session.conn.execute("SELECT id FROM children WHERE upn = ?", (upn,)).fetchone()[0]


def _record(session, school, text="Came in without a coat again", hours_ago=2,  # type: ignore[no-untyped-def]
            upn="B801200005001", **extra):
    return record_concern(session, ConcernDraft(
        children=[(_child(session, upn), "subject")], categories=["neglect"], text=text,
        occurred_at=school.clock.now() - timedelta(hours=hours_ago), **extra))


def test_a_concern_keeps_every_field_and_starts_new(school: SmallSchool) -> None:
    with school.open("teacher") as teacher:
        view = _record(teacher, school, child_words="I don't have a coat, miss",
                       action_taken="Gave a spare coat", location="Playground",
                       body_marks=(BodyMark("front", 0.4, 0.3, "bruise on arm"),))
    with school.open("dsl") as dsl:
        seen = get_concern(dsl, view.id)
    assert seen.status == "new" and seen.reporter == "Terry Teach"
    assert seen.latest.fields.child_words == "I don't have a coat, miss"
    assert seen.latest.fields.body_marks[0].note == "bruise on arm"
    assert seen.latest.fields.categories == ("neglect",)


@pytest.mark.parametrize(("change", "field"), [
    ({"text": "   "}, "text"),
    ({"categories": []}, "category"),
    ({"categories": ["neglect", "physical-abuse", "online-safety", "self-harm"]}, "category"),
    ({"categories": ["no such thing"]}, "category"),
    ({"hours_ago": -2}, "occurred"),
])
def test_bad_concerns_are_refused_naming_the_field_and_nothing_is_saved(
        school: SmallSchool, change: dict, field: str) -> None:  # type: ignore[type-arg]
    with school.open("teacher") as teacher:
        draft = {"children": [(_child(teacher, "B801200005001"), "subject")],
                 "categories": change.get("categories", ["neglect"]),
                 "text": change.get("text", "A real account"),
                 "occurred_at": school.clock.now() - timedelta(hours=change.get("hours_ago", 1))}
        with pytest.raises(InputError) as error:
            record_concern(teacher, ConcernDraft(**draft))
        assert error.value.field == field
        assert teacher.conn.execute("SELECT count(*) FROM records").fetchone()[0] == 0


def test_amendment_keeps_the_original_and_shows_the_latest(school: SmallSchool) -> None:
    with school.open("teacher") as teacher:
        view = _record(teacher, school, text="Bruise on left arm")
        amend_concern(teacher, view.id, "wrong arm", text="Bruise on right arm")
        versions = concern_history(teacher, view.id)
    assert [v.fields.summary for v in versions] == ["Bruise on left arm", "Bruise on right arm"]
    assert versions[1].reason == "wrong arm" and versions[1].supersedes == versions[0].id
    with school.open("dsl") as dsl:
        item = chronology(dsl, _child(dsl, "B801200005001"))[0]
    assert item.summary == "Bruise on right arm" and item.amended


def test_amending_needs_a_reason_and_a_change(school: SmallSchool) -> None:
    with school.open("teacher") as teacher:
        view = _record(teacher, school)
        with pytest.raises(InputError, match="reason"):
            amend_concern(teacher, view.id, "  ", text="Something else")
        with pytest.raises(InputError, match="changes nothing"):
            amend_concern(teacher, view.id, "typo", text=view.latest.fields.summary)


def test_staff_see_and_amend_only_their_own(school: SmallSchool) -> None:
    with school.open("teacher") as teacher:
        view = _record(teacher, school)
    with school.open("teacher2") as other:
        with pytest.raises(AccessDenied):
            get_concern(other, view.id)
        with pytest.raises(AccessDenied):
            amend_concern(other, view.id, "mine now", text="changed")
        assert my_concerns(other) == []
        assert search(other, "coat") == []
    with school.open("teacher") as teacher:
        assert [c.id for c in my_concerns(teacher)] == [view.id]
        assert [h.record_id for h in search(teacher, "coat")] == [view.id]


def test_chronology_orders_by_when_it_happened_even_when_written_late(
        school: SmallSchool) -> None:
    with school.open("teacher") as teacher:
        _record(teacher, school, text="Tuesday's concern", hours_ago=24)
    school.clock.advance(3600)
    with school.open("teacher2") as teacher2:
        _record(teacher2, school, text="Monday's concern, written up late", hours_ago=49)
    with school.open("dsl") as dsl:
        child = _child(dsl, "B801200005001")
        add_entry(dsl, [child], "contact", "Phoned parent", school.clock.now()
                  - timedelta(hours=1), significant=True)
        items = chronology(dsl, child)
        assert [i.summary for i in items] == ["Monday's concern, written up late",
                                              "Tuesday's concern", "Phoned parent"]
        assert items[0].recorded_late and not items[1].recorded_late
        assert [i.summary for i in chronology(dsl, child, significant_only=True)] == [
            "Phoned parent"]


def test_child_on_child_incident_is_recorded_once_with_each_childs_role(
        school: SmallSchool) -> None:
    with school.open("teacher") as teacher:
        harmed, other = _child(teacher, "B801200005001"), _child(teacher, "U801200005004")
        record_concern(teacher, ConcernDraft(
            children=[(harmed, "harmed"), (other, "harmed others")],
            categories=["child-on-child"], text="Pushed over at lunch",
            occurred_at=school.clock.now() - timedelta(hours=1)))
    with school.open("dsl") as dsl:
        assert chronology(dsl, harmed)[0].child_role == "harmed"
        assert chronology(dsl, other)[0].child_role == "harmed others"


def test_triage_moves_forward_and_closing_needs_an_outcome(school: SmallSchool) -> None:
    with school.open("teacher") as teacher:
        view = _record(teacher, school)
    with school.open("dsl") as dsl:
        assert [c.id for c in inbox(dsl)] == [view.id]
        set_status(dsl, view.id, "acknowledged")
        with pytest.raises(InputError, match="outcome"):
            set_status(dsl, view.id, "closed")
        set_status(dsl, view.id, "closed", "Early help offered and accepted")
        with pytest.raises(InputError, match="cannot become"):
            set_status(dsl, view.id, "actioned")
        assert inbox(dsl) == []
        assert get_concern(dsl, view.id).status == "closed"
    with school.open("teacher") as teacher:
        assert my_concerns(teacher)[0].status == "closed"


def test_search_finds_words_with_or_without_accents_and_survives_fts_syntax(
        school: SmallSchool) -> None:
    with school.open("teacher") as teacher:
        view = _record(teacher, school, text="Said her café job keeps her out late")
    with school.open("dsl") as dsl:
        assert [h.record_id for h in search(dsl, "cafe")] == [view.id]
        assert [h.record_id for h in search(dsl, 'CAFÉ" late*')] == [view.id]
        assert search(dsl, 'caf" OR NEAR(') == []  # FTS5 syntax is just words here
        with pytest.raises(InputError):
            search(dsl, '"*')


def test_entry_history_is_kept(school: SmallSchool) -> None:
    from app.domain.chronology import amend_entry

    with school.open("dsl") as dsl:
        child = _child(dsl, "B801200005001")
        entry = add_entry(dsl, [child], "meeting", "Strategy meeting held",
                          school.clock.now() - timedelta(hours=3))
        amend_entry(dsl, entry.record_id, "add attendees", summary="Strategy meeting held "
                    "with police and social care")
        assert len(record_history(dsl, entry.record_id)) == 2


def test_a_very_common_word_ranks_only_the_newest_matches_and_says_so(
        school: SmallSchool, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.domain.search
    from app.domain.search import search_child

    monkeypatch.setattr(app.domain.search, "RANK_WINDOW", 3)  # 2,000 in the product
    with school.open("teacher") as teacher:
        oldest = _record(teacher, school, "Lunchbox empty again, said lunchbox was lost",
                         hours_ago=50)
        for hours in (40, 30, 20, 10):
            _record(teacher, school, "Lunchbox empty again", hours_ago=hours)
            school.clock.advance(1)
        plural = _record(teacher, school, "Two lunchboxes in the bag, both empty", hours_ago=5)
    with school.open("dsl") as dsl:
        hits = [h.record_id for h in search(dsl, "lunchbox")]
        # "lunchbox" itself matches more than the window: the newest three, whole words only.
        assert search(dsl, "lunchbox").newest_only and len(hits) == 3
        assert oldest.id not in hits and plural.id not in hits
        # Part of a word still finds every form, the newest three of them.
        part = search(dsl, "lunchb")
        assert part.newest_only and plural.id in [h.record_id for h in part]
        # More words narrow the search below the window: every match is ranked again.
        narrow = search(dsl, "lunchbox lost")
        assert not narrow.newest_only and [h.record_id for h in narrow] == [oldest.id]
        # The child page's filter finds every one of the child's entries, however old.
        child = _child(dsl, "B801200005001")
        assert oldest.id in search_child(dsl, child, "lunchbox")
        assert len(search_child(dsl, child, "lunchbox")) == 6
    with school.open("teacher") as teacher:  # staff search only their own: never windowed
        mine = search(teacher, "lunchbox")
        assert not mine.newest_only and len(mine) == 6


def test_a_refused_lookup_audits_the_id_asked_for_and_never_other_words(
        school: SmallSchool) -> None:
    """The school store's trail is readable by every account: a name typed where an id goes
    must not land there."""
    from app.domain.records import resolve_for
    from app.store.audit import events

    with school.open("teacher") as teacher:
        for asked in ("Quillon Ada", "9f1c2d3e-0000-4000-8000-00000000abcd"):
            with pytest.raises(AccessDenied):
                resolve_for(teacher, asked)
        denied = [e.object_id for e in events(teacher.conn) if e.detail.get("denied")]
    assert {"(not an id)", "9f1c2d3e-0000-4000-8000-00000000abcd"} <= set(denied)
    assert not any("quillon" in (d or "") for d in denied)
