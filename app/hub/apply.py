"""Incoming replication: a snapshot payload applied as a union, insert-if-absent by id.

Records, versions, status events, flag events and referral versions have random ids made where
they were born and are never changed, so applying is "insert what is missing": the same
envelope twice, or two snapshots of one record from two PCs, change nothing the second time.
Two DSL PCs amending one record apart give two versions; both are kept and the latest (by
version number, then time written, then id) is shown on every PC alike.

Children are matched by UPN (each PC's roster rows have their own ids). A roster row is the one
mutable thing: the newer ``updated_at`` wins (ties broken by the values themselves, so every PC
picks the same) and the row it replaces is kept in ``child_history``.

Attachments come in chunks (app/hub/apply_attachments.py); the field checks every step shares are
in app/hub/apply_checks.py.

Everything is checked before it is written; the caller runs this inside one transaction, so a
payload that does not fit changes nothing.

What a payload may carry depends on what the school's admin approved its sending PC for
(``sender``; docs/hub-sync.md, "Trust"): a staff PC sends its concerns (their versions by their
author, signed by that author's own key: app/hub/authorship.py; their first "new" status) and
their attachments, naming only accounts and children
this PC knows, and never changes a roster row; an office PC sends only its "printed" marks on
referrals this PC holds; a DSL PC (and the admin's) sends what the DSL team does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import date
from typing import Any

from app.domain.destruction import REMEMBERED, destroy_rows, is_destroyed
from app.domain.records import CHILD_ROLES, ENTRY_KINDS, STRUCTURED_KINDS, details_json
from app.errors import InputError
from app.hub.apply_attachments import complete_waiting_attachments
from app.hub.apply_checks import (
    LIMITED,
    REFUSED_DESTROYED,
    Applied,
    BadPayload,
    NotAllowed,
    NotKnownYet,
    apply_users,
    as_list,
    as_object,
    child_of,
    id_field,
    insert_if_absent,
    known_user,
    text_field,
    time_field,
)
from app.hub.apply_leaving import apply_leaving
from app.hub.authorship import UNVERIFIABLE, check_authors
from app.identifiers import check_upn
from app.profile.model import SOURCES
from app.profile.profiles import KINDS
from app.store.db import Connection

_CHILD_FIELDS = ("legal_forename", "legal_surname", "preferred_forename", "date_of_birth",
                 "gender", "year_group", "nhs_number")


# -- applying ------------------------------------------------------------------------------

def apply_children(conn: Connection, children: list[Any], actor_id: str | None,
                   applied: Applied, *, known_only: bool = False) -> None:
    """Adds children this PC lacks; a newer row for a known UPN updates it (history kept).
    ``known_only`` (a staff or office PC's payload): refuses a child not here, changes none."""
    for i, raw in enumerate(children):
        where = f"child {i + 1}"
        c = as_object(raw, where)
        try:
            upn = check_upn(text_field(c, "upn", where, limit=20) or "")
            date.fromisoformat(text_field(c, "date_of_birth", where, limit=10) or "")
        except (ValueError, InputError):
            raise BadPayload(f"{where} needs a valid UPN and date of birth") from None
        values = tuple(text_field(c, k, where, optional=k in {"preferred_forename", "nhs_number"},
                             limit=200) for k in _CHILD_FIELDS)
        updated = time_field(c, "updated_at", where)
        row = conn.execute("SELECT id, updated_at, " + ", ".join(_CHILD_FIELDS) +
                           " FROM children WHERE upn = ?", (upn,)).fetchone()
        if row is None and known_only:
            raise NotKnownYet(f"{where} is not on this PC's roster yet")
        if row is None:
            cid = id_field(c, "id", where)
            if conn.execute("SELECT 1 FROM children WHERE id = ?", (cid,)).fetchone():
                cid = str(uuid.uuid4())
            conn.execute("INSERT INTO children (id, upn, " + ", ".join(_CHILD_FIELDS) +
                         ", updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)", (cid, upn, *values,
                                                                       updated))
            applied.add("children")
        elif tuple(row[2:]) != values and actor_id is not None and not known_only and \
                (updated, json.dumps(values)) > (row[1], json.dumps(list(row[2:]))):
            # The newer row wins; at the same instant, a fixed order of the values, so every
            # PC picks the same one.
            previous = {"id": row[0], "upn": upn, **dict(zip(_CHILD_FIELDS, row[2:],
                                                             strict=True))}
            conn.execute("INSERT INTO child_history (child_id, changed_at, changed_by, "
                         "previous) VALUES (?,?,?,?)", (row[0], updated, actor_id,
                                                        json.dumps(previous)))
            conn.execute("UPDATE children SET " + ", ".join(f"{k} = ?" for k in _CHILD_FIELDS) +
                         ", updated_at = ? WHERE id = ?", (*values, updated, row[0]))
            applied.add("children updated")


DESTROYED_FILES = "files destroyed at review"


def apply_record(conn: Connection, raw: object, n: int, applied: Applied) -> None:
    where = f"record {n}"
    r = as_object(raw, where)
    rid = id_field(r, "id", where)
    if is_destroyed(conn, "record", rid):  # an older copy, sent before the destruction
        applied.add(REFUSED_DESTROYED)
        return
    kind = r.get("kind")
    if kind not in {"concern", "entry"}:
        raise BadPayload(f"{where} kind must be concern or entry")
    existing = conn.execute("SELECT kind FROM records WHERE id = ?", (rid,)).fetchone()
    if existing is not None and existing[0] != kind:
        raise BadPayload(f"{where} is another kind of record here")
    added = insert_if_absent(conn, "records", {
        "id": rid, "kind": kind, "created_by": known_user(conn, id_field(r,
        "created_by", where), where),
        "created_at": time_field(r, "created_at", where)})
    applied.add("records", added)
    if added:  # attachments that arrived before their record
        applied.add("attachments", complete_waiting_attachments(conn, rid))
    links = as_list(r.get("children"), f"{where} children")
    if not links:
        raise BadPayload(f"{where} names no child")
    for link in links:
        link = as_object(link, f"{where} child")
        if link.get("role") not in CHILD_ROLES:
            raise BadPayload(f"{where} child role is not known")
        insert_if_absent(conn, "record_children", {"record_id": rid,
                                          "child_id": child_of(conn, link.get("upn"), where),
                                          "role": link["role"]})
    versions = as_list(r.get("versions"), f"{where} versions")
    if not versions:
        raise BadPayload(f"{where} has no version")
    for i, rawv in enumerate(versions):
        apply_version(conn, rid, as_object(rawv, f"{where} version {i + 1}"),
                      f"{where} version {i + 1}", applied)
    for i, raws in enumerate(as_list(r.get("statuses"), f"{where} statuses")):
        s = as_object(raws, f"{where} status {i + 1}")
        w = f"{where} status {i + 1}"
        applied.add("status events", insert_if_absent(conn, "record_status", {
            "id": id_field(s, "id", w), "record_id": rid,
            "status": text_field(s, "status", w, limit=32),
            "actor_id": known_user(conn, id_field(s, "actor_id", w), w), "at": time_field(s,
            "at", w),
            "note": text_field(s, "note", w, optional=True)}))
    if "further_to" in r:
        apply_link(conn, rid, r, where, new=bool(added))


def apply_link(conn: Connection, rid: str, r: dict[str, Any], where: str, *, new: bool) -> None:
    """Further information's link to the concern it adds to, born with the record and never
    changed: the concern must be here already (a snapshot carries it first), be by the same
    author (or the further information by a member of the DSL team) and name the same
    children. Anything else is refused, and the payload with it."""
    target = id_field(r, "further_to", where)
    here = conn.execute("SELECT further_to FROM record_links WHERE record_id = ?",
                        (rid,)).fetchone()
    if here is not None:
        if here[0] != target:
            raise BadPayload(f"{where} is further information to another concern here")
        return
    if not new:
        raise BadPayload(f"{where} was not further information when it reached this PC")
    row = conn.execute("SELECT kind, created_by FROM records WHERE id = ?", (target,)).fetchone()
    if row is None:
        raise BadPayload(f"{where} is further information to a concern it does not carry")
    kind, author = conn.execute("SELECT kind, created_by FROM records WHERE id = ?",
                                (rid,)).fetchone()
    if row[0] != "concern" or kind != "concern" or target == rid or \
            conn.execute("SELECT 1 FROM record_links WHERE record_id = ?", (target,)).fetchone():
        raise BadPayload(f"{where} is further information to something that is not a concern")
    roles = conn.execute("SELECT roles FROM users WHERE id = ?", (author,)).fetchone()
    if author != row[1] and "dsl" not in (roles[0] if roles else "").split(","):
        raise BadPayload(f"{where} is further information to another person's concern")
    children = "SELECT child_id FROM record_children WHERE record_id = ? ORDER BY child_id"
    if [c for (c,) in conn.execute(children, (rid,))] != \
            [c for (c,) in conn.execute(children, (target,))]:
        raise BadPayload(f"{where} is further information about other children than its "
                         "concern")
    insert_if_absent(conn, "record_links", {"record_id": rid, "further_to": target})


def apply_version(conn: Connection, record_id: str | None, v: dict[str, Any], where: str,
                  applied: Applied) -> None:
    vid = id_field(v, "id", where)
    row = conn.execute("SELECT record_id FROM record_versions WHERE id = ?", (vid,)).fetchone()
    if row is not None:
        if row[0] != record_id:
            raise BadPayload(f"{where} belongs to another record here")
        return
    number = v.get("version")
    if type(number) is not int or number < 1:
        raise BadPayload(f"{where} number must be a positive integer")
    if v.get("entry_kind") not in ENTRY_KINDS:
        raise BadPayload(f"{where} kind is not known")
    categories, marks = v.get("categories"), v.get("body_marks")
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories) \
            or not isinstance(marks, list):
        raise BadPayload(f"{where} categories and body marks must be lists")
    supersedes = id_field(v, "supersedes", where, optional=True)
    if supersedes and not conn.execute("SELECT 1 FROM record_versions WHERE id = ? AND "
                                       "record_id = ?", (supersedes, record_id)).fetchone():
        raise BadPayload(f"{where} corrects a version it does not carry")
    values = {"id": vid, "record_id": record_id, "version": number, "supersedes": supersedes,
              "author_id": known_user(conn, id_field(v, "author_id", where), where),
              "written_at": time_field(v, "written_at", where),
              "reason": text_field(v, "reason", where, optional=True),
              "occurred_at": time_field(v, "occurred_at", where), "entry_kind": v["entry_kind"],
              "categories": json.dumps(categories), "location": text_field(v, "location", where,
                                                                       optional=True),
              "summary": text_field(v, "summary", where),
              "child_words": text_field(v, "child_words", where, optional=True),
              "action_taken": text_field(v, "action_taken", where, optional=True),
              "witnesses": text_field(v, "witnesses", where, optional=True),
              "significant": int(bool(v.get("significant"))), "body_marks": json.dumps(marks),
              "details": _details(v, where)}
    cur = conn.execute("INSERT INTO record_versions (" + ", ".join(values) + ") VALUES (" +
                       ", ".join("?" for _ in values) + ")", tuple(values.values()))
    conn.execute("INSERT INTO record_fts (rowid, summary, child_words, action_taken, location) "
                 "VALUES (?,?,?,?,?)", (cur.lastrowid, values["summary"],
                                        values["child_words"] or "",
                                        values["action_taken"] or "", values["location"] or ""))
    applied.add("versions")


