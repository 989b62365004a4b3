"""The KCSIE deadline for a leaver's CP file, counted in school days (app/domain/schooldays.py):
pure tests over explicit dates, a half-term and bank holidays included."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.schooldays import Calendar, bank_holidays, cp_file_due, parse_term_dates, urgency
from app.errors import InputError

# A typical English school year, 2026-27, as an admin would type it.
TERMS_TEXT = """
# Autumn
2026-09-03 to 2026-10-23
02/11/2026 - 18/12/2026
closed 2026-11-27   # training day
2027-01-05 to 2027-02-12
2027-02-22 to 2027-03-25
2027-04-12 to 2027-05-28
2027-06-07 to 2027-07-21
"""


@pytest.fixture
def school() -> Calendar:
    terms, closed = parse_term_dates(TERMS_TEXT)
    return Calendar.england(terms, closed)


def test_the_shipped_bank_holidays_cover_2024_to_2030_with_substitute_days() -> None:
    days = bank_holidays()
    assert {d.year for d in days} == set(range(2024, 2031))
    assert all(sum(d.year == y for d in days) == 8 for y in range(2024, 2031))
    assert date(2026, 12, 28) in days  # Boxing Day 2026 is a Saturday: Monday instead
    assert date(2027, 3, 26) in days and date(2027, 5, 3) in days


def test_an_in_year_move_counts_five_school_days_over_the_half_term(school: Calendar) -> None:
    # Left Wednesday 21 Oct: Thu, Fri, then half-term week, then Mon, Tue, Wed.
    due = cp_file_due(school, date(2026, 10, 21))
    assert due.day == date(2026, 11, 4)
    assert not due.new_term and not due.assumed
    assert "in-year" in due.rule


def test_an_in_year_move_skips_a_bank_holiday(school: Calendar) -> None:
    # Left Thursday 29 Apr 2027: Fri 30, (Mon 3 May bank holiday), Tue 4 ... Fri 7.
    assert cp_file_due(school, date(2027, 4, 29)).day == date(2027, 5, 7)


def test_a_training_day_is_not_a_school_day(school: Calendar) -> None:
    # Left Tuesday 24 Nov: Wed, Thu, (Fri 27 closed), Mon, Tue, Wed.
    assert cp_file_due(school, date(2026, 11, 24)).day == date(2026, 12, 2)


def test_leaving_on_the_last_day_of_a_term_gives_the_first_five_days_of_the_next(
        school: Calendar) -> None:
    due = cp_file_due(school, date(2026, 10, 23))  # the Friday before half-term
    assert due.day == date(2026, 11, 6) and due.new_term
    assert "new term" in due.rule
    # At Christmas: the spring term starts Tuesday 5 Jan; its fifth day is Monday 11 Jan.
    assert cp_file_due(school, date(2026, 12, 18)).day == date(2027, 1, 11)


def test_leaving_in_a_holiday_counts_from_the_new_term(school: Calendar) -> None:
    # Left in the Easter holiday (Good Friday and Easter Monday inside it).
    due = cp_file_due(school, date(2027, 3, 30))
    assert due.day == date(2027, 4, 16) and due.new_term


def test_without_term_dates_weekdays_less_bank_holidays_count_and_it_says_so() -> None:
    # Left Christmas Eve 2026: Fri 25 and Mon 28 Dec and Fri 1 Jan are bank holidays.
    due = cp_file_due(Calendar.england(), date(2026, 12, 24))
    assert due.day == date(2027, 1, 5) and due.assumed and not due.new_term


def test_the_deadline_turns_amber_then_red_and_says_so_in_words(school: Calendar) -> None:
    due = date(2026, 11, 4)
    calm = urgency(school, due, date(2026, 10, 29))  # in the half-term: 3 school days to go
    assert (calm.level, calm.words) == ("ok", "3 school days left")
    assert urgency(school, due, date(2026, 11, 2)).words == "2 school days left"
    assert urgency(school, due, date(2026, 11, 2)).level == "amber"
    assert (urgency(school, due, due).level, urgency(school, due, due).words) == (
        "amber", "Due today")
    late = urgency(school, due, date(2026, 11, 9))
    assert late.level == "red"
    assert late.words == "Overdue by 3 school days (was due 04 Nov 2026)"


@pytest.mark.parametrize(("text", "says"), [
    ("2026-09-03 until", "line 1: write a term as"),
    ("2026-10-23 to 2026-09-03", "line 1: the term ends before it starts"),
    ("2026-02-30 to 2026-03-03", "line 1: that is not a real date"),
    ("2026-09-03 to 2026-10-23\n2026-10-20 to 2026-12-18", "overlap"),
])
def test_bad_term_dates_are_refused_naming_the_line(text: str, says: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_term_dates(text)
    assert says in str(caught.value)
