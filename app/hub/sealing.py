"""Sealed items: how what a teacher writes reaches the DSL team on the same PC without the
teacher ever holding the DSL store's key (docs/keys.md).

A session without the DSL store writes into its private in-memory workspace; here, in the same
transaction, a snapshot of what changed (the same payload the hub replicates) is signed with the
author's personal key and HPKE-sealed twice into the school store's ``sealed_items``: to the DSL
team's key, and to the author's own key so My concerns can show it after the next sign-in. A
DSL's sign-in opens the team's copies with the same apply code that takes envelopes from the hub
(``apply_snapshot``, with a staff PC's limits), checks each signature against the author's
published key, and audits what it took or refused. Released packs travel the other way, sealed
to the office team's key. The DSL team's key pairs are made here, inside the DSL store, the
first time a session holding it opens; a removed DSL member makes the next DSL sign-in re-key
the DSL store and make a new team key pair (``rotate_if_member_left``; on a hub school the
admin's PC makes it and sends it: app/hub/team_rotation.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from app.clock import iso
from app.delivery.team_keys import team_bundle
from app.domain.concerns import STATUSES
from app.errors import ConcernDeskError
from app.hub import team_rotation
from app.hub.apply import apply_pack, apply_snapshot
from app.hub.apply_checks import EnvelopeError
from app.hub.replicate import Snapshot, canonical, hub_is_set, pack_payload
from app.protocol.fingerprint import KeyBundle, KeyPairs
from app.store.keyfile import RECOVERY, KeyFile, holder
from app.store.keys import (
    GRANT_SUITE,
    b64d,
    b64e,
    key_id,
    new_data_key,
)
from app.store.requests import REKEY_OWED, end_bootstrap, grant_awaiting, honour_requests
from app.store.session import Session
from app.store.users import active_dsl_accounts

INFO = b"concerndesk/sealed/v1|"


def team_recipient(bundle: KeyBundle) -> str:
    return "team:" + bundle.fingerprint


# -- sealing, as a change is made ----------------------------------------------------------------

def _seal(session: Session, kind: str, payload: dict[str, Any], recipients: dict[str, bytes],
          object_id: str | None = None) -> None:
    personal, signer = session.held.personal, session.held.owner
    if personal is None or signer is None:
        raise ConcernDeskError("Only a signed-in account can write here.")
    body = canonical(payload)
    signed = canonical({"author": signer, "payload": payload,
                        "signature": b64e(personal.signing.sign(INFO + body))})
    item_id, now = str(uuid.uuid4()), iso(session.clock.now())
    for recipient, public in recipients.items():
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

        sealed = GRANT_SUITE.encrypt(signed, X25519PublicKey.from_public_bytes(public),
                                     INFO + f"{session.store_id}|{recipient}".encode())
        session.conn.execute(
            "INSERT INTO main.sealed_items (id, item_id, recipient, kind, author, created_at, "
            "body, object_id) VALUES (?,?,?,?,?,?,?,?)",
            (str(uuid.uuid4()), item_id, recipient, kind, session.user.username, now, sealed,
             object_id))


def seal_to_account(session: Session, kind: str, payload: dict[str, Any], username: str,
                    public: bytes, object_id: str | None = None) -> None:
    """Seals ``payload`` to one account's personal key (its My concerns copy), signed by this
    session's account."""
    _seal(session, kind, payload, {holder(username): public}, object_id)


def keep_for_office(session: Session, payload: dict[str, Any]) -> None:
    """A released pack from the hub, on a keyed office PC: the session's workspace is memory
    only, so the pack is also sealed to the office team's key, for every office sign-in here."""
    if session.held.split and not session.held.dsl_store_open:
        recipient, public = _team_public(session, "office")
        _seal(session, "pack", payload, {recipient: public})


def _team_public(session: Session, team: str) -> tuple[str, bytes]:
    bundle = team_bundle(session.conn, team)
    if bundle is None:
        raise ConcernDeskError("This store has no DSL team key yet: a DSL must sign in once "
                               "before anything can be recorded here.")
    return team_recipient(bundle), bundle.hpke