def _details(v: dict[str, Any], where: str) -> str | None:
    """A structured entry's fields: an object of texts, only on a kind that has them (a police
    notification), which must say who in school was told (app/domain/encompass.py)."""
    details = v.get("details")
    if v.get("entry_kind") not in STRUCTURED_KINDS:
        if details is not None:
            raise BadPayload(f"{where} has fields its kind does not have")
        return None
    d = as_object(details, f"{where} details")
    for key in d:
        if not isinstance(key, str) or len(key) > 64:
            raise BadPayload(f"{where} details name a field badly")
        text_field(d, key, f"{where} details")
    if not str(d.get("told") or "").strip():
        raise BadPayload(f"{where} does not say who in school was told")
    return details_json(tuple(d.items()))


def apply_flag(conn: Connection, raw: object, n: int, applied: Applied) -> None:
    where = f"flag event {n}"
    f = as_object(raw, where)
    if f.get("value") not in (0, 1):
        raise BadPayload(f"{where} value must be 0 or 1")
    if is_destroyed(conn, "flag", id_field(f, "id", where)):
        applied.add(REFUSED_DESTROYED)
        return
    applied.add("flag events", insert_if_absent(conn, "child_flag_events", {
        "id": id_field(f, "id", where), "child_id": child_of(conn, f.get("upn"), where),
        "flag": text_field(f, "flag", where, limit=64), "value": f["value"],
        "actor_id": known_user(conn, id_field(f, "actor_id", where), where), "at": time_field(f,
        "at", where),
        "note": text_field(f, "note", where, optional=True)}))


