"""A concern's status events as people read them: who acknowledged, assigned, actioned or
closed it, when, and the words they wrote (a DSL's note, a closing outcome).

The events in ``record_status`` are the record; ``concern_state`` only keeps the current status
for the inbox. Every view that shows a concern's course (the chronology, the inbox, the pack,
``chronology --json``) reads the events through here, so a note written once is never lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from app.clock import parse_iso
from app.store.db import Connection

WORDS = {"new": "New", "acknowledged": "Acknowledged", "actioned": "Actioned",
         "closed": "Closed", "assigned": "Assigned"}


@dataclass(frozen=True)
class StatusEvent:
    id: str
    record_id: str
    status: str
    actor: str  # display name of the DSL who made the change
    at: datetime
    note: str | None  # what they wrote; for 'assigned' the assignee's user id
    assignee: str | None = None  # for 'assigned': the assignee's display name

    @property
    def words(self) -> str | None:
        """What the DSL wrote with this change (never the assignee's id)."""
        return None if self.status == "assigned" else self.note

    @property
    def text(self) -> str:
        """"Actioned — called the family", "Assigned to Dev Deputy", "Acknowledged"."""
        if self.status == "assigned":
            return f"Assigned to {self.assignee or 'a former member of the DSL team'}"
        head = WORDS.get(self.status, self.status.title())
        return f"{head} — {self.note}" if self.note else head


_COLUMNS = ("SELECT s.id, s.record_id, s.status, u.display_name, s.at, s.note, a.display_name "
            "FROM record_status s JOIN users u ON u.id = s.actor_id "
            "LEFT JOIN users a ON s.status = 'assigned' AND a.id = s.note ")


def _event(row: tuple) -> StatusEvent:
    return StatusEvent(row[0], row[1], row[2], row[3], parse_iso(row[4]), row[5], row[6])


def events_for(conn: Connection, record_ids: list[str]) -> dict[str, list[StatusEvent]]:
    """Each record's events after it was recorded ('new' is the record itself), in event order
    (at, id: the order every PC agrees on, app/domain/event_order.py)."""
    found: dict[str, list[StatusEvent]] = {}
    if not record_ids:
        return found
    for row in conn.execute(_COLUMNS + "WHERE s.record_id IN (SELECT value FROM json_each(?)) "
                            "AND s.status != 'new' ORDER BY s.at, s.id",
                            (json.dumps(record_ids),)):
        found.setdefault(row[1], []).append(_event(row))
    return found


def events_for_child(conn: Connection, child_id: str) -> list[StatusEvent]:
    """The status events of every concern a child is linked to, in event order."""
    return [_event(row) for row in conn.execute(
        _COLUMNS + "JOIN record_children rc ON rc.record_id = s.record_id "
        "WHERE rc.child_id = ? AND s.status != 'new' ORDER BY s.at, s.id", (child_id,))]
