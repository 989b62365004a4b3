"""Outgoing replication: every change to safeguarding records becomes a "record" envelope to the
DSL team key, queued in the same transaction as the change, so nothing is lost offline.

Each envelope carries a *snapshot*: the whole of each record it names as this PC knows it (the
record, every version, every status event, the children by UPN with their roster rows, and the
accounts it mentions). Applying a snapshot is a union, insert-if-absent by id, so envelopes may
arrive in any order, twice, or from several PCs, and every DSL PC still converges
(app/hub/apply.py). When no school hub is set, nothing is queued: a single-PC school works as
before.

Attachments travel apart, as "attachment" envelopes each carrying one chunk of the file and its
metadata, sized under the hub's body limit (app/hub/replicate_attachments.py).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from typing import Any

from app.canonical import canonical_json
from app.delivery.outbox import enqueue
from app.delivery.team_keys import device_fingerprint, team_bundle
from app.domain.event_order import ORDER
from app.hub.authorship import sign_records
from app.protocol.envelope import (
    new_header,
    seal,
)
from app.store.db import Connection
from app.store.session import Session

PAYLOAD_VERSION = 1

_CHILD_COLUMNS = ("id", "upn", "legal_forename", "legal_surname", "preferred_forename",
                  "date_of_birth", "gender", "year_group", "nhs_number", "updated_at")
_VERSION_COLUMNS = ("id", "version", "supersedes", "author_id", "written_at", "reason",
                    "occurred_at", "entry_kind", "categories", "location", "summary",
                    "child_words", "action_taken", "witnesses", "significant", "body_marks",
                    "details")


canonical = canonical_json  # a snapshot's byte form, as the modules around it call it


def hub_is_set(conn: Connection) -> bool:
    return conn.execute("SELECT 1 FROM services WHERE role = 'hub'").fetchone() is not None


# -- snapshots -----------------------------------------------------------------------------

def _rows(conn: Connection, sql: str, params: tuple[Any, ...], columns: tuple[str, ...]
          ) -> list[dict[str, Any]]:
    return [dict(zip(columns, row, strict=True)) for row in conn.execute(sql, params)]


def child_rows(conn: Connection, where: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    return _rows(conn, f"SELECT {', '.join(_CHILD_COLUMNS)} FROM children WHERE {where}",
                 params, _CHILD_COLUMNS)


def user_rows(conn: Connection, user_ids: Iterable[str]) -> list[dict[str, Any]]:
    ids = sorted(set(user_ids))
    rows = conn.execute("SELECT id, username, display_name, roles, created_at FROM users WHERE "
                        "id IN (SELECT value FROM json_each(?)) ORDER BY id",
                        (json.dumps(ids),)).fetchall()
    return [{"id": r[0], "username": r[1], "display_name": r[2], "roles": r[3].split(","),
             "created_at": r[4]} for r in rows]


def record_snapshot(conn: Connection, record_id: str) -> tuple[dict[str, Any], set[str],
                                                                   set[str]]:
    """(record, user ids it mentions, child ids it names)."""
    kind, created_by, created_at = conn.execute(
        "SELECT kind, created_by, created_at FROM records WHERE id = ?", (record_id,)).fetchone()
    links = conn.execute("SELECT c.upn, rc.role, c.id FROM record_children rc JOIN children c ON "
                         "c.id = rc.child_id WHERE rc.record_id = ? ORDER BY c.upn",
                         (record_id,)).fetchall()
    versions = _rows(conn, f"SELECT {', '.join(_VERSION_COLUMNS)} FROM record_versions WHERE "
                     "record_id = ? ORDER BY version, written_at, id", (record_id,),
                     _VERSION_COLUMNS)
    for v in versions:
        v["categories"] = json.loads(v["categories"])
        v["body_marks"] = json.loads(v["body_marks"])
        v["significant"] = bool(v["significant"])
        # A structured entry's fields (a police notification's); left out when there are
        # none, so the envelopes of every other record read as before.
        if v["details"] is None:
            del v["details"]
        else:
            v["details"] = json.loads(v["details"])
    statuses = _rows(conn, "SELECT id, status, actor_id, at, note FROM record_status WHERE "
                     f"record_id = ? ORDER BY {ORDER}", (record_id,),
                     ("id", "status", "actor_id", "at", "note"))
    users = {created_by, *(v["author_id"] for v in versions), *(s["actor_id"] for s in statuses),
             *(s["note"] for s in statuses if s["status"] == "assigned" and s["note"])}
    record = {"id": record_id, "kind": kind, "created_by": created_by, "created_at": created_at,
              "children": [{"upn": upn, "role": role} for upn, role, _ in links],
              "versions": versions, "statuses": statuses}
    follows = further_to_id(conn, record_id)
    if follows is not None:  # further information: the concern it adds to (apply.py checks it)
        record["further_to"] = follows
    return record, users, {cid for _, _, cid in links}


def further_to_id(conn: Connection, record_id: str) -> str | None:
    row = conn.execute("SELECT further_to FROM record_links WHERE record_id = ?",
                       (record_id,)).fetchone()
    return str(row[0]) if row else None


def flag_events(conn: Connection, child_id: str) -> tuple[list[dict[str, Any]], set[str]]:
    rows = conn.execute("SELECT f.id, c.upn, f.flag, f.value, f.actor_id, f.at, f.note FROM "
                        "child_flag_events f JOIN children c ON c.id = f.child_id WHERE "
                        "f.child_id = ? ORDER BY f.at, f.id", (child_id,)).fetchall()
    events = [{"id": r[0], "upn": r[1], "flag": r[2], "value": r[3], "actor_id": r[4],
               "at": r[5], "note": r[6]} for r in rows]
    return events, {e["actor_id"] for e in events}


def profile_rows(conn: Connection, child_id: str) -> tuple[list[dict[str, Any]], set[str]]:
    """Every row of a child's profile (app/profile/): rows are never changed, so the receiving
    PC takes the union and reads the same latest value in the same order."""
    rows = _rows(conn, "SELECT p.id, c.upn, p.kind, p.item_key, p.value, p.source, "
                 "p.source_note, p.author_id, p.at FROM profile_items p JOIN children c ON "
                 "c.id = p.child_id WHERE p.child_id = ? ORDER BY p.at, p.id", (child_id,),
                 ("id", "upn", "kind", "item_key", "value", "source", "source_note",
                  "author_id", "at"))
    return rows, {r["author_id"] for r in rows}


def referral_snapshot(conn: Connection, referral_id: str) -> tuple[dict[str, Any], set[str],
                                                                       set[str]]:
    child_id, upn, created_by, created_at = conn.execute(
        "SELECT r.child_id, c.upn, r.created_by, r.created_at FROM referrals r JOIN children c "
        "ON c.id = r.child_id WHERE r.id = ?", (referral_id,)).fetchone()
    versions = _rows(conn, "SELECT id, version, author_id, written_at, form, entry_ids FROM "
                     "referral_versions WHERE referral_id = ? ORDER BY version, written_at, id",
                     (referral_id,), ("id", "version", "author_id", "written_at", "form",
                                      "entry_ids"))
    statuses = _rows(conn, "SELECT id, status, actor_id, at, note FROM referral_status WHERE "
                     f"referral_id = ? ORDER BY {ORDER}", (referral_id,),
                     ("id", "status", "actor_id", "at", "note"))
    users = {created_by, *(v["author_id"] for v in versions), *(s["actor_id"] for s in statuses)}
    return ({"id": referral_id, "upn": upn, "created_by": created_by, "created_at": created_at,
             "versions": versions, "statuses": statuses}, users, {child_id})


def leaving_block(conn: Connection, child_id: str) -> tuple[dict[str, Any], set[str],
                                                             list[str]]:
    """A child's leaving and CP-file transfers as the DSL team keeps them (issue #19): leaving
    events, transfers with their steps, the decision on what is kept after sending, and which
    entries came from the previous school (their records travel beside it)."""
    upn = conn.execute("SELECT upn FROM children WHERE id = ?", (child_id,)).fetchone()[0]
    leavers = _rows(conn, "SELECT id, left_on, destination, source, recorded_by, recorded_at "
                    "FROM leavers WHERE child_id = ? ORDER BY recorded_at, rowid", (child_id,),
                    ("id", "left_on", "destination", "source", "recorded_by", "recorded_at"))
    transfers = _rows(conn, "SELECT id, direction, route, school, receipt_code_sha256, "
                      "contents, created_by, created_at FROM transfers WHERE child_id = ? "
                      "ORDER BY created_at, id", (child_id,),
                      ("id", "direction", "route", "school", "receipt_code_sha256", "contents",
                       "created_by", "created_at"))
    users = {r["recorded_by"] for r in leavers} | {t["created_by"] for t in transfers}
    for t in transfers:
        t["contents"] = json.loads(t["contents"])
        t["steps"] = _rows(conn, "SELECT id, status, actor_id, at, note FROM transfer_events "
                           "WHERE transfer_id = ? ORDER BY at, rowid", (t["id"],),
                           ("id", "status", "actor_id", "at", "note"))
        users |= {e["actor_id"] for e in t["steps"]}
    kept = _rows(conn, "SELECT id, decision, keep_until, reason, decided_by, at FROM "
                 "file_retention WHERE child_id = ? ORDER BY at, id", (child_id,),
                 ("id", "decision", "keep_until", "reason", "decided_by", "at"))
    users |= {k["decided_by"] for k in kept}
    received = _rows(conn, "SELECT r.record_id, r.transfer_id, r.school, r.author, r.kind, "
                     "r.recorded_at FROM received_entries r JOIN transfers t ON t.id = "
                     "r.transfer_id WHERE t.child_id = ? ORDER BY r.record_id", (child_id,),
                     ("record_id", "transfer_id", "school", "author", "kind", "recorded_at"))
    return ({"upn": upn, "leavers": leavers, "transfers": transfers, "kept": kept,
             "received": received}, users, [r["record_id"] for r in received])


class Snapshot:
    """Builds one payload: records, flag events, referrals, and the roster rows and accounts
    they need."""

    def __init__(self, conn: Connection, by: str) -> None:
        self.conn = conn
        self.by = by
        self.records: list[dict[str, Any]] = []
        self.flags: list[dict[str, Any]] = []
        self.referrals: list[dict[str, Any]] = []
        self.profile: list[dict[str, Any]] = []
        self.destroyed: list[dict[str, Any]] = []
        self.retention: list[dict[str, Any]] = []
        self.leaving: list[dict[str, Any]] = []
        self.child_ids: set[str] = set()
        self.user_ids: set[str] = {by}

    def add_record(self, record_id: str) -> None:
        """The record; further information goes with the concern it adds to, first, so a PC
        applying it always holds what it is linked to."""
        if any(r["id"] == record_id for r in self.records):
            return
        follows = further_to_id(self.conn, record_id)
        if follows is not None:
            self.add_record(follows)
        record, users, children = record_snapshot(self.conn, record_id)
        self.records.append(record)
        self.user_ids |= users
        self.child_ids |= children

    def add_flags(self, child_id: str) -> None:
        events, users = flag_events(self.conn, child_id)
        self.flags += events
        self.user_ids |= users
        self.child_ids.add(child_id)

    def add_profile(self, child_id: str) -> None:
        rows, users = profile_rows(self.conn, child_id)
        self.profile += rows
        self.user_ids |= users
        self.child_ids.add(child_id)

    def add_referral(self, referral_id: str) -> None:
        referral, users, children = referral_snapshot(self.conn, referral_id)
        self.referrals.append(referral)
        self.user_ids |= users
        self.child_ids |= children

    def add_retention(self, child_id: str) -> None:
        """The DSL's review decisions on a child's file (extend, hold, release), so a hold made
        on one DSL PC holds on every one."""
        rows = _rows(self.conn, "SELECT d.id, c.upn, d.decision, d.until, d.reason, "
                     "d.actor_id, d.at FROM retention_decisions d JOIN children c ON c.id = "
                     "d.child_id WHERE d.child_id = ? ORDER BY d.at, d.id", (child_id,),
                     ("id", "upn", "decision", "until", "reason", "actor_id", "at"))
        self.retention += rows
        self.user_ids |= {r["actor_id"] for r in rows}
        self.child_ids.add(child_id)

    def add_leaving(self, child_id: str) -> None:
        block, users, records = leaving_block(self.conn, child_id)
        for record_id in records:  # before the block: its entries must be there to mark
            self.add_record(record_id)
        self.leaving.append(block)
        self.user_ids |= users
        self.child_ids.add(child_id)

    def add_destruction(self, child_id: str) -> None:
        """A file destroyed at review: the child's UPN and the ids destroyed, no content."""
        ids: dict[str, list[str]] = {}
        at = ""
        for object_id, kind, destroyed_at in self.conn.execute(
                "SELECT id, kind, destroyed_at FROM destroyed_items WHERE child_id = ? "
                "ORDER BY kind, id", (child_id,)):
            ids.setdefault(kind, []).append(object_id)
            at = max(at, destroyed_at)
        upn = self.conn.execute("SELECT upn FROM children WHERE id = ?", (child_id,)
                                ).fetchone()[0]
        self.destroyed.append({"upn": upn, "destroyed_at": at, "ids": ids})
        self.child_ids.add(child_id)

    def add_children(self, child_ids: Iterable[str]) -> None:
        self.child_ids |= set(child_ids)

    def payload(self) -> dict[str, Any]:
        children = child_rows(self.conn, "id IN (SELECT value FROM json_each(?)) ORDER BY upn",
                              (json.dumps(sorted(self.child_ids)),))
        payload = {"v": PAYLOAD_VERSION, "type": "snapshot", "by": self.by,
                   "users": user_rows(self.conn, self.user_ids), "children": children,
                   "records": self.records, "flags": self.flags, "referrals": self.referrals}
        if self.profile:  # only then: a PC from before profiles reads the rest as it did
            payload["profile"] = self.profile
        if self.retention:
            payload["retention"] = self.retention
        if self.leaving:
            payload["leaving"] = self.leaving
        if self.destroyed:
            payload["destroyed"] = self.destroyed
        return payload