def apply_profile_item(conn: Connection, raw: object, n: int, applied: Applied) -> None:
    """One row of a child's profile; the receiving PC keeps the union of rows."""
    where = f"profile item {n}"
    p = as_object(raw, where)
    if is_destroyed(conn, "profile", id_field(p, "id", where)):
        applied.add(REFUSED_DESTROYED)
        return
    if p.get("kind") not in KINDS:
        raise BadPayload(f"{where} kind is not one of " + ", ".join(KINDS))
    if p.get("source") not in SOURCES:
        raise BadPayload(f"{where} source is not one of " + ", ".join(SOURCES))
    value = text_field(p, "value", where, optional=True, limit=20_000)
    if value is not None:
        try:
            json.loads(value)
        except ValueError:
            raise BadPayload(f"{where} value is not JSON") from None
    applied.add("profile items", insert_if_absent(conn, "profile_items", {
        "id": id_field(p, "id", where), "child_id": child_of(conn, p.get("upn"), where),
        "kind": p["kind"], "item_key": text_field(p, "item_key", where, limit=300),
        "value": value, "source": p["source"],
        "source_note": text_field(p, "source_note", where, optional=True, limit=300),
        "author_id": known_user(conn, id_field(p, "author_id", where), where),
        "at": time_field(p, "at", where)}))