def react(session: Session, kind: str, ids: tuple[str, ...]) -> None:
    """A change by a session that holds a workspace, not the DSL store: seal it."""
    held = session.held
    if not held.split or held.dsl_store_open:
        if held.dsl_store_open and kind == "pack":
            for pack_id in ids:  # released for print: to the office team
                recipient, public = _team_public(session, "office")
                _seal(session, "pack", pack_payload(session, pack_id), {recipient: public})
        elif held.dsl_store_open and kind == "record":
            for record_id in ids:
                if held.owner != session.user.username:
                    # Bulk loading as another account (the demo): it writes straight into the
                    # DSL store, and its author keeps a copy for My concerns.
                    _author_copy(session, record_id)
                _status_to_author(session, record_id)
        return
    personal = held.personal
    if personal is None:
        return
    if kind == "record":
        for record_id in ids:
            snap = Snapshot(session.conn, session.user.id)
            snap.add_record(record_id)
            recipient, public = _team_public(session, "dsl")
            _seal(session, "record", snap.payload(),
                  {recipient: public, holder(session.user.username): personal.public()},
                  record_id)
    elif kind == "attachment":
        for attachment_id in ids:
            recipient, public = _team_public(session, "dsl")
            _seal(session, "attachment", attachment_payload(session, attachment_id),
                  {recipient: public, holder(session.user.username): personal.public()})
    elif kind == "referral" and held.office_private is not None:
        for referral_id in ids:  # the office's printed mark, back to the DSL team
            snap = Snapshot(session.conn, session.user.id)
            snap.add_referral(referral_id)
            recipient, public = _team_public(session, "dsl")
            _seal(session, "record", snap.payload(), {recipient: public})


def _author_copy(session: Session, record_id: str) -> None:
    row = session.conn.execute("SELECT u.username FROM records r JOIN users u ON u.id = "
                               "r.created_by WHERE r.id = ? AND r.kind = 'concern' AND "
                               "r.created_by = ?", (record_id, session.user.id)).fetchone()
    public = KeyFile.load(session.directory).public_of(row[0]) if row else None
    if row is None or public is None:
        return
    snap = Snapshot(session.conn, session.user.id)
    snap.add_record(record_id)
    _seal(session, "record", snap.payload(), {holder(row[0]): public})


def _status_to_author(session: Session, record_id: str) -> None:
    """The DSL team moved a concern on: its author sees where it stands in My concerns — the
    status and when, never the DSL team's notes (those stay in the DSL store)."""
    row = session.conn.execute("SELECT r.created_by, u.username FROM records r JOIN users u ON "
                               "u.id = r.created_by WHERE r.id = ? AND r.kind = 'concern'",
                               (record_id,)).fetchone()
    if row is None or row[0] == session.user.id:
        return
    public = KeyFile.load(session.directory).public_of(row[1])
    if public is None:
        return
    statuses = [{"id": r[0], "status": r[1], "actor_id": r[2], "at": r[3]}
                for r in session.conn.execute(
                    "SELECT id, status, actor_id, at FROM record_status WHERE record_id = ? AND "
                    "status != 'assigned' ORDER BY at, id", (record_id,))]
    _seal(session, "status", {"type": "status", "record_id": record_id, "statuses": statuses},
          {holder(row[1]): public})


def _apply_status(session: Session, payload: dict[str, Any]) -> None:
    conn = session.conn
    record_id = payload.get("record_id")
    if not conn.execute("SELECT 1 FROM records WHERE id = ?", (record_id,)).fetchone():
        return  # not this account's concern
    for status in payload.get("statuses") or []:
        if isinstance(status, dict) and status.get("status") in STATUSES:
            conn.execute("INSERT OR IGNORE INTO record_status (id, record_id, status, actor_id, "
                         "at, note) VALUES (?,?,?,?,?,NULL)",
                         (str(status["id"]), record_id, status["status"],
                          str(status["actor_id"]), str(status["at"])))


def attachment_payload(session: Session, attachment_id: str) -> dict[str, Any]:
    """An attachment whole, as sealed for the DSL team or its author."""
    row = session.conn.execute("SELECT id, record_id, filename, media_type, size, sha256, data, "
                               "added_by, added_at FROM attachments WHERE id = ?",
                               (attachment_id,)).fetchone()
    keys = ("id", "record_id", "filename", "media_type", "size", "sha256", "data", "added_by",
            "added_at")
    item = dict(zip(keys, row, strict=True))
    item["data"] = base64.b64encode(bytes(item["data"])).decode("ascii")
    return {"type": "attachment", "attachment": item}


# -- opening, at sign-in -------------------------------------------------------------------------

