"""Proposed core changes, applied by monkeypatching so their effect can be measured before
anyone edits app/ (``python -m bench --prototype NAME``). Each says what it changes and why;
bench/README.md has the before/after figures. Prototypes that were adopted into the core
(memory security off, the inbox in SQL and set-based, the pack split fix) were removed."""

from __future__ import annotations

from collections.abc import Callable

import bench.metrics_store

RANK_WINDOW = 2000  # matching versions ranked, newest first


def search_rank_window() -> None:
    """app/search.py search(): rank (bm25) only the newest RANK_WINDOW matching versions.
    FTS5 computes the rank of every match before ORDER BY rank LIMIT can cut: a common word
    ("home", 20,000 matches at 100k records) costs ~100 ms even in plain SQLite. A first,
    rank-free query finds the rowid of the RANK_WINDOW-th newest match (FTS5 walks its
    doclist in rowid order), and the ranked query is limited to rowids from there on. For
    rarer words nothing changes; for common ones the best hits come from the newest 2,000."""
    import app.search
    from app.clock import parse_iso
    from app.roles import Perm
    from app.search import SearchHit, fts_query
    from app.session import Session

    def search(session: Session, text: str, limit: int = 50) -> list[SearchHit]:
        if session.can(Perm.READ_ALL_RECORDS):
            scope, params = "", []
        else:
            session.require(Perm.READ_OWN_CONCERNS)
            scope, params = " AND r.created_by = ? AND r.kind = 'concern'", [session.user.id]
        query = fts_query(text)
        row = session.conn.execute(
            "SELECT rowid FROM record_fts WHERE record_fts MATCH ? ORDER BY rowid DESC "
            "LIMIT 1 OFFSET ?", (query, RANK_WINDOW - 1)).fetchone()
        window = row[0] if row else 0
        rows = session.conn.execute(
            "SELECT r.id, r.kind, v.occurred_at, "
            "snippet(record_fts, -1, '[', ']', '…', 12) FROM record_fts "
            "JOIN record_versions v ON v.rowid = record_fts.rowid "
            "JOIN records r ON r.id = v.record_id "
            "WHERE record_fts MATCH ? AND record_fts.rowid >= ?" + scope +
            " ORDER BY record_fts.rank LIMIT ?", (query, window, *params, limit * 3)).fetchall()
        hits: list[SearchHit] = []
        seen: set[str] = set()
        for record_id, kind, occurred, snippet in rows:
            if record_id in seen or len(hits) >= limit:
                continue
            seen.add(record_id)
            names = [n for (n,) in session.conn.execute(
                "SELECT coalesce(c.preferred_forename, c.legal_forename) || ' ' || "
                "c.legal_surname FROM record_children rc JOIN children c ON c.id = "
                "rc.child_id WHERE rc.record_id = ?", (record_id,))]
            hits.append(SearchHit(record_id, kind, parse_iso(occurred), snippet, names))
        session.audited("search", None, None, results=len(hits))
        return hits

    app.search.search = search  # type: ignore[assignment]
    bench.metrics_store.search = search  # type: ignore[assignment]


PROTOTYPES: dict[str, Callable[[], None]] = {
    "search-rank-window": search_rank_window,
}


def apply(name: str) -> None:
    PROTOTYPES[name]()
