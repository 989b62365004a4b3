"""Checks the concern_state projection (schema migration 6) against the status events it is
derived from: the events are the record, the projection only makes the inbox fast, so any
disagreement is a fault ``verify`` must name."""

from __future__ import annotations

from app.store.db import Connection

_LATEST = ("(SELECT {col} FROM record_status WHERE record_id = r.id AND status {cmp} "
           "'assigned' ORDER BY at DESC, id DESC LIMIT 1)")


def projection_problems(conn: Connection) -> list[str]:
    status = "coalesce(" + _LATEST.format(col="status", cmp="!=") + ", 'new')"
    assignee = _LATEST.format(col="note", cmp="=")
    wrong = conn.execute(
        "SELECT count(*) FROM records r LEFT JOIN concern_state s ON s.record_id = r.id "
        f"WHERE r.kind = 'concern' AND (s.record_id IS NULL OR s.status IS NOT {status} "
        f"OR s.assignee IS NOT {assignee} OR s.created_at IS NOT r.created_at)").fetchone()[0]
    if not wrong:
        return []
    return [f"the current status of {wrong} concern(s) disagrees with their status events "
            "(the inbox would show them wrongly): restore from backup"]
