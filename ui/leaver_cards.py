"""The leavers' cards on the DSL's home (above the inbox): one per leaver whose CP file is not
yet settled, saying what is due and by when in words ("2 school days left", "Overdue by …"),
with the colour only helping the eye, and the next step as a button."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.transfer.leaving import LeaverCard, leaver_cards
from ui.cp_send_dialog import SendThroughFrontDoorDialog
from ui.entry_dialogs import CoreDialog
from ui.ops import Db
from ui.transfer_dialogs import ConfirmReceiptDialog, RetentionDialog, SendFileDialog

FRONT_DOOR = "To a ConcernDesk school, through the LA front door…"
ENCRYPTED = "To a school on another product: an encrypted file…"
LEVEL_WORDS = {"red": "Overdue", "amber": "Due soon", "ok": "On time"}
BUTTONS = {"send": "Send the CP file…", "sent": "Record the receipt…",
           "chase": "Record the receipt…", "retention": "Record what we keep…",
           "wait": ""}  # through the LA front door the receipt comes back by itself


class CardFrame(QFrame):
    def __init__(self, card: LeaverCard, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.card = card
        self.setObjectName("leaverCard")
        self.setProperty("level", card.level)
        title = QLabel(f"<b>{_escape(card.child_name)}</b> — {_escape(card.title)}", self)
        state = LEVEL_WORDS[card.level] if card.action == "send" else (
            "Chase" if card.action == "chase" or card.level == "amber" else "Waiting"
            if card.action in ("sent", "wait") else "To record")
        own = card.words.startswith(("Due", "Overdue"))  # the state said once, not twice
        words = QLabel(f"<b>{_escape(card.words)}</b>" if own else
                       f"<b>{state}:</b> {_escape(card.words)}", self)
        plain = card.words if own else f"{state}: {card.words}"
        words.setWordWrap(True)
        self.button = QPushButton(BUTTONS[card.action], self)
        self.button.setAccessibleName(f"{BUTTONS[card.action]} {card.child_name}")
        self.button.setVisible(bool(BUTTONS[card.action]))
        self.open_button = QPushButton("Open child", self)
        self.open_button.setAccessibleName(f"Open {card.child_name}'s page")
        text = QVBoxLayout()
        text.addWidget(title)
        text.addWidget(words)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 8, 6)
        layout.addLayout(text, 1)
        layout.addWidget(self.button)
        layout.addWidget(self.open_button)
        self.setAccessibleName(f"{card.child_name}: {card.title}. {plain}")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class LeaverCards(QWidget):
    open_child = Signal(str)

    def __init__(self, db: Db, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.cards: list[CardFrame] = []
        self.heading = QLabel("<b>Leavers' CP files</b>", self)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 4)
        self._layout.addWidget(self.heading)
        self.hide()

    def refresh(self) -> None:
        self.db.op(self, leaver_cards).success(self._show).run()

    def _show(self, cards: list[LeaverCard]) -> None:
        for frame in self.cards:
            frame.deleteLater()
        self.cards = []
        for card in cards:
            frame = CardFrame(card, self)
            if card.action == "send":  # two ways to send: the button opens a menu of them
                frame.button.setMenu(self._send_menu(card, frame))
            else:
                frame.button.clicked.connect(lambda _c=False, c=card: self._act(c))
            frame.open_button.clicked.connect(lambda _c=False, c=card: self.open_child.emit(
                c.child_id))
            self._layout.addWidget(frame)
            self.cards.append(frame)
        self.heading.setText(f"<b>Leavers' CP files</b> ({len(cards)})")
        self.setVisible(bool(cards))

    def _act(self, card: LeaverCard) -> None:
        dialog: CoreDialog
        if card.action in ("sent", "chase") and card.transfer_id:
            dialog = ConfirmReceiptDialog(self.db, card.transfer_id, card.school or "", self)
        else:
            dialog = RetentionDialog(self.db, card.child_id, self)
        self._open(dialog)

    def _open(self, dialog: CoreDialog) -> None:
        dialog.finished.connect(lambda _r: self.refresh())
        dialog.open()

    def _send_menu(self, card: LeaverCard, frame: CardFrame) -> QMenu:
        """Two ways: to a ConcernDesk school through the LA front door, or an encrypted file
        for a school on another product."""
        menu = QMenu(frame.button)
        menu.addAction(FRONT_DOOR, lambda: self._open(SendThroughFrontDoorDialog(
            self.db, card.child_id, card.school, self)))
        menu.addAction(ENCRYPTED, lambda: self._open(SendFileDialog(
            self.db, card.child_id, card.school, self)))
        return menu
