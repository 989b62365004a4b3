"""Unfinished work, kept inside the encrypted store (never in a temp file) until sent or dropped.

A draft belongs to one user and is not a record: it is not audited as one, not synced, and is
replaced in place, since nothing in it has been committed to yet.
"""

from __future__ import annotations

import json
from typing import Any

from app.clock import iso
from app.store.session import Session


def save_draft(session: Session, name: str, body: dict[str, Any]) -> None:
    with session.tx() as conn:
        conn.execute("INSERT INTO drafts (user_id, name, body, saved_at) VALUES (?,?,?,?) "
                     "ON CONFLICT (user_id, name) DO UPDATE SET body = excluded.body, "
                     "saved_at = excluded.saved_at",
                     (session.user.id, name, json.dumps(body), iso(session.clock.now())))


def load_draft(session: Session, name: str) -> dict[str, Any] | None:
    row = session.conn.execute("SELECT body FROM drafts WHERE user_id = ? AND name = ?",
                               (session.user.id, name)).fetchone()
    return json.loads(row[0]) if row else None


def discard_draft(session: Session, name: str) -> None:
    with session.tx() as conn:
        conn.execute("DELETE FROM drafts WHERE user_id = ? AND name = ?",
                     (session.user.id, name))
