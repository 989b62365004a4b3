"""Proposed core changes, applied by monkeypatching so their effect can be measured before
anyone edits app/ (``python -m bench --prototype NAME``). Each says what it changes and why;
bench/README.md has the before/after figures."""

from __future__ import annotations

from collections.abc import Callable

import app.concerns
import app.db
import app.store
import bench.metrics_store
from app.concerns import ConcernView
from bench import data


def memory_security_off() -> None:
    """app/db.py: drop ``PRAGMA cipher_memory_security = ON``. It makes SQLCipher mlock and
    wipe every allocation (a syscall pair per malloc/free), which costs ~15x on write-heavy
    work, and once on it stays on for the whole process."""
    app.db.connect = data.connect  # type: ignore[assignment]
    app.store.connect = data.connect  # type: ignore[assignment]


_INBOX_INDEX = "CREATE INDEX IF NOT EXISTS records_kind_created ON records (kind, created_at)"


def inbox_in_sql() -> None:
    """app/concerns.py inbox(): filter out closed concerns and apply the limit in SQL, over a
    new index on records (kind, created_at) (a migration), so SQLite walks the newest concerns
    and stops after ``limit`` open ones, instead of computing every concern's status and
    sorting them all in Python first. Same result, same order."""
    from app.concerns import _view
    from app.roles import Perm
    from app.session import Session

    def inbox(session: Session, *, include_closed: bool = False, limit: int = 500
              ) -> list[ConcernView]:
        session.require(Perm.READ_ALL_RECORDS)
        session.conn.execute(_INBOX_INDEX)  # the migration, for the prototype
        ids = [r[0] for r in session.conn.execute(
            "SELECT id FROM (SELECT r.id AS id, (SELECT status FROM record_status s WHERE "
            "s.record_id = r.id AND s.status != 'assigned' ORDER BY at DESC, rowid DESC "
            "LIMIT 1) AS st FROM records r WHERE r.kind = 'concern' ORDER BY r.created_at "
            "DESC) WHERE ? OR st IS NULL OR st != 'closed' LIMIT ?",
            (int(include_closed), limit))]
        session.audited("view", "concern-list", None, scope="inbox", count=len(ids))
        return [_view(session, i) for i in ids]

    app.concerns.inbox = inbox  # type: ignore[assignment]
    bench.metrics_store.inbox = inbox  # type: ignore[assignment]


def inbox_batched() -> None:
    """``inbox-in-sql`` plus building the 500 ConcernViews with five set-based queries instead
    of ~6 queries each (``_view`` per concern): heads, statuses, children, latest versions,
    assignee names. Same views, same order."""
    inbox_in_sql()
    import json
    from datetime import date

    from app.clock import parse_iso
    from app.pupils import Child
    from app.records import LATEST_VERSION, VERSION_COLUMNS, version_from_row
    from app.roles import Perm
    from app.session import Session

    def views(session: Session, ids: list[str]) -> list[ConcernView]:
        conn, wanted = session.conn, json.dumps(ids)
        within = "IN (SELECT value FROM json_each(?))"
        heads = {r[0]: r[1:] for r in conn.execute(
            "SELECT r.id, r.created_by, u.display_name, r.created_at, (SELECT count(*) FROM "
            "record_versions WHERE record_id = r.id) FROM records r JOIN users u ON u.id = "
            f"r.created_by WHERE r.id {within}", (wanted,))}
        states: dict[str, tuple[str, str | None]] = {}
        for rid, state, note in conn.execute(
                f"SELECT record_id, status, note FROM record_status WHERE record_id {within} "
                "ORDER BY record_id, at, rowid", (wanted,)):
            status, assignee = states.get(rid, ("new", None))
            states[rid] = (status, note) if state == "assigned" else (state, assignee)
        names = dict(conn.execute("SELECT id, display_name FROM users").fetchall())
        children: dict[str, list[tuple[Child, str]]] = {}
        for row in conn.execute(
                "SELECT rc.record_id, rc.role, c.id, c.upn, c.legal_forename, c.legal_surname,"
                " c.preferred_forename, c.date_of_birth, c.gender, c.year_group, c.nhs_number "
                f"FROM record_children rc JOIN children c ON c.id = rc.child_id WHERE "
                f"rc.record_id {within} ORDER BY rc.rowid", (wanted,)):
            values = list(row[2:])
            values[5] = date.fromisoformat(values[5])
            children.setdefault(row[0], []).append((Child(*values), row[1]))
        latest = {r[1]: version_from_row(r) for r in conn.execute(
            f"SELECT {VERSION_COLUMNS} FROM record_versions v JOIN users u ON u.id = "
            f"v.author_id WHERE v.record_id {within} AND {LATEST_VERSION}", (wanted,))}
        out = []
        for rid in ids:
            creator, reporter, created, count = heads[rid]
            status, assignee = states.get(rid, ("new", None))
            out.append(ConcernView(rid, reporter, creator, parse_iso(created), status,
                                   names.get(assignee) if assignee else None, latest[rid],
                                   children.get(rid, []), count))
        return out

    def inbox(session: Session, *, include_closed: bool = False, limit: int = 500
              ) -> list[ConcernView]:
        session.require(Perm.READ_ALL_RECORDS)
        session.conn.execute(_INBOX_INDEX)
        ids = [r[0] for r in session.conn.execute(
            "SELECT id FROM (SELECT r.id AS id, (SELECT status FROM record_status s WHERE "
            "s.record_id = r.id AND s.status != 'assigned' ORDER BY at DESC, rowid DESC "
            "LIMIT 1) AS st FROM records r WHERE r.kind = 'concern' ORDER BY r.created_at "
            "DESC) WHERE ? OR st IS NULL OR st != 'closed' LIMIT ?",
            (int(include_closed), limit))]
        session.audited("view", "concern-list", None, scope="inbox", count=len(ids))
        return views(session, ids)

    app.concerns.inbox = inbox  # type: ignore[assignment]
    bench.metrics_store.inbox = inbox  # type: ignore[assignment]


RANK_WINDOW = 2000


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


def pack_split_fix() -> None:
    """app/pack/entryrow.py EntryRow.split: when it gives up (returns []), forget the cached
    measurements. reportlab's Paragraph.split deletes the paragraph's line breaks (blPara)
    when it cannot split; the row then moves whole to the next page and, with ``_sizes``
    still cached, is drawn without its paragraphs being wrapped again: AttributeError."""
    from app.pack.entryrow import EntryRow

    original = EntryRow.split

    def split(self: EntryRow, avail_width: float, avail_height: float) -> list[object]:
        parts = original(self, avail_width, avail_height)
        if not parts:
            self._sizes = []  # re-measure (re-wrap every paragraph) before it is drawn
        return parts

    EntryRow.split = split  # type: ignore[assignment, method-assign]


PROTOTYPES: dict[str, Callable[[], None]] = {
    "pack-split-fix": pack_split_fix,
    "search-rank-window": search_rank_window,
    "inbox-batched": inbox_batched,
    "memory-security-off": memory_security_off,
    "inbox-in-sql": inbox_in_sql,
}


def apply(name: str) -> None:
    PROTOTYPES[name]()
