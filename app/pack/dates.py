"""Dates and times as the pack prints them: UK civil time, English month names, any locale.

Stored times are UTC; a duty worker reads UK time. The GMT/BST rule is computed here (since
1996: BST from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
October) so the pack needs no time-zone database, which Windows lacks.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - 6) % 7)


def uk_time(moment: datetime) -> tuple[datetime, str]:
    """The UK wall-clock time (naive) of an aware datetime, and "GMT" or "BST"."""
    utc = moment.astimezone(UTC)
    start = datetime.combine(_last_sunday(utc.year, 3), datetime.min.time(), UTC) + timedelta(
        hours=1
    )
    end = datetime.combine(_last_sunday(utc.year, 10), datetime.min.time(), UTC) + timedelta(
        hours=1
    )
    if start <= utc < end:
        return (utc + timedelta(hours=1)).replace(tzinfo=None), "BST"
    return utc.replace(tzinfo=None), "GMT"


def fmt_date(day: date | None) -> str | None:
    if day is None:
        return None
    return f"{day.day:02d} {_MONTHS[day.month - 1]} {day.year}"


def fmt_datetime(moment: datetime, *, weekday: bool = False) -> str:
    """E.g. "Mon 02 Mar 2026 09:15 GMT"."""
    local, zone = uk_time(moment)
    text = f"{fmt_date(local.date())} {local:%H:%M} {zone}"
    return f"{_DAYS[local.weekday()]} {text}" if weekday else text


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def delay_text(delta: timedelta) -> str:
    """How late an entry was written, in words: "3 days later", "5 hours later"."""
    hours = delta.total_seconds() / 3600
    if hours < 48:
        n = max(1, round(hours))
        return f"{n} hour{'s' if n != 1 else ''} later"
    days = round(hours / 24)
    return f"{days} days later"
