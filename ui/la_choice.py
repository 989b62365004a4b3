"""The admin's choice of the school's LA (app.domain.la_profiles): its phones, how it takes
referrals, and how much of its form's mapping is unconfirmed, shown before it is chosen."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.domain.la_profiles import LaProfile, all_profiles, choose_profile, chosen_profile
from ui.errors import FieldMessage, message_for
from ui.ops import Db


def profile_words(profile: LaProfile) -> str:
    unconfirmed = len(profile.unconfirmed)
    return (f"{profile.service}. Takes referrals by {profile.route_words}. Phone "
            f"{profile.phone_in_hours}; out of hours {profile.phone_out_of_hours}. Form: "
            f"{profile.form_title}, {len(profile.sections)} sections"
            + (f"; {unconfirmed} of its questions mapped but not yet confirmed against the "
               "LA's form" if unconfirmed else "") + ".")


class LaChoice(QWidget):
    def __init__(self, db: Db, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.profiles: list[LaProfile] = []
        self.combo = QComboBox(self)
        self.combo.setAccessibleName("The school's local authority")
        self.combo.currentIndexChanged.connect(self._describe)
        self.use = QPushButton("Use this L&A", self)
        self.use.clicked.connect(self.save)
        self.details = QLabel(self)
        self.details.setWordWrap(True)
        self.message = FieldMessage(self)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        row.addWidget(self.use)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.details)
        layout.addWidget(self.message)
        layout.addStretch(1)  # the School tab's spare height goes below, not around the words

    def refresh(self) -> None:
        self.db.op(self, lambda s: (all_profiles(s), chosen_profile(s).id)).success(
            self._show).run()

    def _show(self, loaded: tuple[list[LaProfile], str]) -> None:
        self.profiles, chosen = loaded
        self.combo.blockSignals(True)
        self.combo.clear()
        for p in self.profiles:
            self.combo.addItem(p.name, p.id)
        self.combo.setCurrentIndex(max(self.combo.findData(chosen), 0))
        self.combo.blockSignals(False)
        self._describe()

    def _describe(self) -> None:
        index = self.combo.currentIndex()
        if 0 <= index < len(self.profiles):
            self.details.setText(profile_words(self.profiles[index]))

    def save(self) -> None:
        self.message.clear_message()
        profile_id = self.combo.currentData()

        def saved(profile: Any) -> None:
            self.db.notify(f"The school's LA is now {profile.name}.")

        self.db.op(self, lambda s: choose_profile(s, profile_id)).success(saved).failure(
            lambda e: self.message.say(message_for(e))).run()
