"""Concerns: recorded by any member of staff, seen by their author and the DSL team only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from app.clock import iso, parse_iso
from app.domain.categories import MAX_CATEGORIES, load_categories, resolve_category
from app.domain.concern_views import ConcernView, concern_views
from app.domain.event_order import next_event_at
from app.domain.leavers import check_on_roll
from app.domain.pupils import child_by_id
from app.domain.records import (
    NOT_YOURS,
    BodyMark,
    Version,
    VersionFields,
    amend,
    check_fields,
    further_to,
    history,
    insert_record,
    latest_version,
    record_owner,
    resolve_for,
)
from app.errors import AccessDenied, InputError, NotFound
from app.store.db import Connection
from app.store.roles import Perm
from app.store.session import Session

STATUSES = ("new", "acknowledged", "actioned", "closed")
_NEXT = {"new": {"acknowledged", "actioned", "closed"}, "acknowledged": {"actioned", "closed"},
         "actioned": {"closed"}, "closed": {"acknowledged"}}


@dataclass(frozen=True)
class ConcernDraft:
    """What a member of staff writes. ``children`` pairs a child id with their role."""

    children: list[tuple[str, str]]
    categories: list[str]
    text: str
    occurred_at: datetime
    location: str | None = None
    child_words: str | None = None
    action_taken: str | None = None
    witnesses: str | None = None
    body_marks: tuple[BodyMark, ...] = ()


@dataclass(frozen=True)
class StatusEvent:
    """One triage event; ``note`` is the status note, or for 'assigned' the assignee's name."""

    status: str
    actor: str
    at: datetime
    note: str | None


def _category_codes(requested: list[str]) -> tuple[str, ...]:
    if not requested:
        raise InputError("category", "choose at least one category")
    taxonomy = load_categories()
    codes = tuple(dict.fromkeys(resolve_category(c, taxonomy).code for c in requested))
    if len(codes) > MAX_CATEGORIES:
        raise InputError("category", f"choose at most {MAX_CATEGORIES} categories; the DSL "
                         "can recategorise later")
    return codes


def record_concern(session: Session, draft: ConcernDraft) -> ConcernView:
    """Validates and saves a concern durably (one transaction, FTS-indexed, audited)."""
    session.require(Perm.RECORD_CONCERN)
    if not draft.children:
        raise InputError("child", "choose at least one child")
    seen: set[str] = set()
    for child_id, _role in draft.children:
        if child_id in seen:
            raise InputError("child", "the same child is listed twice")
        seen.add(child_id)
        child_by_id(session, child_id)
    check_on_roll(session.conn, seen)  # a leaver's file is read-only until review
    fields = check_fields(VersionFields(
        occurred_at=draft.occurred_at, entry_kind="concern", summary=draft.text,
        categories=_category_codes(draft.categories), location=draft.location,
        child_words=draft.child_words, action_taken=draft.action_taken,
        witnesses=draft.witnesses, body_marks=tuple(draft.body_marks)), session.clock.now())
    record_id = str(uuid.uuid4())
    with session.tx() as conn:
        insert_record(session, "concern", list(draft.children), fields, record_id)
        conn.execute("INSERT INTO record_status (id, record_id, status, actor_id, at) "
                     "VALUES (?,?,?,?,?)", (str(uuid.uuid4()), record_id, "new",
                                            session.user.id, iso(session.clock.now())))
        session.audit("create", "concern", record_id, children=len(draft.children))
        session.changed("record", record_id)  # to the DSL team through the hub (hub-sync.md)
    return _view(session, record_id)


