"""Incoming replication: a snapshot payload applied as a union, insert-if-absent by id.

Records, versions, status events, flag events and referral versions have random ids made where
they were born and are never changed, so applying is "insert what is missing": the same
envelope twice, or two snapshots of one record from two PCs, change nothing the second time.
Two DSL PCs amending one record apart give two versions; both are kept and the latest (by
version number, then time written, then id) is shown on every PC alike.

Children are matched by UPN (each PC's roster rows have their own ids). A roster row is the one
mutable thing: the newer ``updated_at`` wins (ties broken by the values themselves, so every PC
picks the same) and the row it replaces is kept in ``child_history``.

Attachments come in chunks (``apply_attachment_chunk``): staged out of sight until one split is
whole, matches its SHA-256 and its record is here; only then is the file an attachment.

Everything is checked before it is written; the caller runs this inside one transaction, so a
payload that does not fit changes nothing.

What a payload may carry depends on what the school's admin approved its sending PC for
(``sender``; docs/hub-sync.md, "Trust"): a staff PC sends its concerns (their versions by their
author, their first "new" status) and their attachments, naming only accounts and children
this PC knows, and never changes a roster row; an office PC sends only its "printed" marks on
referrals this PC holds; a DSL PC (and the admin's) sends what the DSL team does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.attachments import MAX_BYTES as MAX_ATTACHMENT_BYTES
from app.clock import parse_iso
from app.db import Connection
from app.errors import InputError
from app.identifiers import check_upn
from app.records import CHILD_ROLES, ENTRY_KINDS
from app.roles import ROLES
from app.sync.envelope import EnvelopeError

_CHILD_FIELDS = ("legal_forename", "legal_surname", "preferred_forename", "date_of_birth",
                 "gender", "year_group", "nhs_number")


@dataclass
class Applied:
    """What one payload added (zero everywhere when it was already here)."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, n: int = 1) -> None:
        if n:
            self.counts[what] = self.counts.get(what, 0) + n

    @property
    def changed(self) -> bool:
        return any(self.counts.values())


class BadPayload(EnvelopeError):
    def __init__(self, problem: str) -> None:
        super().__init__(f"payload: {problem}")


class NotAllowed(EnvelopeError):
    """Well formed, but more than its sender's purpose allows it to send."""

    def __init__(self, sender: str, what: str) -> None:
        article = "an" if sender[:1] in "aeiou" else "a"
        super().__init__(f"{article} {sender} PC may not send {what}")


class NotKnownYet(EnvelopeError):
    """Names an account or child this PC does not know yet, from a PC that may not add them:
    the admin's update may still be on its way, so the caller keeps it to try again."""


LIMITED = ("staff", "office")  # senders whose payloads may add no account, child or row


# -- checking ------------------------------------------------------------------------------

