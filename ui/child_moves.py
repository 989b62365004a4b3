"""On the child's page: what is known of their moves between schools (left, the file sent, a
file received from the previous school, what is kept), and a menu of the next steps."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QWidget

from app.transfer.leaving import FileNotes, file_notes
from ui.cp_send_dialog import SendThroughFrontDoorDialog
from ui.entry_dialogs import CoreDialog
from ui.ops import Db
from ui.transfer_dialogs import (
    MarkLeftDialog,
    ReceiveFileDialog,
    RetentionDialog,
    SendFileDialog,
)


class MovesBox(QWidget):
    changed = Signal()

    def __init__(self, db: Db, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.child_id: str | None = None
        self.notes: FileNotes | None = None
        self.banner = QLabel(self)
        self.banner.setObjectName("leaverBanner")
        self.banner.setWordWrap(True)
        self.banner.setAccessibleName("Moves between schools")
        self.banner.hide()
        self.button = QPushButton("School mov&es…", self)
        menu = QMenu(self.button)
        self.left_action = menu.addAction("The child has left…", self._left)
        self.send_action = menu.addAction(
            "Send the CP file to a ConcernDesk school, through the LA front door…",
            self._send_through_front_door)
        self.pack_action = menu.addAction(
            "Send the CP file to a school on another product: an encrypted file…", self._send)
        menu.addAction("CP file received from the previous school…", self._received)
        self.keep_action = menu.addAction("What this school keeps of the file…", self._keep)
        self.button.setMenu(menu)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.banner, 1)

    def show_for(self, child_id: str) -> None:
        self.child_id = child_id
        self.db.op(self, lambda s: file_notes(s, child_id)).success(self._show).run()

    def _show(self, notes: FileNotes) -> None:
        self.notes = notes
        self.banner.setText("<br>".join(_escape(line) for line in notes.lines))
        self.banner.setVisible(bool(notes.lines))
        self.left_action.setEnabled(notes.left is None)

    def _open(self, dialog: CoreDialog) -> None:
        dialog.accepted.connect(self.changed)
        dialog.accepted.connect(self._reload)
        dialog.open()

    def _reload(self) -> None:
        if self.child_id:
            self.show_for(self.child_id)

    def _left(self) -> None:
        if self.child_id:
            self._open(MarkLeftDialog(self.db, self.child_id, self))

    def _send(self) -> None:
        if self.child_id:
            left = self.notes.left if self.notes else None
            self._open(SendFileDialog(self.db, self.child_id,
                                      left.destination if left else None, self))

    def _send_through_front_door(self) -> None:
        if self.child_id:
            left = self.notes.left if self.notes else None
            self._open(SendThroughFrontDoorDialog(self.db, self.child_id,
                                                  left.destination if left else None, self))

    def _received(self) -> None:
        if self.child_id:
            self._open(ReceiveFileDialog(self.db, self.child_id, self))

    def _keep(self) -> None:
        if self.child_id:
            self._open(RetentionDialog(self.db, self.child_id, self))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
