"""Python dates and times to and from Qt's, with their types said.

PySide6 converts these itself at run time (``QDateTime(date, time)``, ``toPython()``), but its
type stubs accept only QDate and QTime and say ``toPython()`` returns ``object``. These do the
same conversions in a way the type checker can follow.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import cast

from PySide6.QtCore import QDate, QDateTime, QTime


def qt_date_time(day: date, moment: time) -> QDateTime:
    """A local QDateTime, to the millisecond (as PySide6's own conversion truncates)."""
    return QDateTime(QDate(day.year, day.month, day.day),
                     QTime(moment.hour, moment.minute, moment.second, moment.microsecond // 1000))


def python_date_time(value: QDateTime) -> datetime:
    """The naive local datetime; PySide6 documents ``QDateTime.toPython()`` as returning one."""
    return cast(datetime, value.toPython())


def python_date(value: QDate) -> date:
    """``QDate.toPython()``, which PySide6 documents as returning a ``datetime.date``."""
    return cast(date, value.toPython())
