"""The DSL's Children screen: find a child, then their page; until one is open, the leavers,
apart from the children on roll (their files wait to go and for review)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.clock import Clock
from app.domain.leavers import Leaving, leavers
from app.domain.pupils import Child, child_by_id
from ui.child_page import ChildPage
from ui.child_picker import ChildPicker
from ui.clipboard import Clipboard
from ui.ops import Db
from ui.profile_import import ProfileImport
from ui.theme import heading, year_label


class ChildrenPage(QWidget):
    """Find a child, then their page."""

    build_referral = Signal(str)

    def __init__(self, db: Db, clipboard: Clipboard, *, clock: Clock | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.picker = ChildPicker(db, self, rows=4)
        self.picker.chosen.connect(lambda child: self.open(child.id))
        self.page = ChildPage(db, clipboard, clock=clock, parent=self)
        self.page.open_child.connect(self.open)
        self.page.build_referral.connect(self.build_referral)
        self.page.hide()
        self.hint = QLabel("Find a child to see their chronology.", self)
        # What the MIS and a pupil's last school know of the family: a DSL's import, here
        # where the profiles are read (an admin without the DSL role may not hold them).
        self.profile_import = ProfileImport(db, self)
        self.profile_import.imported.connect(self.refresh)
        # Leavers apart from the children on roll: their files wait to go and for review.
        self.leavers_label = QLabel("<b>Leavers</b> (files read-only until review; Enter "
                                    "opens)", self)
        self.leavers = QListWidget(self)
        self.leavers.setAccessibleName("Leavers")
        self.leavers.itemActivated.connect(
            lambda item: self.open(item.data(Qt.ItemDataRole.UserRole)))
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(heading("Children", self))
        top.addWidget(self.picker, 1)
        layout.addLayout(top)
        layout.addWidget(self.profile_import)
        layout.addWidget(self.hint)
        layout.addWidget(self.leavers_label)
        layout.addWidget(self.leavers, 1)
        layout.addWidget(self.page, 1)
        self.load_leavers()

    def focus_first(self) -> None:
        self.picker.search.setFocus()

    def open(self, child_id: str) -> None:
        self.hint.hide()
        self.leavers_label.hide()
        self.leavers.hide()
        self.page.show()
        self.page.load(child_id)

    def refresh(self) -> None:
        if self.page.child is not None:
            self.page.load_chronology()
            self.page.load_profile()
        else:
            self.load_leavers()

    def load_leavers(self) -> None:
        def fetch(session: Any) -> list[tuple[Child, Leaving]]:
            return [(child_by_id(session, leaving.child_id), leaving)
                    for leaving in leavers(session)]

        self.db.op(self, fetch).success(self._show_leavers).run()

    def _show_leavers(self, found: list[tuple[Child, Leaving]]) -> None:
        self.leavers.clear()
        for child, leaving in found:
            item = QListWidgetItem(f"{child.display_name} ({year_label(child.year_group)}) — "
                                   f"{leaving.words}")
            item.setData(Qt.ItemDataRole.UserRole, child.id)
            self.leavers.addItem(item)
        shown = bool(found) and self.page.isHidden()
        self.leavers_label.setVisible(shown)
        self.leavers.setVisible(shown)
