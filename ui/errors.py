"""Errors reach people in one place.

A ``ConcernDeskError`` carries a message written for the user (it names fields and problems,
never a child's data): it is shown inline at the field or in the window's message bar. Anything
else is a bug: the user gets a generic message that echoes nothing, and the log gets the error's
type only (its text could hold a child's data).
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import ClassVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from app.errors import ConcernDeskError, InputError, InputErrors
from app.store.db import storage_problem

log = logging.getLogger(__name__)

GENERIC = ("Something went wrong and that was not done. Nothing you typed has been lost; "
           "try again, and tell your admin if it keeps happening.")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean(text: str) -> str:
    """Control characters removed, so an odd string cannot garble the display."""
    return _CONTROL.sub("", text).strip()


def message_for(error: BaseException) -> str:
    if isinstance(error, InputError):
        return clean(f"{error.field[:1].upper()}{error.field[1:]}: {error.problem}")
    if isinstance(error, InputErrors):
        return clean(str(error))
    if isinstance(error, ConcernDeskError):
        return clean(str(error))
    problem = storage_problem(error, Path())  # a damaged page met while reading, a full disk
    if problem is not None:
        return clean(str(problem))
    log.debug("unexpected error (%s)", type(error).__name__, exc_info=False)
    return GENERIC


def _import_failure(error: BaseException) -> tuple[str, list[str]]:
    """A file import that failed, in words: the line to show and the problems to list. The
    core imports nothing unless every row is right, so a failure never half-imports."""
    if isinstance(error, InputErrors):
        return f"⚠ {error.summary} Nothing was imported.", list(error.problems)
    if isinstance(error, InputError) and error.field in {"csv", "file", "ctf"}:
        # A whole-file problem (a CTF given as a roster, a workbook, another character set,
        # XML that does not parse): the same words as the CLI, without the field in front.
        problem = clean(error.problem[:1].upper() + error.problem[1:]).rstrip(".")
        return f"⚠ {problem}. Nothing was imported.", []
    if isinstance(error, OSError):
        return "⚠ The file could not be read.", []
    return "⚠ " + message_for(error), []


def show_import_failure(result: QLabel, listed: QListWidget, error: BaseException) -> None:
    """A failed file import shown in one place: the line in ``result``, each bad row in
    ``listed`` (shown only when there are any)."""
    text, problems = _import_failure(error)
    result.setText(text)
    if problems:
        listed.addItems(problems)
        listed.show()


def field_of(error: BaseException) -> str | None:
    return error.field if isinstance(error, InputError) else None


def install_excepthook(bar: MessageBar) -> None:
    """A bug in a slot must not close the app or echo data: the user sees the generic message
    in the one message bar; the log gets the type and the code lines, never the message."""
    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None
             ) -> None:
        log.debug("unexpected %s\n%s", kind.__name__, "".join(traceback.format_tb(trace)))
        bar.show_error(error)

    sys.excepthook = hook


class MessageBar(QFrame):
    """A non-modal bar above the content: the one place messages appear."""

    KINDS: ClassVar[dict[str, str]] = {"error": "Problem", "info": "Note", "success": "Done"}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.setAccessibleName("Messages")
        self._label = QLabel(self)
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QPushButton("Dismiss", self)
        close.setAccessibleName("Dismiss message")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.addWidget(self._label, 1)
        layout.addWidget(close)
        self.hide()

    @property
    def text(self) -> str:
        return self._label.text()

    def show_message(self, text: str, kind: str = "info") -> None:
        # The kind is said in words, never by colour alone.
        self._label.setText(f"{self.KINDS.get(kind, 'Note')}: {clean(text)}")
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        self.setAccessibleDescription(self._label.text())
        self.show()

    def show_error(self, error: BaseException) -> None:
        self.show_message(message_for(error), "error")


class FieldMessage(QLabel):
    """An inline message under one field; empty and hidden until there is something to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fieldMessage")
        self.setWordWrap(True)
        self.hide()

    def say(self, text: str) -> None:
        self.setText(f"⚠ {clean(text)}")
        self.setAccessibleName(clean(text))
        self.show()

    def clear_message(self) -> None:
        self.clear()
        self.hide()

    def clear_when_changed(self, *fields: QWidget) -> None:
        """The problem goes as soon as one of ``fields`` (the ones it is about) is changed."""
        for field in fields:
            if isinstance(field, QComboBox):
                field.currentIndexChanged.connect(lambda *_a: self.clear_message())
            elif isinstance(field, QLineEdit | QPlainTextEdit):
                field.textChanged.connect(lambda *_a: self.clear_message())
