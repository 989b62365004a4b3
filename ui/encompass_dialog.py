"""The DSL's "Police notification (Operation Encompass)…" form: the fields grouped as the
notification is read (how it came, the incident, the children, in school), a box to paste the
police email into that fills what its labelled lines say and marks each field it filled for the
DSL to check, and the siblings on roll to tick. One core call on Save; a correction is the same
form with a reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.clock import Clock, SystemClock
from app.domain.child_flags import linked_children
from app.domain.encompass import (
    CHILD_PRESENT,
    HOW_RECEIVED,
    Notification,
    NotificationView,
    add_notification,
    amend_notification,
)
from app.domain.encompass_paste import parse_email
from app.domain.pupils import Child, child_by_id
from app.profile.household import household_children
from app.uktime import london_to_utc
from ui.errors import FieldMessage, field_of, message_for
from ui.keys import save_key
from ui.ops import Db
from ui.qt_dates import python_date_time, qt_date_time
from ui.wording import QT_DATE_TIME

FILLED_MARK = "filled from the pasted email, check"
# A filled field is tinted as well as labelled, so the eye finds what to check.
_FILLED_STYLE = "background-color: #fff4c2;"


def _when(parent: QWidget, name: str, value: datetime) -> QDateTimeEdit:
    edit = QDateTimeEdit(parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(QT_DATE_TIME)
    _set_time(edit, value)
    edit.setAccessibleName(name)
    return edit


def _set_time(edit: QDateTimeEdit, moment: datetime) -> None:
    local = moment.astimezone()
    edit.setDateTime(qt_date_time(local.date(), local.time().replace(microsecond=0)))


def _text(parent: QWidget, name: str, rows: int) -> QPlainTextEdit:
    edit = QPlainTextEdit(parent)
    edit.setAccessibleName(name)
    edit.setTabChangesFocus(True)
    edit.setMinimumHeight(edit.fontMetrics().height() * rows + 12)
    return edit


def _line(parent: QWidget, name: str) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setAccessibleName(name)
    return edit


class EncompassDialog(QDialog):
    """``existing``: amend that notification (its children stay as they are)."""

    def __init__(self, db: Db, child_id: str, *, clock: Clock | None = None,
                 existing: NotificationView | None = None, parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.db = db
        self.child_id = child_id
        self.existing = existing
        self.setWindowTitle("Amend a police notification (the original is kept)" if existing
                            else "Police notification (Operation Encompass)")
        now = (clock or SystemClock()).now()
        self.filled: dict[str, QWidget] = {}
        self.marks: dict[str, QLabel] = {}

        # -- paste ---------------------------------------------------------------------------
        self.paste = _text(self, "Paste the police email", 4)
        self.paste.setPlaceholderText("Paste the text of the police email here, then Fill. "
                                      "Only clearly labelled lines (\"Police reference:\", "
                                      "\"Date of incident:\" …) are read.")
        self.fill_button = QPushButton("F&ill from the email", self)
        self.fill_button.clicked.connect(self.fill_from_paste)
        self.fill_note = QLabel(self)
        self.fill_note.setWordWrap(True)
        paste_box = QGroupBox("Paste the police email…", self)
        paste_layout = QVBoxLayout(paste_box)
        paste_layout.addWidget(self.paste)
        row = QHBoxLayout()
        row.addWidget(self.fill_button)
        row.addWidget(self.fill_note, 1)
        paste_layout.addLayout(row)

        # -- how it came ---------------------------------------------------------------------
        self.received_at = _when(self, "When it was received", now)
        self.received_how = QComboBox(self)
        self.received_how.setAccessibleName("How it came")
        self.received_how.addItem("Choose…", "")
        for code, words in HOW_RECEIVED.items():
            self.received_how.addItem(words, code)
        self.officer = _line(self, "Officer")
        self.force = _line(self, "Force")
        came = self._group("How it came", [
            ("Received", "received_at", self.received_at),
            ("How", "received_how", self.received_how),
            ("Officer", "officer", self.officer), ("Force", "force", self.force)])

        # -- the incident --------------------------------------------------------------------
        self.police_reference = _line(self, "Police reference")
        self.incident_at = _when(self, "When the incident happened", now)
        self.incident_place = _line(self, "Where the incident happened")
        self.circumstances = _text(self, "Circumstances", 3)
        incident = self._group("The incident", [
            ("Police reference", "police_reference", self.police_reference),
            ("Date and time", "incident_at", self.incident_at),
            ("Place", "incident_place", self.incident_place),
            ("Circumstances", "circumstances", self.circumstances)])

        # -- the children --------------------------------------------------------------------
        self.child_list = QListWidget(self)
        self.child_list.setAccessibleName("The children it concerns")
        self.child_list.setMinimumHeight(self.fontMetrics().height() * 6 + 10)
        self.child_present = QComboBox(self)
        self.child_present.setAccessibleName("Child present")
        for code, words in CHILD_PRESENT.items():
            self.child_present.addItem(words, code)
        self.child_present.setCurrentIndex(self.child_present.findData("not-known"))
        self.child_where = _line(self, "Where the child was")
        self.child_words = _text(self, "The child's words", 2)
        kids = self._group("The children", [
            ("Concerns", "", self.child_list),
            ("Child present", "child_present", self.child_present),
            ("Where", "child_where", self.child_where),
            ("Child's words", "child_words", self.child_words)])

        # -- in school -----------------------------------------------------------------------
        self.welfare_check = _text(self, "Welfare check made", 2)
        self.welfare_by = _line(self, "Welfare check by")
        self.welfare_at = _when(self, "When the welfare check was made", now)
        self.told = _text(self, "Who in school was told, and why (required)", 2)
        self.told.setPlaceholderText("Who was told and why (required), e.g. \"Class teacher, "
                                     "so she can check in with him this morning\"")
        school = self._group("In school", [
            ("Welfare check", "welfare_check", self.welfare_check),
            ("By", "welfare_by", self.welfare_by), ("When", "welfare_at", self.welfare_at),
            ("Who was told, why *", "told", self.told)])

        self.reason = _line(self, "Reason for the amendment")
        self.reason.setPlaceholderText("Why is this being corrected? (needed)")
        self.significant = QCheckBox("Si&gnificant (shows in the significant-events view)",
                                     self)
        self.significant.setChecked(True)
        self.message = FieldMessage(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save |
                                        QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        save_key(self.buttons.button(QDialogButtonBox.StandardButton.Save), self)

        columns = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        for widget in (paste_box, came, incident):
            left.addWidget(widget)
        for widget in (kids, school):
            right.addWidget(widget)
        right.addStretch(1)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(self)
        if existing is not None:
            reason_row = QFormLayout()
            reason_row.addRow("&Reason", self.reason)
            layout.addLayout(reason_row)
        else:
            self.reason.hide()
        layout.addLayout(columns, 1)
        layout.addWidget(self.significant)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(1040, 720)
        if existing is not None:
            self._show_existing(existing)
        else:
            self._load_children()

    def _group(self, title: str, rows: list[tuple[str, str, QWidget]]) -> QGroupBox:
        box = QGroupBox(title, self)
        form = QFormLayout(box)
        for label, name, widget in rows:
            if name:
                mark = QLabel(self)
                mark.setObjectName("filledMark")
                mark.hide()
                self.marks[name] = mark
                holder = QVBoxLayout()
                holder.setSpacing(0)
                holder.addWidget(widget)
                holder.addWidget(mark)
                form.addRow(label, holder)
                setattr(self, f"_{name}_widget", widget)
            else:
                form.addRow(label, widget)
        return box

    # -- the children --------------------------------------------------------------------------
    def _load_children(self) -> None:
        child_id = self.child_id

        def fetch(session: Any) -> tuple[Child, list[tuple[Child, str]]]:
            offered: dict[str, tuple[Child, str]] = {}
            for child in household_children(session, child_id):
                offered[child.id] = (child, "shares a home or contact")
            for link in linked_children(session, child_id):
                offered.setdefault(link.child.id, (link.child, "linked by earlier records"))
            return child_by_id(session, child_id), list(offered.values())

        self.db.op(self, fetch).success(self._show_children).run()

    def _show_children(self, result: tuple[Child, list[tuple[Child, str]]]) -> None:
        child, others = result
        self.child_list.clear()
        item = QListWidgetItem(f"{child.display_name} ({child.year_group}) — this child")
        item.setData(Qt.ItemDataRole.UserRole, (child.id, "subject"))
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)  # always included: it is their page
        item.setCheckState(Qt.CheckState.Checked)
        self.child_list.addItem(item)
        for other, why in others:
            item = QListWidgetItem(f"{other.display_name} ({other.year_group}) — sibling, {why}")
            item.setData(Qt.ItemDataRole.UserRole, (other.id, "sibling"))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.child_list.addItem(item)
        if not others:
            none = QListWidgetItem("No siblings on roll found (shared home, contact or records)")
            none.setFlags(Qt.ItemFlag.NoItemFlags)
            self.child_list.addItem(none)

    def chosen_children(self) -> list[tuple[str, str]]:
        chosen = []
        for row in range(self.child_list.count()):
            item = self.child_list.item(row)
            data = item.data(Qt.ItemDataRole.UserRole)
            if data and item.checkState() == Qt.CheckState.Checked:
                chosen.append((data[0], data[1]))
        return chosen

    # -- paste to fill -------------------------------------------------------------------------
    def fill_from_paste(self) -> None:
        """Fills what the email's labelled lines say, marks each filled field, and leaves the
        rest as it was; nothing is saved until the DSL presses Save."""
        pasted = parse_email(self.paste.toPlainText())
        values = dict(pasted.values)
        filled: list[str] = []

        def mark(name: str, label: str) -> None:
            widget = getattr(self, f"_{name}_widget")
            widget.setStyleSheet(_FILLED_STYLE)
            self.marks[name].setText(f"↑ {FILLED_MARK} (from “{label}”)")
            self.marks[name].show()
            self.filled[name] = widget
            filled.append(name)

        for name in ("police_reference", "incident_place", "officer", "force", "child_where"):
            if name in values:
                getattr(self, name).setText(values[name])
                mark(name, pasted.labels[name])
        for name in ("circumstances", "child_words"):
            if name in values:
                getattr(self, name).setPlainText(values[name])
                mark(name, pasted.labels[name])
        if "child_present" in values:
            self.child_present.setCurrentIndex(self.child_present.findData(
                values["child_present"]))
            mark("child_present", pasted.labels["child_present"])
        if "incident_date" in values and "incident_time" in values:
            day = datetime.fromisoformat(values["incident_date"]).date()
            hour, minute = (int(p) for p in values["incident_time"].split(":"))
            _set_time(self.incident_at, london_to_utc(day, hour * 60 + minute))
            mark("incident_at", pasted.labels["incident_date"])
        if filled:
            self.fill_note.setText(f"Filled {len(filled)} field{'s' * (len(filled) != 1)} "
                                   "from the email, marked below: check each before saving.")
        else:
            self.fill_note.setText("Nothing filled: the email has no clearly labelled lines "
                                   "this can read. Type the fields in.")

    # -- amending ------------------------------------------------------------------------------
    def _show_existing(self, view: NotificationView) -> None:
        n = view.notification
        for edit, moment in ((self.received_at, n.received_at),
                             (self.incident_at, n.incident_at), (self.welfare_at, n.welfare_at)):
            if moment is not None:
                _set_time(edit, moment)
        self.received_how.setCurrentIndex(max(0, self.received_how.findData(n.received_how)))
        self.child_present.setCurrentIndex(self.child_present.findData(n.child_present))
        for name in ("officer", "force", "police_reference", "incident_place", "child_where",
                     "welfare_by"):
            getattr(self, name).setText(getattr(n, name))
        for name in ("circumstances", "child_words", "welfare_check", "told"):
            getattr(self, name).setPlainText(getattr(n, name))
        self.significant.setChecked(view.version.fields.significant)
        self.child_list.clear()
        for child, role in view.children:
            item = QListWidgetItem(f"{child.display_name} ({child.year_group}) — {role}")
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.child_list.addItem(item)

    # -- saving --------------------------------------------------------------------------------
    def notification(self) -> Notification:
        welfare = self.welfare_check.toPlainText().strip()
        return Notification(
            received_at=python_date_time(self.received_at.dateTime()).astimezone(),
            received_how=self.received_how.currentData() or "",
            incident_at=python_date_time(self.incident_at.dateTime()).astimezone(),
            told=self.told.toPlainText(), officer=self.officer.text(),
            force=self.force.text(), police_reference=self.police_reference.text(),
            incident_place=self.incident_place.text(),
            child_present=self.child_present.currentData(),
            child_where=self.child_where.text(), child_words=self.child_words.toPlainText(),
            circumstances=self.circumstances.toPlainText(), welfare_check=welfare,
            welfare_by=self.welfare_by.text(),
            welfare_at=python_date_time(self.welfare_at.dateTime()).astimezone()
            if welfare else None)

    def submit(self) -> None:
        self.message.clear_message()
        notification = self.notification()
        significant = self.significant.isChecked()
        if self.existing is not None:
            record_id, reason = self.existing.record_id, self.reason.text()

            def call(s: Any) -> Any:
                return amend_notification(s, record_id, reason, notification,
                                          significant=significant)
        else:
            children = self.chosen_children()

            def call(s: Any) -> Any:
                return add_notification(s, children, notification, significant=significant)
        self.buttons.setEnabled(False)
        self.db.op(self, call).success(lambda _r: self.accept()).failure(self._failed).run()

    def _failed(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.message.say(message_for(error))
        widget = getattr(self, f"_{field_of(error)}_widget", None)
        if widget is not None:
            widget.setFocus()

