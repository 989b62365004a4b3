"""When things happen in the synthetic school: school hours, days recorded late, who attracts
concerns. All drawn from the caller's seeded ``random.Random``."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from app.uktime import london_to_utc


def propensities(rng: random.Random, n: int) -> list[float]:
    """Cumulative weights: most pupils rarely appear, a few appear very often."""
    cumulative, total = [], 0.0
    for _ in range(n):
        total += rng.choices((0.1, 1.0, 6.0, 25.0), (55, 35, 8, 2))[0]
        cumulative.append(total)
    return cumulative


class Window:
    """Event times between ``start`` and ``end`` (UTC midnight), mostly in school hours."""

    def __init__(self, start: date, end: date) -> None:
        self.start = start
        self.days = (end - start).days
        self.end_at = datetime(end.year, end.month, end.day, tzinfo=UTC)

    def event_times(self, rng: random.Random) -> tuple[datetime, datetime]:
        if rng.random() < 0.85:  # school hours on a school day
            day = self._day(rng)
            for _ in range(10):
                if day.weekday() < 5 and day.month != 8:
                    break
                day = self._day(rng)
            minute = rng.randrange(8 * 60 + 30, 15 * 60 + 30)
        else:  # an evening disclosure: online, by phone, at a club
            day = self._day(rng)
            minute = rng.randrange(16 * 60, 22 * 60 + 30)
        occurred = min(london_to_utc(day, minute), self.end_at - timedelta(minutes=1))
        return occurred, recorded_after(rng, occurred, self.end_at)

    def _day(self, rng: random.Random) -> date:
        return self.start + timedelta(days=rng.randrange(self.days))


def working_time_after(rng: random.Random, after: datetime, *, max_days: int) -> datetime:
    """A time in the DSL's working day (08:00–17:30 UK, Monday to Friday) after ``after``:
    later the same day when there is room, otherwise on a following weekday."""
    day = after.date()
    earliest = after + timedelta(minutes=30)
    for _ in range(3):
        day_offset = rng.randrange(0, max_days + 1)
        candidate_day = day + timedelta(days=day_offset)
        if candidate_day.weekday() >= 5:
            candidate_day += timedelta(days=7 - candidate_day.weekday())
        at = london_to_utc(candidate_day, rng.randrange(8 * 60, 17 * 60 + 30))
        if at > earliest:
            return at
    # Late on a Friday evening with no room: first thing the next working day.
    next_day = day + timedelta(days=1)
    while next_day.weekday() >= 5:
        next_day += timedelta(days=1)
    return london_to_utc(next_day, rng.randrange(8 * 60, 10 * 60))


def recorded_after(rng: random.Random, occurred: datetime, end_at: datetime) -> datetime:
    """Mostly within the hour or the same day; about 8% days late (to exercise ordering)."""
    roll = rng.random()
    if roll < 0.8:
        delay = timedelta(minutes=rng.randrange(5, 120))
    elif roll < 0.92:
        delay = timedelta(minutes=rng.randrange(120, 8 * 60))
    else:
        delay = timedelta(days=rng.randrange(1, 15), minutes=rng.randrange(0, 600))
    latest = max(occurred, end_at - timedelta(seconds=1))
    return min(occurred + delay, latest)