def _obj(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadPayload(f"{where} must be an object")
    return value


def _list(value: object, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadPayload(f"{where} must be a list")
    return value


def _text(obj: dict[str, Any], key: str, where: str, *, optional: bool = False,
          limit: int = 40_000) -> str | None:
    value = obj.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or (not value and not optional) or len(value) > limit:
        raise BadPayload(f"{where} {key} must be text")
    return value


def _id(obj: dict[str, Any], key: str, where: str, *, optional: bool = False) -> str | None:
    value = _text(obj, key, where, optional=optional, limit=64)
    if value is None:
        return None
    try:
        if str(uuid.UUID(value)) != value:
            raise ValueError
    except ValueError:
        raise BadPayload(f"{where} {key} must be a lower-case UUID") from None
    return value


def _time(obj: dict[str, Any], key: str, where: str) -> str:
    value = _text(obj, key, where, limit=40)
    try:
        parse_iso(value or "")
    except ValueError:
        raise BadPayload(f"{where} {key} must be a time") from None
    return value or ""


def parse_payload(raw: bytes) -> dict[str, Any]:
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadPayload("not JSON") from None
    obj = _obj(obj, "payload")
    if obj.get("v") != 1:
        raise BadPayload("unknown version")
    return obj


# -- applying ------------------------------------------------------------------------------

def apply_users(conn: Connection, users: list[Any], applied: Applied, *,
                known_only: bool = False) -> None:
    """Adds accounts this PC lacks (``known_only``: refuses them instead)."""
    for i, raw in enumerate(users):
        u = _obj(raw, f"user {i + 1}")
        where = f"user {i + 1}"
        uid, username = _id(u, "id", where), _text(u, "username", where, limit=200)
        display = _text(u, "display_name", where, limit=200)
        roles = _list(u.get("roles"), f"{where} roles")
        if not roles or not all(r in ROLES for r in roles):
            raise BadPayload(f"{where} roles must be from {', '.join(ROLES)}")
        created = _time(u, "created_at", where)
        row = conn.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()
        if row is not None:
            if row[0] != uid:
                raise BadPayload(f"{where}: the account '{username}' is another person's here")
            continue
        if conn.execute("SELECT 1 FROM users WHERE id = ?", (uid,)).fetchone():
            raise BadPayload(f"{where}: that account has another username here")
        if known_only:
            raise NotKnownYet(f"{where} is an account this PC does not know yet")
        conn.execute("INSERT INTO users (id, username, display_name, roles, created_at) "
                     "VALUES (?,?,?,?,?)", (uid, username, display, ",".join(roles), created))
        applied.add("users")


def apply_children(conn: Connection, children: list[Any], actor_id: str | None,
                   applied: Applied, *, known_only: bool = False) -> None:
    """Adds children this PC lacks; a newer row for a known UPN updates it (history kept).
    ``known_only`` (a staff or office PC's payload): refuses a child not here, changes none."""
    for i, raw in enumerate(children):
        where = f"child {i + 1}"
        c = _obj(raw, where)
        try:
            upn = check_upn(_text(c, "upn", where, limit=20) or "")
            date.fromisoformat(_text(c, "date_of_birth", where, limit=10) or "")
        except (ValueError, InputError):
            raise BadPayload(f"{where} needs a valid UPN and date of birth") from None
        values = tuple(_text(c, k, where, optional=k in {"preferred_forename", "nhs_number"},
                             limit=200) for k in _CHILD_FIELDS)
        updated = _time(c, "updated_at", where)
        row = conn.execute("SELECT id, updated_at, " + ", ".join(_CHILD_FIELDS) +
                           " FROM children WHERE upn = ?", (upn,)).fetchone()
        if row is None and known_only:
            raise NotKnownYet(f"{where} is not on this PC's roster yet")
        if row is None:
            cid = _id(c, "id", where)
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


def _child_id(conn: Connection, upn: object, where: str) -> str:
    row = conn.execute("SELECT id FROM children WHERE upn = ?", (upn,)).fetchone()
    if row is None:
        raise BadPayload(f"{where} names a child it does not carry")
    return str(row[0])


def _user(conn: Connection, user_id: str | None, where: str) -> str:
    if user_id is None or conn.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)
                                       ).fetchone() is None:
        raise BadPayload(f"{where} names an account it does not carry")
    return user_id


def _insert(conn: Connection, table: str, row: dict[str, Any]) -> int:
    columns = ", ".join(row)
    cur = conn.execute(f"INSERT INTO {table} ({columns}) VALUES "
                       f"({', '.join('?' for _ in row)}) ON CONFLICT DO NOTHING",
                       tuple(row.values()))
    return int(cur.rowcount or 0)


