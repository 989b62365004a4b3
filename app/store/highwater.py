"""The audit high-water mark: how far this PC has seen the audit trail reach, kept outside
``store.db`` and its write-ahead log, so a store that comes back shorter is noticed.

After each committed transaction the session writes the trail's last sequence number and hash
to ``audit-highwater.bin`` beside the store, authenticated with a key derived from the data key
(HMAC-SHA256), so nobody without that key can make a store refuse to open. The write is not
synced: the store's own COMMIT is (synchronous=FULL), so whatever of the mark reaches the disk
was committed first. A mark may lag behind the store (a crash before it was written, another
connection writing an older value after a newer one) and that is safe; a mark *ahead* of the
store means committed transactions are gone (a write-ahead log cut short, an older store.db
copied in), and the store is refused as damaged.

The file has two slots, written by sequence-number parity, so a torn write spoils at most one
and the other still holds an older (lagging) value. A missing, torn or unreadable mark means
"unknown", never damage. Each mark carries the store's epoch (``meta.highwater_epoch``), which a
restore renews: a process still holding the replaced store cannot leave a mark that is ahead
of the restored one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import ConcernDeskError, StoreDamaged
from app.store.db import DatabaseError, damaged_message

log = logging.getLogger(__name__)

MARK_FILE = "audit-highwater.bin"
EPOCH_KEY = "highwater_epoch"
_MAGIC = b"CDH1"
_BODY = struct.Struct(">4sQ32s16s")  # magic, seq, hash, epoch
_MAC = 32
SLOT = 128  # two slots; what follows body and MAC in a slot is padding
_NO_EPOCH = bytes(16)  # a store never restored
_BINARY = getattr(os, "O_BINARY", 0)


@dataclass(frozen=True)
class Mark:
    seq: int
    hash: str
    epoch: bytes


def _key(data_key: bytes) -> bytes:
    # Derived for this purpose only: the mark's key opens nothing.
    return hmac.new(data_key, b"concerndesk/audit-highwater/v1", hashlib.sha256).digest()


def _epoch(value: str | None) -> bytes:
    try:
        epoch = bytes.fromhex(value) if value else _NO_EPOCH
    except ValueError:
        return _NO_EPOCH
    return epoch if len(epoch) == 16 else _NO_EPOCH


def pending(conn: Any) -> Mark | None:
    """The trail's head as this transaction leaves it: call inside the transaction, just before
    it commits, and hand the result to ``record`` once the COMMIT has succeeded."""
    try:
        row = conn.execute(
            "SELECT a.seq, a.hash, (SELECT value FROM meta WHERE key = ?) FROM "
            "(SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1) AS a", (EPOCH_KEY,)
        ).fetchone()
    except (DatabaseError, ConcernDeskError):  # a mark is never worth failing a transaction
        log.debug("could not read the audit head for the high-water mark")
        return None
    return Mark(int(row[0]), str(row[1]), _epoch(row[2])) if row else None


def record(directory: Path, data_key: bytes, mark: Mark | None) -> None:
    """Writes ``mark`` (committed already) into its slot; no fsync, and any failure only leaves
    the mark lagging."""
    if mark is None:
        return
    try:
        body = _BODY.pack(_MAGIC, mark.seq, bytes.fromhex(mark.hash), mark.epoch)
    except (ValueError, struct.error):
        return
    slot = body + hmac.new(_key(data_key), body, hashlib.sha256).digest()
    try:
        fd = os.open(directory / MARK_FILE, os.O_RDWR | os.O_CREAT | _BINARY, 0o600)
        try:
            os.lseek(fd, (mark.seq % 2) * SLOT, os.SEEK_SET)
            os.write(fd, slot.ljust(SLOT, b"\0"))
        finally:
            os.close(fd)
    except OSError as exc:
        log.debug("the audit high-water mark was not written: %s", type(exc).__name__)


def _slots(directory: Path, data_key: bytes) -> list[Mark]:
    """The slots that are whole and authentic; empty when the mark is missing or unreadable."""
    try:
        raw = (directory / MARK_FILE).read_bytes()[:2 * SLOT]
    except OSError:
        return []
    key, found = _key(data_key), []
    for start in (0, SLOT):
        body = raw[start:start + _BODY.size]
        mac = raw[start + _BODY.size:start + _BODY.size + _MAC]
        if len(mac) != _MAC or not hmac.compare_digest(
                mac, hmac.new(key, body, hashlib.sha256).digest()):
            continue
        magic, seq, digest, epoch = _BODY.unpack(body)
        if magic == _MAGIC:
            found.append(Mark(seq, digest.hex(), epoch))
    return found


@dataclass(frozen=True)
class Behind:
    """The store's trail ends at ``head`` but this PC saw it reach ``mark``."""

    head: int
    mark: int

    @property
    def missing(self) -> int:
        return self.mark - self.head

    def words(self) -> str:
        events = "event" if self.missing == 1 else "events"
        return (f"the audit trail ends at event #{self.head}, but this PC recorded it "
                f"reaching #{self.mark}: the last {self.missing} audited {events} (saved "
                "changes, views, sign-ins) are missing")


def _compare(conn: Any, directory: Path, data_key: bytes) -> tuple[Mark, int, str | None] | None:
    """(the mark, the store's head seq, the store's hash at the mark's seq), or None when the
    mark is unknown. The mark is read *before* the store: a mark any writer left is committed,
    so a store read afterwards can only be at or beyond it, however many writers there are."""
    marks = _slots(directory, data_key)
    if not marks:
        return None
    row = conn.execute("SELECT (SELECT value FROM meta WHERE key = ?), "
                       "(SELECT max(seq) FROM audit)", (EPOCH_KEY,)).fetchone()
    epoch, head = _epoch(row[0]), int(row[1] or 0)
    ours = [m for m in marks if m.epoch == epoch]
    if not ours:
        return None
    mark = max(ours, key=lambda m: m.seq)
    found = conn.execute("SELECT hash FROM audit WHERE seq = ?", (mark.seq,)).fetchone()
    return mark, head, found[0] if found else None


def behind(conn: Any, directory: Path, data_key: bytes) -> Behind | None:
    compared = _compare(conn, directory, data_key)
    if compared is None or compared[0].seq <= compared[1]:
        return None
    return Behind(compared[1], compared[0].seq)


def check(conn: Any, directory: Path, data_key: bytes) -> None:
    """On unlock: refuse a store whose trail is behind the mark, as damaged."""
    gap = behind(conn, directory, data_key)
    if gap is not None:
        raise StoreDamaged(f"{damaged_message(directory)} Work saved here has been lost: "
                           f"{gap.words()}.")


def problem(conn: Any, directory: Path, data_key: bytes) -> str | None:
    """For ``verify``: a trail behind the mark, or one whose event at the mark is not the one
    this PC recorded there."""
    compared = _compare(conn, directory, data_key)
    if compared is None:
        return None
    mark, head, found = compared
    if mark.seq > head:
        return f"the store has lost committed work: {Behind(head, mark.seq).words()}"
    if found != mark.hash:
        return (f"audit event #{mark.seq} is not the one this PC recorded: the trail was "
                "replaced or rewritten outside ConcernDesk")
    return None


def new_epoch(conn: Any) -> None:
    """Inside a restore's transaction: marks left by the store it replaces no longer count."""
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                 "value = excluded.value", (EPOCH_KEY, secrets.token_hex(16)))
