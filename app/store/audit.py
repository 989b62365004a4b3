"""The tamper-evident audit trail: a hash chain whose events are signed by the acting account,
with its head signed by the device key.

Each event stores ``hash = SHA-256(prev_hash || canonical form)``. Altering an event breaks its
own hash; removing or reordering events breaks the next one's link. Each event written since
signed audit began (``audit_signed_from``) also carries an Ed25519 signature of its hash by the
*acting account's personal key* (``signer``; a recovery session signs with a key derived from
the recovery key). As the hash covers every event before it, one account's signature vouches
for the whole trail up to its event, so rewriting any event means re-signing every later one
with keys of other people: whoever holds this PC's keyring (device secret) and a store key can
no longer rewrite the trail. ``verify`` checks each signature against the keys pinned for that
account inside the store holding the chain (``audit_signers``, pinned by the account's own
session at its first signed event), never against a key the event or keys.json names.

The head (last sequence number and hash) is signed with an Ed25519 key derived from the device
secret, so cutting events off the end is caught by anyone who lacks that secret. Each append
also checks the head it builds on, so a forged head is recorded as a break in the next signed
head rather than signed over. docs/keys.md ("The audit trails") gives the formats.
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
SIGNED_FROM_KEY = "audit_signed_from"  # the first event that must carry a personal signature
SIGNERS_KEY = "audit_signers"  # signer → its pinned Ed25519 public keys (base64)
# A recovery session's signer; never a username (those have no ':'), so no account can claim it.
RECOVERY_SIGNER = "key:recovery"

ACTIONS = frozenset({
    "create", "amend", "view", "search", "export", "print", "sync", "login", "failed-login",
    "lock", "import", "status", "user", "settings", "backup", "restore", "verify", "recovery",
    "release", "approve", "queue", "receipt",
    "retention", "destroy",  # a review decision; a file destroyed (the tombstone)
    "leave", "transfer",  # a child leaving; a CP file's transfer (issue #19)
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
    signer: str | None = None  # whose key signed it (None: before signed audit, or a system)


@dataclass(frozen=True)
class Signer:
    """Who signs the events a session writes: an account with its personal Ed25519 key, or
    ``RECOVERY_SIGNER`` with the recovery-derived key."""

    name: str
    key: Ed25519PrivateKey
    public: str  # base64 of the raw public key, as pinned

    @classmethod
    def of(cls, name: str, key: Ed25519PrivateKey) -> Signer:
        return cls(name, key, b64e(_raw_public(key)))


def event_message(store_id: str, schema: str, seq: int, event_hash: str, signer: str) -> bytes:
    """What an event's signature covers: its hash (hence every event before it), where it
    sits, and who signs."""
    chain = "dsl" if schema == "dsl" else "school"
    return f"concerndesk/audit-event/v1|{store_id}|{chain}|{seq}|{event_hash}|{signer}".encode()


def _is_system(actor: str | None) -> bool:
    # Not an account: nothing holds a personal key for it (app/hub/join.py's provisioning).
    return actor is None or actor.startswith("system:")


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
                 trusted: Collection[bytes] = (), schema: str = "main", *, store_id: str = "",
                 signer: Signer | None = None) -> None:
        self._conn = conn
        self._schema = schema  # "main": the school store's chain; "dsl": the DSL team's
        self._clock = clock
        self._signing_key = signing_key
        self._trusted = frozenset(trusted) | {_raw_public(signing_key)}
        self._signed: str | None = None  # the head this log wrote last: no need to re-check it
        self._store_id = store_id
        self._signer = signer  # None: a system session, whose events carry no signature
        self._pins_seen: str | None = None  # the pins as this log last found its key in them

    @classmethod
    def for_device(cls, conn: Connection, clock: Clock, device: DeviceKeys, store_id: str,
                   schema: str = "main", signer: Signer | None = None) -> AuditLog:
        # Signs with the derived key, which it trusts; also trusts the device key's older heads.
        return cls(conn, clock, audit_signing_key(device.secret, store_id),
                   (device.signing_public(),), schema, store_id=store_id, signer=signer)

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
        signer = signature = None
        if self._signer is not None:
            self._pin(self._signer)
            signer = self._signer.name
            signature = b64e(self._signer.key.sign(
                event_message(self._store_id, self._schema, seq, digest, signer)))
        self._conn.execute(
            f"INSERT INTO {self._schema}.audit (seq, id, at, actor, action, object_type, "
            "object_id, detail, prev_hash, hash, signer, signature) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (seq, event_id, at, actor, action, object_type, object_id,
             json.dumps(detail, sort_keys=True, ensure_ascii=False), prev_hash, digest,
             signer, signature))
        self._sign_head(seq, digest, breaks)
        return event_id

    def _pin(self, signer: Signer) -> None:
        """Pins the signer's public key in the store holding this chain, the first time it
        signs there (and again after a passphrase reset gave it new keys). The session derived
        the key from its own seed, so what it pins is its own; earlier pins are never dropped,
        so events signed before a reset still verify."""
        row = self._conn.execute(f"SELECT value FROM {self._schema}.meta WHERE key = ?",
                                 (SIGNERS_KEY,)).fetchone()
        value = row[0] if row else None
        if value is not None and value == self._pins_seen:
            return  # unchanged since we found ourselves in it (a rollback would change it)
        pins = read_pins(value)
        if signer.public not in pins.get(signer.name, []):
            pins.setdefault(signer.name, []).append(signer.public)
            value = json.dumps(pins, sort_keys=True)
            self._conn.execute(f"INSERT INTO {self._schema}.meta (key, value) VALUES (?, ?) "
                               "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                               (SIGNERS_KEY, value))
        self._pins_seen = value

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


def latest(conn: Connection, schema: str = "main") -> tuple[int, str, str] | None:
    """The chain's last event (seq, hash) and its signed head as stored (text), for a hub to
    keep; None when the chain has no event yet."""
    row = conn.execute(f"SELECT seq, hash FROM {schema}.audit ORDER BY seq DESC LIMIT 1"
                       ).fetchone()
    if row is None:
        return None
    head = conn.execute(f"SELECT value FROM {schema}.meta WHERE key = ?", (HEAD_KEY,)).fetchone()
    return int(row[0]), str(row[1]), head[0] if head else ""


def holds_event(conn: Connection, seq: int, event_hash: str, schema: str = "main") -> bool:
    """Whether the chain has event ``seq`` with this hash: it then runs through a head seen
    before (each hash covers every event before it)."""
    row = conn.execute(f"SELECT hash FROM {schema}.audit WHERE seq = ?", (seq,)).fetchone()
    return row is not None and row[0] == event_hash


def read_pins(value: str | None) -> dict[str, list[str]]:
    """``audit_signers`` as stored; an unreadable value pins nothing (so nothing verifies)."""
    try:
        pins = json.loads(value) if value else {}
    except ValueError:
        return {}
    if not isinstance(pins, dict):
        return {}
    return {str(k): [str(p) for p in v] for k, v in pins.items() if isinstance(v, list)}


def events(conn: Connection, *, limit: int | None = None, schema: str = "main"
           ) -> list[AuditEvent]:
    sql = ("SELECT seq, id, at, actor, action, object_type, object_id, detail, prev_hash, hash,"
           f" signer FROM {schema}.audit ORDER BY seq DESC")
    rows = conn.execute(sql + (f" LIMIT {int(limit)}" if limit else "")).fetchall()
    return [AuditEvent(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), r[8], r[9],
                       r[10]) for r in rows]


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events_checked: int
    problem: str | None = None
    warning: str | None = None


def verify_chain(conn: Connection, trusted: Collection[bytes], store_id: str,
                 schema: str = "main") -> ChainReport:
    """Walks the whole chain in order; names the first event that does not hold. Each event
    since signed audit began must be signed by its actor with a key pinned in this store; the
    head must be signed with one of the ``trusted`` keys (``trusted_head_keys``)."""
    if conn.in_transaction:
        return _walk_chain(conn, trusted, store_id, schema)
    # One read snapshot for the walk and the head: other connections may commit meanwhile.
    conn.execute("BEGIN")
    try:
        return _walk_chain(conn, trusted, store_id, schema)
    finally:
        with suppress(DatabaseError, ConcernDeskError):  # a read: nothing to undo
            conn.execute("ROLLBACK")


class _Signatures:
    """Checks personal signatures against the keys pinned in the chain's own store."""

    def __init__(self, conn: Connection, store_id: str, schema: str) -> None:
        row = conn.execute(f"SELECT value FROM {schema}.meta WHERE key = ?",
                           (SIGNED_FROM_KEY,)).fetchone()
        try:
            # Missing or unreadable (only a forger removes it): every event must be signed.
            self.signed_from = max(1, int(row[0])) if row else 1
        except (TypeError, ValueError):
            self.signed_from = 1
        row = conn.execute(f"SELECT value FROM {schema}.meta WHERE key = ?",
                           (SIGNERS_KEY,)).fetchone()
        self._pins = read_pins(row[0] if row else None)
        self._keys: dict[str, Ed25519PublicKey | None] = {}
        self._store_id, self._schema = store_id, schema

    def _key(self, public: str) -> Ed25519PublicKey | None:
        if public not in self._keys:
            try:
                self._keys[public] = Ed25519PublicKey.from_public_bytes(b64d(public))
            except (ValueError, TypeError):
                self._keys[public] = None
        return self._keys[public]

    def problem(self, where: str, seq: int, event_hash: str, actor: str | None,
                signer: str | None, signature: str | None) -> str | None:
        if seq < self.signed_from and signer is None:
            return None  # written before signed audit: the hash chain and head vouch for it
        if signer is None:
            if _is_system(actor) and signature is None:
                return None
            return (f"{where} is not signed with the personal key of {actor!r}, who is recorded "
                    "as doing it: it was written or rewritten outside ConcernDesk")
        if signer != actor and signer != RECOVERY_SIGNER:
            return (f"{where} is signed by {signer!r}, not by {actor!r}, who is recorded as "
                    "doing it: the trail was rewritten and re-signed outside ConcernDesk")
        pinned = self._pins.get(signer, [])
        if not pinned:
            return (f"{where} is signed with a key this store never pinned for {signer!r}: the "
                    "trail was rewritten and re-signed outside ConcernDesk")
        message = event_message(self._store_id, self._schema, seq, event_hash, signer)
        try:
            raw = b64d(signature or "")
        except (ValueError, TypeError):
            raw = b""
        for public in pinned:
            key = self._key(public)
            if key is None:
                continue
            try:
                key.verify(raw, message)
                return None
            except InvalidSignature:
                continue
        return (f"{where} carries a signature by {signer!r} that does not hold with the key "
                "pinned for them: the trail was rewritten outside ConcernDesk")


def _walk_chain(conn: Connection, trusted: Collection[bytes], store_id: str, schema: str
                ) -> ChainReport:
    prev_hash, expected_seq, count = GENESIS, 1, 0
    signatures = _Signatures(conn, store_id, schema)
    rows = conn.execute("SELECT seq, id, at, actor, action, object_type, object_id, detail,"
                        f" prev_hash, hash, signer, signature FROM {schema}.audit ORDER BY seq")
    for (seq, event_id, at, actor, action, otype, oid, detail, stored_prev, stored_hash,
         signer, signature) in rows:
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
        unsigned = signatures.problem(where, seq, stored_hash, actor, signer, signature)
        if unsigned:
            return ChainReport(False, count, unsigned)
        prev_hash, expected_seq = stored_hash, seq + 1
    report = _check_head(conn, count, expected_seq - 1, prev_hash, trusted, schema)
    if report.ok and count and signatures.signed_from > 1:
        # Said every time: a forger who moved the start forward (and dropped the signatures
        # after it) would have this number jump, which only a person who knows can notice.
        last = min(signatures.signed_from - 1, count)
        return ChainReport(True, count, warning=(
            f"audit events #1–#{last} were written before events were signed by their "
            "authors: only this PC's keyring vouches for them"))
    return report


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
