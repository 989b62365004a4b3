"""The DSL team's school-wide search as rows to list: one row per child a hit is about, with
what the child's page needs to open at that entry (the ranked search is app/domain/search.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from app.domain.records import LATEST_VERSION, further_to
from app.domain.search import search
from app.store.roles import Perm
from app.store.session import Session


@dataclass(frozen=True)
class SearchRow:
    record_id: str
    child_id: str
    child_name: str
    occurred_at: datetime
    kind: str  # the entry's kind: concern, action, contact, meeting, referral, outcome, note
    snippet: str  # the matched words in [brackets]
    further_information: bool = False


@dataclass(frozen=True)
class SchoolSearch:
    rows: list[SearchRow]
    newest_only: bool  # more matched than are ranked: the best of the newest are shown


def school_search(session: Session, text: str, limit: int = 50) -> SchoolSearch:
    """Every record in the school matching ``text`` (DSL team only; audited by ``search``)."""
    session.require(Perm.READ_ALL_RECORDS)
    hits = search(session, text, limit)
    ids = json.dumps([h.record_id for h in hits])
    children: dict[str, list[tuple[str, str]]] = {}
    for record_id, child_id, name in session.conn.execute(
            "SELECT rc.record_id, c.id, coalesce(c.preferred_forename, c.legal_forename) || ' ' "
            "|| c.legal_surname FROM record_children rc JOIN children c ON c.id = rc.child_id "
            "WHERE rc.record_id IN (SELECT value FROM json_each(?)) ORDER BY rc.rowid", (ids,)):
        children.setdefault(record_id, []).append((child_id, name))
    kinds = dict(session.conn.execute(
        "SELECT v.record_id, v.entry_kind FROM record_versions v WHERE v.record_id IN (SELECT "
        f"value FROM json_each(?)) AND {LATEST_VERSION}", (ids,)).fetchall())
    linked = further_to(session.conn, [h.record_id for h in hits])
    rows = [SearchRow(h.record_id, child_id, name, h.occurred_at,
                      kinds.get(h.record_id, h.kind), h.snippet, h.record_id in linked)
            for h in hits for child_id, name in children.get(h.record_id, [])]
    return SchoolSearch(rows, hits.newest_only)