# -- queueing ------------------------------------------------------------------------------

def queue_to_team(session: Session, team: str, kind: str, payload: dict[str, Any],
                  object_type: str, object_id: str | None) -> str | None:
    """Seals ``payload`` to the team's key and queues it; None when no hub or team key is set.
    Call inside the transaction that made the change."""
    conn = session.conn
    bundle = team_bundle(conn, team)
    if bundle is None or not hub_is_set(conn):
        return None
    header = new_header(device_fingerprint(session), bundle.fingerprint, kind,
                        created=session.clock.now())
    raw = seal(header, canonical(payload), bundle.hpke_key(), session.device.signing_key)
    return enqueue(session, [raw], bundle.fingerprint, object_type, object_id or "")[0]


def replicating(session: Session) -> bool:
    """A hub is set and the DSL team's key known: changes are queued for the team."""
    return team_bundle(session.conn, "dsl") is not None and hub_is_set(session.conn)


def _replicate(session: Session, add: Callable[[Snapshot, str], None], object_type: str,
               object_id: str) -> None:
    """Queues to the DSL team a snapshot holding what ``add`` puts in it about ``object_id``."""
    if not replicating(session):
        return
    snap = Snapshot(session.conn, session.user.id)
    add(snap, object_id)
    sign_records(session, snap.records)  # so a DSL PC can tell who wrote it (authorship.py)
    queue_to_team(session, "dsl", "record", snap.payload(), object_type, object_id)


