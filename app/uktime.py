"""UK civil time (GMT/BST) without a time-zone database, which Windows lacks without tzdata.

Since 1996 BST runs from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday
of October.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta


def _last_sunday(year: int, month: int) -> datetime:
    last = date(year, month + 1, 1) - timedelta(days=1)
    last -= timedelta(days=(last.weekday() - 6) % 7)
    return datetime(last.year, last.month, last.day, tzinfo=UTC)


@functools.cache
def bst_window(year: int) -> tuple[datetime, datetime]:
    """When BST starts and ends in ``year``, as aware UTC times."""
    return (_last_sunday(year, 3) + timedelta(hours=1),
            _last_sunday(year, 10) + timedelta(hours=1))


def uk_time(moment: datetime) -> tuple[datetime, str]:
    """The UK wall-clock time (naive) of an aware datetime, and "GMT" or "BST"."""
    utc = moment.astimezone(UTC)
    start, end = bst_window(utc.year)
    if start <= utc < end:
        return (utc + timedelta(hours=1)).replace(tzinfo=None), "BST"
    return utc.replace(tzinfo=None), "GMT"


def london_to_utc(day: date, minute_of_day: int) -> datetime:
    """A UK wall-clock time (``minute_of_day`` minutes after midnight) as aware UTC."""
    local = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minute_of_day)
    start, end = bst_window(day.year)
    return local - timedelta(hours=1) if start <= local < end else local
