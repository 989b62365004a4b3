"""Has a concern reached the DSL team? For the teacher who recorded it: "delivered to DSL team
at 10:42", from the hub's signed receipts kept in the outbox (app/delivery/outbox.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from app.delivery.inbox_marks import any_applied
from app.delivery.team_keys import dsl_team_fingerprints
from app.domain.concerns import check_can_read
from app.domain.records import resolve_for
from app.protocol.receipt import Receipt
from app.store.session import Session
from app.wording import date_time_text, plural


@dataclass(frozen=True)
class DeliveryState:
    # "delivered" | "waiting" | "received" (from another PC) | "not-shared" | on a keyed store,
    # "sealed" (for the DSL team, not opened yet) | "opened" (by the DSL team)
    state: str
    delivered_at: datetime | None  # when the hub first stored it (its receipt says so)
    waiting: int  # envelopes (e.g. amendments) not yet receipted

    @property
    def text(self) -> str:
        if self.state == "delivered" and self.delivered_at is not None:
            local = self.delivered_at.astimezone()
            more = f" ({plural(self.waiting, 'change')} still to send)" if self.waiting else ""
            return f"delivered to DSL team at {date_time_text(local)}{more}"
        if self.state == "waiting":
            return "waiting to be sent; safe on this PC"
        if self.state in ("received", "opened"):
            return "with the DSL team"
        if self.state == "sealed":
            return "sealed for the DSL team: they see it when a DSL next signs in"
        return "on this PC (no school hub)"


def delivery_state(session: Session, concern_id: str) -> DeliveryState:
    """The concern's way to the DSL team; the author and the DSL team may ask."""
    record_id = resolve_for(session, concern_id)
    check_can_read(session, record_id)
    rows = session.conn.execute(  # to the DSL team's key now, or before a rotation
        "SELECT state, receipt FROM outbox WHERE object_type = 'record' AND object_id = ? AND "
        "recipient IN (SELECT value FROM json_each(?)) ORDER BY created_at, rowid",
        (record_id, json.dumps(dsl_team_fingerprints(session.conn)))).fetchall()
    if not rows:
        opened = _team_has_opened(session, record_id)
        if opened is not None:  # a keyed store: sealed here for the DSL team (docs/keys.md)
            return DeliveryState("opened" if opened else "sealed", None, 0)
        # Recorded before the hub was set, or it came to this DSL PC from another one.
        return DeliveryState("received" if any_applied(session) else "not-shared", None, 0)
    received = [Receipt.from_bytes(r[1].encode()).received for r in rows
                if r[0] == "receipted" and r[1]]
    waiting = sum(1 for r in rows if r[0] != "receipted")
    if not received:
        return DeliveryState("waiting", None, waiting)
    return DeliveryState("delivered", min(received), waiting)


def _team_has_opened(session: Session, record_id: str) -> bool | None:
    """Whether the DSL team has opened every copy of this record sealed for it on this PC
    (None when none was)."""
    rows = session.conn.execute("SELECT opened_at FROM main.sealed_items WHERE object_id = ? "
                                "AND recipient LIKE 'team:%'", (record_id,)).fetchall()
    if not rows:
        return None
    return all(r[0] is not None for r in rows)
