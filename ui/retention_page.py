"""The retention review (docs/retention.md): the children's files due for review, and the
DSL's decision on each — destroy, extend to a date with a reason, hold with a reason, release
a hold. The core decides and audits; this page asks and shows."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain import retention
from app.domain.destruction import Destruction, destroy
from app.wording import date_text, ordinal, plural
from ui.entry_dialogs import CoreDialog
from ui.errors import FieldMessage, message_for
from ui.ops import Db
from ui.qt_dates import python_date
from ui.table_model import Column, RowsModel, rows_table
from ui.theme import heading, muted
from ui.wording import QT_DATE

_DECISIONS = {"extend": ("Keep the file longer", "Why is it kept? (kept with the decision)"),
              "hold": ("Put a hold on the file", "Why must it not be destroyed?"),
              "release": ("Release the hold", "Why does the hold end?")}


class DecisionDialog(CoreDialog):
    """Extend (to a date), hold or release, each with the reason the DSL gives."""

    def __init__(self, db: Db, review: retention.FileReview, decision: str,
                 parent: QWidget | None = None) -> None:
        title, prompt = _DECISIONS[decision]
        super().__init__(db, title, parent)
        self.child_id, self.decision = review.child.id, decision
        self.form.addRow(QLabel(f"{review.child.legal_name}, born "
                                f"{date_text(review.child.date_of_birth)}", self))
        self.until = QDateEdit(self)
        if decision == "extend":
            later = review.review_on.replace(year=review.review_on.year + 1)
            self.until.setCalendarPopup(True)
            self.until.setDisplayFormat(QT_DATE)
            self.until.setDate(QDate(later.year, later.month, later.day))
            self.until.setAccessibleName("Keep until")
            self.form.addRow("Keep &until", self.until)
        else:
            self.until.hide()  # only an extension has a date
        self.reason = QPlainTextEdit(self)
        self.reason.setAccessibleName(prompt)
        self.reason.setTabChangesFocus(True)
        self.reason.setMinimumHeight(self.reason.fontMetrics().height() * 4 + 12)
        self.form.addRow(prompt, self.reason)
        self.resize(520, 260)

    def prepare(self) -> Any:
        child_id, reason = self.child_id, self.reason.toPlainText()
        if self.decision == "extend":
            until = python_date(self.until.date())
            return lambda s: retention.extend(s, child_id, until, reason)
        step = retention.hold if self.decision == "hold" else retention.release
        return lambda s: step(s, child_id, reason)


class RetentionPage(QWidget):
    def __init__(self, db: Db, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.model = RowsModel([
            Column("Child", lambda r: r.child.legal_name),
            Column("UPN", lambda r: r.child.upn),
            Column("Born", lambda r: date_text(r.child.date_of_birth)),
            Column("Review on", lambda r: date_text(r.review_on)),
            Column("Period", lambda r: f"{r.years} years ({r.basis})"),
            Column("State", lambda r: r.state.capitalize()),
            Column("Reason", lambda r: (r.reason or "") if r.held or r.extended else ""),
        ], self)
        self.table = rows_table(self.model, "Children's files for retention review", self,
                                fit="contents", stretch_last=True, alternating=True)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._enable())
        self.show_all = QCheckBox("Show &every file, not only those due", self)
        self.show_all.toggled.connect(lambda _on: self.refresh())
        self.policy = muted("", self)
        self.policy.setWordWrap(True)
        self.count = QLabel(self)
        self.message = FieldMessage(self)
        self.destroy_button = QPushButton("&Destroy…", self)
        self.destroy_button.clicked.connect(self._destroy)
        self.buttons = {"extend": QPushButton("E&xtend…", self),
                        "hold": QPushButton("&Hold…", self),
                        "release": QPushButton("Re&lease hold…", self)}
        for decision, button in self.buttons.items():
            button.clicked.connect(lambda _c=False, d=decision: self._decide(d))
        refresh = QPushButton("&Refresh", self)
        refresh.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(heading("Retention review", self))
        top.addStretch(1)
        top.addWidget(refresh)
        actions = QHBoxLayout()
        actions.addWidget(self.destroy_button)
        for button in self.buttons.values():
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.show_all)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.policy)
        layout.addWidget(self.count)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(actions)
        self._enable()

    def refresh(self) -> None:
        due_only = not self.show_all.isChecked()

        def load(session: Any) -> tuple[retention.Policy, list[retention.FileReview]]:
            return retention.policy(session), retention.files(session, due_only=due_only)

        self.db.op(self, load).success(self._show).failure(
            lambda e: self.message.say(message_for(e))).run()

    def _show(self, result: tuple[retention.Policy, list[retention.FileReview]]) -> None:
        pol, reviews = result
        self.policy.setText(
            f"A child's file is reviewed at their {ordinal(pol.years)} birthday; with SEN at "
            f"their {ordinal(pol.sen_years)}; if they are or were looked after, at their "
            f"{ordinal(pol.looked_after_years)} (the admin sets these). Nothing is destroyed "
            "unless you choose it here.")
        what = "file" if self.show_all.isChecked() else "file due for review"
        self.count.setText(plural(len(reviews), what, what.replace("file", "files", 1)) + ".")
        self.model.set_rows(reviews)
        self._enable()

    def _selected(self) -> retention.FileReview | None:
        return self.model.row(self.table.currentIndex())

    def _enable(self) -> None:
        review = self._selected()
        self.destroy_button.setEnabled(review is not None and review.due)
        self.buttons["extend"].setEnabled(review is not None and not review.held)
        self.buttons["hold"].setEnabled(review is not None and not review.held)
        self.buttons["release"].setEnabled(review is not None and review.held)

    def _decide(self, decision: str) -> None:
        review = self._selected()
        if review is None:
            return
        dialog = DecisionDialog(self.db, review, decision, self)
        name = review.child.legal_name
        dialog.accepted.connect(lambda: self._decided(f"{_DECISIONS[decision][0]}: saved for "
                                                      f"{name}."))
        dialog.open()  # not exec(): no nested event loop

    def _decided(self, text: str) -> None:
        self.db.notify(text)
        self.refresh()

    def confirm_destroy(self, review: retention.FileReview) -> bool:
        """The final question (a test pre-answers it by replacing this method)."""
        answer = QMessageBox.warning(
            self, "Destroy this file?",
            f"Destroy {review.child.legal_name}'s safeguarding file (born "
            f"{date_text(review.child.date_of_birth)}, review due "
            f"{date_text(review.review_on)})?\n\nEvery concern, entry, referral, attachment, "
            "flag and profile detail about this child is deleted from this PC and every DSL "
            "PC of the school. It cannot be undone. The audit trail keeps who, when and how "
            "many, not what.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def _destroy(self) -> None:
        review = self._selected()
        if review is None or not self.confirm_destroy(review):
            return
        child_id = review.child.id
        self.db.op(self, lambda s: destroy(s, child_id, confirm=True)).success(
            self._destroyed).failure(lambda e: self.message.say(message_for(e))).run()

    def _destroyed(self, done: Destruction) -> None:
        rows = sum(done.counts.values())
        note = (" Not yet finished: " + " ".join(done.problems)) if done.problems else ""
        self.db.notify(f"The file was destroyed ({plural(rows, 'row')}).{note}")
        self.refresh()
