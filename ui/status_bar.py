"""The status bar: sync state, who is signed in and as what, and how to lock."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from ui.table_model import local_time

SYNC_NOT_SET_UP = "Sync: not set up"


def outbox_summary_function() -> Callable[[Any], Any] | None:
    """The core's outbox summary, once sync is built (``app.sync.outbox.summary``)."""
    try:
        module = importlib.import_module("app.sync.outbox")
    except ImportError:
        return None
    summary = getattr(module, "summary", None)
    return summary if callable(summary) else None


def sync_text(summary: Any) -> str:
    """Words for an outbox summary: offline, queued N, failed, last delivered."""
    if summary is None or not getattr(summary, "configured", False):
        return SYNC_NOT_SET_UP
    parts = ["Sync: " + ("online" if getattr(summary, "online", False) else "offline")]
    if getattr(summary, "queued", 0):
        parts.append(f"queued {summary.queued}")
    if getattr(summary, "failed", 0):
        parts.append(f"{summary.failed} failed")
    last = getattr(summary, "last_delivered", None)
    parts.append(f"last delivered {local_time(last)}" if last else "nothing delivered yet")
    return ", ".join(parts)


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sync = QLabel(SYNC_NOT_SET_UP, self)
        self.sync.setAccessibleName("Sync state")
        self.user = QLabel("Not signed in", self)
        self.user.setAccessibleName("Signed-in user")
        self.hint = QLabel("", self)
        self.addWidget(self.sync)
        self.addPermanentWidget(self.user)
        self.addPermanentWidget(self.hint)

    def signed_in(self, display_name: str, roles: tuple[str, ...]) -> None:
        self.user.setText(f"Signed in: {display_name} ({', '.join(roles)})")
        self.hint.setText("Ctrl+L locks")

    def signed_out(self) -> None:
        self.user.setText("Locked" if self.hint.text() else "Not signed in")
        self.hint.setText("")

    def set_sync(self, text: str) -> None:
        self.sync.setText(text)
