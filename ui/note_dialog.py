"""A small dialog that asks for a note or reason and runs one core call with it; the core's
answer to bad input is shown inline, and the dialog stays open with the text kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ui.errors import FieldMessage, message_for
from ui.ops import Db


class NoteDialog(QDialog):
    def __init__(self, db: Db, title: str, prompt: str, action: Callable[[Any, str], Any], *,
                 ok_text: str = "OK", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.db, self.action = db, action
        self.note = QPlainTextEdit(self)
        self.note.setAccessibleName(prompt)
        self.note.setTabChangesFocus(True)
        self.message = FieldMessage(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                        QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        label = QLabel(prompt, self)
        label.setWordWrap(True)
        label.setBuddy(self.note)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.note)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(480, 260)

    def submit(self) -> None:
        text = self.note.toPlainText()
        self.buttons.setEnabled(False)
        action = self.action
        self.db.op(self, lambda s: action(s, text)).success(lambda _r: self.accept()) \
            .failure(self._failed).run()

    def _failed(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.message.say(message_for(error))
        self.note.setFocus()