def replicate_record(session: Session, record_id: str) -> None:
    """Hook: a concern or entry was recorded, amended, triaged or assigned."""
    _replicate(session, Snapshot.add_record, "record", record_id)


def replicate_flags(session: Session, child_id: str) -> None:
    """Hook: a child's safeguarding flag was set or cleared."""
    _replicate(session, Snapshot.add_flags, "child-flags", child_id)


def replicate_profile(session: Session, child_id: str) -> None:
    """Hook: a child's profile changed (an import or a DSL's edit)."""
    _replicate(session, Snapshot.add_profile, "child-profile", child_id)


def replicate_referral(session: Session, referral_id: str) -> None:
    """Hook: a referral was created, edited, approved, released, queued or receipted."""
    _replicate(session, Snapshot.add_referral, "referral", referral_id)


def replicate_retention(session: Session, child_id: str) -> None:
    """Hook: a review decision on a child's file (extend, hold, release). Its outbox row names
    no child: every account of this PC can read the outbox, and a decision says there is a
    file."""
    if not replicating(session):
        return
    snap = Snapshot(session.conn, session.user.id)
    snap.add_retention(child_id)
    queue_to_team(session, "dsl", "record", snap.payload(), "retention", None)


def replicate_leaving(session: Session, child_id: str) -> None:
    """Hook: a child left (or came back), or a CP-file transfer of theirs took a step, so every
    DSL PC shows the same leaver's card and transfer status. Named on the outbox row by no
    child, as a retention decision is. A session without the DSL team's tables (an admin's
    roster import on a keyed staff PC) has nothing of the DSL team's to send."""
    if not replicating(session) or (session.held.split and not session.held.dsl_store_open):
        return
    snap = Snapshot(session.conn, session.user.id)
    snap.add_leaving(child_id)
    queue_to_team(session, "dsl", "record", snap.payload(), "leaving", None)


