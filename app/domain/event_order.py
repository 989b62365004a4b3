"""One order for event rows (status changes, flags) on every PC: by time, then by id.

Rows arrive on a DSL PC in any order through the hub, so the insertion order (rowid) differs
between PCs; the event id is the same everywhere. An id is random, so two events one PC writes
for the same subject must never share an instant: ``next_event_at`` moves a new event just past
the subject's latest one when the clock has not moved on (a fast double click, a test clock).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.clock import iso, parse_iso
from app.store.db import Connection

ORDER = "at, id"
ORDER_DESC = "at DESC, id DESC"

_SUBJECTS = {"record_status": "record_id", "child_flag_events": "child_id",
             "referral_status": "referral_id"}


def next_event_at(conn: Connection, table: str, subject_id: str, now: datetime) -> str:
    """The time to write on a new event for ``subject_id``: ``now``, or one microsecond after
    the subject's latest event if that is not earlier."""
    column = _SUBJECTS[table]
    last = conn.execute(f"SELECT max(at) FROM {table} WHERE {column} = ?",
                        (subject_id,)).fetchone()[0]
    at = iso(now)
    if last is not None and last >= at:  # iso() strings sort as times
        at = iso(parse_iso(last) + timedelta(microseconds=1))
    return at