def apply_record(conn: Connection, raw: object, n: int, applied: Applied) -> None:
    where = f"record {n}"
    r = _obj(raw, where)
    rid = _id(r, "id", where)
    kind = r.get("kind")
    if kind not in {"concern", "entry"}:
        raise BadPayload(f"{where} kind must be concern or entry")
    existing = conn.execute("SELECT kind FROM records WHERE id = ?", (rid,)).fetchone()
    if existing is not None and existing[0] != kind:
        raise BadPayload(f"{where} is another kind of record here")
    added = _insert(conn, "records", {
        "id": rid, "kind": kind, "created_by": _user(conn, _id(r, "created_by", where), where),
        "created_at": _time(r, "created_at", where)})
    applied.add("records", added)
    if added:  # attachments that arrived before their record
        applied.add("attachments", complete_waiting_attachments(conn, rid))
    links = _list(r.get("children"), f"{where} children")
    if not links:
        raise BadPayload(f"{where} names no child")
    for link in links:
        link = _obj(link, f"{where} child")
        if link.get("role") not in CHILD_ROLES:
            raise BadPayload(f"{where} child role is not known")
        _insert(conn, "record_children", {"record_id": rid,
                                          "child_id": _child_id(conn, link.get("upn"), where),
                                          "role": link["role"]})
    versions = _list(r.get("versions"), f"{where} versions")
    if not versions:
        raise BadPayload(f"{where} has no version")
    for i, rawv in enumerate(versions):
        apply_version(conn, rid, _obj(rawv, f"{where} version {i + 1}"),
                      f"{where} version {i + 1}", applied)
    for i, raws in enumerate(_list(r.get("statuses"), f"{where} statuses")):
        s = _obj(raws, f"{where} status {i + 1}")
        w = f"{where} status {i + 1}"
        applied.add("status events", _insert(conn, "record_status", {
            "id": _id(s, "id", w), "record_id": rid,
            "status": _text(s, "status", w, limit=32),
            "actor_id": _user(conn, _id(s, "actor_id", w), w), "at": _time(s, "at", w),
            "note": _text(s, "note", w, optional=True)}))


def apply_version(conn: Connection, record_id: str | None, v: dict[str, Any], where: str,
                  applied: Applied) -> None:
    vid = _id(v, "id", where)
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
    supersedes = _id(v, "supersedes", where, optional=True)
    if supersedes and not conn.execute("SELECT 1 FROM record_versions WHERE id = ? AND "
                                       "record_id = ?", (supersedes, record_id)).fetchone():
        raise BadPayload(f"{where} corrects a version it does not carry")
    values = {"id": vid, "record_id": record_id, "version": number, "supersedes": supersedes,
              "author_id": _user(conn, _id(v, "author_id", where), where),
              "written_at": _time(v, "written_at", where),
              "reason": _text(v, "reason", where, optional=True),
              "occurred_at": _time(v, "occurred_at", where), "entry_kind": v["entry_kind"],
              "categories": json.dumps(categories), "location": _text(v, "location", where,
                                                                       optional=True),
              "summary": _text(v, "summary", where),
              "child_words": _text(v, "child_words", where, optional=True),
              "action_taken": _text(v, "action_taken", where, optional=True),
              "witnesses": _text(v, "witnesses", where, optional=True),
              "significant": int(bool(v.get("significant"))), "body_marks": json.dumps(marks)}
    cur = conn.execute("INSERT INTO record_versions (" + ", ".join(values) + ") VALUES (" +
                       ", ".join("?" for _ in values) + ")", tuple(values.values()))
    conn.execute("INSERT INTO record_fts (rowid, summary, child_words, action_taken, location) "
                 "VALUES (?,?,?,?,?)", (cur.lastrowid, values["summary"],
                                        values["child_words"] or "",
                                        values["action_taken"] or "", values["location"] or ""))
    applied.add("versions")


def apply_flag(conn: Connection, raw: object, n: int, applied: Applied) -> None:
    where = f"flag event {n}"
    f = _obj(raw, where)
    if f.get("value") not in (0, 1):
        raise BadPayload(f"{where} value must be 0 or 1")
    applied.add("flag events", _insert(conn, "child_flag_events", {
        "id": _id(f, "id", where), "child_id": _child_id(conn, f.get("upn"), where),
        "flag": _text(f, "flag", where, limit=64), "value": f["value"],
        "actor_id": _user(conn, _id(f, "actor_id", where), where), "at": _time(f, "at", where),
        "note": _text(f, "note", where, optional=True)}))


