"""Retention review (issue #20, docs/retention.md): when each child's safeguarding file is due
for review under the school's policy, and the DSL's decisions at review — extend to a date,
hold, release a hold. Destruction itself is app/domain/destruction.py.

The policy periods are school settings (the admin's); everything per child lives in the DSL
store, so nobody without it learns which child has a file.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date

from app.clock import iso
from app.domain.pupils import CHILD_COLUMNS, Child, child_by_id, child_from_row
from app.errors import InputError
from app.store import settings
from app.store.roles import Perm
from app.store.session import Session
from app.wording import date_text

DEFAULT, SEN, LOOKED_AFTER = "default", "SEN", "looked after"
SEN_STATUSES = ("K", "E")  # SEN support, an EHC plan (the census codes in app/profile)
LOOKED_AFTER_FLAGS = ("looked-after", "previously-looked-after")
REASON_LIMIT = 500

# Tables that make up a child's file, by the child's id; records hang off record_children.
_FILE_CHILDREN = ("SELECT child_id FROM record_children UNION SELECT child_id FROM referrals "
                  "UNION SELECT child_id FROM child_flag_events UNION SELECT child_id FROM "
                  "profile_items UNION SELECT child_id FROM sar_drafts UNION SELECT child_id "
                  "FROM retention_decisions")


@dataclass(frozen=True)
class Policy:
    years: int
    sen_years: int
    looked_after_years: int

    def period(self, basis: str) -> int:
        return {DEFAULT: self.years, SEN: self.sen_years,
                LOOKED_AFTER: self.looked_after_years}[basis]


@dataclass(frozen=True)
class FileReview:
    """One child's file as the review sees it."""
    child: Child
    basis: str  # DEFAULT, SEN or LOOKED_AFTER: which period applies (the longest that fits)
    years: int
    review_on: date  # the birthday the policy names, or a later date the DSL extended to
    extended: bool
    held: bool
    reason: str | None  # the latest extension's or hold's reason, for the DSL only
    due: bool  # review_on has come and the file is not held

    @property
    def state(self) -> str:
        if self.held:
            return "held"
        if self.due:
            return "due for review"
        return "extended" if self.extended else "kept"


def policy(session: Session) -> Policy:
    return Policy(*(settings.retention_years(session, s) for s in settings.RETENTION))


def birthday(born: date, years: int) -> date:
    """The ``years``-th birthday; 28 February for a child born on 29 February."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return born.replace(year=born.year + years, day=28)


def _bases(session: Session, child_ids: list[str]) -> dict[str, set[str]]:
    """Which longer periods apply to each child: SEN from the profile's SEN status or the SEND
    flag, looked after from the flags or the profile."""
    found: dict[str, set[str]] = {cid: set() for cid in child_ids}
    ids = json.dumps(child_ids)
    for child_id, key, value in session.conn.execute(
            "SELECT p.child_id, p.item_key, p.value FROM profile_items p WHERE p.kind = 'fact' "
            "AND p.item_key IN ('sen_status', 'looked_after') AND p.child_id IN "
            "(SELECT value FROM json_each(?)) AND p.at = (SELECT max(q.at) FROM profile_items q "
            "WHERE q.child_id = p.child_id AND q.kind = 'fact' AND q.item_key = p.item_key)",
            (ids,)):
        current = json.loads(value) if value is not None else None
        if key == "sen_status" and current in SEN_STATUSES:
            found[child_id].add(SEN)
        elif key == "looked_after" and current is True:
            found[child_id].add(LOOKED_AFTER)
    # A flag ever set counts: a child once looked after keeps the longer period.
    for child_id, flag in session.conn.execute(
            "SELECT DISTINCT child_id, flag FROM child_flag_events WHERE value = 1 AND child_id "
            "IN (SELECT value FROM json_each(?))", (ids,)):
        if flag == "send":
            found[child_id].add(SEN)
        elif flag in LOOKED_AFTER_FLAGS:
            found[child_id].add(LOOKED_AFTER)
    return found


def _decisions(session: Session, child_ids: list[str]
               ) -> dict[str, tuple[date | None, bool, str | None]]:
    """Each child's standing decisions: (extended until, held, latest reason)."""
    out: dict[str, tuple[date | None, bool, str | None]] = {}
    for child_id, decision, until, reason in session.conn.execute(
            "SELECT child_id, decision, until, reason FROM retention_decisions WHERE child_id IN "
            "(SELECT value FROM json_each(?)) ORDER BY at, id", (json.dumps(child_ids),)):
        extended, held, _ = out.get(child_id, (None, False, None))
        if decision == "extend":
            extended = date.fromisoformat(until)
        out[child_id] = (extended, decision == "hold" or (held and decision != "release"),
                         reason)
    return out


