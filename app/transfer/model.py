"""Transfers of a CP file, one row each in the DSL store, their steps as events.

A transfer has a direction (``out`` to the next school, ``in`` from the last one) and a route:
``pack`` (an encrypted PDF for a school on another product, with a receipt slip read back by
phone or email) or ``concerndesk`` (an envelope through the LA front door, app/delivery/cp_*.py:
its steps are the same statuses, written by the code that applies the receiving school's signed
answers). Statuses, in the order they usually come: prepared, sent, received, accepted or
rejected, receipt confirmed. The latest event is the transfer's status.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from app.clock import iso, parse_iso
from app.errors import InputError, NotFound
from app.store.db import Connection
from app.store.roles import Perm
from app.store.session import Session
from app.wording import date_text

STATUSES = ("prepared", "sent", "received", "accepted", "rejected", "receipt confirmed")
ROUTES = ("pack", "concerndesk")
MAX_SCHOOL = 200


@dataclass(frozen=True)
class Step:
    status: str
    at: datetime
    actor: str
    note: str | None


@dataclass(frozen=True)
class Transfer:
    id: str
    child_id: str
    direction: str
    route: str
    school: str
    contents: tuple[str, ...]
    created_at: datetime
    steps: tuple[Step, ...]
    code_sha256: str | None = None

    @property
    def status(self) -> str:
        return self.steps[-1].status if self.steps else "prepared"

    def step(self, status: str) -> Step | None:
        return next((s for s in reversed(self.steps) if s.status == status), None)

    @property
    def status_words(self) -> str:
        """How the status reads, e.g. "receipt confirmed by Ann Lee on 05 Nov 2026"."""
        last = self.steps[-1] if self.steps else None
        if last is None:
            return "prepared"
        when = date_text(last.at.date())
        if last.status == "receipt confirmed":
            return f"receipt confirmed by {last.note or 'the receiving school'} on {when}"
        if self.route == "concerndesk" and self.direction == "out" \
                and last.status in ("received", "accepted", "rejected"):
            # The receiving school's signed answer (app/delivery/cp_inbox.py).
            said = f"{last.status} by {self.school} on {when}"
            return said + (f": {last.note or 'no reason given'}"
                           if last.status == "rejected" else "")
        if last.status == "rejected":
            return f"rejected on {when}: {last.note or 'no reason given'}"
        if last.status == "received" and self.direction == "in":
            return f"received from {self.school} on {when}"
        return f"{last.status} on {when}"


def clean_school(text: str) -> str:
    value = " ".join((text or "").split())
    if not value:
        raise InputError("school", "name the school")
    if len(value) > MAX_SCHOOL:
        raise InputError("school", f"is longer than {MAX_SCHOOL} characters")
    return value


def create(session: Session, child_id: str, direction: str, route: str, school: str,
           contents: list[str], code_sha256: str | None = None) -> str:
    """A new transfer; call inside a transaction (the caller adds its first step)."""
    if route not in ROUTES or direction not in ("out", "in"):
        raise InputError("route", "unknown transfer route")
    transfer_id = str(uuid.uuid4())
    session.conn.execute(
        "INSERT INTO transfers (id, child_id, direction, route, school, receipt_code_sha256, "
        "contents, created_by, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
        (transfer_id, child_id, direction, route, clean_school(school), code_sha256,
         json.dumps(contents), session.user.id, iso(session.clock.now())))
    return transfer_id


def add_step(session: Session, transfer_id: str, status: str, note: str | None = None) -> None:
    """One step, audited; call inside a transaction."""
    if status not in STATUSES:
        raise InputError("status", "must be one of " + ", ".join(STATUSES))
    session.conn.execute(
        "INSERT INTO transfer_events (id, transfer_id, status, actor_id, at, note) VALUES "
        "(?,?,?,?,?,?)", (str(uuid.uuid4()), transfer_id, status, session.user.id,
                          iso(session.clock.now()), note))
    session.audit("transfer", "transfer", transfer_id, status=status)
    child = session.conn.execute("SELECT child_id FROM transfers WHERE id = ?",
                                 (transfer_id,)).fetchone()
    if child is not None:
        session.changed("leaving", child[0])  # to the school's other DSL PCs (hub-sync.md)


def _steps(conn: Connection, transfer_id: str) -> tuple[Step, ...]:
    rows = conn.execute("SELECT e.status, e.at, coalesce(u.display_name, e.actor_id), e.note "
                        "FROM transfer_events e LEFT JOIN users u ON u.id = e.actor_id WHERE "
                        "e.transfer_id = ? ORDER BY e.at, e.rowid", (transfer_id,)).fetchall()
    return tuple(Step(s, parse_iso(at), actor, note) for s, at, actor, note in rows)


_COLUMNS = ("SELECT id, child_id, direction, route, school, contents, created_at, "
            "receipt_code_sha256 FROM transfers")


def _transfer(conn: Connection, row: tuple) -> Transfer:
    return Transfer(row[0], row[1], row[2], row[3], row[4], tuple(json.loads(row[5])),
                    parse_iso(row[6]), _steps(conn, row[0]), row[7])


def load(session: Session, transfer_id: str) -> Transfer:
    session.require(Perm.READ_ALL_RECORDS)
    row = session.conn.execute(_COLUMNS + " WHERE id = ?", (transfer_id.strip(),)).fetchone()
    if row is None:
        raise NotFound("There is no transfer with that id.")
    return _transfer(session.conn, row)


def transfers(session: Session, child_id: str | None = None, *, audit: bool = True
              ) -> list[Transfer]:
    """The school's transfers (or one child's), newest first; audited as a view."""
    session.require(Perm.READ_ALL_RECORDS)
    where, params = (" WHERE child_id = ?", (child_id,)) if child_id else ("", ())
    rows = session.conn.execute(_COLUMNS + where + " ORDER BY created_at DESC, rowid DESC",
                                params).fetchall()
    if audit:
        session.audited("view", "transfers", child_id, count=len(rows))
    return [_transfer(session.conn, r) for r in rows]
