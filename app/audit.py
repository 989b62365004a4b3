"""The tamper-evident audit trail: a hash chain, with its head signed by the device key.

Each event stores ``hash = SHA-256(prev_hash || canonical form)``. Altering an event breaks its
own hash; removing or reordering events breaks the next one's link. The head (last sequence
number and hash) is signed with the device's Ed25519 key from the OS keyring, so cutting events
off the end is caught too by anyone who lacks that key — the raw database key alone is not enough.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.clock import Clock, iso
from app.db import Connection
from app.keys import b64d, b64e

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


def _read_head(conn: Connection) -> dict[str, Any] | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (HEAD_KEY,)).fetchone()
    return json.loads(row[0]) if row else None


def _head_signature_ok(head: dict[str, Any]) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(b64d(head["public_key"])).verify(
            b64d(head["signature"]),
            _head_message(int(head["seq"]), head["hash"], head.get("breaks", [])))
    except (InvalidSignature, KeyError, ValueError, TypeError):
        return False
    return True


class AuditLog:
    def __init__(self, conn: Connection, clock: Clock, signing_key: Ed25519PrivateKey) -> None:
        self._conn = conn
        self._clock = clock
        self._signing_key = signing_key

    def append(self, actor: str | None, action: str, object_type: str | None = None,
               object_id: str | None = None, **detail: Any) -> str:
        """Adds one event. Call inside the transaction that does the thing being audited."""
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        row = self._conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
                                 ).fetchone()
        seq, prev_hash = (row[0] + 1, row[1]) if row else (1, GENESIS)
        breaks = self._breaks_so_far(row)
        event_id, at = str(uuid.uuid4()), iso(self._clock.now())
        body = canonical(event_id, at, actor, action, object_type, object_id, detail, prev_hash)
        digest = chain_hash(prev_hash, body)
        self._conn.execute(
            "INSERT INTO audit (seq, id, at, actor, action, object_type, object_id, detail,"
            " prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (seq, event_id, at, actor, action, object_type, object_id,
             json.dumps(detail, sort_keys=True, ensure_ascii=False), prev_hash, digest))
        self._sign_head(seq, digest, breaks)
        return event_id

    def _breaks_so_far(self, tail: tuple[int, str] | None) -> list[dict[str, Any]]:
        """The signed head's record of trail cuts, plus a new one if the tail no longer matches
        the head we signed last: we must not sign over events removed behind our back."""
        head = _read_head(self._conn)
        if head is None:
            return []
        breaks: list[dict[str, Any]] = list(head.get("breaks", []))
        found = (tail[0], tail[1]) if tail else (0, GENESIS)
        if (int(head["seq"]), head["hash"]) != found:
            breaks.append({"signed_seq": int(head["seq"]), "found_seq": found[0],
                           "detected_at": iso(self._clock.now())})
        return breaks

    def _sign_head(self, seq: int, head_hash: str, breaks: list[dict[str, Any]]) -> None:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        head = {"seq": seq, "hash": head_hash, "breaks": breaks,
                "public_key": b64e(self._signing_key.public_key().public_bytes(
                    Encoding.Raw, PublicFormat.Raw)),
                "signature": b64e(self._signing_key.sign(
                    _head_message(seq, head_hash, breaks)))}
        self._conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key)"
                           " DO UPDATE SET value = excluded.value", (HEAD_KEY, json.dumps(head)))

    def re_anchor(self) -> None:
        """Sign the current head with this device's key (after a restore onto a new PC)."""
        row = self._conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
                                 ).fetchone()
        if row:
            head = _read_head(self._conn)
            self._sign_head(row[0], row[1], list(head.get("breaks", [])) if head else [])


def events(conn: Connection, *, limit: int | None = None) -> list[AuditEvent]:
    sql = ("SELECT seq, id, at, actor, action, object_type, object_id, detail, prev_hash, hash"
           " FROM audit ORDER BY seq DESC")
    rows = conn.execute(sql + (f" LIMIT {int(limit)}" if limit else "")).fetchall()
    return [AuditEvent(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), r[8], r[9])
            for r in rows]


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events_checked: int
    problem: str | None = None
    warning: str | None = None


def verify_chain(conn: Connection, device_public: bytes | None) -> ChainReport:
    """Walks the whole chain in order; names the first event that does not hold."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    rows = conn.execute("SELECT seq, id, at, actor, action, object_type, object_id, detail,"
                        " prev_hash, hash FROM audit ORDER BY seq")
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
    return _check_head(conn, count, expected_seq - 1, prev_hash, device_public)


def _check_head(conn: Connection, count: int, last_seq: int, last_hash: str,
                device_public: bytes | None) -> ChainReport:
    head = _read_head(conn)
    if head is None:
        if count == 0:
            return ChainReport(True, 0)
        return ChainReport(False, count, "the signed audit head is missing")
    if not _head_signature_ok(head):
        return ChainReport(False, count, "the audit head's signature is not valid")
    for cut in head.get("breaks", []):
        return ChainReport(False, count, f"audit events after #{cut['found_seq']} (up to "
                           f"#{cut['signed_seq']}) were removed from the end of the trail; "
                           f"noticed at {cut['detected_at']}")
    if int(head["seq"]) != last_seq or head["hash"] != last_hash:
        if int(head["seq"]) > last_seq:
            return ChainReport(False, count, f"audit events #{last_seq + 1}–#{head['seq']} "
                               "were removed from the end of the trail")
        return ChainReport(False, count, f"audit event #{last_seq} does not match the signed "
                           "head: events were added or changed without the device key")
    warning = None
    if device_public is not None and b64d(head["public_key"]) != device_public:
        warning = ("the audit head was signed on another device (normal after a restore "
                   "until the next audited action here)")
    return ChainReport(True, count, None, warning)
