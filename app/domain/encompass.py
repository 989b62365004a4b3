"""Operation Encompass: the police's notification of a domestic abuse incident to the DSL.

Since 2025 police forces must tell a child's school about a domestic abuse incident before the
next school day (Victims and Prisoners Act 2024; statutory guidance of 7 Nov 2025). The DSL
records it here: when and how it came and from whom, the police reference, the incident, whether
the child was present, the child's words, the welfare check made, and who in school was told
and why (required: a notification nobody acted on is what the duty exists to prevent).

A notification is a chronology entry (a record of kind 'entry', ``entry_kind``
'police-notification') linked once to every child it concerns, each with a role, as a concern
can be. It lives in the DSL store, so only the DSL team reads it. The version's own columns
carry what the chronology, search and pack already show (incident time as ``occurred_at``,
place, child's words, a readable ``summary`` made from every field); the rest are its
``details`` (schema step 16 / DSL store step 3). A correction is a new version with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.clock import iso, parse_iso
from app.domain.pupils import Child, child_by_id
from app.domain.records import (
    CHILD_ROLES,
    FUTURE_SLACK,
    LATEST_VERSION,
    Version,
    VersionFields,
    amend,
    check_fields,
    insert_record,
    latest_version,
    record_owner,
    resolve_for,
)
from app.errors import InputError, NotFound
from app.store.roles import Perm
from app.store.session import Session
from app.uktime import uk_time
from app.wording import date_text

ENTRY_KIND = "police-notification"
CATEGORY = "domestic-abuse"  # the category list's "domestic abuse (incl. Operation Encompass)"
HOW_RECEIVED: dict[str, str] = {
    "phone": "Phone",
    "secure-email": "Secure email",
    "portal": "Operation Encompass portal",
    "in-person": "In person",
}
CHILD_PRESENT: dict[str, str] = {"yes": "Yes", "no": "No", "not-known": "Not known"}
TOLD_REQUIRED = ("say who in school was told about this notification, and why (for example "
                 "\"Class teacher Ms Rahman, so she can watch for tiredness today\"): it is "
                 "required, so the notification reaches the people who support the child")

# Every field by name, with its label and the group the form shows it in; the CLI's --field
# names, the dialog's rows and the pack's lines all come from here.
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("received_at", "Received", "How it came"),
    ("received_how", "How", "How it came"),
    ("officer", "Officer", "How it came"),
    ("force", "Force", "How it came"),
    ("police_reference", "Police reference", "The incident"),
    ("incident_at", "Date and time of the incident", "The incident"),
    ("incident_place", "Place", "The incident"),
    ("child_present", "Child present", "The child"),
    ("child_where", "Where the child was", "The child"),
    ("child_words", "The child's words", "The child"),
    ("circumstances", "Circumstances", "The incident"),
    ("welfare_check", "Welfare check made", "In school"),
    ("welfare_by", "Welfare check by", "In school"),
    ("welfare_at", "Welfare check when", "In school"),
    ("told", "Who in school was told, and why", "In school"),
)
LABELS = {name: label for name, label, _group in FIELDS}
# The fields kept in ``details`` (the rest are the version's own columns).
DETAIL_FIELDS = ("received_at", "received_how", "officer", "force", "police_reference",
                 "child_present", "child_where", "circumstances", "welfare_check", "welfare_by",
                 "welfare_at", "told")


@dataclass(frozen=True)
class Notification:
    """A police notification as the DSL confirmed it. Text fields are "" when not known."""

    received_at: datetime
    received_how: str
    incident_at: datetime
    told: str
    officer: str = ""
    force: str = ""
    police_reference: str = ""
    incident_place: str = ""
    child_present: str = "not-known"
    child_where: str = ""
    child_words: str = ""
    circumstances: str = ""
    welfare_check: str = ""
    welfare_by: str = ""
    welfare_at: datetime | None = None


@dataclass(frozen=True)
class NotificationView:
    record_id: str
    version: Version
    notification: Notification
    children: tuple[tuple[Child, str], ...]  # each child with their role

    @property
    def amended(self) -> bool:
        return self.version.version > 1


def _when(moment: datetime) -> str:
    """UK wall-clock time, as every PC writes it the same (the summary is stored text)."""
    local, zone = uk_time(moment)
    return f"{date_text(local.date())} {local:%H:%M} {zone}"


def summary_text(n: Notification) -> str:
    """The entry's readable text, made from its fields: what the chronology, search and a
    generic reader show."""
    source = ", ".join(p for p in (n.officer.strip(), n.force.strip()) if p)
    head = (f"Police notification (Operation Encompass), received {_when(n.received_at)} "
            f"by {HOW_RECEIVED.get(n.received_how, n.received_how).lower()}"
            + (f" from {source}" if source else "") + ".")
    lines = [head]
    if n.police_reference.strip():
        lines.append(f"Police reference: {n.police_reference.strip()}")
    present = CHILD_PRESENT.get(n.child_present, n.child_present)
    lines.append(f"Child present: {present}"
                 + (f" — {n.child_where.strip()}" if n.child_where.strip() else ""))
    if n.circumstances.strip():
        lines.append(f"Circumstances: {n.circumstances.strip()}")
    if n.welfare_check.strip():
        by = f" by {n.welfare_by.strip()}" if n.welfare_by.strip() else ""
        at = f", {_when(n.welfare_at)}" if n.welfare_at else ""
        lines.append(f"Welfare check{by}{at}: {n.welfare_check.strip()}")
    lines.append(f"Told in school: {n.told.strip()}")
    return "\n".join(lines)


def _details(n: Notification) -> tuple[tuple[str, str], ...]:
    values = {"received_at": iso(n.received_at),
              "welfare_at": iso(n.welfare_at) if n.welfare_at else ""}
    return tuple((name, values.get(name, getattr(n, name))) for name in DETAIL_FIELDS)


def checked(n: Notification, now: datetime) -> Notification:
    """The notification as it may be kept, or InputError naming the field to fix."""
    if not n.told.strip():
        raise InputError("told", TOLD_REQUIRED)
    if n.received_how not in HOW_RECEIVED:
        raise InputError("received_how", "how it came must be one of " +
                         ", ".join(HOW_RECEIVED))
    if n.child_present not in CHILD_PRESENT:
        raise InputError("child_present", "must be one of " + ", ".join(CHILD_PRESENT))
    for name in ("received_at", "incident_at", "welfare_at"):
        moment = getattr(n, name)
        if moment is None:
            continue
        if moment.tzinfo is None:
            raise InputError(name, "needs a time zone")
        if moment > now + FUTURE_SLACK:
            raise InputError(name, f"{LABELS[name].lower()} is in the future")
    if n.incident_at > n.received_at + FUTURE_SLACK:
        raise InputError("incident_at", "the incident is after the notification was "
                         "received: check both dates")
    return n


def _fields(n: Notification, significant: bool, now: datetime) -> VersionFields:
    return check_fields(VersionFields(
        occurred_at=n.incident_at, entry_kind=ENTRY_KIND, summary=summary_text(n),
        categories=(CATEGORY,), location=n.incident_place, child_words=n.child_words,
        significant=significant, details=_details(n)), now)


def add_notification(session: Session, children: list[tuple[str, str]], n: Notification, *,
                     significant: bool = True) -> Version:
    """Records a police notification once, linked to each of ``children`` (child id, role):
    each child's chronology shows it, by when the incident happened. Significant unless the
    DSL says otherwise: a domestic abuse incident at home is a significant event."""
    session.require(Perm.ADD_ENTRY)
    if not children:
        raise InputError("child", "choose at least one child the notification is about")
    seen: set[str] = set()
    for child_id, role in children:
        if role not in CHILD_ROLES:
            raise InputError("child role", "must be one of " + ", ".join(CHILD_ROLES))
        if child_id in seen:
            raise InputError("child", "each child is named once")
        seen.add(child_id)
        child_by_id(session, child_id)
    now = session.clock.now()
    fields = _fields(checked(n, now), significant, now)
    with session.tx():
        version = insert_record(session, "entry", list(children), fields)
        session.audit("create", "entry", version.record_id, kind=ENTRY_KIND,
                      children=len(children))
        session.changed("record", version.record_id)  # to the DSL team (hub-sync.md)
    return version


def amend_notification(session: Session, some_id: str, reason: str, n: Notification, *,
                       significant: bool | None = None) -> Version:
    """A correction: a new version with every field as now given, and the reason."""
    session.require(Perm.AMEND_ANY)
    record_id = _notification_id(session, some_id)
    now = session.clock.now()
    current = latest_version(session.conn, record_id).fields
    fields = _fields(checked(n, now), current.significant if significant is None
                     else significant, now)
    return amend(session, record_id, reason, occurred_at=fields.occurred_at,
                 summary=fields.summary, location=fields.location or "",
                 child_words=fields.child_words or "", significant=fields.significant,
                 details=fields.details)


def _notification_id(session: Session, some_id: str) -> str:
    record_id = resolve_for(session, some_id)
    kind, _owner = record_owner(session.conn, record_id)
    if kind != "entry" or latest_version(session.conn, record_id).fields.entry_kind \
            != ENTRY_KIND:
        raise NotFound("There is no police notification with that id.")
    return record_id


def from_version(version: Version) -> Notification:
    """The notification a version of the entry holds."""
    f = version.fields
    d = dict(f.details)
    return Notification(
        received_at=parse_iso(d["received_at"]) if d.get("received_at") else f.occurred_at,
        received_how=d.get("received_how", ""), incident_at=f.occurred_at,
        told=d.get("told", ""), officer=d.get("officer", ""), force=d.get("force", ""),
        police_reference=d.get("police_reference", ""), incident_place=f.location or "",
        child_present=d.get("child_present", "not-known"),
        child_where=d.get("child_where", ""), child_words=f.child_words or "",
        circumstances=d.get("circumstances", ""), welfare_check=d.get("welfare_check", ""),
        welfare_by=d.get("welfare_by", ""),
        welfare_at=parse_iso(d["welfare_at"]) if d.get("welfare_at") else None)


def labelled(details: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """A version's details as (label, text) for people: times in UK time, codes in words."""
    out = []
    for name, value in details:
        if name in ("received_at", "welfare_at"):
            value = _when(parse_iso(value))
        elif name == "received_how":
            value = HOW_RECEIVED.get(value, value)
        elif name == "child_present":
            value = CHILD_PRESENT.get(value, value)
        out.append((LABELS.get(name, name.replace("_", " ").capitalize()), value))
    return out


