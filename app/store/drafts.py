"""Unfinished work, kept inside the encrypted store (never in a temp file) until sent or dropped.

A draft belongs to one user and is not a record: it is not audited as one, not synced, and is
replaced in place, since nothing in it has been committed to yet. On a keyed store the school
store is open to every account, so a draft is sealed to its author's own key (docs/keys.md):
a colleague with a shell reads nothing of it.
"""

from __future__ import annotations

import json
from typing import Any

from app.clock import iso
from app.store.keys import UnwrapFailed, open_grant, seal_grant
from app.store.session import Session

SEALED = "sealed:"


def _info(session: Session, name: str) -> bytes:
    return f"concerndesk/draft/v1|{session.store_id}|{session.user.username}|{name}".encode()


def _seal(session: Session, name: str, text: str) -> str:
    personal = session.held.personal
    if not session.held.split or personal is None or session.held.owner != session.user.username:
        return text
    return SEALED + seal_grant(text.encode("utf-8"), personal.public(), _info(session, name))


def _open(session: Session, name: str, stored: str) -> str | None:
    if not stored.startswith(SEALED):
        return stored
    personal = session.held.personal
    if personal is None:
        return None
    try:
        return open_grant(stored[len(SEALED):], personal.hpke, _info(session, name)).decode()
    except UnwrapFailed:
        return None  # sealed to an earlier key (a passphrase reset): nothing to restore


def save_draft(session: Session, name: str, body: dict[str, Any]) -> None:
    with session.tx() as conn:
        conn.execute("INSERT INTO drafts (user_id, name, body, saved_at) VALUES (?,?,?,?) "
                     "ON CONFLICT (user_id, name) DO UPDATE SET body = excluded.body, "
                     "saved_at = excluded.saved_at",
                     (session.user.id, name, _seal(session, name, json.dumps(body)),
                      iso(session.clock.now())))


def load_draft(session: Session, name: str) -> dict[str, Any] | None:
    row = session.conn.execute("SELECT body FROM drafts WHERE user_id = ? AND name = ?",
                               (session.user.id, name)).fetchone()
    text = _open(session, name, row[0]) if row else None
    return json.loads(text) if text else None


def discard_draft(session: Session, name: str) -> None:
    with session.tx() as conn:
        conn.execute("DELETE FROM drafts WHERE user_id = ? AND name = ?",
                     (session.user.id, name))