def _open_body(session: Session, keyfile: KeyFile, recipient: str, private: X25519PrivateKey,
               body: bytes) -> tuple[str, dict[str, Any]]:
    """(author username, payload), the author's signature checked against their published key;
    EnvelopeError when it does not hold."""
    try:
        signed = json.loads(GRANT_SUITE.decrypt(bytes(body), private,
                                                INFO + f"{session.store_id}|{recipient}"
                                                .encode()))
        author, payload = str(signed["author"]), signed["payload"]
        signature = b64d(signed["signature"])
    except (InvalidTag, ValueError, KeyError, TypeError) as exc:
        # Not for this key: sealed to an earlier key of the account (its passphrase was
        # reset), or altered.
        raise _Refused("it cannot be opened or read") from exc
    signing_public = keyfile.signing_public_of(author)
    try:
        Ed25519PublicKey.from_public_bytes(b64d(signing_public or "")).verify(
            signature, INFO + canonical(payload))
    except (ValueError, InvalidSignature):
        raise _Refused(f"it is not signed by {author}'s key") from None
    if not isinstance(payload, dict):
        raise _Refused("it holds no payload")
    return author, payload


class _Refused(EnvelopeError):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def _user_id(session: Session, username: str) -> str | None:
    row = session.conn.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()
    return str(row[0]) if row else None


def _apply(session: Session, kind: str, author: str, payload: dict[str, Any],
           sender: str) -> None:
    conn = session.conn
    author_id = _user_id(session, author)
    if kind == "record":
        # The signer must be the author of every record it sends (issue #15: forged authorship).
        for record in payload.get("records") or []:
            if isinstance(record, dict) and record.get("created_by") != author_id \
                    and sender == "staff":
                raise _Refused(f"it carries a record by another account than {author}")
        # An account's own copy: only ever shown to that account, with a staff PC's limits.
        apply_snapshot(conn, payload, sender="staff" if sender == "own" else sender,
                       authors_signed=True)  # by the author's key, checked in _open_body
    elif kind == "attachment":
        item = payload.get("attachment")
        if not isinstance(item, dict):
            raise _Refused("it holds no attachment")
        owner = conn.execute("SELECT created_by FROM records WHERE id = ?",
                             (item.get("record_id"),)).fetchone()
        data = base64.b64decode(str(item.get("data", "")))
        if owner is None or owner[0] != author_id or item.get("added_by") != author_id \
                or hashlib.sha256(data).hexdigest() != item.get("sha256"):
            raise _Refused("its attachment does not belong to its author's concern")
        conn.execute("INSERT OR IGNORE INTO attachments (id, record_id, filename, media_type, "
                     "size, sha256, data, added_by, added_at) VALUES (?,?,?,?,?,?,?,?,?)",
                     (item["id"], item["record_id"], item["filename"], item["media_type"],
                      len(data), item["sha256"], data, item["added_by"], item["added_at"]))
    elif kind == "pack":
        apply_pack(conn, payload)
    elif kind == "status" and sender == "own":
        _apply_status(session, payload)


Progress = Callable[[int, int], None]
_progress: list[Progress] = []


def report_opening(hook: Progress | None) -> None:
    """``hook(done, total)`` is called while a DSL's sign-in opens the sealed items waiting
    (the sign-in page shows it); None stops it. One at a time: the app has one sign-in."""
    _progress[:] = [hook] if hook is not None else []


