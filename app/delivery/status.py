"""What the status bar says about sync: set up or not, what waits, when something last arrived."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.clock import parse_iso
from app.store.session import Session
from app.wording import date_time_text


@dataclass(frozen=True)
class SyncSummary:
    configured: bool  # a front door or hub is set
    services: tuple[str, ...]  # "frontdoor", "hub"
    queued: int  # waiting to be sent (including ones between tries)
    failed: int  # refused by a service: needs someone to act
    last_delivered: datetime | None
    last_error: str | None  # why the most recent unsent envelope is waiting

    @property
    def text(self) -> str:
        if not self.configured:
            return "Sync: not set up" + (f" ({self.queued} waiting)" if self.queued else "")
        parts = [f"{self.queued} queued" if self.queued else "nothing waiting"]
        if self.failed:
            parts.append(f"{self.failed} refused")
        if self.last_delivered:
            parts.append(f"last delivered {date_time_text(self.last_delivered)}")
        return "Sync: " + ", ".join(parts)


def summary(session: Session) -> SyncSummary:
    conn = session.conn
    services = tuple(r[0] for r in conn.execute("SELECT role FROM services ORDER BY role"))
    counts = dict(conn.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())
    last = conn.execute("SELECT max(updated_at) FROM outbox WHERE state = 'receipted'"
                        ).fetchone()[0]
    error = conn.execute("SELECT last_error FROM outbox WHERE state != 'receipted' AND "
                         "last_error IS NOT NULL ORDER BY updated_at DESC LIMIT 1").fetchone()
    return SyncSummary(bool(services), services,
                       counts.get("queued", 0) + counts.get("sent", 0), counts.get("failed", 0),
                       parse_iso(last) if last else None, error[0] if error else None)
