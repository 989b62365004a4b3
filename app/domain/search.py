"""Full-text search over what the signed-in user may see, through FTS5 (never a table scan)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from app.clock import parse_iso
from app.errors import InputError
from app.store.roles import Perm
from app.store.session import Session

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchHit:
    record_id: str
    kind: str
    occurred_at: datetime
    snippet: str
    children: list[str]


def fts_query(text: str, *, prefix: bool = True) -> str:
    """Each word a term, all required: a prefix term ("bruis" finds bruised, bruising) unless
    ``prefix`` is off. Quoting every term keeps FTS5's own syntax (AND, NEAR, column filters,
    stray quotes) from turning user text into an error."""
    words = _WORD.findall(text)
    if not words:
        raise InputError("query", "type at least one word to search for")
    star = "*" if prefix else ""
    return " ".join(f'"{w}"{star}' for w in words[:12])


# A common word matches a large part of ten years of records, and FTS5 scores (bm25) every
# match before ORDER BY rank LIMIT can stop: ~45 ms at 100,000 records, ~450 ms at 1,000,000.
# Past this many matching versions only the newest are ranked, and the results say so. And
# when the words themselves (not as prefixes) match that often, the prefix variants are left
# out: merging the doclists of every term a prefix matches ("home*": home, homework, homes …)
# is what a search costs at a million records (bench/README.md, Findings 3).
RANK_WINDOW = 2000


class SearchHits(list[SearchHit]):
    """The hits, best first. ``newest_only`` when more versions matched than RANK_WINDOW and
    the best were picked from the newest of them, as whole words if the words alone match that
    often (more words narrow a search)."""

    newest_only: bool = False


def search(session: Session, text: str, limit: int = 50) -> SearchHits:
    if session.can(Perm.READ_ALL_RECORDS):
        scope, params = "", []
    else:
        session.require(Perm.READ_OWN_CONCERNS)
        scope, params = " AND r.created_by = ? AND r.kind = 'concern'", [session.user.id]
    query, window = fts_query(text), None
    # Staff search their own concerns only: a window over everyone's matches could hide
    # theirs, so none there.
    if not scope:
        exact = fts_query(text, prefix=False)
        window = _window_start(session, exact)
        if window is not None:
            query = exact
        else:
            window = _window_start(session, query)
    since = window or 0
    # snippet() cannot be used in an aggregate: take the best-ranked versions, then keep the
    # first (best) hit per record.
    rows = session.conn.execute(
        "SELECT r.id, r.kind, v.occurred_at, "
        "snippet(record_fts, -1, '[', ']', '…', 12), record_fts.rank FROM record_fts "
        "JOIN record_versions v ON v.rowid = record_fts.rowid "
        "JOIN records r ON r.id = v.record_id "
        "WHERE record_fts MATCH ? AND record_fts.rowid >= ?" + scope +
        " ORDER BY record_fts.rank LIMIT ?",
        (query, since, *params, limit * 3)).fetchall()
    rows = [*rows, *_more_rows(session, query, scope, params, limit * 3)]
    if not scope:  # the DSL team's notes on status changes are theirs alone (migration 9)
        rows += _note_rows(session, query, limit * 3)
    rows.sort(key=lambda r: r[4])
    best: dict[str, tuple[str, str, str]] = {}
    for record_id, kind, occurred, snippet, _rank in rows:
        if record_id not in best and len(best) < limit:
            best[record_id] = (kind, occurred, snippet)
    names: dict[str, list[str]] = {}
    for record_id, name in session.conn.execute(
            "SELECT rc.record_id, coalesce(c.preferred_forename, c.legal_forename) || ' ' || "
            "c.legal_surname FROM record_children rc JOIN children c ON c.id = rc.child_id "
            "WHERE rc.record_id IN (SELECT value FROM json_each(?)) ORDER BY rc.rowid",
            (json.dumps(list(best)),)):
        names.setdefault(record_id, []).append(name)
    hits = SearchHits(SearchHit(record_id, kind, parse_iso(occurred), snippet,
                                names.get(record_id, []))
                      for record_id, (kind, occurred, snippet) in best.items())
    hits.newest_only = window is not None
    session.audited("search", None, None, results=len(hits), newest_only=hits.newest_only)
    return hits


def _more_rows(session: Session, query: str, scope: str, params: list[str], limit: int
               ) -> list[tuple]:
    """Versions whose witnesses or body-map notes match (migration 9), in ``scope``."""
    return session.conn.execute(
        "SELECT r.id, r.kind, v.occurred_at, "
        "snippet(record_more_fts, -1, '[', ']', '…', 12), record_more_fts.rank "
        "FROM record_more_fts JOIN record_versions v ON v.id = record_more_fts.version_id "
        "JOIN records r ON r.id = v.record_id WHERE record_more_fts MATCH ?" + scope +
        " ORDER BY record_more_fts.rank LIMIT ?", (query, *params, limit)).fetchall()


def _note_rows(session: Session, query: str, limit: int) -> list[tuple]:
    """The best status notes matching ``query``, each as a hit on its concern, dated when the
    note was written. Each index's bm25 rank (lower is better) is taken as it is to interleave
    the hits: near enough for ordering, since each index scores against its own columns."""
    return session.conn.execute(
        "SELECT s.record_id, r.kind, s.at, "
        "snippet(status_note_fts, 0, '[', ']', '…', 12), status_note_fts.rank "
        "FROM status_note_fts JOIN record_status s ON s.id = status_note_fts.status_id "
        "JOIN records r ON r.id = s.record_id "
        "WHERE status_note_fts MATCH ? ORDER BY status_note_fts.rank LIMIT ?",
        (query, limit)).fetchall()


def _window_start(session: Session, query: str) -> int | None:
    """The rowid of the RANK_WINDOW-th newest version matching ``query``, or None when fewer
    match. Without ranking, FTS5 walks its matches newest (highest rowid) first and stops
    there, scoring nothing."""
    row = session.conn.execute("SELECT rowid FROM record_fts WHERE record_fts MATCH ? ORDER BY "
                               "rowid DESC LIMIT 1 OFFSET ?", (query, RANK_WINDOW - 1)).fetchone()
    return int(row[0]) if row else None


def search_child(session: Session, child_id: str, text: str) -> set[str]:
    """The records of one child's chronology that match ``text``, however many and however
    old (the child page's filter): no ranking, so no window is needed."""
    session.require(Perm.READ_ALL_RECORDS)
    query = fts_query(text)
    ids = {r[0] for r in session.conn.execute(
        "SELECT DISTINCT v.record_id FROM record_fts "
        "JOIN record_versions v ON v.rowid = record_fts.rowid "
        "JOIN record_children rc ON rc.record_id = v.record_id "
        "WHERE record_fts MATCH ? AND rc.child_id = ? "
        "UNION SELECT v.record_id FROM record_more_fts "
        "JOIN record_versions v ON v.id = record_more_fts.version_id "
        "JOIN record_children rc ON rc.record_id = v.record_id "
        "WHERE record_more_fts MATCH ? AND rc.child_id = ? "
        "UNION SELECT s.record_id FROM status_note_fts "
        "JOIN record_status s ON s.id = status_note_fts.status_id "
        "JOIN record_children rc ON rc.record_id = s.record_id "
        "WHERE status_note_fts MATCH ? AND rc.child_id = ?",
        (query, child_id, query, child_id, query, child_id))}
    session.audited("search", "child", child_id, results=len(ids))
    return ids
