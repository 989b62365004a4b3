"""The demo school reads like a real one: concern texts fit the child's age on the day (no maths
test at two, no group chat in nursery) and do not repeat word for word; it stays reproducible."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from app.demo.synthetic import SyntheticSchool
from app.demo.text import age_on, first_name, school_start

TODAY = date(2026, 11, 23)
# Things a nursery or reception child does not have, do or meet.
NOT_UNDER_FIVE = re.compile(
    r"\bmaths\b|\btest\b|homework|planner|group chat|online|\bphone\b|vap(e|ing)|cannabis|"
    r"boyfriend|trainers|lockers|lunch money|form tutor|head of year|form room|registration|"
    r"18-rated|extremist|engagement|banter|lessons?\b|PE\b|bus stop|tablets|inner wrist",
    re.IGNORECASE)
# Only for secondary-age children.
NOT_UNDER_ELEVEN = {"cse", "cce", "radicalisation", "forced-marriage", "self-harm"}


@pytest.fixture(scope="module")
def school() -> tuple[SyntheticSchool, list, list]:
    synth = SyntheticSchool(2026, today=TODAY)
    pupils = synth.pupils(900)
    concerns = synth.concerns(pupils, start=date(2025, 9, 1), end=TODAY, count=900)
    return synth, pupils, concerns


def _age(pupils, concern) -> int:  # type: ignore[no-untyped-def]
    return age_on(pupils[concern.children[0].index].date_of_birth, concern.occurred_at.date())


def _everything(concern) -> str:  # type: ignore[no-untyped-def]
    return " ".join([concern.text, concern.child_words or "", concern.action_taken,
                     concern.location, concern.witnesses or ""])


def test_young_children_get_accounts_of_their_age(school) -> None:  # type: ignore[no-untyped-def]
    _synth, pupils, concerns = school
    young = [c for c in concerns if _age(pupils, c) < 5]
    assert len(young) > 50  # the roll has nursery and reception classes
    wrong = [(_age(pupils, c), m.group(0), c.text[:80]) for c in young
             if (m := NOT_UNDER_FIVE.search(_everything(c)))]
    assert wrong == []
    primary = [c for c in concerns if _age(pupils, c) < 11]
    assert not [c.categories for c in primary if NOT_UNDER_ELEVEN & set(c.categories)]


def test_no_concern_predates_the_child_starting_school(school) -> None:  # type: ignore[no-untyped-def]
    _synth, pupils, concerns = school
    for concern in concerns:
        for link in concern.children:
            assert concern.occurred_at.date() >= school_start(pupils[link.index].date_of_birth)


def test_children_harmed_by_another_child_are_in_the_same_year(school) -> None:  # type: ignore[no-untyped-def]
    _synth, pupils, concerns = school
    pairs = [c for c in concerns if "child-on-child" in c.categories and len(c.children) > 1]
    assert pairs
    assert all(pupils[c.children[0].index].year_group == pupils[c.children[1].index].year_group
               for c in pairs)


def test_concern_texts_do_not_repeat_word_for_word(school) -> None:  # type: ignore[no-untyped-def]
    _synth, pupils, concerns = school
    assert max(Counter(c.text for c in concerns).values()) <= 2

    def without_names(concern) -> str:  # type: ignore[no-untyped-def]
        text = concern.text
        for link in concern.children:
            text = text.replace(first_name(pupils[link.index]), "NAME")
        return text

    # the same account about another child: a handful of times at most in 900
    assert max(Counter(without_names(c) for c in concerns).values()) <= 10


def test_the_demo_stays_reproducible_from_its_seed(school) -> None:  # type: ignore[no-untyped-def]
    *_rest, concerns = school
    again = SyntheticSchool(2026, today=TODAY)
    assert again.concerns(again.pupils(900), start=date(2025, 9, 1), end=TODAY,
                          count=900) == concerns


def test_a_built_demo_store_reads_true(tmp_path: Path) -> None:
    from app.demo.school import build_demo
    from app.domain.concerns import inbox
    from app.store.access import unlock
    from app.store.keys import TEST_KDF

    build_demo(tmp_path / "demo", pupils=150, kdf=TEST_KDF, passphrase="demo")
    with unlock(tmp_path / "demo", "dsl", "demo") as session:
        views = inbox(session, include_closed=True, limit=10_000)
    assert len(views) > 50
    texts = Counter(v.latest.fields.summary for v in views)
    assert max(texts.values()) <= 2
    for view in views:
        child = view.children[0][0]
        age = age_on(child.date_of_birth, view.latest.fields.occurred_at.date())
        if age < 5:
            assert not NOT_UNDER_FIVE.search(view.latest.fields.summary), view.latest.fields.summary