def open_team_items(session: Session) -> int:
    """A DSL session: takes every sealed item waiting for the DSL team into the DSL store (one
    transaction; each item in a savepoint of its own, so a refused one changes nothing) and
    audits each; returns how many were taken."""
    keys = {}
    for (private,) in session.conn.execute("SELECT private FROM dsl.held_team_keys WHERE "
                                           "team = 'dsl'"):
        pairs = KeyPairs.from_private_bytes(bytes(private))
        keys[team_recipient(pairs.bundle)] = pairs.hpke
    rows = session.conn.execute(
        "SELECT id, recipient, kind, author, body FROM main.sealed_items WHERE opened_at IS "
        "NULL AND recipient IN (SELECT value FROM json_each(?)) ORDER BY created_at, rowid",
        (json.dumps(sorted(keys)),)).fetchall()
    # Taken before, its "opened" mark lost: SQLite commits an attached WAL database file by
    # file, store.db first, so the marks go in a transaction of their own once the DSL store
    # holds what was opened; a crash between the two leaves items taken (and audited, in the
    # DSL store) but unmarked, which are only marked now.
    taken_before = {r[0] for r in session.conn.execute(
        f"SELECT object_id FROM {session.audit_schema}.audit WHERE object_type = "
        "'sealed-item' AND object_id IN (SELECT value FROM json_each(?))",
        (json.dumps([r[0] for r in rows]),))} if rows else set()
    taken, keyfile = 0, KeyFile.load(session.directory)  # read once: the signers' keys
    opened: list[str] = []
    with session.tx():
        for done, (row_id, recipient, kind, author_name, body) in enumerate(rows):
            if done % 20 == 0:
                for hook in _progress:
                    hook(done, len(rows))
            opened.append(row_id)
            if row_id in taken_before:
                continue
            try:
                with session.tx():
                    author, payload = _open_body(session, keyfile, recipient, keys[recipient],
                                                 body)
                    if author != author_name:
                        raise _Refused(f"it names {author_name} but is signed by {author}")
                    sender = "office" if kind == "record" and payload.get("referrals") \
                        else "staff"
                    _apply(session, kind, author, payload, sender)
                session.audit("sync", "sealed-item", row_id, outcome="applied", kind=kind,
                              author=author)
                taken += 1
            except EnvelopeError as exc:
                session.audit("sync", "sealed-item", row_id, outcome="refused", kind=kind,
                              author=author_name, reason=str(exc))
    if opened:
        with session.tx():
            session.conn.executemany("UPDATE main.sealed_items SET opened_at = ? WHERE id = ?",
                                     [(iso(session.clock.now()), i) for i in opened])
    for hook in _progress if rows else []:
        hook(len(rows), len(rows))
    return taken


def _open_own(session: Session, recipient: str, private: X25519PrivateKey) -> None:
    """Fills the workspace with what was sealed to ``recipient`` (the account, or the office
    team). It writes only to the in-memory workspace and audits nothing: it is the account's
    own work, or the packs it already may print."""
    rows = session.conn.execute(
        "SELECT kind, body FROM main.sealed_items WHERE recipient = ? ORDER BY "
        "created_at, rowid", (recipient,)).fetchall()
    if not rows:
        return
    keyfile = KeyFile.load(session.directory)
    with session.tx():
        for kind, body in rows:
            try:
                author, payload = _open_body(session, keyfile, recipient, private, body)
                with session.tx():
                    _apply(session, kind, author, payload, {"record": "own",
                                                            "status": "own"}.get(kind, "dsl"))
            except (EnvelopeError, ConcernDeskError):
                continue  # not this account's to show; the DSL team's copy is what counts


# -- the DSL team's keys, made and rotated inside the DSL store ---------------------------------

def ensure_team_keys(session: Session) -> None:
    """The first session holding the DSL store makes the DSL team's and the office's key
    pairs: private halves inside the DSL store, public halves in the school store; the office
    key is also granted to the recovery key and to the DSL team's members."""
    conn = session.conn
    if conn.execute("SELECT 1 FROM dsl.held_team_keys WHERE team = 'dsl'").fetchone():
        _load_office_key(session)
        return
    with session.tx():
        _new_team_pair(session, "dsl")
        _new_team_pair(session, "office")
    _load_office_key(session)


def _new_team_pair(session: Session, team: str) -> KeyPairs:
    conn, now = session.conn, iso(session.clock.now())
    pairs = KeyPairs.generate()
    bundle = json.dumps(pairs.bundle.to_json())
    conn.execute("INSERT INTO dsl.held_team_keys (fingerprint, team, bundle, private, "
                 "added_at) VALUES (?,?,?,?,?)", (pairs.fingerprint, team, bundle,
                                                  pairs.private_bytes(), now))
    conn.execute("INSERT INTO main.team_keys (team, bundle, private, added_at) VALUES "
                 "(?,?,NULL,?) ON CONFLICT (team) DO UPDATE SET bundle = excluded.bundle, "
                 "private = NULL, added_at = excluded.added_at", (team, bundle, now))
    session.audit("settings", "team-key", team, fingerprint=pairs.fingerprint)
    if team == "office":
        _grant_to_team(session, "office", pairs.private_bytes())
    return pairs