def add_further_information(session: Session, some_id: str, text: str, *,
                            child_words: str | None = None, action_taken: str | None = None,
                            occurred_at: datetime | None = None) -> ConcernView:
    """Something learnt after a concern was recorded, added as a NEW concern linked to it (the
    first is never edited): it reaches the DSL inbox as new, and its author's My concerns. Only
    the concern's author, or the DSL team, may add it. Further information to further
    information is linked to the first concern, so each concern has one flat list."""
    session.require(Perm.RECORD_CONCERN)
    original = resolve_for(session, some_id)
    kind, owner = record_owner(session.conn, original)
    if kind != "concern":
        raise NotFound("There is no concern with that id.")
    if owner != session.user.id and not session.can(Perm.READ_ALL_RECORDS):
        session.audited("create", "concern", original, further_information=True, denied=True)
        raise AccessDenied("You can only add further information to the concerns you "
                           "recorded yourself.")
    original = further_to(session.conn, [original]).get(original, (original,))[0]
    first = latest_version(session.conn, original)
    children = [(r[0], r[1]) for r in session.conn.execute(
        "SELECT child_id, role FROM record_children WHERE record_id = ? ORDER BY rowid",
        (original,))]
    fields = check_fields(VersionFields(
        occurred_at=occurred_at or session.clock.now(), entry_kind="concern", summary=text,
        categories=first.fields.categories, child_words=child_words,
        action_taken=action_taken), session.clock.now())
    record_id = str(uuid.uuid4())
    with session.tx() as conn:
        insert_record(session, "concern", children, fields, record_id)
        conn.execute("INSERT INTO record_links (record_id, further_to) VALUES (?,?)",
                     (record_id, original))
        conn.execute("INSERT INTO record_status (id, record_id, status, actor_id, at) "
                     "VALUES (?,?,?,?,?)", (str(uuid.uuid4()), record_id, "new",
                                            session.user.id, iso(session.clock.now())))
        session.audit("create", "concern", record_id, children=len(children),
                      further_to=original)
        session.changed("record", record_id)  # the hub sends the concern it adds to too
    return _view(session, record_id)


def check_can_read(session: Session, record_id: str) -> None:
    kind, owner = record_owner(session.conn, record_id)
    if session.can(Perm.READ_ALL_RECORDS):
        return
    if kind == "concern" and owner == session.user.id and session.can(Perm.READ_OWN_CONCERNS):
        return
    session.audited("view", "record", record_id, denied=True)
    raise AccessDenied(NOT_YOURS)


def get_concern(session: Session, some_id: str) -> ConcernView:
    """One concern (audited as a view); staff see only their own."""
    record_id = resolve_for(session, some_id)
    check_can_read(session, record_id)
    view = _view(session, record_id)
    session.audited("view", "concern", record_id)
    return view


def concern_history(session: Session, some_id: str) -> list[Version]:
    record_id = resolve_for(session, some_id)
    check_can_read(session, record_id)
    session.audited("view", "concern", record_id, history=True)
    return history(session.conn, record_id)


def amend_concern(session: Session, some_id: str, reason: str, *, text: str | None = None,
                  categories: list[str] | None = None, child_words: str | None = None,
                  action_taken: str | None = None, occurred_at: datetime | None = None,
                  location: str | None = None, significant: bool | None = None,
                  body_marks: tuple[BodyMark, ...] | None = None) -> Version:
    """A correction as a new version. Staff amend their own concerns; the DSL team any.
    ``body_marks`` replaces the body map's marks."""
    record_id = resolve_for(session, some_id)
    kind, owner = record_owner(session.conn, record_id)
    if kind != "concern":
        raise NotFound("There is no concern with that id.")
    if not session.can(Perm.AMEND_ANY):
        session.require(Perm.RECORD_CONCERN)
        if owner != session.user.id:
            session.audited("amend", "concern", record_id, denied=True)
            raise AccessDenied("You can only amend the concerns you recorded yourself.")
        if significant is not None:
            raise AccessDenied("Only the DSL team marks a concern as significant.")
    return amend(session, record_id, reason, summary=text,
                 categories=_category_codes(categories) if categories is not None else None,
                 child_words=child_words, action_taken=action_taken, occurred_at=occurred_at,
                 location=location, significant=significant, body_marks=body_marks)


def set_status(session: Session, some_id: str, status: str, note: str | None = None) -> None:
    """DSL triage: new → acknowledged → actioned → closed (closing needs the outcome)."""
    session.require(Perm.TRIAGE)
    record_id = _concern_id(session, some_id)
    if status not in STATUSES:
        raise InputError("status", "must be one of " + ", ".join(STATUSES))
    if status == "closed" and not (note or "").strip():
        raise InputError("note", "say what the outcome was before closing the concern")
    with session.tx() as conn:
        current = _status(conn, record_id)[0]
        if status not in _NEXT[current]:
            raise InputError("status", f"a concern that is {current} cannot become {status}")
        conn.execute("INSERT INTO record_status (id, record_id, status, actor_id, at, note) "
                     "VALUES (?,?,?,?,?,?)", (str(uuid.uuid4()), record_id, status,
                                              session.user.id,
                                              next_event_at(conn, "record_status", record_id,
                                                            session.clock.now()),
                                              (note or "").strip() or None))
        session.audit("status", "concern", record_id, status=status)
        session.changed("record", record_id)


