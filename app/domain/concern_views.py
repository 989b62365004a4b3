"""Concerns as lists show them: each with its reporter, status, assignee, children and latest
version — built for many concerns at once with a handful of set-based queries, not one round of
queries per concern (the inbox of a ten-year store holds hundreds)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from app.clock import parse_iso
from app.domain.pupils import CHILD_COLUMNS, Child, child_from_row
from app.domain.records import (
    LATEST_VERSION,
    VERSION_COLUMNS,
    Version,
    further_to,
    version_from_row,
)
from app.domain.status_events import StatusEvent, events_for
from app.store.roles import Perm
from app.store.session import Session


@dataclass(frozen=True)
class ConcernView:
    id: str
    reporter: str
    reporter_id: str
    recorded_at: datetime
    status: str
    assigned_to: str | None
    latest: Version
    children: list[tuple[Child, str]]
    version_count: int
    # What the DSL team did with it, with their words (for the DSL team only: a note is
    # theirs), oldest first.
    events: tuple[StatusEvent, ...] = ()
    # Further information to an earlier concern: that concern's id and when it was recorded.
    further_to: str | None = None
    further_to_recorded: datetime | None = None


def concern_views(session: Session, ids: list[str]) -> list[ConcernView]:
    """Views of the concerns ``ids``, in that order (ids that do not exist are left out)."""
    if not ids:
        return []
    conn, wanted = session.conn, json.dumps(ids)
    among = "IN (SELECT value FROM json_each(?))"
    heads = {r[0]: r[1:] for r in conn.execute(
        "SELECT r.id, r.created_by, u.display_name, r.created_at, (SELECT count(*) FROM "
        f"record_versions WHERE record_id = r.id) FROM records r JOIN users u ON u.id = "
        f"r.created_by WHERE r.id {among}", (wanted,))}
    states: dict[str, tuple[str, str | None]] = {r[0]: (r[1], r[2]) for r in conn.execute(
        f"SELECT record_id, status, assignee FROM concern_state WHERE record_id {among}",
        (wanted,))}
    names = dict(conn.execute("SELECT id, display_name FROM users").fetchall())
    links: dict[str, list[tuple[str, str]]] = {}
    for record_id, child_id, role in conn.execute(
            f"SELECT record_id, child_id, role FROM record_children WHERE record_id {among} "
            "ORDER BY rowid", (wanted,)):
        links.setdefault(record_id, []).append((child_id, role))
    child_ids = json.dumps(sorted({c for pairs in links.values() for c, _ in pairs}))
    children = {r[0]: child_from_row(r) for r in conn.execute(
        f"SELECT {CHILD_COLUMNS} FROM children WHERE id {among}", (child_ids,))}
    latest = {r[1]: version_from_row(r) for r in conn.execute(
        f"SELECT {VERSION_COLUMNS} FROM record_versions v JOIN users u ON u.id = v.author_id "
        f"WHERE v.record_id {among} AND {LATEST_VERSION}", (wanted,))}
    events = events_for(conn, list(heads)) if session.can(Perm.READ_ALL_RECORDS) else {}
    followed = further_to(conn, ids)
    views = []
    for record_id in ids:
        if record_id not in heads or record_id not in latest:
            continue
        creator, reporter, created, versions = heads[record_id]
        status, assignee = states.get(record_id, ("new", None))
        views.append(ConcernView(
            record_id, reporter, creator, parse_iso(created), status,
            names.get(assignee) if assignee else None, latest[record_id],
            [(children[c], role) for c, role in links.get(record_id, []) if c in children],
            versions, tuple(events.get(record_id, ())),
            *followed.get(record_id, (None, None))))
    return views
