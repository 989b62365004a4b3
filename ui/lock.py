"""Locking: nothing of a child survives on screen, in memory models or on the clipboard.

The order matters: close dialogs, clear the clipboard if it holds our copy, take the half-typed
concern, stop results of earlier operations from arriving, then on the DB thread save the draft
(encrypted, in the store) and lock the session (audited, connection closed, key dropped).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtWidgets import QApplication, QDialog, QWidget

from app.store.drafts import save_draft
from ui.clipboard import Clipboard
from ui.ops import Db
from ui.record_concern import DRAFT_NAME

log = logging.getLogger(__name__)


def close_dialogs(window: QWidget) -> None:
    dialogs = {d for d in window.findChildren(QDialog) if d.isVisible()}
    dialogs |= {w for w in QApplication.topLevelWidgets()
                if isinstance(w, QDialog) and w.isVisible()}
    for dialog in dialogs:
        dialog.reject()


def lock_on_db_thread(db: Db, draft: dict[str, Any] | None) -> None:
    if not db.has_session():
        return
    session = db.session
    try:
        if draft is not None:
            save_draft(session, DRAFT_NAME, draft)
    finally:
        session.lock()
        db.set_session(None)


def lock(window: QWidget, db: Db, clipboard: Clipboard, draft: dict[str, Any] | None) -> None:
    """Starts the lock; the caller then drops its workspace and shows the lock screen."""
    close_dialogs(window)
    clipboard.clear_if_ours()
    db.forget_results()
    (db.raw(window, lambda: lock_on_db_thread(db, draft)).across_lock()
       .failure(lambda error: log.warning("locking failed: %s", type(error).__name__)).run())
