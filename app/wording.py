"""How the app writes dates, counts and year groups for people: one style everywhere.

Dates are "02 Dec 2026", times "02 Dec 2026 14:05" (24-hour, this PC's local time, which in
England is UK time), months "Dec 2026"; English month names whatever the PC's locale. The pack
(app.pack.dates) prints its dates the same way. Counts agree with their noun ("1 minute",
"2 minutes"); a wait is said in its largest whole unit, rounded up ("30 seconds", "2 minutes",
"1 hour"). Year groups sort in school order: nursery, reception, then Y1 to Y13.
"""

from __future__ import annotations

import math
from datetime import date, datetime

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def date_text(day: date) -> str:
    """E.g. "02 Dec 2026"."""
    return f"{day.day:02d} {MONTHS[day.month - 1]} {day.year}"


def date_time_text(moment: datetime) -> str:
    """E.g. "02 Dec 2026 14:05", in this PC's local time."""
    local = moment.astimezone()
    return f"{date_text(local.date())} {local:%H:%M}"


def month_text(year: int, month: int) -> str:
    """E.g. "Dec 2026"."""
    return f"{MONTHS[month - 1]} {year}"


def plural(count: int, noun: str, many: str | None = None) -> str:
    """ "1 minute", "2 minutes", "0 entries" (give ``many`` when adding "s" is wrong)."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def ordinal(n: int) -> str:
    """ "1st", "2nd", "11th", "25th", "31st"."""
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def wait_text(seconds: float) -> str:
    """How long a wait is, rounded up so it is never said shorter than it is: "1 second",
    "30 seconds", "2 minutes" (61 to 120 s), "1 hour" (from 3,541 s)."""
    whole = max(1, math.ceil(seconds))
    if whole < 60:
        return plural(whole, "second")
    if math.ceil(whole / 60) < 60:
        return plural(math.ceil(whole / 60), "minute")
    return plural(math.ceil(whole / 3600), "hour")


_EARLY_YEARS = {"N": 0, "N1": 1, "N2": 2, "R": 3, "RECEPTION": 3}


def year_order(year_group: str) -> tuple[int, int, str]:
    """A sort key putting year groups in school order: N1, N2, R, Y1 … Y13, then anything
    else alphabetically ("4" and "Y4" are the same year)."""
    code = year_group.strip().upper()
    if code in _EARLY_YEARS:
        return (0, _EARLY_YEARS[code], code)
    number = code[1:] if code.startswith("Y") else code
    if number.isdigit():
        return (1, int(number), code)
    return (2, 0, code)
