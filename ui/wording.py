"""Words on screen: the app's one date style (app.wording, shared with the core's sentences and
the pack) for widgets too, and drop-down values written as words ("Early help", not
"early help")."""

from __future__ import annotations

from app.wording import date_text, date_time_text, month_text, plural, year_order

# Qt's display formats for date editors, matching app.wording ("02 Dec 2026 14:05")
QT_DATE = "dd MMM yyyy"
QT_DATE_TIME = "dd MMM yyyy HH:mm"

__all__ = ["QT_DATE", "QT_DATE_TIME", "choice_words", "date_text", "date_time_text",
           "month_text", "plural", "year_order"]


def choice_words(value: str) -> str:
    """A stored choice as a person reads it: "early help" → "Early help", "" → "Not answered"."""
    if not value:
        return "Not answered"
    return value[:1].upper() + value[1:]
