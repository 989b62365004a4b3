"""Leavers: children who left the school, by the roster (a leaving date, or dropped from a whole
roster import) or by the DSL's word. Kept as events in the school store (``leavers``), the
latest per child standing, so a child who returns is back on roll with the history kept.

A leaver keeps their row and their file: nothing is deleted. Their file is read-only until the
retention review (no new concerns, with a message that says why); the DSL team can still add
chronology entries, such as the file's transfer.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from app.clock import iso, parse_iso
from app.domain.schooldays import Calendar, parse_term_dates
from app.errors import InputError
from app.store.db import Connection
from app.store.roles import Perm
from app.store.session import Session
from app.store.settings import TERM_DATES, get, set_value
from app.wording import date_text

SOURCES = {"roster": "the roster gave a leaving date", "dropped": "not in the roster imported",
           "dsl": "marked by the DSL team"}
MAX_DESTINATION = 200
_LATEST = ("SELECT child_id, left_on, destination, source, recorded_at FROM leavers l WHERE "
           "l.id = (SELECT id FROM leavers WHERE child_id = l.child_id ORDER BY recorded_at "
           "DESC, rowid DESC LIMIT 1)")


@dataclass(frozen=True)
class Leaving:
    child_id: str
    left_on: date
    destination: str | None  # the next school, when known
    source: str  # roster, dropped or dsl
    recorded_at: datetime

    @property
    def words(self) -> str:
        where = f" for {self.destination}" if self.destination else " (next school not known)"
        return f"Left on {date_text(self.left_on)}{where}"


def _rows(conn: Connection, extra: str = "", params: tuple = ()) -> list[Leaving]:
    rows = conn.execute(f"SELECT * FROM ({_LATEST}) WHERE left_on IS NOT NULL{extra}",
                        params).fetchall()
    return [Leaving(c, date.fromisoformat(left), dest, source, parse_iso(at))
            for c, left, dest, source, at in rows]


def leaving_of(conn: Connection, child_id: str) -> Leaving | None:
    """The child's leaving, or None while they are on roll."""
    found = _rows(conn, " AND child_id = ?", (child_id,))
    return found[0] if found else None


def left_ids(conn: Connection) -> set[str]:
    return {leaving.child_id for leaving in _rows(conn)}


def leavers(session: Session) -> list[Leaving]:
    """Every child who has left, most recent first (audited as a view of the roster)."""
    session.require(Perm.LIST_PUPILS)
    found = sorted(_rows(session.conn), key=lambda x: (x.left_on, x.recorded_at), reverse=True)
    session.audited("view", "leavers", None, count=len(found))
    return found


def check_on_roll(conn: Connection, child_ids: Iterable[str]) -> None:
    """Refuses a new concern about a leaver: their file is read-only until review."""
    for child_id in child_ids:
        leaving = leaving_of(conn, child_id)
        if leaving is not None:
            raise InputError("child", f"this child left on {date_text(leaving.left_on)}: their "
                             "file is read-only until it is reviewed. Tell the DSL team, who "
                             "can add a chronology entry or pass it to the new school.")


def clean_destination(text: str | None) -> str | None:
    value = " ".join((text or "").split())
    if len(value) > MAX_DESTINATION:
        raise InputError("destination", f"is longer than {MAX_DESTINATION} characters")
    return value or None


def record_leaving(session: Session, child_id: str, left_on: date | None,
                   destination: str | None, source: str) -> None:
    """Writes one leaving event (``left_on`` None: back on roll). Call inside a transaction;
    the caller has checked the role."""
    if source not in SOURCES:
        raise InputError("source", "must be one of " + ", ".join(SOURCES))
    today = session.clock.now().date()
    if left_on is not None and (left_on - today).days > 366:
        raise InputError("leaving date", "is more than a year ahead")
    session.conn.execute(
        "INSERT INTO leavers (id, child_id, left_on, destination, source, recorded_by, "
        "recorded_at) VALUES (?,?,?,?,?,?,?)",
        (str(uuid.uuid4()), child_id, left_on.isoformat() if left_on else None,
         clean_destination(destination), source, session.user.id, iso(session.clock.now())))
    session.audit("leave", "child", child_id, source=source, on_roll=left_on is None)
    session.changed("leaving", child_id)  # to the school's other DSL PCs (hub-sync.md)


def mark_dropped(session: Session, present: set[str]) -> int:
    """After a whole roster import: each child on roll whose UPN the file did not hold has
    left (today, next school not known). Call inside the import's transaction."""
    gone = session.conn.execute("SELECT id, upn FROM children").fetchall()
    already = left_ids(session.conn)
    today = session.clock.now().date()
    count = 0
    for child_id, upn in gone:
        if upn not in present and child_id not in already:
            record_leaving(session, child_id, today, None, "dropped")
            count += 1
    return count


def school_calendar(session: Session) -> Calendar:
    """The school's term dates (admin settings) with England and Wales bank holidays."""
    terms, closed = parse_term_dates(get(session, TERM_DATES))
    return Calendar.england(terms, closed)


def set_term_dates(session: Session, text: str) -> int:
    """Checks then saves the term dates (admin); returns how many terms they hold."""
    terms, _closed = parse_term_dates(text)
    set_value(session, TERM_DATES, text.strip())
    return len(terms)


def leavings_by_child(session: Session) -> dict[str, Leaving]:
    """Each leaver's leaving, by child id: for a list that shows leavers apart (the lookup
    itself, like the roster's, is not a view of anyone's record)."""
    session.require(Perm.LIST_PUPILS)
    return {leaving.child_id: leaving for leaving in _rows(session.conn)}
