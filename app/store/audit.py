"""The tamper-evident audit trail: a hash chain, with its head signed by the device key.

Each event stores ``hash = SHA-256(prev_hash || canonical form)``. Altering an event breaks its
own hash; removing or reordering events breaks the next one's link. The head (last sequence
number and hash) is signed with an Ed25519 key derived from the device secret in the OS keyring,
so cutting events off the end is caught too by anyone who lacks that secret — the raw database key
alone is not enough. Verification trusts only that key (and, for heads signed before it existed,
this PC's device signing key), never a key the head names itself: a forger holding the database
key cannot re-sign a rewritten trail. A recovery re-creates the device secret, hence the same key.
Each append also checks the head it builds on, so a forged head is recorded as a break in the
next signed head rather than signed over.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Collection
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.clock import Clock, iso
from app.errors import ConcernDeskError
from app.store.db import Connection, DatabaseError
from app.store.keys import b64d, b64e

if TYPE_CHECKING:
    from app.store.device import DeviceKeys

GENESIS = "0" * 64
HEAD_KEY = "audit_head"

ACTIONS = frozenset({
    "create", "amend", "view", "search", "export", "print", "sync", "login", "failed-login",
    "lock", "import", "status", "user", "settings", "backup", "restore", "verify", "recovery",
    "release", "approve", "queue", "receipt",
})


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    id: str
    at: str
    actor: str | None
    action: str
    object_type: str | None
    object_id: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str


def canonical(event_id: str, at: str, actor: str | None, action: str, object_type: str | None,
              object_id: str | None, detail: dict[str, Any], prev_hash: str) -> bytes:
    return json.dumps([event_id, at, actor, action, object_type, object_id, detail, prev_hash],
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def chain_hash(prev_hash: str, body: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + body).hexdigest()


def _head_message(seq: int, head_hash: str, breaks: list[dict[str, Any]]) -> bytes:
    return (f"concerndesk/audit-head/v1|{seq}|{head_hash}|".encode()
            + json.dumps(breaks, sort_keys=True).encode())


def _read_head(conn: Connection, schema: str = "main") -> dict[str, Any] | None:
    row = conn.execute(f"SELECT value FROM {schema}.meta WHERE key = ?", (HEAD_KEY,)).fetchone()
    if row is None:
        return None
    try:
        head = json.loads(row[0])
    except ValueError:
        return {}  # unreadable: fails its signature check
    return head if isinstance(head, dict) else {}


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def audit_signing_key(device_secret: bytes, store_id: str) -> Ed25519PrivateKey:
    """The key that signs this store's audit head. Derived from the device secret, which only
    this PC's keyring holds (and keys.json, wrapped under the recovery key): a recovery onto a
    new PC re-creates it, a forger holding only the database key cannot."""
    seed = HKDF(hashes.SHA256(), 32, salt=None,
                info=b"concerndesk/audit-head-key/v1|" + store_id.encode()).derive(device_secret)
    return Ed25519PrivateKey.from_private_bytes(seed)


def trusted_head_keys(device: DeviceKeys, store_id: str) -> frozenset[bytes]:
    """The public keys a head may be signed with: the derived audit key, and this PC's device
    signing key (which signed heads before the audit key existed). Both come from the keyring."""
    return frozenset({_raw_public(audit_signing_key(device.secret, store_id)),
                      device.signing_public()})


def _head_signature_ok(head: dict[str, Any]) -> bool:
    """Whether the head is signed by the key it names (which says nothing of who that is)."""
    try:
        Ed25519PublicKey.from_public_bytes(b64d(head["public_key"])).verify(
            b64d(head["signature"]),
            _head_message(int(head["seq"]), head["hash"], head.get("breaks", [])))
    except (InvalidSignature, KeyError, ValueError, TypeError, AttributeError):
        return False
    return True


def _head_trusted(head: dict[str, Any], trusted: Collection[bytes]) -> bool:
    try:
        named = b64d(head["public_key"])
    except (KeyError, ValueError, TypeError, AttributeError):
        return False
    return named in trusted and _head_signature_ok(head)


class AuditLog:
    def __init__(self, conn: Connection, clock: Clock, signing_key: Ed25519PrivateKey,
                 trusted: Collection[bytes] = (), schema: str = "main") -> None:
        self._conn = conn
        self._schema = schema  # "main": the school store's chain; "dsl": the DSL team's
        self._clock = clock
        self._signing_key = signing_key
        self._trusted = frozenset(trusted) | {_raw_public(signing_key)}
        self._signed: str | None = None  # the head this log wrote last: no need to re-check it

    @classmethod
    def for_device(cls, conn: Connection, clock: Clock, device: DeviceKeys, store_id: str,
                   schema: str = "main") -> AuditLog:
        # Signs with the derived key, which it trusts; also trusts the device key's older heads.
        return cls(conn, clock, audit_signing_key(device.secret, store_id),
                   (device.signing_public(),), schema)

    def append(self, actor: str | None, action: str, object_type: str | None = None,
               object_id: str | None = None, **detail: Any) -> str:
        """Adds one event. Call inside the transaction that does the thing being audited."""
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        row = self._conn.execute(f"SELECT seq, hash FROM {self._schema}.audit ORDER BY seq "
                                 "DESC LIMIT 1").fetchone()
        seq, prev_hash = (row[0] + 1, row[1]) if row else (1, GENESIS)
        breaks = self._breaks_so_far(row)
        event_id, at = str(uuid.uuid4()), iso(self._clock.now())
        body = canonical(event_id, at, actor, action, object_type, object_id, detail, prev_hash)
        digest = chain_hash(prev_hash, body)
        self._conn.execute(
            f"INSERT INTO {self._schema}.audit (seq, id, at, actor, action, object_type, "
            "object_id, detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (seq, event_id, at, actor, action, object_type, object_id,
             json.dumps(detail, sort_keys=True, ensure_ascii=False), prev_hash, digest))
        self._sign_head(seq, digest, breaks)
        return event_id

    def _breaks_so_far(self, tail: tuple[int, str] | None) -> list[dict[str, Any]]:
        """The signed head's record of trail breaks, plus a new one if the head we build on is
        missing, not signed with a trusted key, or no longer matches the tail: we must not sign
        over what was changed behind our back."""
        row = self._conn.execute(f"SELECT value FROM {self._schema}.meta WHERE key = ?",
                                 (HEAD_KEY,)).fetchone()
        found = (tail[0], tail[1]) if tail else (0, GENESIS)
        now = iso(self._clock.now())
        if row is None:
            return [] if tail is None else [{"kind": "missing", "found_seq": found[0],
                                             "detected_at": now}]
        try:
            head = json.loads(row[0])
            breaks = [b for b in head.get("breaks", []) if isinstance(b, dict)]
            signed = (int(head["seq"]), head["hash"])
        except (ValueError, TypeError, KeyError, AttributeError):
            return [{"kind": "unsigned", "found_seq": found[0], "detected_at": now}]
        if row[0] != self._signed and not _head_trusted(head, self._trusted):
            breaks.append({"kind": "unsigned", "found_seq": found[0], "detected_at": now})
        elif signed != found:
            breaks.append({"signed_seq": signed[0], "found_seq": found[0], "detected_at": now})
        return breaks

    def _sign_head(self, seq: int, head_hash: str, breaks: list[dict[str, Any]]) -> None:
        head = {"seq": seq, "hash": head_hash, "breaks": breaks,
                "public_key": b64e(_raw_public(self._signing_key)),
                "signature": b64e(self._signing_key.sign(
                    _head_message(seq, head_hash, breaks)))}
        value = json.dumps(head)
        self._conn.execute(f"INSERT INTO {self._schema}.meta (key, value) VALUES (?, ?) "
                           "ON CONFLICT (key)"
                           " DO UPDATE SET value = excluded.value", (HEAD_KEY, value))
        self._signed = value


def events(conn: Connection, *, limit: int | None = None, schema: str = "main"
           ) -> list[AuditEvent]:
    sql = ("SELECT seq, id, at, actor, action, object_type, object_id, detail, prev_hash, hash"
           f" FROM {schema}.audit ORDER BY seq DESC")
    rows = conn.execute(sql + (f" LIMIT {int(limit)}" if limit else "")).fetchall()
    return [AuditEvent(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), r[8], r[9])
            for r in rows]


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events_checked: int
    problem: str | None = None
    warning: str | None = None


def verify_chain(conn: Connection, trusted: Collection[bytes], schema: str = "main"
                 ) -> ChainReport:
    """Walks the whole chain in order; names the first event that does not hold. The head must
    be signed with one of the ``trusted`` keys (``trusted_head_keys``)."""
    if conn.in_transaction:
        return _walk_chain(conn, trusted, schema)
    # One read snapshot for the walk and the head: other connections may commit meanwhile.
    conn.execute("BEGIN")
    try:
        return _walk_chain(conn, trusted, schema)
    finally:
        with suppress(DatabaseError, ConcernDeskError):  # a read: nothing to undo
            conn.execute("ROLLBACK")


def _walk_chain(conn: Connection, trusted: Collection[bytes], schema: str) -> ChainReport:
    prev_hash, expected_seq, count = GENESIS, 1, 0
    rows = conn.execute("SELECT seq, id, at, actor, action, object_type, object_id, detail,"
                        f" prev_hash, hash FROM {schema}.audit ORDER BY seq")
    for seq, event_id, at, actor, action, otype, oid, detail, stored_prev, stored_hash in rows:
        count += 1
        where = f"audit event #{seq} ({action} at {at}, id {event_id})"
        if seq != expected_seq:
            return ChainReport(False, count, f"{where}: events #{expected_seq}–#{seq - 1} are "
                               "missing (removed)")
        if stored_prev != prev_hash:
            return ChainReport(False, count, f"{where} does not follow the event before it: an "
                               "event before it was removed, altered or reordered")
        try:
            body = canonical(event_id, at, actor, action, otype, oid, json.loads(detail),
                             stored_prev)
        except ValueError:
            return ChainReport(False, count, f"{where} has been altered (unreadable detail)")
        if chain_hash(stored_prev, body) != stored_hash:
            return ChainReport(False, count, f"{where} has been altered")
        prev_hash, expected_seq = stored_hash, seq + 1
    return _check_head(conn, count, expected_seq - 1, prev_hash, trusted, schema)


def _break_words(cut: Any) -> str:
    try:
        noticed, after = f"noticed at {cut.get('detected_at')}", int(cut.get("found_seq", 0))
    except (AttributeError, ValueError, TypeError):  # only a forged head could hold this
        return "the signed audit head records a break in the trail it cannot describe"
    if cut.get("kind") == "missing":
        return (f"the signed audit head was missing when event #{after + 1} was added "
                f"({noticed}): events up to #{after} may have been changed outside ConcernDesk")
    if cut.get("kind") == "unsigned":
        return (f"the audit head was not signed with this store's key when event #{after + 1} "
                f"was added ({noticed}): events up to #{after} were changed outside ConcernDesk")
    return (f"audit events after #{after} (up to #{cut.get('signed_seq')}) were removed from "
            f"the end of the trail; {noticed}")


def _check_head(conn: Connection, count: int, last_seq: int, last_hash: str,
                trusted: Collection[bytes], schema: str) -> ChainReport:
    head = _read_head(conn, schema)
    if head is None:
        if count == 0:
            return ChainReport(True, 0)
        return ChainReport(False, count, "the signed audit head is missing")
    if not _head_signature_ok(head):
        return ChainReport(False, count, "the audit head's signature is not valid")
    if not _head_trusted(head, trusted):
        return ChainReport(False, count, "the audit head is signed with a key this store does "
                           "not trust (not this PC's keyring): the trail was rewritten and "
                           "re-signed outside ConcernDesk")
    for cut in head.get("breaks", []):
        return ChainReport(False, count, _break_words(cut))
    if int(head["seq"]) != last_seq or head["hash"] != last_hash:
        if int(head["seq"]) > last_seq:
            return ChainReport(False, count, f"audit events #{last_seq + 1}–#{head['seq']} "
                               "were removed from the end of the trail")
        return ChainReport(False, count, f"audit event #{last_seq} does not match the signed "
                           "head: events were added or changed without the device key")
    return ChainReport(True, count)