def apply_referral(conn: Connection, raw: object, n: int, applied: Applied) -> None:
    where = f"referral {n}"
    r = as_object(raw, where)
    rid = id_field(r, "id", where)
    if is_destroyed(conn, "referral", rid):
        applied.add(REFUSED_DESTROYED)
        return
    applied.add("referrals", insert_if_absent(conn, "referrals", {
        "id": rid, "child_id": child_of(conn, r.get("upn"), where),
        "created_by": known_user(conn, id_field(r, "created_by", where), where),
        "created_at": time_field(r, "created_at", where)}))
    for i, rawv in enumerate(as_list(r.get("versions"), f"{where} versions")):
        w = f"{where} version {i + 1}"
        v = as_object(rawv, w)
        if type(v.get("version")) is not int:
            raise BadPayload(f"{w} number must be an integer")
        applied.add("referral versions", insert_if_absent(conn, "referral_versions", {
            "id": id_field(v, "id", w), "referral_id": rid, "version": v["version"],
            "author_id": known_user(conn, id_field(v, "author_id", w), w),
            "written_at": time_field(v, "written_at", w), "form": text_field(v,
            "form", w, limit=200_000),
            "entry_ids": text_field(v, "entry_ids", w, limit=200_000)}))
    for i, raws in enumerate(as_list(r.get("statuses"), f"{where} statuses")):
        w = f"{where} status {i + 1}"
        s = as_object(raws, w)
        applied.add("referral states", insert_if_absent(conn, "referral_status", {
            "id": id_field(s, "id", w), "referral_id": rid, "status": text_field(s,
            "status", w, limit=32),
            "actor_id": known_user(conn, id_field(s, "actor_id", w), w), "at": time_field(s,
            "at", w),
            "note": text_field(s, "note", w, optional=True)}))


