"""Versioned safeguarding records (concerns and chronology entries), shared machinery.

A record is born with version 1; a correction is a new version that ``supersedes`` the latest,
with a reason and an author. Nothing is updated in place. When two DSL machines amend the same
record apart, both versions are kept; the latest (by version, then time, then id) is shown.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from app.body_regions import SIDES as BODY_SIDES
from app.body_regions import nearest_region, place
from app.clock import iso, parse_iso
from app.errors import AccessDenied, InputError, NotFound
from app.store.db import Connection
from app.store.roles import Perm
from app.store.session import Session

MAX_TEXT = 20_000
ENTRY_KINDS = ("concern", "action", "contact", "meeting", "referral", "outcome", "note",
               "police-notification")
# Kinds with structured fields of their own (``details``), made and amended only through their
# own module (police-notification: app/domain/encompass.py), which keeps text and fields in step.
STRUCTURED_KINDS = ("police-notification",)
CHILD_ROLES = ("subject", "harmed", "harmed others", "witness", "sibling", "other")
FUTURE_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class BodyMark:
    """A mark on the body map. ``region`` is the named place the person chose or clicked
    nearest ("Left arm"); marks saved before it was kept are given their nearest region."""

    side: str
    x: float
    y: float
    note: str = ""
    region: str = ""

    def check(self, index: int) -> None:
        if self.side not in BODY_SIDES:
            raise InputError(f"body mark {index}", "side must be front or back")
        if not (0.0 <= self.x <= 1.0 and 0.0 <= self.y <= 1.0):
            raise InputError(f"body mark {index}", "is outside the body outline")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BodyMark:
        """A mark as stored or replicated; a mark saved before ``region`` was kept gets its
        nearest region."""
        return cls(str(data["side"]), float(data["x"]), float(data["y"]),
                   str(data.get("note") or ""), str(data.get("region") or "")).with_region()

    def with_region(self) -> BodyMark:
        return self if self.region else replace(self, region=nearest_region(self.side, self.x,
                                                                             self.y))

    @property
    def place(self) -> str:
        """"Front: Left arm": the side and the region, as every view names it."""
        return place(self.side, self.with_region().region)


@dataclass(frozen=True)
class VersionFields:
    """What a version of a record says. ``summary`` is what was seen, heard or done."""

    occurred_at: datetime
    entry_kind: str
    summary: str
    categories: tuple[str, ...] = ()
    location: str | None = None
    child_words: str | None = None
    action_taken: str | None = None
    witnesses: str | None = None
    significant: bool = False
    body_marks: tuple[BodyMark, ...] = field(default_factory=tuple)
    # A structured kind's fields, (name, text) in a fixed order; () for every other kind.
    details: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Version:
    id: str
    record_id: str
    version: int
    supersedes: str | None
    author: str
    written_at: datetime
    reason: str | None
    fields: VersionFields


def clean_text(value: str | None, field_name: str, *, required: bool = False) -> str | None:
    text = (value or "").replace("\r\n", "\n").strip()
    if not text:
        if required:
            raise InputError(field_name, "must not be empty")
        return None
    if len(text) > MAX_TEXT:
        raise InputError(field_name, f"is {len(text)} characters; the most is {MAX_TEXT}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # e.g. undecodable bytes from a terminal: lone surrogates
        raise InputError(field_name, "contains characters that are not valid text; retype "
                         "it or check the terminal's encoding") from None
    return text


def check_fields(fields: VersionFields, now: datetime) -> VersionFields:
    if fields.entry_kind not in ENTRY_KINDS:
        raise InputError("kind", "must be one of " + ", ".join(ENTRY_KINDS))
    if fields.occurred_at.tzinfo is None:
        raise InputError("occurred", "needs a time zone")
    if fields.occurred_at > now + FUTURE_SLACK:
        raise InputError("occurred", "is in the future")
    for index, mark in enumerate(fields.body_marks, start=1):
        mark.check(index)
    marks = tuple(mark.with_region() for mark in fields.body_marks)
    return VersionFields(
        occurred_at=fields.occurred_at, entry_kind=fields.entry_kind,
        summary=clean_text(fields.summary, "text", required=True) or "",
        categories=tuple(fields.categories), location=clean_text(fields.location, "location"),
        child_words=clean_text(fields.child_words, "child's words"),
        action_taken=clean_text(fields.action_taken, "action taken"),
        witnesses=clean_text(fields.witnesses, "witnesses"), significant=fields.significant,
        body_marks=marks, details=_checked_details(fields.details))


def _checked_details(details: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """Each field cleaned like any text; an empty one is left out (not known)."""
    cleaned = ((name, clean_text(value, name.replace("_", " "))) for name, value in details)
    return tuple((name, value) for name, value in cleaned if value)


def insert_record(session: Session, kind: str, children: list[tuple[str, str]],
                  fields: VersionFields, record_id: str | None = None) -> Version:
    """Inserts the record and its first version. Call inside a transaction."""
    conn = session.conn
    record_id = record_id or str(uuid.uuid4())
    now = iso(session.clock.now())
    conn.execute("INSERT INTO records (id, kind, created_by, created_at) VALUES (?,?,?,?)",
                 (record_id, kind, session.user.id, now))
    for child_id, role in children:
        if role not in CHILD_ROLES:
            raise InputError("child role", "must be one of " + ", ".join(CHILD_ROLES))
        conn.execute("INSERT INTO record_children (record_id, child_id, role) VALUES (?,?,?)",
                     (record_id, child_id, role))
    return insert_version(session, record_id, 1, None, None, fields)


def insert_version(session: Session, record_id: str, number: int, supersedes: str | None,
                   reason: str | None, fields: VersionFields) -> Version:
    version_id = str(uuid.uuid4())
    written = session.clock.now()
    cur = session.conn.execute(
        "INSERT INTO record_versions (id, record_id, version, supersedes, author_id, written_at,"
        " reason, occurred_at, entry_kind, categories, location, summary, child_words,"
        " action_taken, witnesses, significant, body_marks, details)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (version_id, record_id, number, supersedes, session.user.id, iso(written), reason,
         iso(fields.occurred_at), fields.entry_kind, json.dumps(list(fields.categories)),
         fields.location, fields.summary, fields.child_words, fields.action_taken,
         fields.witnesses, int(fields.significant),
         json.dumps([m.__dict__ for m in fields.body_marks]), details_json(fields.details)))
    session.conn.execute("INSERT INTO record_fts (rowid, summary, child_words, action_taken, "
                         "location) VALUES (?,?,?,?,?)",
                         (cur.lastrowid, fields.summary, fields.child_words or "",
                          fields.action_taken or "", fields.location or ""))
    return Version(version_id, record_id, number, supersedes, session.user.display_name,
                   written, reason, fields)


VERSION_COLUMNS = ("v.id, v.record_id, v.version, v.supersedes, u.display_name, v.written_at, "
                   "v.reason, v.occurred_at, v.entry_kind, v.categories, v.location, v.summary, "
                   "v.child_words, v.action_taken, v.witnesses, v.significant, v.body_marks, "
                   "v.details")
LATEST_VERSION = ("v.id = (SELECT id FROM record_versions WHERE record_id = v.record_id "
                  "ORDER BY version DESC, written_at DESC, id DESC LIMIT 1)")


def details_json(details: tuple[tuple[str, str], ...]) -> str | None:
    """The column's value: a JSON object in the fields' order, or NULL when there are none."""
    return json.dumps(dict(details), ensure_ascii=False) if details else None


def details_from_json(text: str | None) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in json.loads(text).items()) if text else ()


def version_from_row(row: tuple) -> Version:
    marks = tuple(BodyMark.from_json(m) for m in json.loads(row[16]))
    fields = VersionFields(parse_iso(row[7]), row[8], row[11], tuple(json.loads(row[9])),
                           row[10], row[12], row[13], row[14], bool(row[15]), marks,
                           details_from_json(row[17]))
    return Version(row[0], row[1], row[2], row[3], row[4], parse_iso(row[5]), row[6], fields)


def latest_version(conn: Connection, record_id: str) -> Version:
    row = conn.execute(f"SELECT {VERSION_COLUMNS} FROM record_versions v JOIN users u ON "
                       f"u.id = v.author_id WHERE v.record_id = ? AND {LATEST_VERSION}",
                       (record_id,)).fetchone()
    if row is None:
        raise NotFound("There is no such record.")
    return version_from_row(row)


def history(conn: Connection, record_id: str) -> list[Version]:
    rows = conn.execute(f"SELECT {VERSION_COLUMNS} FROM record_versions v JOIN users u ON "
                        "u.id = v.author_id WHERE v.record_id = ? ORDER BY v.version, "
                        "v.written_at, v.id", (record_id,)).fetchall()
    return [version_from_row(r) for r in rows]


def resolve_record_id(conn: Connection, some_id: str) -> str:
    """A record id, or the id of any of its versions → the record id."""
    some_id = some_id.strip().lower()
    row = conn.execute("SELECT id FROM records WHERE id = ? UNION ALL SELECT record_id FROM "
                       "record_versions WHERE id = ? LIMIT 1", (some_id, some_id)).fetchone()
    if row is None:
        raise NotFound("There is no record with that id.")
    return str(row[0])


_ID_SHAPE = re.compile(r"[0-9a-f-]{4,64}")  # a record id or its prefix, as the CLI takes it

# One refusal for every way a staff member asks for a record that is not theirs.
NOT_YOURS = "You can only see the concerns you recorded yourself."


def resolve_for(session: Session, some_id: str) -> str:
    """``resolve_record_id`` for a session. A session without the DSL store sees only its own
    records, so an id it cannot find may be someone else's: it is refused (and audited) as
    such, never told apart from one that does not exist."""
    try:
        return resolve_record_id(session.conn, some_id)
    except NotFound:
        if session.can(Perm.READ_ALL_RECORDS):
            raise
    # The id asked for, never anything else typed there (a name typed by mistake would sit
    # in the school store's trail, which every account can read): the DSL team sees who
    # tried which id.
    asked = some_id.strip().lower()[:64]
    session.audited("view", "record", asked if _ID_SHAPE.fullmatch(asked) else "(not an id)",
                    denied=True)
    raise AccessDenied(NOT_YOURS)


def record_owner(conn: Connection, record_id: str) -> tuple[str, str]:
    row = conn.execute("SELECT kind, created_by FROM records WHERE id = ?", (record_id,)
                       ).fetchone()
    if row is None:
        raise NotFound("There is no record with that id.")
    return row[0], row[1]


def amend(session: Session, record_id: str, reason: str, **changes: Any) -> Version:
    """A new version over the latest, with ``changes`` (fields of VersionFields; None means
    "leave as it is"). The caller checks the right to amend."""
    reason_text = clean_text(reason, "reason", required=True)
    wanted = {name: value for name, value in changes.items() if value is not None}
    with session.tx():
        current = latest_version(session.conn, record_id)
        checked = check_fields(replace(current.fields, **wanted), session.clock.now())
        if checked == current.fields:
            raise InputError("text", "the amendment changes nothing")
        version = insert_version(session, record_id, current.version + 1, current.id,
                                 reason_text, checked)
        session.audit("amend", "record", record_id, version=version.id)
        session.changed("record", record_id)  # to the DSL team (hub-sync.md)
    return version


def further_to(conn: Connection, record_ids: list[str]) -> dict[str, tuple[str, datetime]]:
    """For each of ``record_ids`` that is further information to a concern: the concern's id
    and when it was recorded (schema: ``record_links``)."""
    if not record_ids:
        return {}
    rows = conn.execute("SELECT l.record_id, l.further_to, r.created_at FROM record_links l "
                        "JOIN records r ON r.id = l.further_to WHERE l.record_id IN (SELECT "
                        "value FROM json_each(?))", (json.dumps(list(record_ids)),)).fetchall()
    return {r[0]: (r[1], parse_iso(r[2])) for r in rows}
