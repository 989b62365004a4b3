"""What a PC remembers of an inbox: which envelopes it applied, and how far it has read.

SQLite commits a transaction that wrote to two attached WAL databases one file at a time,
the school store (``main``) first and the DSL store after it. On a PC with a DSL store what an
envelope brings (concerns, referrals, a CP file, an LA's answer) lands in the DSL store, so the
envelope's "applied" mark and the cursor past it live there too, in the file that commits last:
a kill between the two commits then leaves the cursor behind the records, never ahead of them,
and the envelope is fetched and applied again (applying is idempotent). A session without the
DSL store keeps both in the school store, as every store did before (``inbox_applied``,
``services.inbox_cursor``); marks made there still count.

What only says "try this one again later" (``inbox_held``, a CP file waiting for its chunks) is
cleared after the applying transaction has committed, never inside it: a kill in between leaves
a retry that finds the envelope applied.
"""

from __future__ import annotations

from app.clock import iso
from app.store.session import Session


def _in_dsl_store(session: Session) -> bool:
    """The session has a DSL store file of its own attached (not a workspace, not a
    single-file store from before the key hierarchy)."""
    return session.held.dsl_store_open


def already_applied(session: Session, envelope_id: str) -> bool:
    conn = session.conn
    if conn.execute("SELECT 1 FROM main.inbox_applied WHERE envelope_id = ?",
                    (envelope_id,)).fetchone():
        return True
    return _in_dsl_store(session) and conn.execute(
        "SELECT 1 FROM dsl.applied_envelopes WHERE envelope_id = ?",
        (envelope_id,)).fetchone() is not None


def any_applied(session: Session) -> bool:
    """Whether this PC has applied any envelope at all (it has heard from another PC)."""
    conn = session.conn
    if conn.execute("SELECT 1 FROM main.inbox_applied LIMIT 1").fetchone():
        return True
    return _in_dsl_store(session) and conn.execute(
        "SELECT 1 FROM dsl.applied_envelopes LIMIT 1").fetchone() is not None


def mark_applied(session: Session, envelope_id: str, kind: str) -> None:
    """Inside the transaction that applied the envelope."""
    table = "dsl.applied_envelopes" if _in_dsl_store(session) else "main.inbox_applied"
    session.conn.execute(f"INSERT INTO {table} (envelope_id, kind, applied_at) VALUES (?,?,?) "
                         "ON CONFLICT (envelope_id) DO NOTHING",
                         (envelope_id, kind, iso(session.clock.now())))


def inbox_cursor(session: Session, role: str) -> str | None:
    """Where this PC's next read of ``role``'s inbox starts (None: from the beginning)."""
    conn = session.conn
    service = conn.execute("SELECT inbox_cursor, set_at FROM main.services WHERE role = ?",
                           (role,)).fetchone()
    if service is None:
        return None
    if _in_dsl_store(session):
        row = conn.execute("SELECT cursor, service_set_at FROM dsl.inbox_cursors WHERE "
                           "role = ?", (role,)).fetchone()
        if row is not None:  # a service set again since starts again from the beginning
            return row[0] if row[1] == service[1] else None
    return service[0]  # the school store's, from before the DSL store kept its own


def set_inbox_cursor(session: Session, role: str, cursor: str | None) -> None:
    """Inside the transaction that applied (or refused) what the cursor moves past."""
    conn = session.conn
    if not _in_dsl_store(session):
        conn.execute("UPDATE main.services SET inbox_cursor = ? WHERE role = ?", (cursor, role))
        return
    conn.execute("INSERT INTO dsl.inbox_cursors (role, cursor, service_set_at) SELECT role, ?, "
                 "set_at FROM main.services WHERE role = ? ON CONFLICT (role) DO UPDATE SET "
                 "cursor = excluded.cursor, service_set_at = excluded.service_set_at",
                 (cursor, role))