def assign(session: Session, some_id: str, username: str) -> None:
    session.require(Perm.TRIAGE)
    record_id = _concern_id(session, some_id)
    row = session.conn.execute("SELECT id, roles FROM users WHERE username = ? AND removed_at "
                               "IS NULL", (username,)).fetchone()
    if row is None or "dsl" not in row[1].split(","):
        raise InputError("assignee", "assign to a member of the DSL team")
    with session.tx() as conn:
        conn.execute("INSERT INTO record_status (id, record_id, status, actor_id, at, note) "
                     "VALUES (?,?,?,?,?,?)", (str(uuid.uuid4()), record_id, "assigned",
                                              session.user.id,
                                              next_event_at(conn, "record_status", record_id,
                                                            session.clock.now()), row[0]))
        session.audit("status", "concern", record_id, assigned=row[0])
        session.changed("record", record_id)


def _concern_id(session: Session, some_id: str) -> str:
    """A concern's record id; triage never changes a chronology entry's status (the inbox only
    offers concerns, but an id typed at the command line may be an entry's)."""
    record_id = resolve_for(session, some_id)
    if record_owner(session.conn, record_id)[0] != "concern":
        raise NotFound("There is no concern with that id.")
    return record_id


def status_trail(session: Session, some_id: str) -> list[StatusEvent]:
    """A concern's triage events, oldest first: status changes with their notes (the outcome
    of a closed concern) and assignments. The DSL team's working, so DSL only."""
    session.require(Perm.READ_ALL_RECORDS)
    record_id = resolve_for(session, some_id)
    names = dict(session.conn.execute("SELECT id, display_name FROM users").fetchall())
    rows = session.conn.execute("SELECT status, actor_id, at, note FROM record_status WHERE "
                                "record_id = ? ORDER BY at, id", (record_id,)).fetchall()
    return [StatusEvent(status, names.get(actor, actor), parse_iso(at),
                        names.get(note, note) if status == "assigned" else note)
            for status, actor, at, note in rows]


def _status(conn: Connection, record_id: str) -> tuple[str, str | None]:
    row = conn.execute("SELECT status, assignee FROM concern_state WHERE record_id = ?",
                       (record_id,)).fetchone()
    return (row[0], row[1]) if row else ("new", None)


def _view(session: Session, record_id: str) -> ConcernView:
    return concern_views(session, [record_id])[0]


def my_concerns(session: Session, limit: int = 200) -> list[ConcernView]:
    """What the signed-in user recorded, newest first, with its status."""
    session.require(Perm.READ_OWN_CONCERNS)
    ids = [r[0] for r in session.conn.execute(
        "SELECT id FROM records WHERE kind = 'concern' AND created_by = ? ORDER BY "
        "created_at DESC, id DESC LIMIT ?", (session.user.id, limit))]
    session.audited("view", "concern-list", None, scope="mine", count=len(ids))
    return concern_views(session, ids)


def inbox(session: Session, *, include_closed: bool = False, limit: int = 500
          ) -> list[ConcernView]:
    """The DSL team's triage list: open concerns, newest first."""
    session.require(Perm.READ_ALL_RECORDS)
    # concern_state keeps each concern's current status (schema migration 6); its partial
    # index holds only the open ones, so the inbox never walks ten years of closed concerns.
    open_only = "" if include_closed else " WHERE status != 'closed'"
    ids = [r[0] for r in session.conn.execute(
        "SELECT record_id FROM concern_state" + open_only +
        " ORDER BY created_at DESC, record_id DESC LIMIT ?", (limit,))]
    session.audited("view", "concern-list", None, scope="inbox", count=len(ids))
    return concern_views(session, ids)


def concern_time(text: str) -> datetime:
    """A time a person typed: ISO 8601; without a zone it is this PC's local time."""
    try:
        return parse_iso(text) if text.endswith("Z") or "+" in text[10:] else \
            datetime.fromisoformat(text).astimezone()
    except ValueError:
        raise InputError("occurred", "write the time as YYYY-MM-DD HH:MM (e.g. "
                         "2026-03-04 10:30)") from None
