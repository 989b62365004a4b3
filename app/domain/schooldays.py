"""School days: the school's term dates and closure days, with England and Wales bank holidays
built in, and the KCSIE deadline for sending a leaver's child protection file.

KCSIE: the CP file goes to the new school "within 5 days for an in-year transfer or within the
first 5 days of the start of a new term". Each block of dates the admin enters (a half term)
counts as a term here: a child who leaves on the last day of a block, or in a holiday, has the
file due on the fifth school day of the next block; otherwise on the fifth school day after
the day they left. Pure functions over explicit dates: no store, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import pairwise

from app.errors import InputError
from app.paths import resource_path
from app.wording import date_text, plural

KCSIE_SCHOOL_DAYS = 5
AMBER_AT = 2  # school days left (or fewer) when a deadline turns amber
CHASE_AFTER = 2  # school days without a receipt before the DSL is reminded to chase
BANK_HOLIDAYS_FILE = ("calendar", "bank-holidays-england-and-wales.txt")

_DATE = r"(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{4})"
_RANGE = re.compile(rf"^{_DATE}\s*(?:to|-|–|until)\s*{_DATE}$", re.IGNORECASE)
_SINGLE = re.compile(rf"^(?:closed\s+)?{_DATE}$", re.IGNORECASE)


@cache
def bank_holidays() -> frozenset[date]:
    """The shipped list (resources/calendar/, with its GOV.UK source in its comments)."""
    days = set()
    for line in resource_path(*BANK_HOLIDAYS_FILE).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            days.add(date.fromisoformat(line.split()[0]))
    return frozenset(days)


@dataclass(frozen=True)
class Calendar:
    terms: tuple[tuple[date, date], ...] = ()  # (first day, last day), in order
    closed: frozenset[date] = frozenset()  # training (INSET) days and other closures
    holidays: frozenset[date] = frozenset()

    @classmethod
    def england(cls, terms: tuple[tuple[date, date], ...] = (),
                closed: frozenset[date] = frozenset()) -> Calendar:
        return cls(terms, closed, bank_holidays())

    def _term_of(self, day: date) -> tuple[date, date] | None:
        return next((t for t in self.terms if t[0] <= day <= t[1]), None)

    def knows(self, day: date) -> bool:
        """Whether the term dates cover ``day``; past them, every weekday counts."""
        return bool(self.terms) and self.terms[0][0] <= day <= self.terms[-1][1]

    def is_school_day(self, day: date) -> bool:
        if day.weekday() >= 5 or day in self.holidays or day in self.closed:
            return False
        return not self.knows(day) or self._term_of(day) is not None

    def next_school_day(self, after: date) -> date:
        day = after + timedelta(days=1)
        while not self.is_school_day(day):
            day += timedelta(days=1)
        return day

    def add_school_days(self, start: date, count: int) -> date:
        """The ``count``-th school day after ``start`` (``start`` itself not counted)."""
        day = start
        for _ in range(count):
            day = self.next_school_day(day)
        return day

    def school_days_between(self, start: date, end: date) -> int:
        """School days in (start, end]: 0 when end is not after start."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_school_day(day)
        return count


@dataclass(frozen=True)
class Due:
    day: date
    new_term: bool  # the child left at the end of a term or in a holiday
    assumed: bool  # no term dates cover the time: weekdays (less bank holidays) were counted

    @property
    def rule(self) -> str:
        return ("within the first 5 school days of the new term" if self.new_term
                else "within 5 school days (an in-year move)")


def cp_file_due(calendar: Calendar, left_on: date) -> Due:
    """When the CP file of a child who left on ``left_on`` (their last day) must have gone."""
    first = calendar.next_school_day(left_on)
    term = calendar._term_of(left_on)
    in_year = (not calendar.knows(left_on) and not calendar.knows(first)) or (
        term is not None and calendar.is_school_day(left_on) and first <= term[1])
    if in_year:
        day = calendar.add_school_days(left_on, KCSIE_SCHOOL_DAYS)
    else:
        day = calendar.add_school_days(first, KCSIE_SCHOOL_DAYS - 1)
    assumed = not (calendar.knows(left_on) and calendar.knows(day))
    return Due(day, not in_year, assumed)


@dataclass(frozen=True)
class Urgency:
    level: str  # "ok", "amber" or "red"
    words: str  # what the colour means, said in words


def urgency(calendar: Calendar, due: date, today: date) -> Urgency:
    if today > due:
        late = calendar.school_days_between(due, today)
        return Urgency("red", f"Overdue by {plural(max(late, 1), 'school day')} "
                              f"(was due {date_text(due)})")
    left = calendar.school_days_between(today, due)
    if today == due:
        return Urgency("amber", "Due today")
    words = f"{plural(left, 'school day')} left"
    return Urgency("amber" if left <= AMBER_AT else "ok", words)


def parse_term_dates(text: str) -> tuple[tuple[tuple[date, date], ...], frozenset[date]]:
    """Term dates as the admin writes them, one a line: ``2026-09-03 to 2026-10-23`` (or
    ``03/09/2026 - 23/10/2026``) for a term or half term, ``closed 2026-11-27`` (or a date
    alone) for a training day. ``#`` starts a comment. Raises InputError naming the line."""
    terms: list[tuple[date, date]] = []
    closed: set[date] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        whole, single = _RANGE.match(line), _SINGLE.match(line)
        try:
            if whole:
                first, last = _day(whole.group(1)), _day(whole.group(2))
                if last < first:
                    raise InputError("term dates", f"line {number}: the term ends before it "
                                     "starts")
                terms.append((first, last))
            elif single:
                closed.add(_day(single.group(1)))
            else:
                raise InputError("term dates", f"line {number}: write a term as "
                                 "'2026-09-03 to 2026-10-23' or a closure day as "
                                 "'closed 2026-11-27'")
        except ValueError:
            raise InputError("term dates", f"line {number}: that is not a real date") from None
    terms.sort()
    for before, after in pairwise(terms):
        if after[0] <= before[1]:
            raise InputError("term dates", f"the terms starting {date_text(before[0])} and "
                             f"{date_text(after[0])} overlap")
    return tuple(terms), frozenset(closed)


def _day(text: str) -> date:
    if "/" in text:
        day, month, year = (int(p) for p in text.split("/"))
        return date(year, month, day)
    year, month, day = (int(p) for p in text.split("-"))
    return date(year, month, day)