def apply_referral(conn: Connection, raw: object, n: int, applied: Applied) -> None:
    where = f"referral {n}"
    r = _obj(raw, where)
    rid = _id(r, "id", where)
    applied.add("referrals", _insert(conn, "referrals", {
        "id": rid, "child_id": _child_id(conn, r.get("upn"), where),
        "created_by": _user(conn, _id(r, "created_by", where), where),
        "created_at": _time(r, "created_at", where)}))
    for i, rawv in enumerate(_list(r.get("versions"), f"{where} versions")):
        w = f"{where} version {i + 1}"
        v = _obj(rawv, w)
        if type(v.get("version")) is not int:
            raise BadPayload(f"{w} number must be an integer")
        applied.add("referral versions", _insert(conn, "referral_versions", {
            "id": _id(v, "id", w), "referral_id": rid, "version": v["version"],
            "author_id": _user(conn, _id(v, "author_id", w), w),
            "written_at": _time(v, "written_at", w), "form": _text(v, "form", w, limit=200_000),
            "entry_ids": _text(v, "entry_ids", w, limit=200_000)}))
    for i, raws in enumerate(_list(r.get("statuses"), f"{where} statuses")):
        w = f"{where} status {i + 1}"
        s = _obj(raws, w)
        applied.add("referral states", _insert(conn, "referral_status", {
            "id": _id(s, "id", w), "referral_id": rid, "status": _text(s, "status", w, limit=32),
            "actor_id": _user(conn, _id(s, "actor_id", w), w), "at": _time(s, "at", w),
            "note": _text(s, "note", w, optional=True)}))


def _check_staff(conn: Connection, payload: dict[str, Any]) -> None:
    """A staff PC's snapshot: its concerns, each with versions by the concern's author and at
    most its first "new" status; nothing of anyone else's record, no entry, flag or referral."""
    for key, what in (("flags", "flag events"), ("referrals", "referrals")):
        if _list(payload.get(key), key):
            raise NotAllowed("staff", what)
    records = _list(payload.get("records"), "records")
    if not records:
        raise NotAllowed("staff", "roster changes")
    for n, raw in enumerate(records, start=1):
        r = _obj(raw, f"record {n}")
        if r.get("kind") != "concern":
            raise NotAllowed("staff", "chronology entries")
        rid, creator = _id(r, "id", f"record {n}"), _id(r, "created_by", f"record {n}")
        here = conn.execute("SELECT kind, created_by FROM records WHERE id = ?",
                            (rid,)).fetchone()
        if here is not None and tuple(here) != ("concern", creator):
            raise NotAllowed("staff", "another person's record")
        if here is not None:
            linked = {tuple(x) for x in conn.execute(
                "SELECT c.upn, rc.role FROM record_children rc JOIN children c ON c.id = "
                "rc.child_id WHERE rc.record_id = ?", (rid,))}
            if any((str(_obj(x, f"record {n} child").get("upn")), str(x.get("role")))
                   not in linked for x in _list(r.get("children"), f"record {n} children")):
                raise NotAllowed("staff", "children added to a concern already recorded")
        for rawv in _list(r.get("versions"), f"record {n} versions"):
            v = _obj(rawv, f"record {n} version")
            if v.get("author_id") != creator or v.get("entry_kind") != "concern":
                raise NotAllowed("staff", "versions of a concern by anyone but its author")
        statuses = [_obj(x, f"record {n} status") for x in
                    _list(r.get("statuses"), f"record {n} statuses")]
        known = {row[0] for row in conn.execute("SELECT id FROM record_status WHERE "
                                                "record_id = ?", (rid,))}
        new = [x for x in statuses if _id(x, "id", f"record {n} status") not in known]
        if any(x.get("status") != "new" or x.get("actor_id") != creator for x in new) \
                or (new and (here is not None or len(new) > 1)):
            raise NotAllowed("staff", "triage statuses")