def _check_staff(conn: Connection, payload: dict[str, Any]) -> None:
    """A staff PC's snapshot: its concerns, each with versions by the concern's author and at
    most its first "new" status; nothing of anyone else's record, no entry, flag or referral."""
    for key, what in (("flags", "flag events"), ("referrals", "referrals"),
                      ("profile", "children's profiles")):
        if as_list(payload.get(key), key):
            raise NotAllowed("staff", what)
    records = as_list(payload.get("records"), "records")
    if not records:
        raise NotAllowed("staff", "roster changes")
    for n, raw in enumerate(records, start=1):
        r = as_object(raw, f"record {n}")
        if r.get("kind") != "concern":
            raise NotAllowed("staff", "chronology entries")
        rid, creator = id_field(r, "id", f"record {n}"), id_field(r, "created_by", f"record {n}")
        here = conn.execute("SELECT kind, created_by FROM records WHERE id = ?",
                            (rid,)).fetchone()
        if here is not None and tuple(here) != ("concern", creator):
            raise NotAllowed("staff", "another person's record")
        if here is not None:
            linked = {tuple(x) for x in conn.execute(
                "SELECT c.upn, rc.role FROM record_children rc JOIN children c ON c.id = "
                "rc.child_id WHERE rc.record_id = ?", (rid,))}
            if any((str(as_object(x, f"record {n} child").get("upn")), str(x.get("role")))
                   not in linked for x in as_list(r.get("children"), f"record {n} children")):
                raise NotAllowed("staff", "children added to a concern already recorded")
        follows = r.get("further_to")
        if follows is not None:
            target = conn.execute("SELECT created_by FROM records WHERE id = ?",
                                  (follows,)).fetchone()
            if target is not None and target[0] != creator:
                raise NotAllowed("staff", "further information to another person's concern")
        for rawv in as_list(r.get("versions"), f"record {n} versions"):
            v = as_object(rawv, f"record {n} version")
            if v.get("author_id") != creator or v.get("entry_kind") != "concern":
                raise NotAllowed("staff", "versions of a concern by anyone but its author")
        statuses = [as_object(x, f"record {n} status") for x in
                    as_list(r.get("statuses"), f"record {n} statuses")]
        known = {row[0] for row in conn.execute("SELECT id FROM record_status WHERE "
                                                "record_id = ?", (rid,))}
        new = [x for x in statuses if id_field(x, "id", f"record {n} status") not in known]
        if any(x.get("status") != "new" or x.get("actor_id") != creator for x in new) \
                or (new and (here is not None or len(new) > 1)):
            raise NotAllowed("staff", "triage statuses")


