"""What the school keeps of a CP file it has sent: its decision under its retention policy,
recorded (not enforced here: destruction is the retention review's deliberate act). Either a
read-only archive, kept until the file's review, or kept for a set period and then reviewed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from app.clock import iso, parse_iso
from app.domain.chronology import add_entry
from app.domain.pupils import child_by_id
from app.errors import InputError
from app.store.roles import Perm
from app.store.session import Session
from app.wording import date_text

DECISIONS = {"archive": "kept as a read-only archive", "period": "kept for a set period"}


@dataclass(frozen=True)
class Retention:
    decision: str
    keep_until: date | None
    reason: str | None
    at: datetime

    @property
    def words(self) -> str:
        if self.decision == "period" and self.keep_until:
            return f"kept until {date_text(self.keep_until)}, then reviewed"
        return DECISIONS[self.decision]


def decide(session: Session, child_id: str, decision: str, keep_until: date | None = None,
           reason: str | None = None) -> Retention:
    session.require(Perm.ADD_ENTRY)
    child = child_by_id(session, child_id)
    if decision not in DECISIONS:
        raise InputError("decision", "choose archive (a read-only archive) or period (kept "
                         "until a date)")
    if decision == "period" and keep_until is None:
        raise InputError("keep until", "give the date to keep the file until")
    if decision == "archive":
        keep_until = None
    if keep_until is not None and keep_until <= session.clock.now().date():
        raise InputError("keep until", "must be after today")
    reason = " ".join((reason or "").split()) or None
    found = Retention(decision, keep_until, reason, session.clock.now())
    with session.tx() as conn:
        conn.execute("INSERT INTO file_retention (id, child_id, decision, keep_until, reason, "
                     "decided_by, at) VALUES (?,?,?,?,?,?,?)",
                     (str(uuid.uuid4()), child.id, decision,
                      keep_until.isoformat() if keep_until else None, reason, session.user.id,
                      iso(found.at)))
        session.audit("retention", "child", child.id, decision=decision)
        session.changed("leaving", child.id)
        add_entry(session, [child.id], "outcome",
                  f"After the CP file was sent: this school's copy is {found.words}"
                  + (f" ({reason})" if reason else "") + ".", found.at)
    return found


def retention_of(session: Session, child_id: str) -> Retention | None:
    session.require(Perm.READ_ALL_RECORDS)
    row = session.conn.execute("SELECT decision, keep_until, reason, at FROM file_retention "
                               "WHERE child_id = ? ORDER BY at DESC, rowid DESC LIMIT 1",
                               (child_id,)).fetchone()
    if row is None:
        return None
    return Retention(row[0], date.fromisoformat(row[1]) if row[1] else None, row[2],
                     parse_iso(row[3]))