def _check_office(conn: Connection, payload: dict[str, Any]) -> None:
    """An office PC's snapshot: referrals this PC holds, adding nothing but "printed" marks."""
    for key, what in (("records", "records"), ("flags", "flag events")):
        if _list(payload.get(key), key):
            raise NotAllowed("office", what)
    referrals = _list(payload.get("referrals"), "referrals")
    if not referrals:
        raise NotAllowed("office", "roster changes")
    for n, raw in enumerate(referrals, start=1):
        r = _obj(raw, f"referral {n}")
        rid = _id(r, "id", f"referral {n}")
        if not conn.execute("SELECT 1 FROM referrals WHERE id = ?", (rid,)).fetchone():
            raise NotKnownYet(f"referral {n} is not on this PC yet")
        versions = {row[0] for row in conn.execute("SELECT id FROM referral_versions WHERE "
                                                   "referral_id = ?", (rid,))}
        if any(_id(_obj(v, f"referral {n} version"), "id", f"referral {n} version")
               not in versions for v in _list(r.get("versions"), f"referral {n} versions")):
            raise NotAllowed("office", "referral versions")
        known = {row[0] for row in conn.execute("SELECT id FROM referral_status WHERE "
                                                "referral_id = ?", (rid,))}
        for x in _list(r.get("statuses"), f"referral {n} statuses"):
            s = _obj(x, f"referral {n} status")
            if _id(s, "id", f"referral {n} status") not in known \
                    and s.get("status") != "printed":
                raise NotAllowed("office", "referral states other than its printed mark")


def apply_snapshot(conn: Connection, payload: dict[str, Any], sender: str = "dsl") -> Applied:
    """Applies a "record" or "roster" payload from a PC approved for ``sender`` (admin, dsl,
    staff or office). Call inside one transaction."""
    if payload.get("type") != "snapshot":
        raise BadPayload("not a snapshot")
    if sender == "staff":
        _check_staff(conn, payload)
    elif sender == "office":
        _check_office(conn, payload)
    limited = sender in LIMITED
    applied = Applied()
    users = _list(payload.get("users"), "users")
    apply_users(conn, users, applied, known_only=limited)
    by = payload.get("by")
    actor = by if isinstance(by, str) and conn.execute(
        "SELECT 1 FROM users WHERE id = ?", (by,)).fetchone() else None
    apply_children(conn, _list(payload.get("children"), "children"), actor, applied,
                   known_only=limited)
    for n, record in enumerate(_list(payload.get("records"), "records"), start=1):
        apply_record(conn, record, n, applied)
    for n, flag in enumerate(_list(payload.get("flags"), "flags"), start=1):
        apply_flag(conn, flag, n, applied)
    for n, referral in enumerate(_list(payload.get("referrals"), "referrals"), start=1):
        apply_referral(conn, referral, n, applied)
    return applied


def apply_pack(conn: Connection, payload: dict[str, Any]) -> Applied:
    """A released pack for the office print queue: the child's row, the referral and the
    approved version it was rendered from, and the PDF, byte for byte (its SHA-256 checked)."""
    if payload.get("type") != "pack":
        raise BadPayload("not a released pack")
    applied = Applied()
    apply_users(conn, _list(payload.get("users"), "users"), applied)
    by = payload.get("by")
    actor = by if isinstance(by, str) and conn.execute(
        "SELECT 1 FROM users WHERE id = ?", (by,)).fetchone() else None
    apply_children(conn, _list(payload.get("children"), "children"), actor, applied)
    apply_referral(conn, payload.get("referral"), 1, applied)
    pack = _obj(payload.get("pack"), "pack")
    try:
        pdf = base64.b64decode(_text(pack, "pdf", "pack", limit=12_000_000) or "", validate=True)
    except ValueError:
        raise BadPayload("pack pdf is not base64") from None
    if hashlib.sha256(pdf).hexdigest() != pack.get("sha256") or not pdf.startswith(b"%PDF"):
        raise BadPayload("pack pdf does not match its sha256")
    referral_id = _id(pack, "referral_id", "pack")
    version_id = _id(pack, "referral_version_id", "pack")
    if not conn.execute("SELECT 1 FROM referral_versions WHERE id = ? AND referral_id = ?",
                        (version_id, referral_id)).fetchone():
        raise BadPayload("pack names a referral version it does not carry")
    applied.add("packs", _insert(conn, "referral_packs", {
        "id": _id(pack, "id", "pack"), "referral_id": referral_id,
        "referral_version_id": version_id,
        "created_by": _user(conn, _id(pack, "created_by", "pack"), "pack"),
        "created_at": _time(pack, "created_at", "pack"), "sha256": pack["sha256"],
        "pdf": pdf, "twin": _text(pack, "twin", "pack", limit=12_000_000)}))
    return applied


