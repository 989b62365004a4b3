"""The main window: one place for messages, a DEMO banner when it applies, and the pages
(building the demo, creating a school, sign-in/lock, the signed-in workspace)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.clock import Clock
from app.delivery.status import summary as sync_summary
from app.store.access import store_exists
from app.store.device import check_keyring
from app.store.keys import KdfParams
from app.wording import plural
from ui import lock as locking
from ui.clipboard import Clipboard
from ui.errors import MessageBar
from ui.idle import IdleWatcher
from ui.ops import Db
from ui.signin import SignedIn, SignInPage
from ui.status_bar import StatusBar
from ui.sync_worker import BackgroundSync, SyncResult
from ui.theme import heading
from ui.workspace import Workspace

TITLE = "ConcernDesk"


class MainWindow(QMainWindow):
    def __init__(self, directory: Path, *, demo: bool = False, clock: Clock | None = None,
                 idle_ms: int | None = None, kdf: KdfParams | None = None) -> None:
        super().__init__()
        self.directory, self.demo, self.clock, self.kdf = directory, demo, clock, kdf
        self._idle_override = idle_ms
        self.db = Db(self)
        self.clipboard = Clipboard()
        self.workspace: Workspace | None = None
        self.info: SignedIn | None = None
        self.messages = MessageBar(self)
        self.db.default_failure = self.messages.show_error
        self.db.notify = lambda text: self.messages.show_message(text, "success")

        self.banner = QLabel("DEMO SCHOOL — invented pupils and records; do not enter real "
                             "information", self)
        self.banner.setObjectName("demoBanner")
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner.setAccessibleName("Demo school: do not enter real information")
        self.banner.setVisible(demo)
        self.pages = QStackedWidget(self)
        self.busy = QWidget(self)
        busy_layout = QVBoxLayout(self.busy)
        self.busy_text = heading("Starting…", self.busy, 1.2)
        self.busy_text.setWordWrap(True)
        self.busy_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        busy_layout.addWidget(self.busy_text)
        self.retry = QPushButton("&Try again", self.busy)
        self.retry.clicked.connect(self.start)
        self.retry.hide()
        busy_layout.addWidget(self.retry, 0, Qt.AlignmentFlag.AlignHCenter)
        self.signin = SignInPage(self.db, directory, demo=demo, clock=clock, parent=self)
        self.signin.signed_in.connect(self.enter)
        self.signin.recover_requested.connect(self._recover)
        self.pages.addWidget(self.busy)
        self.pages.addWidget(self.signin)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.addWidget(self.banner)
        layout.addWidget(self.messages)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self.sync = BackgroundSync(self.db, parent=self)
        self._sync_problem: str | None = None
        self.sync.finished.connect(self._synced)
        self.status.sync_button.clicked.connect(self.sync_now)
        self.db.changed.connect(self._data_changed)

        self.idle = IdleWatcher(idle_ms or 5 * 60_000, self)
        self.idle.idle.connect(self._idle_lock)
        QShortcut(QKeySequence("Ctrl+L"), self, self.lock_now,
                  context=Qt.ShortcutContext.ApplicationShortcut)
        self._set_title()
        self.resize(1200, 800)

    # -- starting ------------------------------------------------------------------------------
    def start(self) -> None:
        self._busy("Checking this PC's keyring…")
        self.db.raw(self, check_keyring).across_lock().success(lambda _r: self._start()) \
            .failure(self._cannot_start).run()

    def _cannot_start(self, error: BaseException) -> None:
        self._busy("ConcernDesk cannot start on this PC yet.")
        self.retry.show()
        self.messages.show_error(error)

    def _start(self) -> None:
        if self.demo and not store_exists(self.directory):
            self._busy("Building the demo school (invented pupils and records)… this takes a "
                       "few seconds.")
            from app.demo.school import build_demo

            directory, kdf = self.directory, self.kdf
            self.db.raw(self, lambda: build_demo(directory, kdf=kdf)).across_lock() \
                .success(lambda _r: self.show_signin()).failure(self._cannot_start).run()
        elif not store_exists(self.directory):
            self.show_create_school()
        else:  # a PC that joined a school but is not provisioned yet goes back to waiting
            from app.store.joinfile import awaiting_provisioning

            directory = self.directory
            self.db.raw(self, lambda: awaiting_provisioning(directory)).across_lock() \
                .success(lambda waiting: self.show_join(resume=True) if waiting
                         else self.show_signin()).failure(self._cannot_start).run()

    def _busy(self, text: str) -> None:
        self.retry.hide()
        self.messages.hide()
        self.busy_text.setText(text)
        self.pages.setCurrentWidget(self.busy)

    def show_signin(self) -> None:
        self.signin.show_signin()
        self.pages.setCurrentWidget(self.signin)

    def show_create_school(self) -> None:
        from ui.create_school import CreateSchoolPage

        page = CreateSchoolPage(self.db, self.directory, clock=self.clock, kdf=self.kdf,
                                parent=self)
        page.created.connect(self.enter)
        page.join_requested.connect(self.show_join)
        self.pages.addWidget(page)
        self.pages.setCurrentWidget(page)
        self.create_page = page

    def show_join(self, resume: bool = False) -> None:
        """Joining this PC to a school through its hub, or (``resume``) waiting for approval."""
        from ui.join_page import JoinPage

        if getattr(self, "join_page", None) is None:
            self.join_page = JoinPage(self.db, self.directory, self.clipboard, clock=self.clock,
                                      parent=self)
            self.join_page.back.connect(lambda: self.pages.setCurrentWidget(self.create_page))
            self.join_page.provisioned.connect(self._provisioned)
            self.pages.addWidget(self.join_page)
        self.messages.hide()
        self.pages.setCurrentWidget(self.join_page)
        if resume:
            self.join_page.resume()
        else:
            self.join_page.start()

    def _provisioned(self, detail: str) -> None:
        self.show_signin()
        self.messages.show_message(f"{detail[:1].upper()}{detail[1:]}. Sign in with your "
                                   "ConcernDesk account and passphrase.", "success")

    def _recover(self) -> None:
        from ui.recovery import RecoveryDialog

        accounts = [self.signin.account.itemText(i) for i in range(self.signin.account.count())]
        dialog = RecoveryDialog(self.db, self.directory, accounts, clock=self.clock, parent=self)
        dialog.accepted.connect(lambda: self.messages.show_message(
            "The passphrase was reset. Sign in with the new one.", "success"))
        dialog.open()

    # -- signed in -----------------------------------------------------------------------------
    def enter(self, info: SignedIn) -> None:
        self.info = info
        self.messages.hide()
        self.banner.setVisible(self.demo or info.demo)
        self.workspace = Workspace(self.db, info, self.clipboard, clock=self.clock,
                                   on_auto_lock=self.set_auto_lock_minutes, kdf=self.kdf,
                                   parent=self)
        self.pages.addWidget(self.workspace)
        # a message belongs to the screen it was said on: going to another screen clears it
        self.workspace.nav.currentRowChanged.connect(lambda _row: self.messages.hide())
        self.pages.setCurrentWidget(self.workspace)
        self.workspace.focus_page()  # built hidden: its first screen could not take focus then
        self.status.signed_in(info.display_name, info.roles)
        self.set_auto_lock_minutes(info.auto_lock_minutes)
        self.idle.arm()
        self._set_title(info.school_name)
        self.refresh_sync_state()
        self.sync.start()
        if info.awaiting_keys:  # docs/keys.md: an admin gave the role, no DSL has handed it over
            roles = " and ".join("DSL" if r == "dsl" else r for r in info.awaiting_keys)
            self.messages.show_message(
                f"Your {roles} role is waiting for its key: a DSL hands it over at their next "
                "sign-in on this PC. Until then you see what a member of staff sees.")
        if info.notices:
            self.messages.show_message(" ".join(info.notices), "error")

    # -- sync ----------------------------------------------------------------------------------
    def refresh_sync_state(self) -> None:
        if self.workspace is None:
            return
        self.db.op(self, sync_summary) \
            .success(lambda summary: self.status.show_summary(summary, self._sync_problem)) \
            .failure(lambda _e: self.status.set_sync("Sync: state unknown")).run()

    def sync_now(self) -> None:
        """The user's "Sync now": everything waiting, refused ones included, goes again."""
        if self.workspace is None:
            return
        if not self.sync.running:
            self.sync.start()
            return
        self.status.syncing()
        self.sync.sync_now(everything=True)

    def _data_changed(self) -> None:
        self.refresh_sync_state()
        self.sync.sync_now(everything=False)  # deliver a newly queued referral soon

    def _synced(self, result: object) -> None:
        self.status.synced()
        self.db.synced.emit()
        if isinstance(result, SyncResult):
            self._sync_problem = result.problem
            self.status.show_summary(result.summary, result.problem)
        else:
            self._sync_problem = str(result)
            self.status.set_sync(f"Sync: ⚠ {result}")

    def set_auto_lock_minutes(self, minutes: int) -> None:
        self.idle.set_interval_ms(self._idle_override or minutes * 60_000)

    # -- locking -------------------------------------------------------------------------------
    def _idle_lock(self) -> None:
        minutes = max(1, round(self.idle.interval_ms / 60_000))
        self.lock(f"Locked after {plural(minutes, 'minute')} without use.")

    def lock_now(self) -> None:
        self.lock("Locked.")

    def lock(self, why: str) -> None:
        if self.workspace is None:
            return
        self.idle.disarm()
        self.sync.stop()  # the sync thread closes its own connection and drops the key
        self._sync_problem = None
        draft = self.workspace.unsaved_draft()
        locking.lock(self, self.db, self.clipboard, draft)
        self.pages.removeWidget(self.workspace)
        self.workspace.hide()
        self.workspace.setParent(None)  # detached at once, destroyed when control returns
        self.workspace.deleteLater()
        self.workspace = None
        username = self.info.username if self.info else ""
        self.info = None
        self.messages.hide()
        self.status.signed_out()
        self._set_title(locked=True)
        self.signin.show_locked(username, why)
        self.pages.setCurrentWidget(self.signin)

    @property
    def is_locked(self) -> bool:
        return self.workspace is None

    def _set_title(self, school: str = "", locked: bool = False) -> None:
        parts = [TITLE]
        if locked:
            parts.append("locked")
        elif school:
            parts.append(school)
        if self.demo and not school:
            parts.append("DEMO")
        self.setWindowTitle(" — ".join(parts))

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.workspace is not None:
            self.lock("Closing.")
        self.idle.stop_watching()
        self.clipboard.clear_if_ours()
        self.sync.stop()
        self.sync.wait()
        self.db.shutdown()
        event.accept()
