"""The status bar: sync state (with "Sync now"), who is signed in and as what, and how to lock."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QPushButton, QStatusBar, QWidget

from app.delivery.status import SyncSummary
from ui.errors import clean

SYNC_NOT_SET_UP = "Sync: not set up"
PROBLEM_CHARS = 90  # the whole problem is in the tooltip and the accessible description


def sync_words(summary: SyncSummary, problem: str | None = None) -> tuple[str, str]:
    """(the status bar's text, the longer description): the core's summary, then why the last
    round could not finish, if it could not."""
    text = summary.text
    if not problem or not summary.configured:
        return text, text
    problem = clean(problem)
    short = problem if len(problem) <= PROBLEM_CHARS else problem[:PROBLEM_CHARS - 1] + "…"
    return f"{text} · ⚠ {short}", f"{text}. Problem: {problem}"


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sync = QLabel(SYNC_NOT_SET_UP, self)
        self.sync.setAccessibleName("Sync state")
        self.sync_button = QPushButton("S&ync now", self)
        self.sync_button.setAccessibleName("Sync now")
        self.sync_button.setToolTip("Send what is waiting to the LA front door or school hub "
                                    "now (Alt+Y)")
        self.sync_button.hide()
        self.user = QLabel("Not signed in", self)
        self.user.setAccessibleName("Signed-in user")
        self.hint = QLabel("", self)
        self.addWidget(self.sync)
        self.addWidget(self.sync_button)
        self.addPermanentWidget(self.user)
        self.addPermanentWidget(self.hint)

    def signed_in(self, display_name: str, roles: tuple[str, ...]) -> None:
        self.user.setText(f"Signed in: {display_name} ({', '.join(roles)})")
        self.hint.setText("Ctrl+L locks")

    def signed_out(self) -> None:
        self.user.setText("Locked" if self.hint.text() else "Not signed in")
        self.hint.setText("")
        self.set_sync(SYNC_NOT_SET_UP)
        self.sync_button.hide()

    def set_sync(self, text: str, description: str | None = None) -> None:
        self.sync.setText(text)
        self.sync.setToolTip(description or text)
        self.sync.setAccessibleDescription(description or text)

    def show_summary(self, summary: SyncSummary, problem: str | None = None) -> None:
        self.set_sync(*sync_words(summary, problem))
        self.sync_button.setVisible(summary.configured)

    def syncing(self) -> None:
        self.sync_button.setEnabled(False)
        self.sync_button.setText("S&yncing…")

    def synced(self) -> None:
        self.sync_button.setEnabled(True)
        self.sync_button.setText("S&ync now")