def _check_office(conn: Connection, payload: dict[str, Any]) -> None:
    """An office PC's snapshot: referrals this PC holds, adding nothing but "printed" marks."""
    for key, what in (("records", "records"), ("flags", "flag events"),
                      ("profile", "children's profiles")):
        if as_list(payload.get(key), key):
            raise NotAllowed("office", what)
    referrals = as_list(payload.get("referrals"), "referrals")
    if not referrals:
        raise NotAllowed("office", "roster changes")
    for n, raw in enumerate(referrals, start=1):
        r = as_object(raw, f"referral {n}")
        rid = id_field(r, "id", f"referral {n}")
        if not conn.execute("SELECT 1 FROM referrals WHERE id = ?", (rid,)).fetchone():
            raise NotKnownYet(f"referral {n} is not on this PC yet")
        versions = {row[0] for row in conn.execute("SELECT id FROM referral_versions WHERE "
                                                   "referral_id = ?", (rid,))}
        if any(id_field(as_object(v, f"referral {n} version"), "id", f"referral {n} version")
               not in versions for v in as_list(r.get("versions"), f"referral {n} versions")):
            raise NotAllowed("office", "referral versions")
        known = {row[0] for row in conn.execute("SELECT id FROM referral_status WHERE "
                                                "referral_id = ?", (rid,))}
        for x in as_list(r.get("statuses"), f"referral {n} statuses"):
            s = as_object(x, f"referral {n} status")
            if id_field(s, "id", f"referral {n} status") not in known \
                    and s.get("status") != "printed":
                raise NotAllowed("office", "referral states other than its printed mark")


def apply_snapshot(conn: Connection, payload: dict[str, Any], sender: str = "dsl", *,
                   authors_signed: bool = False) -> Applied:
    """Applies a "record" or "roster" payload from a PC approved for ``sender`` (admin, dsl,
    staff or office). Call inside one transaction. A staff PC's snapshot through the hub must
    carry its authors' signatures (app/hub/authorship.py) unless ``authors_signed``: the
    caller checked the author's signature over the whole payload (a sealed item)."""
    if payload.get("type") != "snapshot":
        raise BadPayload("not a snapshot")
    applied = Applied()
    if sender == "staff":
        _check_staff(conn, payload)
    elif sender == "office":
        _check_office(conn, payload)
    limited = sender in LIMITED
    users = as_list(payload.get("users"), "users")
    apply_users(conn, users, applied, known_only=limited)
    by = payload.get("by")
    actor = by if isinstance(by, str) and conn.execute(
        "SELECT 1 FROM users WHERE id = ?", (by,)).fetchone() else None
    apply_children(conn, as_list(payload.get("children"), "children"), actor, applied,
                   known_only=limited)
    for n, record in enumerate(as_list(payload.get("records"), "records"), start=1):
        apply_record(conn, record, n, applied)
    for n, flag in enumerate(as_list(payload.get("flags"), "flags"), start=1):
        apply_flag(conn, flag, n, applied)
    for n, referral in enumerate(as_list(payload.get("referrals"), "referrals"), start=1):
        apply_referral(conn, referral, n, applied)
    for n, item in enumerate(as_list(payload.get("profile"), "profile"), start=1):
        apply_profile_item(conn, item, n, applied)
    decisions = as_list(payload.get("retention"), "retention")
    destroyed = as_list(payload.get("destroyed"), "destroyed")
    if (destroyed or decisions) and limited:
        raise NotAllowed(sender, "retention decisions and destructions")
    for n, decision in enumerate(decisions, start=1):
        apply_retention(conn, decision, n, applied)
    for n, item in enumerate(destroyed, start=1):
        apply_destruction(conn, item, n, applied)
    leaving = as_list(payload.get("leaving"), "leaving")
    if leaving and limited:
        raise NotAllowed(sender, "leavers and CP-file transfers")
    for n, block in enumerate(leaving, start=1):
        apply_leaving(conn, block, n, applied)
    if sender == "staff" and not authors_signed:
        # Last, once the payload's shape is known good; a refusal rolls back what it wrote.
        applied.add(UNVERIFIABLE, check_authors(conn, payload))
    return applied


