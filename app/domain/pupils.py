"""The pupil roster: imported from the school's MIS, looked up when recording a concern."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import date

from app.clock import iso
from app.domain.leavers import leaving_of, mark_dropped, record_leaving
from app.domain.roster_csv import RosterFile, RosterRow, read_roster
from app.errors import NotFound
from app.identifiers import check_upn, normalise_upn
from app.store.roles import Perm
from app.store.session import Session

_COLUMNS = ("id", "upn", "legal_forename", "legal_surname", "preferred_forename",
            "date_of_birth", "gender", "year_group", "nhs_number")
CHILD_COLUMNS = ", ".join(_COLUMNS)
_SELECT = "SELECT " + CHILD_COLUMNS + " FROM children"


@dataclass(frozen=True)
class Child:
    id: str
    upn: str
    legal_forename: str
    legal_surname: str
    preferred_forename: str | None
    date_of_birth: date
    gender: str
    year_group: str
    nhs_number: str | None

    @property
    def display_name(self) -> str:
        """Preferred forename when there is one, as staff know the child."""
        forename = self.preferred_forename or self.legal_forename
        return f"{forename} {self.legal_surname}"

    @property
    def legal_name(self) -> str:
        return f"{self.legal_forename} {self.legal_surname}"

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["date_of_birth"] = self.date_of_birth.isoformat()
        return data


def child_from_row(row: tuple) -> Child:
    """A Child from a row of ``CHILD_COLUMNS``."""
    values = list(row)
    values[5] = date.fromisoformat(values[5])
    return Child(*values)


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int
    read: RosterFile | None = None  # how the file was read, when there was one
    left: int = 0  # children the roster shows leaving, or (a whole roster) no longer holds

    def leavers_note(self) -> str:
        if not self.left:
            return ""
        return (f"{self.left} {'child has' if self.left == 1 else 'children have'} left (a "
                "leaving date, or not in this roster): their files are kept and shown apart "
                "as leavers.")

    def encoding_note(self) -> str:
        return self.read.encoding_note() if self.read is not None else ""


def import_roster(session: Session, data: bytes) -> ImportResult:
    """Validates every row first (raising InputErrors listing all bad rows, importing nothing),
    then adds new pupils and updates changed ones in one transaction. Re-importing the same
    roster changes nothing."""
    session.require(Perm.IMPORT_ROSTER)
    read = read_roster(data, today=session.clock.now().date())
    with session.tx():  # a whole roster: a child it no longer holds has left (never deleted)
        result = apply_roster(session, read.rows, encoding=read.encoding)
        dropped = mark_dropped(session, {row.upn for row in read.rows})
    return replace(result, read=read, left=result.left + dropped)


def apply_roster(session: Session, rows: Iterable[RosterRow], *, encoding: str | None = None
                 ) -> ImportResult:
    session.require(Perm.IMPORT_ROSTER)
    added = updated = unchanged = left = 0
    changed: list[str] = []  # UPNs, for the other DSL PCs (hub-sync.md)
    now = iso(session.clock.now())
    with session.tx() as conn:
        for row in rows:
            values = (row.legal_forename, row.legal_surname, row.preferred_forename,
                      row.date_of_birth.isoformat(), row.gender, row.year_group, row.nhs_number)
            existing = conn.execute(_SELECT + " WHERE upn = ?", (row.upn,)).fetchone()
            if existing is None:
                conn.execute("INSERT INTO children (id, upn, legal_forename, legal_surname, "
                             "preferred_forename, date_of_birth, gender, year_group, "
                             "nhs_number, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                             (str(uuid.uuid4()), row.upn, *values, now))
                added += 1
                changed.append(row.upn)
            elif tuple(existing[2:]) != values:
                previous = dict(zip(_COLUMNS, existing, strict=True))
                conn.execute("INSERT INTO child_history (child_id, changed_at, changed_by, "
                             "previous) VALUES (?,?,?,?)",
                             (existing[0], now, session.user.id, json.dumps(previous)))
                conn.execute("UPDATE children SET legal_forename = ?, legal_surname = ?, "
                             "preferred_forename = ?, date_of_birth = ?, gender = ?, "
                             "year_group = ?, nhs_number = ?, updated_at = ? WHERE id = ?",
                             (*values, now, existing[0]))
                session.audit("import", "child", existing[0], change="roster row updated")
                updated += 1
                changed.append(row.upn)
            else:
                unchanged += 1
            left += _apply_leaving(session, row)
            if row.admission_number is not None:  # only to link contact exports: not history
                conn.execute("UPDATE children SET admission_number = ? WHERE upn = ? AND "
                             "admission_number IS NOT ?", (row.admission_number, row.upn,
                                                          row.admission_number))
        extra = {"encoding": encoding} if encoding else {}
        session.audit("import", "roster", None, added=added, updated=updated,
                      unchanged=unchanged, **extra)
        session.changed("roster", *changed)
    return ImportResult(added, updated, unchanged, left=left)


def _apply_leaving(session: Session, row: RosterRow) -> int:
    """What the row says of the child leaving: 1 when it records a new leaving. A child the
    roster dropped or gave a date for, listed again without one, is back on roll; the DSL
    team's own mark stands until they change it (the MIS may lag behind them)."""
    found = session.conn.execute("SELECT id FROM children WHERE upn = ?", (row.upn,)).fetchone()
    current = leaving_of(session.conn, found[0])
    if row.leaving_date is not None:
        if current and (current.left_on, current.destination) == (row.leaving_date,
                                                                  row.destination):
            return 0
        record_leaving(session, found[0], row.leaving_date, row.destination, "roster")
        return 1
    if current is not None and current.source in ("roster", "dropped"):
        record_leaving(session, found[0], None, None, "roster")
    return 0


def list_pupils(session: Session) -> list[Child]:
    session.require(Perm.LIST_PUPILS)
    rows = session.conn.execute(_SELECT + " ORDER BY legal_surname, legal_forename").fetchall()
    session.audited("view", "roster", None, count=len(rows))
    return [child_from_row(r) for r in rows]


def child_by_upn(session: Session, upn: str) -> Child:
    session.require(Perm.LIST_PUPILS)
    normalised = check_upn(upn)
    row = session.conn.execute(_SELECT + " WHERE upn = ?", (normalised,)).fetchone()
    if row is None:
        raise NotFound("No pupil on the roster has that UPN.")
    return child_from_row(row)


def child_by_id(session: Session, child_id: str) -> Child:
    session.require(Perm.LIST_PUPILS)
    row = session.conn.execute(_SELECT + " WHERE id = ?", (child_id,)).fetchone()
    if row is None:
        raise NotFound("That child is not on the roster.")
    return child_from_row(row)


def find_pupils(session: Session, text: str, limit: int = 20) -> list[Child]:
    """As-you-type lookup by forename, preferred name, surname, UPN or year group."""
    session.require(Perm.LIST_PUPILS)
    words = text.strip().split()
    if not words:
        return []
    clauses, params = [], []
    for word in words:
        like = word.replace("%", "").replace("_", "") + "%"
        clauses.append("(legal_forename LIKE ? OR legal_surname LIKE ? OR preferred_forename "
                       "LIKE ? OR upn LIKE ? OR year_group = ? OR ('Y' || year_group) = ? OR "
                       "('Year ' || year_group) LIKE ?)")
        params += [like, like, like, normalise_upn(word) + "%", word, word.upper(), word]
    rows = session.conn.execute(_SELECT + " WHERE " + " AND ".join(clauses) +
                                " ORDER BY legal_surname, legal_forename LIMIT ?",
                                (*params, limit)).fetchall()
    return [child_from_row(r) for r in rows]
