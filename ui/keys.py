"""Keyboard shortcuts that are shown where they act: a save button says "(Ctrl+S)" on its face
and in its tooltip, and Ctrl+S works while the focus is anywhere in the part it saves."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractButton, QWidget

SAVE = "Ctrl+S"


def save_key(button: QAbstractButton, scope: QWidget, *, also: tuple[str, ...] = (),
             action: Callable[[], None] | None = None) -> None:
    """Ctrl+S (and ``also``) clicks ``button`` (or runs ``action``) while the focus is within
    ``scope``; the button's text and tooltip show the keys."""
    keys = (SAVE, *also)
    shown = " or ".join(keys)
    if f"({SAVE})" not in button.text():
        button.setText(f"{button.text()} ({SAVE})")
    button.setToolTip(f"Shortcut: {shown}")
    run = action or (lambda: button.click() if button.isEnabled() else None)
    for key in keys:
        QShortcut(QKeySequence(key), scope, run,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
