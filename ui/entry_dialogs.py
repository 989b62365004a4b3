"""Adding a chronology entry, and amending a concern or entry with a reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.clock import Clock, SystemClock
from app.domain.chronology import add_entry, amend_entry
from app.domain.concerns import amend_concern
from app.domain.records import ENTRY_KINDS, Version
from ui.categories_widget import CategoryList
from ui.chronology_model import KIND_WORDS
from ui.errors import FieldMessage, message_for
from ui.keys import save_key
from ui.ops import Db
from ui.qt_dates import python_date_time, qt_date_time
from ui.wording import QT_DATE_TIME


def _when(parent: QWidget, value: datetime) -> QDateTimeEdit:
    edit = QDateTimeEdit(parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(QT_DATE_TIME)
    local = value.astimezone()
    edit.setDateTime(qt_date_time(local.date(), local.time().replace(microsecond=0)))
    edit.setAccessibleName("When it happened")
    return edit


def _text(parent: QWidget, name: str, value: str | None = None, rows: int = 4) -> QPlainTextEdit:
    edit = QPlainTextEdit(value or "", parent)
    edit.setAccessibleName(name)
    edit.setTabChangesFocus(True)
    edit.setMinimumHeight(edit.fontMetrics().height() * rows + 12)
    return edit


class CoreDialog(QDialog):
    """Runs one core call on OK; bad input is shown inline and nothing typed is lost."""

    def __init__(self, db: Db, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.db = db
        self.form = QFormLayout()
        self.message = FieldMessage(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save |
                                        QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.submit)
        save_key(self.buttons.button(QDialogButtonBox.StandardButton.Save), self)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def call(self, session: Any) -> Any:
        raise NotImplementedError

    def submit(self) -> None:
        self.message.clear_message()
        self.buttons.setEnabled(False)
        try:
            fn = self.prepare()
        except Exception as error:  # e.g. a value the form could not read
            self._failed(error)
            return
        self.db.op(self, fn).success(lambda _r: self.accept()).failure(self._failed).run()

    def prepare(self) -> Any:
        raise NotImplementedError

    def _failed(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.message.say(message_for(error))


class AddEntryDialog(CoreDialog):
    def __init__(self, db: Db, child_id: str, *, clock: Clock | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(db, "Add a chronology entry", parent)
        self.child_id = child_id
        self.kind = QComboBox(self)
        self.kind.setAccessibleName("Kind of entry")
        for kind in ENTRY_KINDS:
            if kind != "concern":
                self.kind.addItem(KIND_WORDS[kind], kind)
        self.when = _when(self, (clock or SystemClock()).now())
        self.summary = _text(self, "What happened", rows=6)
        self.significant = QCheckBox("Si&gnificant (shows in the significant-events view)", self)
        self.form.addRow("&Kind", self.kind)
        self.form.addRow("&When", self.when)
        self.form.addRow("W&hat happened", self.summary)
        self.form.addRow("", self.significant)
        self.resize(560, 380)

    def prepare(self) -> Any:
        child_id, kind = self.child_id, self.kind.currentData()
        text, significant = self.summary.toPlainText(), self.significant.isChecked()
        when = python_date_time(self.when.dateTime()).astimezone()
        return lambda s: add_entry(s, [child_id], kind, text, when, significant=significant)


class AmendDialog(CoreDialog):
    """A correction as a new version: the original stays, with this reason beside it."""

    def __init__(self, db: Db, latest: Version, parent: QWidget | None = None) -> None:
        super().__init__(db, "Amend (the original is kept)", parent)
        self.latest = latest
        fields = latest.fields
        self.is_concern = fields.entry_kind == "concern"
        self.reason = QLineEdit(self)
        self.reason.setAccessibleName("Reason for the amendment")
        self.reason.setPlaceholderText("Why is this being corrected? (needed)")
        self.when = _when(self, fields.occurred_at)
        self.summary = _text(self, "Text", fields.summary, rows=5)
        self.significant = QCheckBox("Si&gnificant", self)
        self.significant.setChecked(fields.significant)
        self.form.addRow("&Reason", self.reason)
        self.form.addRow("&When", self.when)
        self.form.addRow("&Text", self.summary)
        if self.is_concern:
            self.words = _text(self, "The child's own words", fields.child_words, rows=2)
            self.action = _text(self, "Action taken", fields.action_taken, rows=2)
            self.location = QLineEdit(fields.location or "", self)
            self.location.setAccessibleName("Where")
            self.categories = CategoryList(self)
            self.categories.set_codes(list(fields.categories))
            self.categories.setMinimumHeight(self.fontMetrics().height() * 7)
            self.form.addRow("Child's w&ords", self.words)
            self.form.addRow("&Action taken", self.action)
            self.form.addRow("W&here", self.location)
            self.form.addRow("Categor&ies", self.categories)
        self.form.addRow("", self.significant)
        self.resize(640, 640 if self.is_concern else 380)

    def prepare(self) -> Any:
        old = self.latest.fields
        record_id, reason = self.latest.record_id, self.reason.text()
        when = python_date_time(self.when.dateTime()).astimezone()
        changes: dict[str, Any] = {}
        if abs((when - old.occurred_at).total_seconds()) >= 60:
            changes["occurred_at"] = when
        if self.summary.toPlainText().strip() != old.summary:
            changes["text" if self.is_concern else "summary"] = self.summary.toPlainText()
        if self.significant.isChecked() != old.significant:
            changes["significant"] = self.significant.isChecked()
        if not self.is_concern:
            return lambda s: amend_entry(s, record_id, reason, **changes)
        for name, value, before in (
                ("child_words", self.words.toPlainText().strip(), old.child_words or ""),
                ("action_taken", self.action.toPlainText().strip(), old.action_taken or ""),
                ("location", self.location.text().strip(), old.location or "")):
            if value != before:
                changes[name] = value
        if tuple(self.categories.codes()) != tuple(old.categories):
            changes["categories"] = self.categories.codes()
        return lambda s: amend_concern(s, record_id, reason, **changes)
