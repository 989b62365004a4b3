"""What a signed-in user sees: a navigation list of the screens their roles allow, and the
screens. Built at sign-in and destroyed at lock, so no model with a child's data outlives it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QStackedWidget, QWidget

from app.clock import Clock
from app.store.keys import KdfParams
from app.store.roles import Perm, permissions
from ui.clipboard import Clipboard
from ui.ops import Db
from ui.signin import SignedIn


class Workspace(QWidget):
    def __init__(self, db: Db, info: SignedIn, clipboard: Clipboard, *,
                 clock: Clock | None = None, on_auto_lock: Callable[[int], None] | None = None,
                 kdf: KdfParams | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.info, self.clipboard, self.clock = db, info, clipboard, clock
        self.kdf = kdf  # Argon2id cost for new accounts: the core's default unless a test asks
        self.nav = QListWidget(self)
        self.nav.setObjectName("navList")
        self.nav.setAccessibleName("Screens")
        self.nav.setMaximumWidth(self.fontMetrics().averageCharWidth() * 26)
        self.nav.setSpacing(3)
        self.stack = QStackedWidget(self)
        self.pages: dict[str, QWidget] = {}
        self.record_page: Any = None
        self.children_page: Any = None
        self._build(on_auto_lock)
        self.nav.currentRowChanged.connect(self._switch)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        if self.nav.count():
            self.nav.setCurrentRow(0)

    def _add(self, key: str, title: str, page: QWidget) -> None:
        self.pages[key] = page
        self.stack.addWidget(page)
        number = self.nav.count() + 1
        self.nav.addItem(title)
        item = self.nav.item(number - 1)
        item.setData(Qt.ItemDataRole.UserRole, key)
        item.setToolTip(f"Ctrl+{number}")
        QShortcut(QKeySequence(f"Ctrl+{number}"), self, lambda: self.show_page(key))

    def _build(self, on_auto_lock: Callable[[int], None] | None) -> None:
        roles = set(self.info.roles)
        db, clock = self.db, self.clock
        if "dsl" in roles:
            from ui.children_page import ChildrenPage
            from ui.dashboard import DashboardPage
            from ui.inbox import InboxPage
            from ui.referral_editor import ReferralsPage

            inbox = InboxPage(db, self)
            inbox.open_child.connect(self.open_child)
            self._add("inbox", "Inbox", inbox)
            self.children_page = ChildrenPage(db, self.clipboard, clock=clock, parent=self)
            self.children_page.build_referral.connect(self.build_referral)
            self._add("children", "Children", self.children_page)
            if Perm.READ_ALL_RECORDS in permissions(self.info.roles):  # the core decides
                from ui.search_page import SearchPage

                search = SearchPage(db, self)
                search.open_hit.connect(self.open_child)
                self._add("search", "Search", search)
        if roles & {"staff", "dsl"}:
            from ui.my_concerns import MyConcernsPage
            from ui.record_concern import RecordConcernPage

            self.record_page = RecordConcernPage(db, clock=clock, parent=self)
            self._add("record", "Record a concern", self.record_page)
            self._add("mine", "My concerns", MyConcernsPage(db, self, clock=clock))
            self.record_page.load_saved_draft()
        if "dsl" in roles:
            referrals = ReferralsPage(db, clock=clock, clipboard=self.clipboard, parent=self)
            self._add("referrals", "Referrals", referrals)
            dashboard = DashboardPage(db, self)
            dashboard.review_files.connect(lambda: self.show_page("retention"))
            self._add("dashboard", "Dashboard", dashboard)
            from ui.retention_page import RetentionPage

            self._add("retention", "Retention review", RetentionPage(db, self))
        if "office" in roles:
            from ui.print_queue import PrintQueuePage

            self._add("print", "Print queue", PrintQueuePage(db, self))
        if "admin" in roles:
            from ui.admin import AdminPage

            admin = AdminPage(db, clock=clock, kdf=self.kdf, parent=self)
            if on_auto_lock is not None:
                admin.auto_lock_changed.connect(on_auto_lock)
            self._add("admin", "Admin", admin)

    def _switch(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        page = self.stack.currentWidget()
        refresh = getattr(page, "refresh", None)
        if callable(refresh):
            refresh()
        self.focus_page()

    def focus_page(self) -> None:
        """The cursor goes where work on the shown screen starts (e.g. the child search)."""
        focus = getattr(self.stack.currentWidget(), "focus_first", None)
        if callable(focus):
            focus()

    def show_page(self, key: str) -> QWidget | None:
        """Shows the screen ``key``; None when this role has no such screen (the core would
        refuse what it holds anyway: a route to it is a no-op, never a crash)."""
        for row in range(self.nav.count()):
            if self.nav.item(row).data(Qt.ItemDataRole.UserRole) == key:
                self.nav.setCurrentRow(row)
        return self.pages.get(key)

    def open_child(self, child_id: str, record_id: str | None = None) -> None:
        """The child's page; at the entry ``record_id`` when given (a search hit)."""
        if self.children_page is not None:
            self.show_page("children")
            self.children_page.open(child_id)
            if record_id:
                self.children_page.page.select_record(child_id, record_id)

    def build_referral(self, child_id: str) -> None:
        from ui.referral_editor import ReferralsPage  # loaded already by _build for the DSL

        page = self.show_page("referrals")
        if isinstance(page, ReferralsPage):  # the only page under "referrals"; None without
            page.start_for_child(child_id)

    def unsaved_draft(self) -> dict[str, Any] | None:
        return self.record_page.draft_body() if self.record_page is not None else None