# -- attachments, in chunks ----------------------------------------------------------------

_SHA_HEX = set("0123456789abcdef")


def _attachment_meta(raw: object) -> dict[str, Any]:
    a = _obj(raw, "attachment")
    where = "attachment"
    size = a.get("size")
    if type(size) is not int or size < 1:
        raise BadPayload("attachment size must be a positive integer")
    if size > MAX_ATTACHMENT_BYTES:
        raise BadPayload(f"attachment is too large: {size} bytes, the most is "
                         f"{MAX_ATTACHMENT_BYTES}")
    sha = a.get("sha256")
    if not isinstance(sha, str) or len(sha) != 64 or not set(sha) <= _SHA_HEX:
        raise BadPayload("attachment sha256 must be 64 lower-case hex digits")
    return {"id": _id(a, "id", where), "record_id": _id(a, "record_id", where),
            "filename": _text(a, "filename", where, limit=1000),  # names from before the cap
            "media_type": _text(a, "media_type", where, limit=200), "size": size,
            "sha256": sha, "added_by": _id(a, "added_by", where),
            "added_at": _time(a, "added_at", where)}


def _staged_file(conn: Connection, attachment_id: str, count: int, meta: dict[str, Any]
                 ) -> bytes | None:
    """The file from one complete split, checked against its size and SHA-256; None while a
    chunk is missing; ``BadPayload`` when the whole does not match."""
    have = conn.execute("SELECT count(*) FROM attachment_chunks WHERE attachment_id = ? AND "
                        "chunk_count = ?", (attachment_id, count)).fetchone()[0]
    if have < count:
        return None  # counted first: the bytes are read once, when the last chunk comes
    rows = conn.execute("SELECT chunk_index, data FROM attachment_chunks WHERE attachment_id = ?"
                        " AND chunk_count = ? ORDER BY chunk_index", (attachment_id, count)
                        ).fetchall()
    data = b"".join(bytes(r[1]) for r in rows)
    if len(data) != meta["size"]:
        raise BadPayload(f"attachment chunks make {len(data)} bytes, not the {meta['size']} "
                         "its metadata gives")
    if hashlib.sha256(data).hexdigest() != meta["sha256"]:
        raise BadPayload("attachment chunks do not match the file's sha256")
    return data


def _insert_attachment(conn: Connection, meta: dict[str, Any], data: bytes) -> None:
    conn.execute("INSERT INTO attachments (id, record_id, filename, media_type, size, sha256, "
                 "data, added_by, added_at) VALUES (?,?,?,?,?,?,?,?,?)",
                 (meta["id"], meta["record_id"], meta["filename"], meta["media_type"],
                  meta["size"], meta["sha256"], data, meta["added_by"], meta["added_at"]))
    conn.execute("DELETE FROM attachment_chunks WHERE attachment_id = ?", (meta["id"],))


def _staff_may_attach(conn: Connection, meta: dict[str, Any]) -> bool | None:
    """For a staff PC's chunk: is its record a concern by the person who attached the file?
    None while the record is not here."""
    row = conn.execute("SELECT kind, created_by FROM records WHERE id = ?",
                       (meta["record_id"],)).fetchone()
    return None if row is None else tuple(row) == ("concern", meta["added_by"])


