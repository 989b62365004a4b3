"""Portal assist (DSL): the LA's portal form, section by section in the portal's order, each
answer ready to copy. Copies are concealed from clipboard histories and cleared after a short
time (ui/clipboard.py). The DSL ticks each section as done on the portal; the window ends with
"record the LA's reference", which marks the referral sent and goes into the chronology.
Built over ``app.delivery.la_routes``."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.delivery import la_routes
from app.domain.la_profiles import LaProfile
from app.errors import InputError
from app.pack.la_form import ALSO_RECORDED
from app.pack.model import FormSection
from ui.clipboard import CLEAR_AFTER_SECONDS, Clipboard
from ui.entry_dialogs import CoreDialog
from ui.ops import Db

NOT_RECORDED = "Not recorded — leave blank on the portal, or add it to the referral first"


class PortalAssistDialog(CoreDialog):
    def __init__(self, db: Db, clipboard: Clipboard, referral_id: str, profile: LaProfile,
                 sections: list[FormSection], done: list[str],
                 parent: QWidget | None = None) -> None:
        super().__init__(db, f"Portal assist — {profile.name}", parent)
        self.clipboard, self.referral_id = clipboard, referral_id
        self.ticks: dict[str, QCheckBox] = {}
        intro = QLabel(
            f"Open the LA's portal: <b>{profile.portal_url}</b><br>Fill in each section in "
            f"this order. <b>Copy</b> puts an answer on the clipboard for "
            f"{CLEAR_AFTER_SECONDS} seconds, hidden from clipboard history. Tick a section when "
            "it is done on the portal. Answers marked † come from a mapping not yet checked "
            "against the LA's form: read them before pasting.", self)
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        body = QWidget(self)
        column = QVBoxLayout(body)
        for number, section in enumerate(sections, 1):
            column.addWidget(self._section(number, section, section.title in done, body))
        column.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        scroll.setAccessibleName("The portal's sections")
        outer = self.layout()
        assert isinstance(outer, QVBoxLayout)  # CoreDialog's: form, message, buttons
        outer.insertWidget(0, intro)
        outer.insertWidget(1, scroll, 1)
        # The end of the route: confirm it was submitted, record the LA's reference.
        self.submitted = QCheckBox("I have submitted the referral on the LA's portal", self)
        self.reference = QLineEdit(self)
        self.reference.setAccessibleName("The LA's reference")
        self.reference.setPlaceholderText("As the portal shows it; add it later if none yet")
        self.form.addRow("", self.submitted)
        self.form.addRow("Record the LA's &reference", self.reference)
        self.notice = QLabel(self)  # "copied": news, not a problem, so not the message line
        self.notice.setAccessibleName("Clipboard")
        self.form.addRow("", self.notice)
        self.resize(860, 720)
        # Saving here records the referral as sent: the button says so.
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(
            "Record as sent (Ctrl+S)")

    def _section(self, number: int, section: FormSection, done: bool, parent: QWidget
                 ) -> QGroupBox:
        box = QGroupBox(f"{number}. {section.title}", parent)
        grid = QGridLayout(box)
        grid.setColumnStretch(1, 1)
        for row, answer in enumerate(section.answers):
            asks = QLabel(answer.asks + ("" if answer.confirmed else " †"), box)
            asks.setWordWrap(True)
            asks.setMinimumWidth(220)
            shown = QLabel(answer.answer or NOT_RECORDED, box)
            shown.setWordWrap(True)
            shown.setEnabled(answer.answer is not None)
            copy = QPushButton("Copy", box)
            copy.setEnabled(answer.answer is not None)
            copy.setAccessibleName(f"Copy the answer to: {answer.asks}")
            text = answer.answer or ""
            copy.clicked.connect(lambda _c=False, t=text: self.copy(t))
            grid.addWidget(asks, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(shown, row, 1, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(copy, row, 2, Qt.AlignmentFlag.AlignTop)
        if section.title == ALSO_RECORDED:  # not a section of the portal: nothing to tick
            return box
        tick = QCheckBox("Done on the portal", box)
        tick.setChecked(done)
        tick.setEnabled(not done)  # a tick is an event of the referral: it stays
        tick.toggled.connect(lambda on, t=section.title: self.tick(t) if on else None)
        grid.addWidget(tick, len(section.answers), 0, 1, 3)
        self.ticks[section.title] = tick
        return box

    def copy(self, text: str) -> None:
        self.clipboard.copy_concealed(text, clear_after=CLEAR_AFTER_SECONDS)
        self.notice.setText(f"Copied. The clipboard is cleared in {CLEAR_AFTER_SECONDS} seconds.")

    def tick(self, title: str) -> None:
        referral_id = self.referral_id
        self.ticks[title].setEnabled(False)
        self.db.op(self, lambda s: la_routes.tick_section(s, referral_id, title)).failure(
            self._failed).run()

    def prepare(self) -> Any:
        if not self.submitted.isChecked():
            raise InputError("portal", "tick “I have submitted the referral on the LA's "
                             "portal” once it is submitted; nothing is marked sent before")
        referral_id, reference = self.referral_id, self.reference.text().strip()

        return lambda s: la_routes.confirm_sent(s, referral_id, "portal", reference=reference)
