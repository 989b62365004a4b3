"""Dates and times as the pack prints them: UK civil time, English month names, any locale.

Stored times are UTC; a duty worker reads UK time (app.uktime, which needs no time-zone
database).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from app.uktime import uk_time
from app.wording import date_text

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def fmt_date(day: date | None) -> str | None:
    if day is None:
        return None
    return date_text(day)  # the app's one style, on screen and on paper


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
