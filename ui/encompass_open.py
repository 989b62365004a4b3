"""Opening the police notification form from a child's page: the button, and the form for a
new notification or, once read, for amending one (kept apart so the page stays small)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QPushButton, QWidget

from app.domain.encompass import ENTRY_KIND as POLICE_KIND
from app.domain.encompass import NotificationView, get_notification
from ui.encompass_dialog import EncompassDialog

__all__ = ["POLICE_KIND", "open_notification", "police_button"]


def police_button(parent: QWidget, clicked: Callable[[], object]) -> QPushButton:
    """The child page's button that opens this form."""
    button = QPushButton("Police noti&fication (Operation Encompass)…", parent)
    button.setToolTip("Record a police notification of a domestic abuse incident, for this "
                      "child and any siblings on roll")
    button.clicked.connect(clicked)
    return button


def open_notification(page: Any, saved: Callable[[], None], record_id: str | None = None
                      ) -> None:
    """Opens the form on a child's ``page`` (its ``db``, ``clock`` and ``child``): for a new
    notification, or to amend ``record_id`` once it is read. ``saved`` runs after a save."""
    if page.child is None:
        return
    child_id = page.child.id

    def show(existing: NotificationView | None) -> None:
        dialog = EncompassDialog(page.db, child_id, clock=page.clock, existing=existing,
                                 parent=page)
        dialog.accepted.connect(saved)
        dialog.open()

    if record_id is None:
        show(None)
    else:
        page.db.op(page, lambda s: get_notification(s, record_id)).success(show).run()
