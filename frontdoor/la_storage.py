"""The LA side's tables (issue #18), as operations every storage engine shares: the watched
folder's export claims, the LA staff who sign in to the staff page, and the answers the LA sent
back to schools. Mixed into ``frontdoor.storage.Storage``, which supplies ``_tx`` and the SQL
dialect; the tables are made by its numbered steps 2-4.

Claiming an export is a row lock held for as long as the files are written: on PostgreSQL
``SELECT … FOR UPDATE SKIP LOCKED``, so several watcher processes each take a different referral
and one killed mid-export lets its lock go with its connection; on SQLite the write transaction
(``BEGIN IMMEDIATE``) holds the whole database, which serialises watchers on one host. The
marker (``done_at``) is set in the same transaction that held the lock, so a referral is marked
exported only after its files are all in place, and never twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.clock import iso, parse_iso
from app.errors import ConcernDeskError

# Steps 2-4 of ``frontdoor.storage._STEPS`` (numbered there, in that list's order; never
# edit one: add a step at the end of that list).
LA_STEPS: list[str] = [
    # 2 (issue #18): the watched-folder export's claims. A row per referral a watcher took up;
    # done_at is the marker that it was written whole (frontdoor/watch.py). Metadata only.
    """
    CREATE TABLE exports (
      envelope_id TEXT PRIMARY KEY,
      claimed_at TEXT NOT NULL,
      done_at TEXT,
      outcome TEXT,
      worker TEXT
    )
    """,
    # 3 (issue #18): LA staff who sign in to the staff page; a scrypt hash, never a password.
    """
    CREATE TABLE staff (
      name TEXT PRIMARY KEY,
      display_name TEXT NOT NULL,
      password_hash TEXT NOT NULL,
      created_at TEXT NOT NULL,
      disabled_at TEXT
    )
    """,
    # 4 (issue #18): the LA's answers to schools (acknowledged, decided), one row per answer
    # envelope: who answered which referral, when, and the outcome chosen. The note travels
    # only inside the sealed envelope.
    """
    CREATE TABLE answers (
      envelope_id TEXT PRIMARY KEY,
      referral_id TEXT NOT NULL,
      answer TEXT NOT NULL,
      outcome TEXT,
      staff TEXT NOT NULL,
      made_at TEXT NOT NULL
    )
    """,
]


class StaffExists(ConcernDeskError):
    """A staff account of that name exists already; nothing was changed."""


@dataclass
class Claim:
    """A referral this process holds for export. ``outcome`` is what the marker records:
    "exported", or why it was passed over for good ("unreadable: …")."""

    envelope_id: str
    outcome: str = "exported"


@dataclass(frozen=True)
class StaffAccount:
    name: str
    display_name: str
    password_hash: str
    disabled: bool


@dataclass(frozen=True)
class AnswerRecord:
    envelope_id: str
    referral_id: str
    answer: str  # acknowledged | decided
    outcome: str | None
    staff: str
    made_at: datetime


class LaStorage:
    """Operations on the LA side's tables; see the module docstring."""

    _skip_locked = ""

    def _tx(self, *, write: bool) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _q(self, sql: str) -> str:
        return sql

    def _lock_inserts(self, cur: Any) -> None:
        """Defined by the engine (see ``Storage``)."""

    # the watched folder ---------------------------------------------------------------------

    def pending_exports(self, recipient: str, limit: int) -> list[str]:
        """Referral envelopes sealed to ``recipient`` not yet marked exported, oldest first."""
        with self._tx(write=False) as cur:
            cur.execute(self._q(
                "SELECT e.id FROM envelopes e LEFT JOIN exports x ON x.envelope_id = e.id "
                "WHERE e.recipient = ? AND e.kind = 'referral' AND x.done_at IS NULL "
                "ORDER BY e.seq LIMIT ?"), (recipient, limit))
            return [r[0] for r in cur.fetchall()]

    @contextmanager
    def claim_export(self, envelope_id: str, worker: str, at: datetime) -> Iterator[Claim | None]:
        """Yields a ``Claim`` while this process holds the referral (None when another holds
        it or it is done); when the block ends without an error the marker is set in the
        same transaction, else the claim is let go and the referral stays pending."""
        with self._tx(write=True) as cur:
            cur.execute(self._q("INSERT INTO exports (envelope_id, claimed_at) VALUES (?, ?) "
                                "ON CONFLICT (envelope_id) DO NOTHING"), (envelope_id, iso(at)))
        with self._tx(write=True) as cur:
            cur.execute(self._q("SELECT done_at FROM exports WHERE envelope_id = ?"
                                + self._skip_locked), (envelope_id,))
            row = cur.fetchone()
            if row is None or row[0] is not None:
                yield None
                return
            claim = Claim(envelope_id)
            yield claim
            cur.execute(self._q("UPDATE exports SET done_at = ?, outcome = ?, worker = ?, "
                                "claimed_at = ? WHERE envelope_id = ? AND done_at IS NULL"),
                        (iso(at), claim.outcome, worker, iso(at), envelope_id))
            if cur.rowcount != 1:  # cannot happen while we hold the row: say so, keep nothing
                raise ConcernDeskError(f"the export of {envelope_id} was marked by another")

    def export_markers(self) -> dict[str, tuple[str, str]]:
        """envelope id → (outcome, worker) for every referral marked exported."""
        with self._tx(write=False) as cur:
            cur.execute("SELECT envelope_id, outcome, worker FROM exports "
                        "WHERE done_at IS NOT NULL")
            return {r[0]: (r[1], r[2]) for r in cur.fetchall()}

    # staff accounts -------------------------------------------------------------------------

    def add_staff(self, name: str, display_name: str, password_hash: str, at: datetime,
                  *, replace: bool = False) -> None:
        with self._tx(write=True) as cur:
            if replace:
                cur.execute(self._q(
                    "INSERT INTO staff (name, display_name, password_hash, created_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                    "display_name = excluded.display_name, "
                    "password_hash = excluded.password_hash, disabled_at = NULL"),
                    (name, display_name, password_hash, iso(at)))
                return
            cur.execute(self._q("INSERT INTO staff (name, display_name, password_hash, "
                                "created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING"),
                        (name, display_name, password_hash, iso(at)))
            if cur.rowcount != 1:
                raise StaffExists(f"a staff account '{name}' exists already; give --reset "
                                  "to set a new password")

    def disable_staff(self, name: str, at: datetime) -> bool:
        with self._tx(write=True) as cur:
            cur.execute(self._q("UPDATE staff SET disabled_at = ? WHERE name = ? "
                                "AND disabled_at IS NULL"), (iso(at), name))
            return int(cur.rowcount) == 1

    def get_staff(self, name: str) -> StaffAccount | None:
        with self._tx(write=False) as cur:
            cur.execute(self._q("SELECT name, display_name, password_hash, disabled_at "
                                "FROM staff WHERE name = ?"), (name,))
            row = cur.fetchone()
        return StaffAccount(row[0], row[1], row[2], row[3] is not None) if row else None

    def list_staff(self) -> list[StaffAccount]:
        with self._tx(write=False) as cur:
            cur.execute("SELECT name, display_name, password_hash, disabled_at FROM staff "
                        "ORDER BY name")
            return [StaffAccount(r[0], r[1], r[2], r[3] is not None) for r in cur.fetchall()]

    # answers to schools ---------------------------------------------------------------------

    def put_answer(self, record: AnswerRecord, sender: str, recipient: str, sha256: str,
                   body: bytes) -> None:
        """The answer's envelope (for the school's inbox) and its record, in one transaction."""
        with self._tx(write=True) as cur:
            self._lock_inserts(cur)
            cur.execute(self._q(
                "INSERT INTO envelopes (id, sender, recipient, kind, sha256, size, body, "
                "received_at) VALUES (?, ?, ?, 'la-answer', ?, ?, ?, ?)"),
                (record.envelope_id, sender, recipient, sha256, len(body), body,
                 iso(record.made_at)))
            cur.execute(self._q(
                "INSERT INTO answers (envelope_id, referral_id, answer, outcome, staff, made_at) "
                "VALUES (?, ?, ?, ?, ?, ?)"),
                (record.envelope_id, record.referral_id, record.answer, record.outcome,
                 record.staff, iso(record.made_at)))

    def answers(self, referral_id: str | None = None) -> list[AnswerRecord]:
        """The answers sent (for one referral, or all), oldest first."""
        with self._tx(write=False) as cur:
            sql = ("SELECT envelope_id, referral_id, answer, outcome, staff, made_at "
                   "FROM answers")
            if referral_id is None:
                cur.execute(sql + " ORDER BY made_at, envelope_id")
            else:
                cur.execute(self._q(sql + " WHERE referral_id = ? ORDER BY made_at, "
                                    "envelope_id"), (referral_id,))
            return [AnswerRecord(r[0], r[1], r[2], r[3], r[4], parse_iso(r[5]))
                    for r in cur.fetchall()]
