"""The referral editor's second row of buttons: the routes to an LA without our front door
(portal assist for an LA with a portal, secure email for one that takes email, phone for any)
and what ends every route (the LA's reference, its decision). Which show, and when they are
enabled, follows the school's LA profile and the referral's state; each opens its dialog."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from app.delivery import la_routes
from app.domain.la_profiles import LaProfile
from ui.clipboard import Clipboard
from ui.la_route_dialogs import LaAnswerDialog, PhoneSentDialog, SecureEmailDialog
from ui.ops import Db
from ui.portal_assist import PortalAssistDialog


class RouteButtons(QWidget):
    def __init__(self, db: Db, clipboard: Clipboard, failed: Callable[[BaseException], None],
                 reload: Callable[[str], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.clipboard, self.failed, self.reload = db, clipboard, failed, reload
        self.referral: Any = None
        self.profile: LaProfile | None = None
        self.dialog: Any = None  # the one open, for tests and for its parent's reload
        self.portal_button = QPushButton("Portal a&ssist…", self)
        self.portal_button.clicked.connect(self.portal_assist)
        self.email_button = QPushButton("Send by secure &email…", self)
        self.email_button.clicked.connect(self.secure_email)
        self.phone_button = QPushButton("Made by p&hone…", self)
        self.phone_button.clicked.connect(self.by_phone)
        self.reference_button = QPushButton("LA's re&ference…", self)
        self.reference_button.clicked.connect(lambda: self.la_answer("reference"))
        self.outcome_button = QPushButton("LA's decisio&n…", self)
        self.outcome_button.clicked.connect(lambda: self.la_answer("outcome"))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for button in (self.portal_button, self.email_button, self.phone_button,
                       self.reference_button, self.outcome_button):
            row.addWidget(button)
        row.addStretch(1)

    def show_state(self, referral: Any, profile: LaProfile | None,
                   state: la_routes.RouteState) -> None:
        self.referral, self.profile = referral, profile
        status = referral.status if referral is not None else None
        route = profile.route if profile is not None else None
        unsent = status in ("approved", "released") and state.route is None
        self.portal_button.setVisible(route == "portal")
        self.email_button.setVisible(route == "email")
        for button in (self.portal_button, self.email_button, self.phone_button):
            button.setEnabled(unsent)
        answered = status in ("sent", "receipted")  # received: the LA can answer it
        self.reference_button.setEnabled(answered)
        self.outcome_button.setEnabled(answered)

    def _open(self, dialog: Any) -> Any:
        dialog.accepted.connect(lambda: self.reload(dialog.referral_id))
        dialog.open()
        self.dialog = dialog
        return dialog

    def portal_assist(self) -> None:
        if self.referral is None:
            return
        referral_id, clipboard = self.referral.id, self.clipboard

        def load(session: Any) -> tuple[Any, Any, list[str]]:
            profile, sections = la_routes.portal_form(session, referral_id)
            return profile, sections, la_routes.route_state(session, referral_id).sections_done

        def show(loaded: tuple[Any, Any, list[str]]) -> None:
            self._open(PortalAssistDialog(self.db, clipboard, referral_id, *loaded,
                                          parent=self.window()))

        self.db.op(self, load).success(show).failure(self.failed).run()

    def secure_email(self) -> Any:
        if self.referral is not None and self.profile is not None:
            return self._open(SecureEmailDialog(self.db, self.referral.id, self.profile,
                                                parent=self.window()))
        return None

    def by_phone(self) -> Any:
        if self.referral is not None and self.profile is not None:
            return self._open(PhoneSentDialog(self.db, self.referral.id, self.profile,
                                              parent=self.window()))
        return None

    def la_answer(self, what: str) -> Any:
        if self.referral is not None:
            return self._open(LaAnswerDialog(self.db, self.referral.id, what,
                                             parent=self.window()))
        return None