def get_notification(session: Session, some_id: str) -> NotificationView:
    session.require(Perm.READ_ALL_RECORDS)
    record_id = _notification_id(session, some_id)
    session.audited("view", "record", record_id)
    return _view(session, record_id)


def _view(session: Session, record_id: str) -> NotificationView:
    version = latest_version(session.conn, record_id)
    children = tuple((child_by_id(session, child_id), role) for child_id, role in
                     session.conn.execute("SELECT child_id, role FROM record_children WHERE "
                                          "record_id = ? ORDER BY rowid", (record_id,)))
    return NotificationView(record_id, version, from_version(version), children)


def notifications(session: Session, child_id: str | None = None, *,
                  since: datetime | None = None) -> list[NotificationView]:
    """The police notifications (of one child, or all), by when the incident happened."""
    session.require(Perm.READ_ALL_RECORDS)
    where, params = "", []
    if child_id is not None:
        child_by_id(session, child_id)
        where, params = (" AND r.id IN (SELECT record_id FROM record_children WHERE "
                         "child_id = ?)", [child_id])
    if since is not None:
        where += " AND v.occurred_at >= ?"
        params.append(iso(since))
    ids = [row[0] for row in session.conn.execute(
        "SELECT r.id FROM records r JOIN record_versions v ON v.record_id = r.id AND "
        + LATEST_VERSION + " WHERE r.kind = 'entry' AND v.entry_kind = ?" + where +
        " ORDER BY v.occurred_at, r.created_at, r.id", (ENTRY_KIND, *params))]
    session.audited("view", "police-notifications", child_id, count=len(ids))
    return [_view(session, record_id) for record_id in ids]
