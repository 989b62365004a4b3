"""A child's chronology: their concerns and the DSL team's entries, in the order things happened.

Ordered by when it happened (the latest version's time), then when it was first written, then
id — a stable order every DSL machine agrees on, whatever order entries were recorded in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime

from app.clock import parse_iso
from app.domain.pupils import child_by_id
from app.domain.records import (
    ENTRY_KINDS,
    LATEST_VERSION,
    STRUCTURED_KINDS,
    BodyMark,
    Version,
    VersionFields,
    amend,
    check_fields,
    details_from_json,
    further_to,
    history,
    insert_record,
    latest_version,
    record_owner,
    resolve_for,
)
from app.domain.status_events import StatusEvent, events_for_child
from app.errors import InputError, NotFound
from app.store.roles import Perm
from app.store.session import Session

# The kinds an entry made with add_entry may be (a structured kind has its own form).
GENERAL_KINDS = tuple(k for k in ENTRY_KINDS if k != "concern" and k not in STRUCTURED_KINDS)

# A status change of a concern (acknowledged, assigned, actioned, closed) is an item of the
# chronology of its own: the DSL's note or the outcome is what happened next.
STATUS_KIND = "status"


@dataclass(frozen=True)
class ChronologyItem:
    record_id: str
    version_id: str
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    summary: str
    child_words: str | None
    categories: tuple[str, ...]
    author: str
    amended: bool
    significant: bool
    child_role: str
    location: str | None = None
    action_taken: str | None = None
    witnesses: str | None = None
    body_marks: tuple[BodyMark, ...] = ()
    # For a status item (kind "status"): the status and the words the DSL wrote with it;
    # ``summary`` is then how it reads ("Actioned — <note>", "Assigned to <name>").
    status: str | None = None
    note: str | None = None
    further_to_recorded: datetime | None = None  # further information to the concern of then
    # A structured entry's fields (a police notification's: app/domain/encompass.py).
    details: tuple[tuple[str, str], ...] = ()

    @property
    def is_status(self) -> bool:
        return self.kind == STATUS_KIND

    @property
    def recorded_late(self) -> bool:
        return (self.recorded_at - self.occurred_at).total_seconds() > 24 * 3600


def add_entry(session: Session, child_ids: list[str], kind: str, summary: str,
              occurred_at: datetime, *, significant: bool = False) -> Version:
    """An action, contact, meeting, referral, outcome or note by the DSL team."""
    session.require(Perm.ADD_ENTRY)
    if kind in STRUCTURED_KINDS:  # its fields are the point: it has a form of its own
        raise InputError("kind", "a police notification is added with its own form (Police "
                         "notification… on the child's page, or concerndesk-cli encompass add)")
    if kind not in ENTRY_KINDS or kind == "concern":
        raise InputError("kind", "must be one of " + ", ".join(GENERAL_KINDS))
    if not child_ids:
        raise InputError("child", "choose at least one child")
    for child_id in child_ids:
        child_by_id(session, child_id)
    fields = check_fields(VersionFields(occurred_at=occurred_at, entry_kind=kind,
                                        summary=summary, significant=significant),
                          session.clock.now())
    with session.tx():
        version = insert_record(session, "entry", [(c, "subject") for c in child_ids], fields)
        session.audit("create", "entry", version.record_id, kind=kind)
        session.changed("record", version.record_id)  # to the DSL team (hub-sync.md)
    return version


def amend_entry(session: Session, some_id: str, reason: str, *, summary: str | None = None,
                occurred_at: datetime | None = None, significant: bool | None = None
                ) -> Version:
    session.require(Perm.AMEND_ANY)
    record_id = resolve_for(session, some_id)
    kind, _owner = record_owner(session.conn, record_id)
    if kind != "entry":
        raise NotFound("There is no chronology entry with that id.")
    received = session.conn.execute("SELECT school FROM received_entries WHERE record_id = ?",
                                    (record_id,)).fetchone()
    if received is not None:  # the old school's record, as it sent it (issue #19)
        raise InputError("entry", f"it came from {received[0]} in a CP file and is read-only: "
                         "add an entry of your own to correct or add to it")
    if latest_version(session.conn, record_id).fields.entry_kind in STRUCTURED_KINDS:
        # Its text is made from its fields: amending the text alone would part them.
        raise InputError("kind", "a police notification is amended through its own form, "
                         "field by field (concerndesk-cli encompass amend)")
    return amend(session, record_id, reason, summary=summary, occurred_at=occurred_at,
                 significant=significant)


def record_history(session: Session, some_id: str) -> list[Version]:
    session.require(Perm.READ_ALL_RECORDS)
    record_id = resolve_for(session, some_id)
    session.audited("view", "record", record_id, history=True)
    return history(session.conn, record_id)


def chronology(session: Session, child_id: str, *, significant_only: bool = False,
               categories: set[str] | None = None, since: datetime | None = None,
               until: datetime | None = None, audit: bool = True) -> list[ChronologyItem]:
    """The child's chronology (DSL team only), audited as a view of the child's record."""
    session.require(Perm.READ_ALL_RECORDS)
    child_by_id(session, child_id)
    rows = session.conn.execute(
        "SELECT r.id, v.id, v.entry_kind, v.occurred_at, r.created_at, v.summary, "
        "v.child_words, v.categories, u.display_name, v.version, v.significant, rc.role, "
        "v.location, v.action_taken, v.witnesses, v.body_marks, v.details "
        "FROM record_children rc JOIN records r ON r.id = rc.record_id "
        "JOIN record_versions v ON v.record_id = r.id AND " + LATEST_VERSION +
        " JOIN users u ON u.id = r.created_by WHERE rc.child_id = ? "
        "ORDER BY v.occurred_at, r.created_at, r.id", (child_id,)).fetchall()
    items = [ChronologyItem(r[0], r[1], r[2], parse_iso(r[3]), parse_iso(r[4]), r[5], r[6],
                            tuple(json.loads(r[7])), r[8], r[9] > 1, bool(r[10]), r[11],
                            r[12], r[13], r[14],
                            tuple(BodyMark.from_json(m) for m in json.loads(r[15])),
                            details=details_from_json(r[16]))
             for r in rows]
    followed = further_to(session.conn, [i.record_id for i in items if i.kind == "concern"])
    items = [replace(i, further_to_recorded=followed[i.record_id][1])
             if i.record_id in followed else i for i in items]
    events = events_for_child(session.conn, child_id)
    if significant_only or categories:
        # A status item goes with its concern: shown when the concern is.
        kept = {i.record_id for i in items
                if (not significant_only or i.significant)
                and (not categories or categories.intersection(i.categories))}
        items = [i for i in items if i.record_id in kept]
        events = [e for e in events if e.record_id in kept]
    if events:
        # A status item takes its concern's role for this child and its significance: what
        # was done about a significant concern is part of it.
        of = {i.record_id: i for i in items}
        items = sorted(items + [_status_item(e, of.get(e.record_id)) for e in events],
                       key=_event_order)
    if since:
        items = [i for i in items if i.occurred_at >= since]
    if until:
        items = [i for i in items if i.occurred_at <= until]
    if audit:
        session.audited("view", "chronology", child_id, entries=len(items))
    return items


def _status_item(event: StatusEvent, concern: ChronologyItem | None) -> ChronologyItem:
    return ChronologyItem(event.record_id, event.id, STATUS_KIND, event.at, event.at,
                          event.text, None, (), event.actor, False,
                          bool(concern and concern.significant),
                          concern.child_role if concern else "subject",
                          status=event.status, note=event.words)


def _event_order(item: ChronologyItem) -> tuple:
    """When it happened, then when it was written; a concern before its own status events."""
    return (item.occurred_at, item.recorded_at, item.record_id, item.is_status,
            item.version_id)
