"""Where the service keeps envelopes, keys and nonces: SQLite (default) or PostgreSQL.

One small interface, two engines sharing the same SQL (``?`` placeholders are rewritten for
psycopg). Several service processes may share one database: every write is one transaction,
a duplicate PUT is ``INSERT … ON CONFLICT DO NOTHING`` and then read back, and on PostgreSQL
inserts take a transaction-scoped advisory lock so that sequence order equals commit order
(otherwise a reader could pass a cursor over a row that commits later, and miss it).
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.clock import iso, parse_iso
from app.errors import ConcernDeskError
from app.protocol.fingerprint import KeyBundle
from frontdoor.la_storage import LA_STEPS, LaStorage
from frontdoor.peer_storage import PEER_STEPS, PeerStorage

SQLITE_FILE = "frontdoor.sqlite3"
_INSERT_LOCK = 0x43440001  # advisory lock id for envelope inserts (PostgreSQL)
_SCHEMA_LOCK = 0x43440002
_REQUEST_LOCK = 0x43440003  # enrolment requests, so the caps hold across processes
MAX_PENDING = 1000  # pending enrolment requests in all
MAX_PENDING_PER_SOURCE = 20  # from one source address (see frontdoor/limits.py)
PENDING_DAYS = 14  # a request nobody enrolled by then expires

_SCHEMA = """
CREATE TABLE IF NOT EXISTS envelopes (
  seq {serial},
  id TEXT NOT NULL UNIQUE,
  sender TEXT NOT NULL,
  recipient TEXT NOT NULL,
  kind TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size BIGINT NOT NULL,
  body {blob} NOT NULL,
  received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS envelopes_by_recipient ON envelopes (recipient, seq);
CREATE TABLE IF NOT EXISTS keys (
  fingerprint TEXT PRIMARY KEY,
  bundle TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'enrolled', 'removed')),
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS keys_by_status ON keys (status, updated_at);
CREATE TABLE IF NOT EXISTS enrolment_sources (
  fingerprint TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  requested_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS enrolment_sources_by_source ON enrolment_sources (source);
CREATE TABLE IF NOT EXISTS holdings (
  device TEXT NOT NULL,
  key_fingerprint TEXT NOT NULL,
  bundle TEXT NOT NULL,
  added_at TEXT NOT NULL,
  PRIMARY KEY (device, key_fingerprint)
);
CREATE TABLE IF NOT EXISTS nonces (
  keyid TEXT NOT NULL,
  nonce TEXT NOT NULL,
  expires DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (keyid, nonce)
);
CREATE INDEX IF NOT EXISTS nonces_by_expiry ON nonces (expires);
CREATE TABLE IF NOT EXISTS schema_steps (
  step INTEGER PRIMARY KEY,
  applied_at TEXT NOT NULL
);
"""
# Numbered steps after the base schema above (which every database already has, made with
# IF NOT EXISTS): each runs once, in its own transaction with its number in schema_steps, so a
# database from an older service is brought up to date when a newer one opens it.
# Never edit a released step: add one.
_STEPS: list[str] = [
    # 1: the newest audit head each enrolled device reported, per chain (school, dsl), so a
    # PC whose store comes back older is caught at its next sync. Opaque to the service.
    """
    CREATE TABLE audit_heads (
      device TEXT NOT NULL,
      chain TEXT NOT NULL,
      seq BIGINT NOT NULL,
      hash TEXT NOT NULL,
      head TEXT NOT NULL,
      reported_at TEXT NOT NULL,
      PRIMARY KEY (device, chain)
    )
    """,
    # 2-4 (issue #18): the LA side's tables — export claims, staff, answers (LA_STEPS).
    *LA_STEPS,
    # 5 (issue #19): the LA front doors this one trusts (PEER_STEPS).
    *PEER_STEPS,
]
_ENV_COLS = "seq, id, sender, recipient, kind, sha256, size, body, received_at"


class StorageError(ConcernDeskError):
    """The database cannot be opened or used."""


class TooManyPending(ConcernDeskError):
    """Refused: too many enrolment requests are pending from this source (``per_source``) or
    in all; nothing was stored."""

    def __init__(self, per_source: bool) -> None:
        self.per_source = per_source
        super().__init__("too many pending enrolment requests"
                         + (" from this source" if per_source else ""))


@dataclass(frozen=True)
class StoredEnvelope:
    seq: int
    id: str
    sender: str
    recipient: str
    kind: str
    sha256: str
    size: int
    body: bytes
    received_at: datetime


@dataclass(frozen=True)
class KeyRecord:
    fingerprint: str
    bundle: KeyBundle
    name: str
    status: str  # pending | enrolled | removed
    updated_at: datetime


@dataclass(frozen=True)
class AuditHead:
    chain: str  # "school" or "dsl"
    seq: int
    hash: str
    head: str  # the signed head as the PC sent it: kept, never read here
    reported_at: datetime


class RolledBack(ConcernDeskError):
    """Refused: a reported head is older than (or forks from) the one kept; nothing stored."""

    def __init__(self, kept: AuditHead) -> None:
        self.kept = kept
        super().__init__(f"the {kept.chain} audit trail was seen at event {kept.seq}")


@dataclass(frozen=True)
class PendingRequest:
    fingerprint: str
    name: str
    source: str  # "" for a request stored before sources were kept
    requested_at: datetime


def _envelope(row: Sequence[Any]) -> StoredEnvelope:
    return StoredEnvelope(seq=int(row[0]), id=row[1], sender=row[2], recipient=row[3],
                          kind=row[4], sha256=row[5], size=int(row[6]), body=bytes(row[7]),
                          received_at=parse_iso(row[8]))


def _key(row: Sequence[Any]) -> KeyRecord:
    return KeyRecord(fingerprint=row[0], bundle=KeyBundle.from_text(row[1]), name=row[2],
                     status=row[3], updated_at=parse_iso(row[4]))


class Storage(LaStorage, PeerStorage):
    """The engine-neutral operations. Subclasses supply ``_tx`` and the SQL dialect."""

    engine = ""
    _for_update = ""  # row lock for a read-then-write (SQLite's BEGIN IMMEDIATE locks all)
    _skip_locked = ""  # ... and one that passes over a row another process holds
    errors: tuple[type[BaseException], ...] = ()  # the engine's own exceptions

    @contextmanager
    def _tx(self, *, write: bool) -> Iterator[Any]:  # yields a DB-API cursor
        raise NotImplementedError
        yield

    def _lock_inserts(self, cur: Any) -> None:
        """Serialise envelope inserts across processes (no-op where the engine already does)."""

    def _lock_requests(self, cur: Any) -> None:
        """Serialise enrolment requests across processes (ditto), so counts are exact."""

    def _q(self, sql: str) -> str:
        return sql

    def _migrate(self, cur: Any, at: datetime) -> None:
        """Runs the steps this database lacks, inside the caller's (locked) transaction."""
        cur.execute("SELECT COALESCE(MAX(step), 0) FROM schema_steps")
        done = int(cur.fetchone()[0])
        for number, sql in enumerate(_STEPS[done:], start=done + 1):
            cur.execute(sql)
            cur.execute(self._q("INSERT INTO schema_steps (step, applied_at) VALUES (?, ?)"),
                        (number, iso(at)))

    def close(self) -> None:
        pass

    # envelopes ------------------------------------------------------------------------------

    def put_envelope(self, id: str, sender: str, recipient: str, kind: str, sha256: str,
                     body: bytes, received_at: datetime) -> tuple[StoredEnvelope, bool]:
        """Store once. Returns the stored row (which may be an earlier, different body) and
        whether this call stored it."""
        with self._tx(write=True) as cur:
            self._lock_inserts(cur)
            cur.execute(self._q(
                "INSERT INTO envelopes (id, sender, recipient, kind, sha256, size, body, "
                "received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"),
                (id, sender, recipient, kind, sha256, len(body), body, iso(received_at)))
            created = cur.rowcount == 1
            cur.execute(self._q(f"SELECT {_ENV_COLS} FROM envelopes WHERE id = ?"), (id,))
            return _envelope(cur.fetchone()), created

    def get_envelope(self, id: str) -> StoredEnvelope | None:
        with self._tx(write=False) as cur:
            cur.execute(self._q(f"SELECT {_ENV_COLS} FROM envelopes WHERE id = ?"), (id,))
            row = cur.fetchone()
        return _envelope(row) if row else None

    def inbox(self, recipients: Sequence[str], after_seq: int, limit: int,
              max_bytes: int) -> list[StoredEnvelope]:
        """Envelopes for any of ``recipients`` after ``after_seq`` in sequence order, at most
        ``limit`` of them and (after the first) at most ``max_bytes`` of bodies."""
        if not recipients:
            return []
        marks = ", ".join("?" for _ in recipients)
        with self._tx(write=False) as cur:
            cur.execute(self._q(
                f"SELECT seq, size FROM envelopes WHERE recipient IN ({marks}) AND seq > ? "
                "ORDER BY seq LIMIT ?"), (*recipients, after_seq, limit))
            chosen: list[int] = []
            total = 0
            for seq, size in cur.fetchall():
                if chosen and total + int(size) > max_bytes:
                    break
                chosen.append(int(seq))
                total += int(size)
            if not chosen:
                return []
            cur.execute(self._q(
                f"SELECT {_ENV_COLS} FROM envelopes WHERE recipient IN ({marks}) "
                "AND seq > ? AND seq <= ? ORDER BY seq"), (*recipients, after_seq, chosen[-1]))
            return [_envelope(r) for r in cur.fetchall()]

    def list_envelopes(self, recipient: str | None = None) -> list[StoredEnvelope]:
        with self._tx(write=False) as cur:
            if recipient is None:
                cur.execute(f"SELECT {_ENV_COLS} FROM envelopes ORDER BY seq")
            else:
                cur.execute(self._q(f"SELECT {_ENV_COLS} FROM envelopes WHERE recipient = ? "
                                    "ORDER BY seq"), (recipient,))
            return [_envelope(r) for r in cur.fetchall()]

    def count_envelopes(self) -> int:
        with self._tx(write=False) as cur:
            cur.execute("SELECT COUNT(*) FROM envelopes")
            return int(cur.fetchone()[0])

    # replay protection ----------------------------------------------------------------------

    def use_nonce(self, keyid: str, nonce: str, now: float, window: float) -> bool:
        """Record a nonce; False when it was already used within the window (a replay)."""
        with self._tx(write=True) as cur:
            cur.execute(self._q("DELETE FROM nonces WHERE expires < ?"), (now,))
            cur.execute(self._q("INSERT INTO nonces (keyid, nonce, expires) VALUES (?, ?, ?) "
                                "ON CONFLICT (keyid, nonce) DO NOTHING"),
                        (keyid, nonce, now + 2 * window))
            return cur.rowcount == 1

    # keys -----------------------------------------------------------------------------------

    def get_key(self, fingerprint: str) -> KeyRecord | None:
        with self._tx(write=False) as cur:
            cur.execute(self._q("SELECT fingerprint, bundle, name, status, updated_at FROM keys "
                                "WHERE fingerprint = ?"), (fingerprint,))
            row = cur.fetchone()
        return _key(row) if row else None

    def list_keys(self) -> list[KeyRecord]:
        with self._tx(write=False) as cur:
            cur.execute("SELECT fingerprint, bundle, name, status, updated_at FROM keys "
                        "ORDER BY status, name, fingerprint")
            return [_key(r) for r in cur.fetchall()]

    def add_request(self, bundle: KeyBundle, name: str, at: datetime, source: str = "", *,
                    max_pending: int = MAX_PENDING,
                    max_per_source: int = MAX_PENDING_PER_SOURCE,
                    expire_days: int = PENDING_DAYS) -> KeyRecord:
        """A pending enrolment request from ``source``; an existing record for the key is left
        as it is (and answered whatever the counts). Requests older than ``expire_days`` are
        dropped first; ``TooManyPending`` when the source, or the table, holds its maximum."""
        with self._tx(write=True) as cur:
            self._lock_requests(cur)
            existing = self._key_row(cur, bundle.fingerprint)
            if existing is not None:
                return existing
            self._purge(cur, before=at - timedelta(days=expire_days))
            cur.execute("SELECT COUNT(*) FROM keys WHERE status = 'pending'")
            if int(cur.fetchone()[0]) >= max_pending:
                raise TooManyPending(per_source=False)
            cur.execute(self._q(
                "SELECT COUNT(*) FROM enrolment_sources s JOIN keys k "
                "ON k.fingerprint = s.fingerprint WHERE k.status = 'pending' AND s.source = ?"),
                (source,))
            if int(cur.fetchone()[0]) >= max_per_source:
                raise TooManyPending(per_source=True)
            cur.execute(self._q(
                "INSERT INTO keys (fingerprint, bundle, name, status, updated_at) "
                "VALUES (?, ?, ?, 'pending', ?) ON CONFLICT (fingerprint) DO NOTHING"),
                (bundle.fingerprint, bundle.to_text(), name, iso(at)))
            cur.execute(self._q(
                "INSERT INTO enrolment_sources (fingerprint, source, requested_at) "
                "VALUES (?, ?, ?) ON CONFLICT (fingerprint) DO UPDATE SET "
                "source = excluded.source, requested_at = excluded.requested_at"),
                (bundle.fingerprint, source, iso(at)))
            record = self._key_row(cur, bundle.fingerprint)
            assert record is not None
            return record

    def _key_row(self, cur: Any, fingerprint: str) -> KeyRecord | None:
        cur.execute(self._q("SELECT fingerprint, bundle, name, status, updated_at FROM keys "
                            "WHERE fingerprint = ?"), (fingerprint,))
        row = cur.fetchone()
        return _key(row) if row else None

    def _purge(self, cur: Any, *, before: datetime | None = None,
               fingerprint: str | None = None) -> int:
        """Delete pending requests (older than ``before``, or the one for ``fingerprint``, or
        all), with their sources; returns how many."""
        where, args = "status = 'pending'", []
        if before is not None:
            where += " AND updated_at < ?"
            args.append(iso(before))
        if fingerprint is not None:
            where += " AND fingerprint = ?"
            args.append(fingerprint)
        cur.execute(self._q("DELETE FROM enrolment_sources WHERE fingerprint IN "
                            f"(SELECT fingerprint FROM keys WHERE {where})"), args)
        cur.execute(self._q(f"DELETE FROM keys WHERE {where}"), args)
        return int(cur.rowcount)

    def purge_requests(self, *, before: datetime | None = None,
                       fingerprint: str | None = None) -> int:
        """The administrator's purge: pending requests made before ``before``, or the one for
        ``fingerprint``, or (neither given) all of them. Enrolled and removed keys stay."""
        with self._tx(write=True) as cur:
            self._lock_requests(cur)
            return self._purge(cur, before=before, fingerprint=fingerprint)

    def list_requests(self) -> list[PendingRequest]:
        """Pending requests, oldest first, with the source each came from."""
        with self._tx(write=False) as cur:
            cur.execute("SELECT k.fingerprint, k.name, COALESCE(s.source, ''), k.updated_at "
                        "FROM keys k LEFT JOIN enrolment_sources s "
                        "ON s.fingerprint = k.fingerprint WHERE k.status = 'pending' "
                        "ORDER BY k.updated_at, k.fingerprint")
            return [PendingRequest(fingerprint=r[0], name=r[1], source=r[2],
                                   requested_at=parse_iso(r[3])) for r in cur.fetchall()]

    def set_key(self, bundle: KeyBundle, name: str, status: str, at: datetime) -> None:
        with self._tx(write=True) as cur:
            cur.execute(self._q(
                "INSERT INTO keys (fingerprint, bundle, name, status, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO UPDATE SET "
                "name = excluded.name, status = excluded.status, updated_at = excluded.updated_at"),
                (bundle.fingerprint, bundle.to_text(), name, status, iso(at)))
            if status != "pending":  # the source is kept only while a request waits
                cur.execute(self._q("DELETE FROM enrolment_sources WHERE fingerprint = ?"),
                            (bundle.fingerprint,))

    def add_holding(self, device: str, held: KeyBundle, at: datetime) -> None:
        with self._tx(write=True) as cur:
            cur.execute(self._q(
                "INSERT INTO holdings (device, key_fingerprint, bundle, added_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (device, key_fingerprint) DO NOTHING"),
                (device, held.fingerprint, held.to_text(), iso(at)))

    # audit heads ----------------------------------------------------------------------------

    def audit_heads(self, device: str) -> list[AuditHead]:
        with self._tx(write=False) as cur:
            cur.execute(self._q("SELECT chain, seq, hash, head, reported_at FROM audit_heads "
                                "WHERE device = ? ORDER BY chain"), (device,))
            return [AuditHead(r[0], int(r[1]), r[2], r[3], parse_iso(r[4]))
                    for r in cur.fetchall()]

    def report_heads(self, device: str, heads: Sequence[AuditHead]) -> None:
        """Keeps each head that is newer than the one kept for its chain (a higher seq), in one
        transaction; ``RolledBack`` (nothing stored) when one has a lower seq, or the same seq
        with another hash. The same head again changes nothing."""
        with self._tx(write=True) as cur:
            for head in heads:
                cur.execute(self._q(
                    "SELECT chain, seq, hash, head, reported_at FROM audit_heads WHERE "
                    "device = ? AND chain = ?" + self._for_update), (device, head.chain))
                row = cur.fetchone()
                if row is not None:
                    kept = AuditHead(row[0], int(row[1]), row[2], row[3], parse_iso(row[4]))
                    if head.seq < kept.seq or (head.seq == kept.seq and head.hash != kept.hash):
                        raise RolledBack(kept)
                    if head.seq == kept.seq:
                        continue
                cur.execute(self._q(
                    "INSERT INTO audit_heads (device, chain, seq, hash, head, reported_at) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (device, chain) DO UPDATE SET "
                    "seq = excluded.seq, hash = excluded.hash, head = excluded.head, "
                    "reported_at = excluded.reported_at WHERE audit_heads.seq < excluded.seq"),
                    (device, head.chain, head.seq, head.hash, head.head, iso(head.reported_at)))

    def forget_heads(self, device: str) -> int:
        """The administrator's acknowledgement of a restore: the heads kept for ``device`` are
        dropped, so the next head it reports is taken as its new starting point."""
        with self._tx(write=True) as cur:
            cur.execute(self._q("DELETE FROM audit_heads WHERE device = ?"), (device,))
            return int(cur.rowcount)

    def team_keys(self) -> dict[str, list[KeyBundle]]:
        """device → the team keys it proved it holds, newest first: the LA directory shows
        them so one school can seal a CP file to another's DSL team (issue #19)."""
        with self._tx(write=False) as cur:
            cur.execute(self._q("SELECT device, bundle FROM holdings ORDER BY added_at DESC, "
                                "key_fingerprint"))
            held: dict[str, list[KeyBundle]] = {}
            for device, text in cur.fetchall():
                held.setdefault(device, []).append(KeyBundle.from_text(text))
            return held

    def holders(self, key_fingerprint: str) -> list[str]:
        """The devices that proved they hold the key ``key_fingerprint``."""
        with self._tx(write=False) as cur:
            cur.execute(self._q("SELECT device FROM holdings WHERE key_fingerprint = ? "
                                "ORDER BY device"), (key_fingerprint,))
            return [r[0] for r in cur.fetchall()]

    def held_keys(self, device: str) -> list[str]:
        with self._tx(write=False) as cur:
            cur.execute(self._q("SELECT key_fingerprint FROM holdings WHERE device = ? "
                                "ORDER BY key_fingerprint"), (device,))
            return [r[0] for r in cur.fetchall()]


class SQLiteStorage(Storage):
    """One file in the store directory; WAL so readers never wait for a writer."""

    engine = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.errors = (sqlite3.Error,)
        self._local = threading.local()
        try:
            conn = self._conn()
            conn.executescript(_SCHEMA.format(serial="INTEGER PRIMARY KEY AUTOINCREMENT",
                                              blob="BLOB"))
            with self._tx(write=True) as cur:  # BEGIN IMMEDIATE: one process migrates
                self._migrate(cur, datetime.now(UTC))
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the database {path}: {exc}") from None

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self, *, write: bool) -> Iterator[Any]:
        conn = self._conn()
        cur = conn.cursor()
        if conn.in_transaction:  # inside an export's claim (la_storage): part of its transaction
            yield cur
            return
        cur.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield cur
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


