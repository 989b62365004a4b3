"""The LA front doors this one trusts (issue #19, federation), as operations every storage
engine shares. Mixed into ``frontdoor.storage.Storage``, which supplies ``_tx`` and the SQL
dialect; the table is made by its numbered step 5.

A peer is another LA front door, known by its URL and its service key, whose fingerprint the
operator checked out of band (``peers add``). Trust is looked up on every request, so removing
a peer (``peers remove``) stops it at once in every service process sharing the database.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.clock import iso, parse_iso
from app.protocol.fingerprint import KeyBundle

# Step 5 of ``frontdoor.storage._STEPS`` (never edit it: add a step at the end of that list).
PEER_STEPS: list[str] = [
    # 5 (issue #19): trusted peer front doors. Public keys and addresses only.
    """
    CREATE TABLE peers (
      fingerprint TEXT PRIMARY KEY,
      bundle TEXT NOT NULL,
      name TEXT NOT NULL,
      url TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('trusted', 'removed')),
      updated_at TEXT NOT NULL,
      ca_file TEXT NOT NULL DEFAULT ''
    )
    """,
]
_COLS = "fingerprint, bundle, name, url, status, updated_at, ca_file"


@dataclass(frozen=True)
class PeerRecord:
    fingerprint: str  # the peer front door's service key
    bundle: KeyBundle
    name: str  # the LA, as this front door's operator named it
    url: str
    status: str  # trusted | removed
    updated_at: datetime
    ca_file: str = ""  # the CA its TLS certificate is checked with ("": the system's)


def _peer(row: Any) -> PeerRecord:
    return PeerRecord(fingerprint=row[0], bundle=KeyBundle.from_text(row[1]), name=row[2],
                      url=row[3], status=row[4], updated_at=parse_iso(row[5]),
                      ca_file=row[6])


class PeerStorage:
    """The peers table; ``Storage`` supplies ``_tx`` and ``_q``."""

    def _tx(self, *, write: bool) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _q(self, sql: str) -> str:
        return sql

    def set_peer(self, bundle: KeyBundle, name: str, url: str, status: str, at: datetime,
                 ca_file: str = "") -> None:
        with self._tx(write=True) as cur:
            cur.execute(self._q(
                f"INSERT INTO peers ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (fingerprint) DO UPDATE SET bundle = excluded.bundle, "
                "name = excluded.name, url = excluded.url, status = excluded.status, "
                "updated_at = excluded.updated_at, ca_file = excluded.ca_file"),
                (bundle.fingerprint, bundle.to_text(), name, url, status, iso(at), ca_file))

    def get_peer(self, fingerprint: str) -> PeerRecord | None:
        with self._tx(write=False) as cur:
            cur.execute(self._q(f"SELECT {_COLS} FROM peers WHERE fingerprint = ?"),
                        (fingerprint,))
            row = cur.fetchone()
        return _peer(row) if row else None

    def list_peers(self) -> list[PeerRecord]:
        with self._tx(write=False) as cur:
            cur.execute(f"SELECT {_COLS} FROM peers ORDER BY status DESC, name, fingerprint")
            return [_peer(r) for r in cur.fetchall()]

    def trusted_peers(self) -> list[PeerRecord]:
        return [p for p in self.list_peers() if p.status == "trusted"]

