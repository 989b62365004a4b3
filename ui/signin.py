"""The sign-in screen, which is also the lock screen: it never shows a child's data.

The Argon2id unwrap (~0.25 s) runs on the database thread with the form disabled; a wrong
passphrase is said inline, the passphrase is selected for retyping, and the growing delay the
core imposes after repeated failures is shown as a countdown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.clock import Clock
from app.errors import UnlockError
from app.hub.provisional import sign_in
from app.hub.sealing import report_opening
from app.store.accounts import account_names
from app.store.ratelimit import UnlockState
from app.store.settings import auto_lock_minutes
from app.wording import plural
from ui.errors import FieldMessage, message_for
from ui.ops import Db
from ui.theme import heading

DEMO_PASSPHRASE = "demo"


@dataclass(frozen=True)
class SignedIn:
    """What the GUI thread learns about a new session (the session stays on the DB thread)."""

    username: str
    display_name: str
    roles: tuple[str, ...]
    school_name: str
    demo: bool
    auto_lock_minutes: int
    awaiting_keys: tuple[str, ...] = ()  # roles given but whose key no DSL has handed over
    notices: tuple[str, ...] = ()  # the core's words for what this sign-in found


def open_session(db: Db, directory: Path, username: str, passphrase: str,
                 clock: Clock | None) -> SignedIn:
    """Runs on the DB thread: unlocks and keeps the session there."""
    session = sign_in(directory, username, passphrase, clock=clock)
    db.set_session(session)
    return signed_in(db)


def signed_in(db: Db) -> SignedIn:
    s = db.session
    return SignedIn(s.user.username, s.user.display_name, s.user.roles, s.school_name,
                    s.is_demo, auto_lock_minutes(s), s.roles_awaiting_keys,
                    tuple(s.notices))


class SignInPage(QWidget):
    signed_in = Signal(object)  # SignedIn
    recover_requested = Signal()
    opening = Signal(int, int)  # sealed items opened so far, of how many (a DSL's sign-in)

    def __init__(self, db: Db, directory: Path, *, demo: bool, clock: Clock | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.directory, self.demo, self.clock = db, directory, demo, clock
        # Called on the DB thread during a DSL's sign-in; the signal brings it to this one.
        report_opening(self._report_opening)
        self.opening.connect(self._show_opening)
        self._wait = 0
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._tick)

        panel = QFrame(self)
        panel.setObjectName("signinPanel")
        panel.setMaximumWidth(520)
        self.title = heading("Sign in to ConcernDesk", panel)
        self.subtitle = QLabel("Choose your account and type your passphrase.", panel)
        self.subtitle.setWordWrap(True)
        self.account = QComboBox(panel)
        self.account.setAccessibleName("Account")
        self.passphrase = QLineEdit(panel)
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.passphrase.returnPressed.connect(self.submit)
        self.message = FieldMessage(panel)
        self.button = QPushButton("Sign in", panel)
        self.button.setDefault(True)
        self.button.clicked.connect(self.submit)
        self.recover = QPushButton("Forgotten passphrase? Use the recovery key…", panel)
        self.recover.setFlat(True)
        self.recover.clicked.connect(self.recover_requested)

        form = QFormLayout()
        form.addRow("&Account", self.account)
        form.addRow("&Passphrase", self.passphrase)
        form.addRow("", self.message)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.setSpacing(12)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        if demo:
            hint = QLabel(f"Demo school: every account's passphrase is “{DEMO_PASSPHRASE}”. "
                          "All names and records are invented.", panel)
            hint.setWordWrap(True)
            hint.setObjectName("demoHint")
            layout.addWidget(hint)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.recover)
        buttons.addStretch(1)
        buttons.addWidget(self.button)
        layout.addLayout(buttons)

        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(panel, 3)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        self.setTabOrder(self.account, self.passphrase)
        self.setTabOrder(self.passphrase, self.button)

    def _report_opening(self, done: int, total: int) -> None:
        try:
            self.opening.emit(done, total)
        except RuntimeError:  # this page has gone (its window closed): nothing to show it on
            report_opening(None)

    def _show_opening(self, done: int, total: int) -> None:
        self.button.setText(f"Opening {done} of {plural(total, 'sealed concern')}…")

    # -- states --------------------------------------------------------------------------------
    def load_accounts(self, preselect: str | None = None) -> None:
        directory = self.directory

        def accounts() -> list[str]:
            return account_names(directory)

        def show(names: list[str]) -> None:
            self.account.clear()
            self.account.addItems(names)
            wanted = preselect or ("dsl" if self.demo and "dsl" in names else None)
            if wanted and wanted in names:
                self.account.setCurrentText(wanted)
            self.passphrase.setFocus()

        self.db.raw(self, accounts).across_lock().success(show).failure(self._failed).run()

    def show_signin(self) -> None:
        self.title.setText("Sign in to ConcernDesk")
        self.subtitle.setText("Choose your account and type your passphrase.")
        self._reset()
        self.load_accounts()

    def show_locked(self, username: str, why: str) -> None:
        self.title.setText("ConcernDesk is locked")
        self.subtitle.setText(f"{why} Type your passphrase to carry on where you left off, or "
                              "choose another account.")
        self._reset()
        self.load_accounts(preselect=username)

    def _reset(self) -> None:
        self.passphrase.clear()
        self.message.clear_message()
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.account, self.passphrase, self.button, self.recover):
            widget.setEnabled(not busy)
        self.button.setText("Checking…" if busy else "Sign in")
        if self._wait:
            self.button.setEnabled(False)

    # -- signing in ----------------------------------------------------------------------------
    def submit(self) -> None:
        if not self.button.isEnabled():
            return
        username = self.account.currentText().strip()
        secret = self.passphrase.text()
        if not username:
            self.message.say("Choose your account.")
            return
        if not secret:
            self.message.say("Type your passphrase.")
            self.passphrase.setFocus()
            return
        self.message.clear_message()
        self._set_busy(True)
        db, directory, clock = self.db, self.directory, self.clock
        (db.raw(self, lambda: open_session(db, directory, username, secret, clock))
           .across_lock().success(self._done).failure(self._failed).run())

    def _done(self, info: SignedIn) -> None:
        self.passphrase.clear()
        self._set_busy(False)
        self.signed_in.emit(info)

    def _failed(self, error: BaseException) -> None:
        self._set_busy(False)
        self.message.say(message_for(error))
        self.passphrase.setFocus()
        self.passphrase.selectAll()
        if isinstance(error, UnlockError):
            username, directory, clock = self.account.currentText(), self.directory, self.clock

            def wait() -> int:
                from app.clock import SystemClock

                return UnlockState(directory, clock or SystemClock()).seconds_to_wait(username)

            self.db.raw(self, wait).across_lock().success(self._start_wait).run()

    def _start_wait(self, seconds: int) -> None:
        self._wait = int(seconds)
        if self._wait > 0:
            self.button.setEnabled(False)
            self._countdown.start()
            self._show_wait()

    def _show_wait(self) -> None:
        self.button.setText(f"Wait {self._wait} s")
        self.button.setAccessibleDescription(f"You can try again in {self._wait} seconds")

    def _tick(self) -> None:
        self._wait -= 1
        if self._wait <= 0:
            self._wait = 0
            self._countdown.stop()
            self.button.setText("Sign in")
            self.button.setEnabled(True)
        else:
            self._show_wait()

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submit()
            return
        super().keyPressEvent(event)
