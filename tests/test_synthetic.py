"""The synthetic school: reproducible from a seed, every identifier valid and fictitious, ages
matching year groups, concerns and entries that make sense in time and in who is involved."""

from __future__ import annotations

import inspect
import random
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.demo.roll import YEAR_GROUPS, drama_phone
from app.demo.synthetic import (
    ENTRY_KINDS,
    ROLE_HARMED,
    ROLE_HARMED_OTHERS,
    ROLE_SUBJECT,
    ROLE_WITNESS,
    SyntheticSchool,
    academic_year_start,
)
from app.domain.categories import MAX_CATEGORIES, load_categories
from app.domain.roster_csv import parse_roster, write_canonical_csv
from app.identifiers import check_nhs_number, check_upn, is_temporary_upn, is_test_nhs_number
from app.uktime import london_to_utc

TODAY = date(2026, 11, 23)
START, END = date(2023, 9, 1), TODAY
END_AT = datetime(END.year, END.month, END.day, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def school() -> SyntheticSchool:
    return SyntheticSchool(1234, today=TODAY)


@pytest.fixture(scope="module")
def pupils(school):
    return school.pupils(1500)


@pytest.fixture(scope="module")
def concerns(school, pupils):
    return school.concerns(pupils, start=START, end=END, count=4000)


@pytest.fixture(scope="module")
def entries(school, pupils, concerns):
    return school.entries(concerns, pupils, end=END)


# --- determinism -------------------------------------------------------------------------------


def test_same_seed_same_school_whatever_the_call_order(school, pupils, concerns, entries):
    again = SyntheticSchool(1234, today=TODAY)
    staff = again.staff()  # a different call order must not matter
    concerns_first = again.concerns(again.pupils(1500), start=START, end=END, count=4000)
    assert again.pupils(1500) == pupils
    assert concerns_first == concerns
    assert again.entries(concerns_first, pupils, end=END) == entries
    assert staff == school.staff()
    assert (again.school_name(), again.la_code, again.establishment) == (
        school.school_name(), school.la_code, school.establishment)  # fmt: skip
    assert again.school_address() == school.school_address()


def test_another_seed_another_school(pupils):
    other = SyntheticSchool(1235, today=TODAY)
    assert other.pupils(1500) != pupils


def test_the_roll_moves_on_only_with_the_academic_year(pupils):
    assert SyntheticSchool(1234, today=date(2027, 8, 31)).pupils(1500) == pupils
    assert SyntheticSchool(1234, today=date(2027, 9, 1)).pupils(1500) != pupils


def test_generators_are_lazy(school, pupils):
    made = school.iter_concerns(pupils, start=START, end=END, count=100_000)
    assert inspect.isgenerator(made)
    first = next(made)
    assert first.children and first.categories


# --- pupils ------------------------------------------------------------------------------------


def test_every_upn_valid_unique_and_from_a_fictitious_la(school, pupils):
    upns = [p.upn for p in pupils]
    assert len(set(upns)) == len(upns) == 1500
    assert all(check_upn(u) == u for u in upns)
    assert all(960 <= int(u[1:4]) <= 989 for u in upns)  # no LA uses 960–989
    assert all(int(u[1:4]) == school.la_code for u in upns)
    assert any(is_temporary_upn(u) for u in upns)  # a few new arrivals


def test_nhs_numbers_valid_unique_from_the_test_range_for_about_30_percent(pupils):
    numbers = [p.nhs_number for p in pupils if p.nhs_number]
    assert 0.25 <= len(numbers) / len(pupils) <= 0.35
    assert len(set(numbers)) == len(numbers)
    assert all(check_nhs_number(n) == n and is_test_nhs_number(n) for n in numbers)


def _year_group_for(born: date, today: date) -> str:
    offset = academic_year_start(today) - 5 - academic_year_start(born)
    return {k: code for code, k, _ in YEAR_GROUPS}[offset]


def test_birth_dates_match_year_groups(pupils):
    assert all(_year_group_for(p.date_of_birth, TODAY) == p.year_group for p in pupils)


def test_every_year_group_present_with_a_sensible_spread(pupils):
    sizes = Counter(p.year_group for p in pupils)
    assert set(sizes) == {code for code, _, _ in YEAR_GROUPS}
    assert sizes["N1"] < sizes["R"] <= sizes["Y7"]  # small nursery, bigger secondary intake
    assert sizes["Y13"] < sizes["Y11"]  # smaller sixth form
    assert sum(sizes.values()) == 1500


@pytest.mark.parametrize("n", [0, 1, 2, 17])
def test_small_rolls(n):
    made = SyntheticSchool(5, today=TODAY).pupils(n)
    assert len(made) == n and len({p.upn for p in made}) == n


def _script(name: str, low: int, high: int) -> bool:
    return any(low <= ord(ch) <= high for ch in name)


def test_names_are_varied_like_an_english_school(pupils):
    names = [(p.legal_forename, p.legal_surname, p.preferred_forename or "") for p in pupils]
    everything = [part for triple in names for part in triple]
    assert any(_script(n, 0x0400, 0x04FF) for n in everything)  # Cyrillic
    assert any(_script(n, 0x0370, 0x03FF) for n in everything)  # Greek
    assert any(_script(n, 0x0600, 0x06FF) for n in everything)  # Arabic script
    assert any(_script(n, 0x00C0, 0x024F) or _script(n, 0x1E00, 0x1EFF) for n in everything)
    assert any(_script(f + s, 0x0370, 0x06FF) for f, s, _ in names)  # a few legal names too
    assert sum("-" in s for _, s, _ in names) >= 10  # hyphenated surnames
    preferred = [p for p in pupils if p.preferred_forename]
    assert 0.05 <= len(preferred) / len(pupils) <= 0.3
    assert all(p.preferred_forename != p.legal_forename for p in preferred)
    surnames = Counter(p.legal_surname for p in pupils)
    assert len(surnames) > 200 and surnames.most_common(1)[0][1] < 60


def test_gendered_surnames_follow_the_child(pupils):
    for p in pupils:
        if p.legal_surname.endswith(("ska", "ova")):
            assert p.gender == "F"
        if p.legal_surname.endswith(("ski", "ov")):
            assert p.gender == "M"


def test_siblings_share_a_surname_and_are_mostly_in_different_years(school, pupils):
    groups = school.siblings(pupils)
    assert len(groups) > 100
    assert all(len({pupils[i].legal_surname.split("|")[0] for i in g}) >= 1 for g in groups)
    same_year = sum(len({pupils[i].year_group for i in g}) < len(g) for g in groups)
    assert same_year < len(groups) * 0.3  # twins happen, but rarely
    for group in groups:  # siblings share a home
        assert len({school.home_address(pupils[i].upn) for i in group}) == 1


def test_generated_roster_round_trips_through_the_importer(pupils):
    rows = parse_roster(write_canonical_csv(pupils), today=TODAY)
    assert [r.line for r in rows] == list(range(2, 1502))
    assert [r.__dict__ | {"line": 0} for r in rows] == [p.__dict__ | {"line": 0} for p in pupils]


# --- staff, addresses, phones ------------------------------------------------------------------


def test_staff_are_exactly_the_demo_accounts(school):
    staff = school.staff()
    assert {s.username: s.roles for s in staff} == {
        "admin": ("admin",), "dsl": ("dsl",), "deputy": ("dsl",),
        "teacher": ("staff",), "teacher2": ("staff",), "office": ("office",),
    }  # fmt: skip
    names = [s.display_name for s in staff]
    assert len(set(names)) == 6 and all(re.fullmatch(r"\S.* \S+", n) for n in names)


def test_addresses_and_phones_are_fictitious(school, pupils):
    assert re.fullmatch(r"\d+ [\w ]+, [\w ]+ ZZ99 9[A-Z]{2}", school.school_address())
    assert re.fullmatch(r"\d+ [\w ]+, [\w ]+ ZZ99 9[A-Z]{2}", school.home_address(pupils[0].upn))
    assert re.fullmatch(r"01632 960\d{3}", school.school_phone())
    rng = random.Random(1)
    assert all(re.fullmatch(r"07700 900\d{3}", drama_phone(rng, mobile=True)) for _ in range(50))
    assert school.school_name().split()[-1] in ("School", "Academy")


# --- concerns ----------------------------------------------------------------------------------


def test_concern_count_and_basic_shape(concerns, pupils):
    codes = {c.code for c in load_categories()}
    assert len(concerns) == 4000
    assert len({c.id for c in concerns}) == 4000
    for c in concerns:
        assert 1 <= len(c.categories) <= MAX_CATEGORIES
        assert len(set(c.categories)) == len(c.categories) and set(c.categories) <= codes
        assert all(0 <= link.index < len(pupils) for link in c.children)
        assert len({link.index for link in c.children}) == len(c.children)
        assert c.reporter in {"teacher", "teacher2", "dsl", "deputy"}
        assert c.text.strip() and c.action_taken.strip() and c.location
        assert "{" not in c.text + c.action_taken + (c.child_words or "")
        if "fgm" in c.categories:
            assert all(pupils[link.index].gender == "F" for link in c.children)


def test_times_are_ordered_and_inside_the_window(concerns):
    start_at = datetime(START.year, START.month, START.day, tzinfo=UTC) - timedelta(hours=1)
    for c in concerns:
        assert c.occurred_at.tzinfo is UTC and c.recorded_at.tzinfo is UTC
        assert start_at <= c.occurred_at <= c.recorded_at < END_AT
    assert [c.recorded_at for c in concerns] == sorted(c.recorded_at for c in concerns)


def test_mostly_school_hours_some_evenings_some_recorded_late(concerns):
    local_hours = [c.occurred_at.astimezone(LONDON).hour for c in concerns]
    in_school = sum(8 <= h < 16 for h in local_hours) / len(concerns)
    assert 0.75 <= in_school <= 0.95
    assert any(h >= 18 for h in local_hours)
    late = [c for c in concerns if c.recorded_at - c.occurred_at >= timedelta(days=1)]
    assert 0.03 <= len(late) / len(concerns) <= 0.15


def test_child_on_child_concerns_give_each_child_its_own_role(concerns):
    incidents = [c for c in concerns if len(c.children) > 1 and "child-on-child" in c.categories]
    assert len(incidents) > 100
    for c in incidents:
        roles = [link.role for link in c.children]
        assert len(set(roles)) == len(roles)
        assert roles[:2] == [ROLE_HARMED, ROLE_HARMED_OTHERS]
        assert set(roles) <= {ROLE_HARMED, ROLE_HARMED_OTHERS, ROLE_WITNESS}
    assert any(len(c.children) == 3 for c in incidents)


def test_sibling_concerns_are_about_siblings(school, pupils, concerns):
    families = [set(g) for g in school.siblings(pupils)]
    about_siblings = [c for c in concerns if len(c.children) > 1 and c.children[0].role ==
                      ROLE_SUBJECT]  # fmt: skip
    assert about_siblings
    for c in about_siblings:
        indexes = {link.index for link in c.children}
        # the family's children who had started at the school by then (two at least)
        assert len(indexes) > 1 and any(indexes <= family for family in families)


def test_single_child_concerns_and_variety(concerns):
    singles = [c for c in concerns if len(c.children) == 1]
    assert len(singles) / len(concerns) > 0.7
    assert all(c.children[0].role == ROLE_SUBJECT for c in singles)
    assert any("\n\n" in c.text for c in concerns)  # some long, multi-paragraph accounts
    words = [c.child_words for c in concerns]
    assert 0.3 < sum(w is None for w in words) / len(words) < 0.6
    assert len(Counter(c.categories[0] for c in concerns)) > 15
    assert Counter(c.categories[0] for c in concerns).most_common(1)[0][0] in (
        "mental-health", "child-on-child", "neglect")  # fmt: skip


def test_a_few_children_attract_most_concerns(concerns):
    per_child = Counter(link.index for c in concerns for link in c.children)
    top = sum(n for _, n in per_child.most_common(150))
    assert top / sum(per_child.values()) > 0.4  # 10% of the roll, well over a third of the links


# --- entries -----------------------------------------------------------------------------------


def test_entries_follow_their_concerns(concerns, entries):
    by_id = {c.id: c for c in concerns}
    assert 0.5 < len(entries) / len(concerns) < 1.2
    for e in entries:
        concern = by_id[e.concern_id]
        assert e.child_index in {link.index for link in concern.children}
        assert concern.occurred_at < e.occurred_at <= e.recorded_at < END_AT
        assert e.kind in ENTRY_KINDS and e.author in {"dsl", "deputy"}
        assert e.summary and "{" not in e.summary
        local = e.occurred_at.astimezone(LONDON)
        assert local.weekday() < 5 and 8 <= local.hour < 18  # the DSL's working day
    assert {e.kind for e in entries} == set(ENTRY_KINDS)
    assert any(e.significant for e in entries) and not all(e.significant for e in entries)


def test_entries_on_one_concern_run_forward_in_time(entries):
    runs: dict[tuple[str, int], list] = {}
    for e in entries:
        runs.setdefault((e.concern_id, e.child_index), []).append(e)
    for run in runs.values():
        times = [e.occurred_at for e in run]
        assert times == sorted(times)


def test_entries_never_put_a_harmed_flag_on_a_witness(concerns, entries):
    by_id = {c.id: c for c in concerns}
    for e in entries:
        role = {link.index: link.role for link in by_id[e.concern_id].children}[e.child_index]
        assert role != ROLE_WITNESS


def test_heavy_child_has_exactly_the_items_asked_for(school, pupils):
    concerns, entries = school.heavy_child(pupils, 42, start=date(2019, 9, 1), end=END, items=500)
    assert len(concerns) + len(entries) == 500
    assert all(c.children == (type(c.children[0])(42, ROLE_SUBJECT),) for c in concerns)
    assert all(e.child_index == 42 for e in entries)
    by_id = {c.id: c for c in concerns}
    for e in entries:
        assert by_id[e.concern_id].occurred_at < e.occurred_at <= e.recorded_at < END_AT
    again = SyntheticSchool(1234, today=TODAY).heavy_child(
        pupils, 42, start=date(2019, 9, 1), end=END, items=500
    )
    assert again == (concerns, entries)


# --- UK time without a tz database --------------------------------------------------------------


def test_london_to_utc_agrees_with_the_tz_database():
    day = date(2019, 1, 1)
    while day < date(2028, 1, 1):
        for minute in (8 * 60 + 30, 12 * 60, 22 * 60 + 29):
            local = datetime(day.year, day.month, day.day, tzinfo=LONDON) + timedelta(
                minutes=minute
            )
            assert london_to_utc(day, minute) == local.astimezone(UTC), (day, minute)
        day += timedelta(days=3)