def apply_attachment_chunk(conn: Connection, payload: dict[str, Any], received_at: str,
                           sender: str = "dsl") -> Applied:
    """One chunk of an attachment. Staged until every chunk of its split is here and the whole
    matches its SHA-256, then inserted — at once if its record is here, else when the record
    arrives (``complete_waiting_attachments``). Call inside one transaction: a chunk that
    does not fit is refused and changes nothing."""
    if payload.get("type") != "attachment-chunk":
        raise BadPayload("not an attachment chunk")
    if sender == "office":
        raise NotAllowed("office", "attachments")
    applied = Applied()
    apply_users(conn, _list(payload.get("users"), "users"), applied,
                known_only=sender in LIMITED)
    meta = _attachment_meta(payload.get("attachment"))
    _user(conn, meta["added_by"], "attachment")
    if sender == "staff":
        if _staff_may_attach(conn, meta) is False:
            raise NotAllowed("staff", "attachments of another person's record")
        meta["staff"] = True  # checked again when its record arrives
    index, count = payload.get("index"), payload.get("count")
    if type(index) is not int or type(count) is not int or not 0 <= index < count \
            or count > meta["size"]:
        raise BadPayload("chunk index and count must be integers, 0 <= index < count <= size")
    try:
        data = base64.b64decode(_text(payload, "data", "chunk", limit=12_000_000) or "",
                                validate=True)
    except ValueError:
        raise BadPayload("chunk data is not base64") from None
    if not data:
        raise BadPayload("chunk carries no data")
    here = conn.execute("SELECT record_id, sha256, size FROM attachments WHERE id = ?",
                        (meta["id"],)).fetchone()
    if here is not None:
        if tuple(here) != (meta["record_id"], meta["sha256"], meta["size"]):
            raise BadPayload("another attachment has that id here")
        return applied  # whole already: a late or repeated chunk changes nothing
    meta_json = json.dumps(meta, sort_keys=True)
    if conn.execute("SELECT 1 FROM attachment_chunks WHERE attachment_id = ? AND meta != ? "
                    "LIMIT 1", (meta["id"], meta_json)).fetchone():
        raise BadPayload("chunk metadata differs from the chunks of that attachment already "
                         "here")
    same = conn.execute("SELECT data FROM attachment_chunks WHERE attachment_id = ? AND "
                        "chunk_count = ? AND chunk_index = ?", (meta["id"], count, index)
                        ).fetchone()
    if same is not None:
        if bytes(same[0]) != data:
            raise BadPayload(f"another copy of chunk {index + 1} of {count} differs")
        return applied
    staged = conn.execute("SELECT coalesce(sum(length(data)), 0) FROM attachment_chunks WHERE "
                          "attachment_id = ? AND chunk_count = ?", (meta["id"], count)
                          ).fetchone()[0]
    if staged + len(data) > meta["size"]:
        raise BadPayload("attachment chunks add up to more than the file's size")
    conn.execute("INSERT INTO attachment_chunks (attachment_id, chunk_count, chunk_index, "
                 "record_id, meta, data, received_at) VALUES (?,?,?,?,?,?,?)",
                 (meta["id"], count, index, meta["record_id"], meta_json, data, received_at))
    applied.add("attachment chunks")
    whole = _staged_file(conn, meta["id"], count, meta)
    if whole is not None and conn.execute("SELECT 1 FROM records WHERE id = ?",
                                          (meta["record_id"],)).fetchone():
        _insert_attachment(conn, meta, whole)
        applied.add("attachments")
    return applied


def complete_waiting_attachments(conn: Connection, record_id: str) -> int:
    """A record arrived: every attachment of it whose chunks were all here already is inserted
    (they were checked whole when the last one came). Returns how many."""
    done = 0
    waiting = conn.execute("SELECT attachment_id, chunk_count, min(meta) FROM attachment_chunks "
                           "WHERE record_id = ? GROUP BY attachment_id, chunk_count ORDER BY "
                           "attachment_id, chunk_count", (record_id,)).fetchall()
    for attachment_id, count, meta_json in waiting:
        if conn.execute("SELECT 1 FROM attachments WHERE id = ?", (attachment_id,)).fetchone():
            continue  # another split of it completed first
        meta = json.loads(meta_json)
        try:
            whole = _staged_file(conn, attachment_id, count, meta)
        except BadPayload:
            continue  # cannot happen for a split accepted whole; never blocks the record
        if whole is not None and meta.get("staff") and not _staff_may_attach(conn, meta):
            continue  # a staff PC's file for another person's record: never shown
        if whole is not None:
            _insert_attachment(conn, meta, whole)
            done += 1
    return done