def replicate_destruction(session: Session, child_id: str) -> None:
    """Hook: a child's file was destroyed at review; every DSL PC destroys the same. Queued
    without the child's id on the outbox row, which every account of this PC can read."""
    if not replicating(session):
        return
    snap = Snapshot(session.conn, session.user.id)
    snap.add_destruction(child_id)
    queue_to_team(session, "dsl", "record", snap.payload(), "destruction", None)


def replicate_roster(session: Session, upns: Iterable[str]) -> None:
    """Hook: roster rows were added or changed (by UPN)."""
    wanted = sorted(set(upns))
    if not wanted or not replicating(session):
        return
    ids = [r[0] for r in session.conn.execute(
        "SELECT id FROM children WHERE upn IN (SELECT value FROM json_each(?))",
        (json.dumps(wanted),))]
    for batch in _batches(ids, 150):
        snap = Snapshot(session.conn, session.user.id)
        snap.add_children(batch)
        queue_to_team(session, "dsl", "roster", snap.payload(), "roster", None)


def _batches(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def replicate_pack(session: Session, pack_id: str) -> None:
    """Hook: a pack was released for print. It goes to the office print-queue key with just
    what the office PC needs to list and print it: the pack, its referral, the child's row."""
    conn = session.conn
    if team_bundle(conn, "office") is None or not hub_is_set(conn):
        return
    queue_to_team(session, "office", "pack-release", pack_payload(session, pack_id), "pack",
                  pack_id)


def pack_payload(session: Session, pack_id: str) -> dict[str, Any]:
    """A released pack with what the office needs to list and print it (``apply_pack``)."""
    conn = session.conn
    pack = _rows(conn, "SELECT id, referral_id, referral_version_id, created_by, created_at, "
                 "sha256, pdf, twin FROM referral_packs WHERE id = ?", (pack_id,),
                 ("id", "referral_id", "referral_version_id", "created_by", "created_at",
                  "sha256", "pdf", "twin"))[0]
    pack["pdf"] = base64.b64encode(bytes(pack["pdf"])).decode("ascii")
    referral = _rows(conn, "SELECT r.id, c.upn, r.created_by, r.created_at, r.child_id FROM "
                     "referrals r JOIN children c ON c.id = r.child_id WHERE r.id = ?",
                     (pack["referral_id"],), ("id", "upn", "created_by", "created_at",
                                              "child_id"))[0]
    version = _rows(conn, "SELECT id, version, author_id, written_at, form, entry_ids FROM "
                    "referral_versions WHERE id = ?", (pack["referral_version_id"],),
                    ("id", "version", "author_id", "written_at", "form", "entry_ids"))
    users = {pack["created_by"], referral["created_by"], *(v["author_id"] for v in version),
             session.user.id}
    referral["versions"] = version
    referral["statuses"] = []
    return {"v": PAYLOAD_VERSION, "type": "pack", "by": session.user.id,
            "users": user_rows(conn, users),
            "children": child_rows(conn, "id = ?", (referral.pop("child_id"),)),
            "referral": referral, "pack": pack}
