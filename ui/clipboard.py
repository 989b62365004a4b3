"""Copies of a child's data, marked so clipboard managers skip them, and cleared on lock.

We clear the clipboard only if it still holds what we put there: whatever the person copied
from elsewhere afterwards is theirs.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QTimer
from PySide6.QtGui import QClipboard, QGuiApplication

# KDE Klipper, Windows clipboard history / cloud clipboard, macOS pasteboard managers.
CONCEALMENT = {
    "x-kde-passwordManagerHint": b"secret",
    "ExcludeClipboardContentFromMonitorProcessing": b"1",
    "CanIncludeInClipboardHistory": b"\x00\x00\x00\x00",
    "CanUploadToCloudClipboard": b"\x00\x00\x00\x00",
    "application/x-nspasteboard-concealed-type": b"secret",
}


# How long a copy meant for pasting elsewhere (portal assist) stays on the clipboard.
CLEAR_AFTER_SECONDS = 30


class Clipboard:
    def __init__(self) -> None:
        self._ours: str | None = None
        self._timer: QTimer | None = None

    def _board(self) -> QClipboard:
        return QGuiApplication.clipboard()

    def copy_concealed(self, text: str, *, clear_after: int | None = None) -> None:
        """Copies ``text`` marked concealed; with ``clear_after`` (seconds) it is cleared then,
        if still ours. One timer: a newer copy restarts it rather than being cut short."""
        mime = QMimeData()
        mime.setText(text)
        for kind, value in CONCEALMENT.items():
            mime.setData(kind, value)
        self._board().setMimeData(mime)
        self._ours = text
        if clear_after is not None:
            if self._timer is None:
                self._timer = QTimer()
                self._timer.setSingleShot(True)
                self._timer.timeout.connect(self.clear_if_ours)
            self._timer.start(clear_after * 1000)

    def holds_ours(self) -> bool:
        return self._ours is not None and self._board().text() == self._ours

    def clear_if_ours(self) -> bool:
        """Clears the clipboard if it still holds our copy; True if it did."""
        if self._timer is not None:  # nothing left to clear later (on lock and on quit too)
            self._timer.stop()
        cleared = self.holds_ours()
        if cleared:
            self._board().clear()
        self._ours = None
        return cleared
