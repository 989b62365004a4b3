"""Further information to a concern: what a member of staff learnt after recording it, sent
to the DSL team as a new concern linked to the first (which is never edited)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QWidget

from app.clock import Clock, SystemClock
from app.domain.concerns import ConcernView, add_further_information
from ui.entry_dialogs import CoreDialog, _text, _when
from ui.ops import Db
from ui.qt_dates import python_date_time
from ui.table_model import local_time


def concern_title(view: ConcernView) -> str:
    """"the concern of 02 Dec 2026 about Zosia Wiśniewska" (what a teacher would call it)."""
    names = ", ".join(child.display_name for child, _role in view.children)
    return f"the concern of {local_time(view.recorded_at, with_time=False)} about {names}"


class FurtherInformationDialog(CoreDialog):
    def __init__(self, db: Db, concern: ConcernView, *, clock: Clock | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(db, "Add further information", parent)
        self.concern_id = concern.id
        about = QLabel(f"To {concern_title(concern)}. The concern you recorded stays as it "
                       "is; this goes to the DSL team as new, linked to it.", self)
        about.setWordWrap(True)
        self.text = _text(self, "What you have learnt since", rows=6)
        self.words = _text(self, "The child's own words", rows=2)
        self.when = _when(self, (clock or SystemClock()).now())
        self.form.addRow(about)
        self.form.addRow("&What you have learnt", self.text)
        self.form.addRow("The child's own w&ords", self.words)
        self.form.addRow("W&hen it happened", self.when)
        self.resize(600, 420)

    def prepare(self) -> Any:
        concern_id, text, words = self.concern_id, self.text.toPlainText(), \
            self.words.toPlainText()
        when = python_date_time(self.when.dateTime()).astimezone()
        return lambda s: add_further_information(s, concern_id, text, child_words=words,
                                                 occurred_at=when)
