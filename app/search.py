"""Full-text search over what the signed-in user may see, through FTS5 (never a table scan)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from app.clock import parse_iso
from app.errors import InputError
from app.roles import Perm
from app.session import Session

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchHit:
    record_id: str
    kind: str
    occurred_at: datetime
    snippet: str
    children: list[str]


def fts_query(text: str) -> str:
    """Each word a prefix term, all required. Quoting every term keeps FTS5's own syntax
    (AND, NEAR, column filters, stray quotes) from turning user text into an error."""
    words = _WORD.findall(text)
    if not words:
        raise InputError("query", "type at least one word to search for")
    return " ".join(f'"{w}"*' for w in words[:12])


def search(session: Session, text: str, limit: int = 50) -> list[SearchHit]:
    if session.can(Perm.READ_ALL_RECORDS):
        scope, params = "", []
    else:
        session.require(Perm.READ_OWN_CONCERNS)
        scope, params = " AND r.created_by = ? AND r.kind = 'concern'", [session.user.id]
    query = fts_query(text)
    # snippet() cannot be used in an aggregate: take the best-ranked versions, then keep the
    # first (best) hit per record.
    rows = session.conn.execute(
        "SELECT r.id, r.kind, v.occurred_at, "
        "snippet(record_fts, -1, '[', ']', '…', 12) FROM record_fts "
        "JOIN record_versions v ON v.rowid = record_fts.rowid "
        "JOIN records r ON r.id = v.record_id "
        "WHERE record_fts MATCH ?" + scope + " ORDER BY record_fts.rank LIMIT ?",
        (query, *params, limit * 3)).fetchall()
    best: dict[str, tuple[str, str, str]] = {}
    for record_id, kind, occurred, snippet in rows:
        if record_id not in best and len(best) < limit:
            best[record_id] = (kind, occurred, snippet)
    names: dict[str, list[str]] = {}
    for record_id, name in session.conn.execute(
            "SELECT rc.record_id, coalesce(c.preferred_forename, c.legal_forename) || ' ' || "
            "c.legal_surname FROM record_children rc JOIN children c ON c.id = rc.child_id "
            "WHERE rc.record_id IN (SELECT value FROM json_each(?)) ORDER BY rc.rowid",
            (json.dumps(list(best)),)):
        names.setdefault(record_id, []).append(name)
    hits = [SearchHit(record_id, kind, parse_iso(occurred), snippet, names.get(record_id, []))
            for record_id, (kind, occurred, snippet) in best.items()]
    session.audited("search", None, None, results=len(hits))
    return hits