def _grant_to_team(session: Session, scope: str, secret: bytes, *,
                   skip: list[str] | None = None) -> None:
    """Grants ``secret`` to the recovery key and every DSL member, all by the public keys kept
    inside the DSL store (never the school store's, which any account could change)."""
    conn = session.conn
    keyfile = KeyFile.load(session.directory)
    row = conn.execute("SELECT value FROM dsl.meta WHERE key = 'recovery_public'").fetchone()
    if row is not None:
        keyfile.grant(scope, RECOVERY, secret, b64d(row[0]))
    for username, public in conn.execute("SELECT username, public FROM dsl.dsl_members"):
        if username not in (skip or []):
            keyfile.grant(scope, holder(username), secret, b64d(public))
    keyfile.save(session.directory)


def _load_office_key(session: Session) -> None:
    row = session.conn.execute("SELECT private FROM dsl.held_team_keys WHERE team = 'office' "
                               "ORDER BY added_at DESC LIMIT 1").fetchone()
    if row is not None and session.held.office_private is None:
        session.held = replace(session.held, office_private=bytes(row[0]))


def rotate_if_member_left(session: Session, also: list[str] | None = None) -> bool:
    """When a DSL member no longer holds the DSL store's grant (removed, disabled, or the DSL
    role taken away), re-keys the DSL store and makes a new DSL team key pair, so their old
    copy of keys.json opens nothing written from now on. True when it re-keyed."""
    conn = session.conn
    keyfile = KeyFile.load(session.directory)
    members = {r[0] for r in conn.execute("SELECT username FROM dsl.dsl_members")}
    active = {username for _, username in active_dsl_accounts(conn)}
    gone = sorted({m for m in members
                   if holder(m) not in keyfile.holders("dsl") or m not in active} | set(also or []))
    owed = conn.execute("SELECT 1 FROM dsl.meta WHERE key = ?", (REKEY_OWED,)).fetchone()
    if not gone and not owed:
        return False
    new_key = new_data_key()
    # Granted first under "dsl-next": a crash before the re-key leaves the old key working; a
    # crash after it, the new one (access.unlock tries both and promotes the new one).
    _grant_to_team(session, "dsl-next", new_key, skip=gone)
    with session.tx():
        for username in gone:
            conn.execute("DELETE FROM dsl.dsl_members WHERE username = ?", (username,))
            keyfile.revoke("dsl", holder(username))
            keyfile.revoke("office", holder(username))
        conn.execute("DELETE FROM dsl.meta WHERE key = ?", (REKEY_OWED,))
        if not hub_is_set(conn):
            _new_team_pair(session, "dsl")
        elif gone:
            # On a hub school every DSL PC and the hub's inbox share the DSL team's pair: only
            # the admin's PC makes the new one and sends it to the DSL PCs that remain
            # (app/hub/team_rotation.py; a no-op on any other PC, which gets it from there).
            team_rotation.owe(session, "a DSL member left")
        session.audit("settings", "dsl-store", None, rekeyed=True, members_left=len(gone),
                      member_key_reset=owed is not None)
    # PRAGMA rekey rewrites every page under the new key; it cannot run inside a transaction.
    conn.execute(f"PRAGMA dsl.rekey = \"x'{new_key.hex()}'\"")
    conn.dsl_key_id = key_id(new_key)  # type: ignore[attr-defined]
    keyfile = KeyFile.load(session.directory)
    keyfile.promote("dsl-next", "dsl", new_key)
    keyfile.save(session.directory)
    session.held = replace(session.held, dsl_key=new_key)
    team_rotation.finish(session)  # after the re-key: the new pair lives in the new DSL store
    return True


def on_sign_in(session: Session) -> None:
    """What a sign-in opens: for a DSL, the DSL team's sealed items (after any re-key owed);
    for anyone else, their own sealed concerns and, for the office, the released packs."""
    held = session.held
    if not held.split:
        return
    if held.dsl_store_open:
        ensure_team_keys(session)
        if session.user.has_role("dsl"):
            maker = end_bootstrap(session)
            honour_requests(session, session.held.office_private)
            grant_awaiting(session, session.held.office_private)
            # After the requests: a member whose keys a reset changed is re-keyed past now.
            rotate_if_member_left(session, also=[maker] if maker else [])
            open_team_items(session)
        team_rotation.finish(session)  # a DSL PC or account removed on the admin's PC
        return
    if held.personal is not None:
        _open_own(session, holder(session.user.username), held.personal.hpke)
    if held.office_private is not None:
        pairs = KeyPairs.from_private_bytes(held.office_private)
        _open_own(session, team_recipient(pairs.bundle), pairs.hpke)

