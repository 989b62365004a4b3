"""First run on another PC of a school: join it through the school hub (``app.hub.join``).

The form pins the hub by the fingerprint its administrator gives (a wrong one makes nothing),
and the school's admin PC by the fingerprint the admin reads from their screen (provisioning is
taken only from that PC; ``join_school(require_admin=True)``, as the CLI).
Then the page shows this PC's fingerprint — large, in groups, for the hub's administrator and
the school's admin to compare with their own screens — and the recovery key once, and waits:
until the admin approves the PC and their PC has synced, this store holds nothing of the school
and nobody can sign in. "Check now" (and a check every minute) runs the provisioning
(``provision_from_hub``); once it is done the window goes to the sign-in page.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import (
    QClipboard,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
)
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.clock import Clock
from app.errors import ConcernDeskError, InputError
from app.hub.devices import JoinCheck, check_joined_pc, joined_pc_fingerprint
from app.hub.join import Joined, join_school
from app.protocol.client import FingerprintMismatch
from ui.clipboard import CONCEALMENT, Clipboard
from ui.errors import FieldMessage, message_for
from ui.ops import Db
from ui.recovery_key_box import RecoveryKeyBox
from ui.theme import heading

CHECK_EVERY_MS = 60_000
WAITING = "Waiting for your admin to approve this PC"


def grouped(fingerprint: str) -> str:
    """Ten groups of four, five to a line, so it can be read out and compared group by group."""
    groups = fingerprint.split("-")
    return "  ".join(groups[:5]) + "\n" + "  ".join(groups[5:])


class FingerprintView(QLabel):
    """A fingerprint shown large and selectable. Copies (Ctrl+C, the context menu, the X11
    selection) go on the clipboard marked concealed, so clipboard histories skip them, and the
    window clears them on lock or quit as it does every copy it makes."""

    def __init__(self, clipboard: Clipboard, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clipboard = clipboard
        self.fingerprint = ""
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(max(QFont().pointSizeF(), 8.0) * 1.8)
        mono.setBold(True)
        self.setFont(mono)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse |
                                     Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.setAccessibleName("This PC's fingerprint")

    def set_fingerprint(self, fingerprint: str) -> None:
        self.fingerprint = fingerprint
        self.setText(grouped(fingerprint))
        self.setAccessibleDescription(", ".join(fingerprint.split("-")))

    def copy(self) -> None:
        text = self.selectedText().replace("\u2029", " ").replace("\n", " ").strip()
        self.clipboard.copy_concealed(text or self.fingerprint)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy()
            event.accept()
            return
        super().keyPressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        board = QGuiApplication.clipboard()
        if board.supportsSelection() and self.hasSelectedText():  # X11's middle-click copy
            mime = QMimeData()
            mime.setText(self.selectedText())
            for kind, value in CONCEALMENT.items():
                mime.setData(kind, value)
            board.setMimeData(mime, QClipboard.Mode.Selection)

    def _menu(self, at: QPoint) -> None:
        menu = QMenu(self)
        menu.addAction("Copy the fingerprint", self.copy)
        menu.exec(self.mapToGlobal(at))


class JoinPage(QWidget):
    back = Signal()  # to creating a school instead
    provisioned = Signal(str)  # accounts have arrived (the core's words): on to sign-in

    def __init__(self, db: Db, directory: Path, clipboard: Clipboard, *,
                 clock: Clock | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.directory, self.clock = db, directory, clock
        self.clipboard = clipboard
        self.checking = False
        self.key_shown = False  # the recovery key is on screen, not yet ticked as kept
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_EVERY_MS)
        self.timer.timeout.connect(self._auto_check)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self._form_page())
        self.stack.addWidget(self._waiting_page())
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)

    # -- the form ------------------------------------------------------------------------------
    def _form_page(self) -> QWidget:
        page = QWidget(self)
        self.url = QLineEdit(page)
        self.url.setPlaceholderText("https://…")
        self.url.setAccessibleName("Hub address")
        self.hub_fingerprint = QLineEdit(page)
        self.hub_fingerprint.setPlaceholderText("as read out or printed by the hub's "
                                                "administrator")
        self.hub_fingerprint.setAccessibleName("The hub's fingerprint")
        self.admin_fingerprint = QLineEdit(page)
        self.admin_fingerprint.setPlaceholderText("as your school's admin reads it from their "
                                                  "screen")
        self.admin_fingerprint.setAccessibleName("The school's admin PC's fingerprint")
        admin_hint = QLabel("On the school's admin PC, Admin → Services shows “This PC's "
                            "fingerprint”. Compare every group with that screen — your admin "
                            "reads it to you in person or by phone, never by email: this PC "
                            "takes its accounts, and the list of PCs it trusts, only from that "
                            "PC.", page)
        admin_hint.setWordWrap(True)
        self.name = QLineEdit(page)
        self.name.setPlaceholderText("e.g. Staff room 1 — shown to the hub's administrator")
        self.name.setAccessibleName("A name for this PC (optional)")
        self.messages = {key: FieldMessage(page) for key in ("url", "fingerprint", "admin",
                                                             "name")}
        for key, field in (("url", self.url), ("fingerprint", self.hub_fingerprint),
                           ("admin", self.admin_fingerprint), ("name", self.name)):
            self.messages[key].clear_when_changed(field)
        form = QFormLayout()
        form.addRow("Hub &address", self.url)
        form.addRow("", self.messages["url"])
        form.addRow("The hub's &fingerprint", self.hub_fingerprint)
        form.addRow("", self.messages["fingerprint"])
        admin_field = QWidget(page)  # the field with its explanation under it
        admin_column = QVBoxLayout(admin_field)
        admin_column.setContentsMargins(0, 0, 0, 0)
        admin_column.addWidget(self.admin_fingerprint)
        admin_column.addWidget(admin_hint)
        admin_label = QLabel("The &school's admin PC's fingerprint", page)
        admin_label.setBuddy(self.admin_fingerprint)
        form.addRow(admin_label, admin_field)
        form.addRow("", self.messages["admin"])
        form.addRow("PC &name (optional)", self.name)
        form.addRow("", self.messages["name"])
        self.join_button = QPushButton("&Join the school", page)
        self.join_button.setDefault(True)
        self.join_button.clicked.connect(self.submit)
        back = QPushButton("&Back to creating a school", page)
        back.clicked.connect(self.back)
        for edit in (self.url, self.hub_fingerprint, self.admin_fingerprint, self.name):
            edit.returnPressed.connect(self.submit)
        layout = QVBoxLayout(page)
        layout.addWidget(heading("Join this PC to your school", page))
        intro = QLabel("Your school already uses ConcernDesk on another PC, with a school hub "
                       "that keeps its PCs in step. Type the hub's address and its fingerprint "
                       "as the hub's administrator gives them to you (read aloud or printed, "
                       "not by email): ConcernDesk fetches the hub's key and joins only if the "
                       "fingerprints match. Nothing of the school comes to this PC until your "
                       "school's admin approves it.", page)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(form)
        row = QHBoxLayout()
        row.addWidget(back)
        row.addStretch(1)
        row.addWidget(self.join_button)
        layout.addLayout(row)
        layout.addStretch(1)
        return page

    def start(self) -> None:
        self.stack.setCurrentIndex(0)
        self.url.setFocus()

    def submit(self) -> None:
        if not self.join_button.isEnabled():
            return
        for message in self.messages.values():
            message.clear_message()
        url, fingerprint, name = self.url.text(), self.hub_fingerprint.text(), self.name.text()
        admin = self.admin_fingerprint.text()
        if not url.strip():
            self._failed(InputError("url", "type the hub's address"))
            return
        if not fingerprint.strip():
            self._failed(InputError("fingerprint", "type the fingerprint the hub's "
                                    "administrator gave you"))
            return
        if not admin.strip():
            self._failed(InputError("admin-fingerprint", "type the fingerprint your school's "
                                    "admin reads from their PC"))
            return
        self.join_button.setEnabled(False)
        self.join_button.setText("Contacting the hub…")
        directory, clock = self.directory, self.clock
        self.db.raw(self, lambda: join_school(directory, url, fingerprint,
                                              admin_fingerprint=admin, require_admin=True,
                                              name=name.strip() or None, clock=clock)) \
            .across_lock().success(self._joined).failure(self._failed).run()

    def _failed(self, error: BaseException) -> None:
        """A field's problem at that field (a hub that is not the one named: at its
        fingerprint); anything else (the hub unreachable) in the window's message bar."""
        self.join_button.setEnabled(True)
        self.join_button.setText("&Join the school")
        if isinstance(error, FingerprintMismatch):
            key: str | None = "fingerprint"
        elif isinstance(error, InputError):
            key = {"url": "url", "fingerprint": "fingerprint", "admin-fingerprint": "admin",
                   "name": "name"}.get(error.field)
        else:
            key = None
        if key is None:
            if self.db.default_failure is not None:
                self.db.default_failure(error)
            return
        if key == "admin" and isinstance(error, InputError):  # not "Admin-fingerprint: …"
            self.messages[key].say(f"The admin PC's fingerprint: {error.problem}")
        else:
            self.messages[key].say(message_for(error))
        {"url": self.url, "fingerprint": self.hub_fingerprint, "admin": self.admin_fingerprint,
         "name": self.name}[key].setFocus()

    # -- waiting for the admin -----------------------------------------------------------------
    def _waiting_page(self) -> QWidget:
        page = QWidget(self)
        self.fingerprint_view = FingerprintView(self.clipboard, page)
        copy = QPushButton("&Copy", page)
        copy.setAccessibleName("Copy this PC's fingerprint")
        copy.clicked.connect(self.fingerprint_view.copy)
        mine = QGroupBox("This PC's fingerprint", page)
        read = QLabel("Read it to the hub's administrator, who enrols this PC, and to your "
                      "school's admin, who approves it in Admin → Services → PCs of this "
                      "school. Each of them compares every group with what they type — in "
                      "person or by phone, never from an email or a chat message.", mine)
        read.setWordWrap(True)
        fp_row = QHBoxLayout()
        fp_row.addWidget(self.fingerprint_view)
        fp_row.addStretch(1)
        fp_row.addWidget(copy, 0, Qt.AlignmentFlag.AlignTop)
        mine_layout = QVBoxLayout(mine)
        mine_layout.addLayout(fp_row)
        mine_layout.addWidget(read)

        self.state = heading(WAITING, page, 1.2)
        self.state.setWordWrap(True)
        self.why = QLabel(page)
        self.why.setWordWrap(True)
        self.why.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.check_button = QPushButton("Check &now", page)
        self.check_button.clicked.connect(self.check_now)
        check_row = QHBoxLayout()
        check_row.addWidget(self.check_button)
        check_row.addWidget(QLabel("(it also checks by itself every minute)", page))
        check_row.addStretch(1)

        self.key_box = RecoveryKeyBox(
            "This PC's recovery key — shown once", "This is shown once and never again. With "
            "it an admin can re-open this PC's store on a replacement PC and reset a forgotten "
            "passphrase here. Print it or write it down now, and keep it locked away from the "
            "PC.", "ConcernDesk recovery key (a PC that joined the school)", page)
        self.key_label, self.written = self.key_box.key_label, self.key_box.written
        self.written.toggled.connect(self._key_kept)

        layout = QVBoxLayout(page)
        layout.addWidget(heading("This PC has asked to join your school", page))
        layout.addWidget(mine)
        layout.addWidget(self.state)
        layout.addWidget(self.why)
        layout.addLayout(check_row)
        layout.addWidget(self.key_box)
        layout.addStretch(1)
        return page

    def _joined(self, joined: Joined) -> None:
        self.join_button.setEnabled(True)
        self.join_button.setText("&Join the school")
        self.fingerprint_view.set_fingerprint(joined.fingerprint)
        self.key_label.setText(joined.recovery_key)
        self.key_box.show()
        self.key_shown = True
        self.written.setChecked(False)
        self._key_kept(False)
        self.stack.setCurrentIndex(1)
        self.written.setFocus()

    def resume(self) -> None:
        """The app started on a store that joined but is not provisioned yet: no recovery key
        (it was shown once), this PC's fingerprint, and a check straight away."""
        self.key_label.clear()
        self.key_box.hide()
        self.key_shown = False
        self.stack.setCurrentIndex(1)
        self._key_kept(True)
        directory = self.directory
        self.db.raw(self, lambda: joined_pc_fingerprint(directory)).across_lock() \
            .success(self.fingerprint_view.set_fingerprint).run()
        self.check_now()

    def _key_kept(self, kept: bool) -> None:
        """Checking is allowed once the recovery key is safe: once provisioned, the page goes
        on to sign-in and the key is gone for good."""
        self.check_button.setEnabled(kept and not self.checking)
        if kept:
            self.why.setText("Nothing of the school is on this PC yet, so no account can sign "
                             "in here. Once your school's admin has approved it, “Check now” "
                             "fetches the accounts and this PC goes on to sign-in.")
            self.timer.start()
        else:
            self.why.setText("First keep the recovery key safe (below) and tick the box; then "
                             "read this PC's fingerprint to the hub's administrator and to "
                             "your school's admin.")
            self.timer.stop()

    def _auto_check(self) -> None:
        if self.isVisible() and self.stack.currentIndex() == 1 and \
                self.check_button.isEnabled():
            self.check_now()

    def check_now(self) -> None:
        if self.checking:
            return
        self.checking = True
        self.check_button.setEnabled(False)
        self.check_button.setText("Checking…")
        directory, clock = self.directory, self.clock
        self.db.raw(self, lambda: check_joined_pc(directory, clock=clock)).across_lock() \
            .success(self._checked).failure(self._check_failed).run()

    def _check_done(self) -> None:
        self.checking = False
        self.check_button.setText("Check &now")
        self.check_button.setEnabled(self.written.isChecked() or not self.key_shown)

    def _checked(self, check: JoinCheck) -> None:
        self._check_done()
        if check.ready:
            self.timer.stop()
            self.key_label.clear()  # shown once
            self.provisioned.emit(check.why)
            return
        self.state.setText(WAITING)
        self.why.setText(check.why)
        if check.waiting_for == "other" and self.db.default_failure is not None:
            self.db.default_failure(ConcernDeskError(check.why))  # the hub unreachable …

    def _check_failed(self, error: BaseException) -> None:
        self._check_done()
        self.why.setText("This PC could not check: see the message above.")
        if self.db.default_failure is not None:
            self.db.default_failure(error)