def _review(child: Child, pol: Policy, bases: set[str],
            decision: tuple[date | None, bool, str | None], today: date) -> FileReview:
    # The longest period that fits; at a tie, the reason that names the child's situation.
    basis = max((DEFAULT, *sorted(bases)), key=lambda b: (pol.period(b), b != DEFAULT))
    years = pol.period(basis)
    review_on = birthday(child.date_of_birth, years)
    until, held, reason = decision
    extended = until is not None and until > review_on
    if extended and until is not None:
        review_on = until
    return FileReview(child, basis, years, review_on, extended, held, reason,
                      review_on <= today and not held)


def files(session: Session, *, due_only: bool = False, audit: bool = True) -> list[FileReview]:
    """Every child's file (or those due for review), soonest review first; audited."""
    session.require(Perm.REVIEW_RETENTION)
    rows = session.conn.execute(f"SELECT {CHILD_COLUMNS} FROM children WHERE id IN "
                                f"({_FILE_CHILDREN})").fetchall()
    children = [child_from_row(row) for row in rows]
    ids = [c.id for c in children]
    bases, decisions, pol = _bases(session, ids), _decisions(session, ids), policy(session)
    today = session.clock.now().date()
    reviews = [_review(c, pol, bases[c.id], decisions.get(c.id, (None, False, None)), today)
               for c in children]
    if due_only:
        reviews = [r for r in reviews if r.due]
    reviews.sort(key=lambda r: (r.review_on, r.child.legal_surname, r.child.id))
    if audit:
        session.audited("view", "retention-review", None, due_only=due_only,
                        count=len(reviews))
    return reviews


def file_review(session: Session, child_id: str) -> FileReview:
    """One child's file as the review sees it (not audited: its callers audit what they do)."""
    session.require(Perm.REVIEW_RETENTION)
    child = child_by_id(session, child_id)
    return _review(child, policy(session), _bases(session, [child.id])[child.id],
                   _decisions(session, [child.id]).get(child.id, (None, False, None)),
                   session.clock.now().date())


def _reason(reason: str) -> str:
    text = " ".join(reason.split())
    if not text:
        raise InputError("reason", "say why: the reason is kept with the decision")
    if len(text) > REASON_LIMIT:
        raise InputError("reason", f"keep the reason under {REASON_LIMIT} characters")
    return text


def _decide(session: Session, child_id: str, decision: str, reason: str,
            until: date | None = None) -> None:
    with session.tx() as conn:
        conn.execute("INSERT INTO retention_decisions (id, child_id, decision, until, reason, "
                     "actor_id, at) VALUES (?,?,?,?,?,?,?)",
                     (str(uuid.uuid4()), child_id, decision,
                      until.isoformat() if until else None, reason, session.user.id,
                      iso(session.clock.now())))
        # The reason is the DSL's free text: it stays in the DSL store, never in the trail.
        session.audit("retention", "child-file", child_id, decision=decision,
                      until=until.isoformat() if until else None)
        session.changed("retention", child_id)


def extend(session: Session, child_id: str, until: date, reason: str) -> FileReview:
    """Keeps the file past its review date, to ``until``, for the reason given."""
    session.require(Perm.REVIEW_RETENTION)
    text = _reason(reason)
    current = file_review(session, child_id)
    today = session.clock.now().date()
    if until <= today or until <= current.review_on:
        raise InputError("until", f"give a date after {date_text(max(today, current.review_on))}"
                         ", the date the file is reviewed now")
    _decide(session, child_id, "extend", text, until)
    return file_review(session, child_id)


def hold(session: Session, child_id: str, reason: str) -> FileReview:
    """Puts a hold on the file: it is never due for destruction until the hold is released."""
    session.require(Perm.REVIEW_RETENTION)
    text = _reason(reason)
    if file_review(session, child_id).held:
        raise InputError("hold", "this file is already on hold")
    _decide(session, child_id, "hold", text)
    return file_review(session, child_id)


def release(session: Session, child_id: str, reason: str) -> FileReview:
    """Releases a hold; the file is reviewed again under the policy."""
    session.require(Perm.REVIEW_RETENTION)
    text = _reason(reason)
    if not file_review(session, child_id).held:
        raise InputError("release", "this file is not on hold")
    _decide(session, child_id, "release", text)
    return file_review(session, child_id)