def apply_retention(conn: Connection, raw: object, n: int, applied: Applied) -> None:
    """A review decision from another DSL PC, kept beside this PC's (insert-if-absent)."""
    where = f"retention decision {n}"
    d = as_object(raw, where)
    if is_destroyed(conn, "decision", id_field(d, "id", where)):
        applied.add(REFUSED_DESTROYED)
        return
    if d.get("decision") not in ("extend", "hold", "release"):
        raise BadPayload(f"{where} decision must be extend, hold or release")
    until = text_field(d, "until", where, optional=True, limit=10)
    if (until is None) != (d["decision"] != "extend"):
        raise BadPayload(f"{where}: an extension, and only an extension, has a date")
    if until is not None:
        try:
            date.fromisoformat(until)
        except ValueError:
            raise BadPayload(f"{where} until is not a date") from None
    applied.add("retention decisions", insert_if_absent(conn, "retention_decisions", {
        "id": id_field(d, "id", where), "child_id": child_of(conn, d.get("upn"), where),
        "decision": d["decision"], "until": until,
        "reason": text_field(d, "reason", where, limit=2000),
        "actor_id": known_user(conn, id_field(d, "actor_id", where), where),
        "at": time_field(d, "at", where)}))


def apply_destruction(conn: Connection, raw: object, n: int, applied: Applied) -> None:
    """A child's file destroyed at review on another DSL PC: the same rows go here, and the
    ids it destroyed are remembered so an older copy still on its way is refused. The
    receiving session compacts the store once the transaction commits (app/hub/sync.py)."""
    where = f"destruction {n}"
    d = as_object(raw, where)
    child_id = child_of(conn, d.get("upn"), where)
    at = time_field(d, "destroyed_at", where)
    ids = as_object(d.get("ids"), f"{where} ids")
    gone = destroy_rows(conn, child_id, at)
    for kind in REMEMBERED:
        for i, raw_id in enumerate(as_list(ids.get(kind), f"{where} {kind} ids")):
            if not isinstance(raw_id, str) or not 0 < len(raw_id) <= 64:
                raise BadPayload(f"{where} {kind} id {i + 1} is not an id")
            conn.execute("INSERT OR IGNORE INTO destroyed_items (id, kind, child_id, "
                         "destroyed_at) VALUES (?,?,?,?)", (raw_id, kind, child_id, at))
    applied.add(DESTROYED_FILES)
    applied.add("rows destroyed", sum(gone.counts.values()))


def apply_pack(conn: Connection, payload: dict[str, Any]) -> Applied:
    """A released pack for the office print queue: the child's row, the referral and the
    approved version it was rendered from, and the PDF, byte for byte (its SHA-256 checked)."""
    if payload.get("type") != "pack":
        raise BadPayload("not a released pack")
    applied = Applied()
    apply_users(conn, as_list(payload.get("users"), "users"), applied)
    by = payload.get("by")
    actor = by if isinstance(by, str) and conn.execute(
        "SELECT 1 FROM users WHERE id = ?", (by,)).fetchone() else None
    apply_children(conn, as_list(payload.get("children"), "children"), actor, applied)
    apply_referral(conn, payload.get("referral"), 1, applied)
    pack = as_object(payload.get("pack"), "pack")
    try:
        pdf = base64.b64decode(text_field(pack, "pdf", "pack", limit=12_000_000) or "",
                               validate=True)
    except ValueError:
        raise BadPayload("pack pdf is not base64") from None
    if hashlib.sha256(pdf).hexdigest() != pack.get("sha256") or not pdf.startswith(b"%PDF"):
        raise BadPayload("pack pdf does not match its sha256")
    referral_id = id_field(pack, "referral_id", "pack")
    version_id = id_field(pack, "referral_version_id", "pack")
    if not conn.execute("SELECT 1 FROM referral_versions WHERE id = ? AND referral_id = ?",
                        (version_id, referral_id)).fetchone():
        raise BadPayload("pack names a referral version it does not carry")
    applied.add("packs", insert_if_absent(conn, "referral_packs", {
        "id": id_field(pack, "id", "pack"), "referral_id": referral_id,
        "referral_version_id": version_id,
        "created_by": known_user(conn, id_field(pack, "created_by", "pack"), "pack"),
        "created_at": time_field(pack, "created_at", "pack"), "sha256": pack["sha256"],
        "pdf": pdf, "twin": text_field(pack, "twin", "pack", limit=12_000_000)}))
    return applied