class _Pool:
    """A few psycopg connections reused across requests; a broken one is thrown away."""

    def __init__(self, url: str, size: int = 8) -> None:
        import psycopg  # only needed for PostgreSQL

        self._psycopg = psycopg
        self._url = url
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue(maxsize=size)

    def get(self) -> Any:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return self._psycopg.connect(self._url, connect_timeout=10)

    def put(self, conn: Any) -> None:
        if conn.closed or conn.info.transaction_status != self._psycopg.pq.TransactionStatus.IDLE:
            conn.close()
            return
        try:
            self._idle.put_nowait(conn)
        except queue.Full:
            conn.close()

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


class PostgresStorage(Storage):
    engine = "postgresql"
    _for_update = " FOR UPDATE"
    _skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise StorageError("PostgreSQL needs psycopg 3 (psycopg[binary])") from None
        self.errors = (psycopg.Error,)
        self._pool = _Pool(url)
        try:
            with self._tx(write=True) as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                for statement in _SCHEMA.format(
                        serial="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
                        blob="BYTEA").split(";"):
                    if statement.strip():
                        cur.execute(statement)
                self._migrate(cur, datetime.now(UTC))
        except psycopg.Error as exc:
            raise StorageError(f"cannot use the PostgreSQL database: {exc}") from None

    def _q(self, sql: str) -> str:
        return sql.replace("?", "%s")

    def _lock_inserts(self, cur: Any) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_INSERT_LOCK,))

    def _lock_requests(self, cur: Any) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_REQUEST_LOCK,))

    @contextmanager
    def _tx(self, *, write: bool) -> Iterator[Any]:
        conn = self._pool.get()
        try:
            with conn.cursor() as cur:
                try:
                    yield cur
                except BaseException:
                    conn.rollback()
                    raise
                conn.commit()
        finally:
            self._pool.put(conn)

    def close(self) -> None:
        self._pool.close()


def open_storage(store: Path, database: str | None) -> Storage:
    """PostgreSQL when ``database`` is a postgresql:// URL, else SQLite in the store directory."""
    if database:
        if not database.startswith(("postgresql://", "postgres://")):
            raise StorageError("--database must be a postgresql:// URL")
        return PostgresStorage(database)
    return SQLiteStorage(store / SQLITE_FILE)
