"""Record a concern: who, what kind, when and where, what was seen or heard, the child's own
words, what was done; an optional body map and attachments (read from disk and stored with the
concern in the same operation). Half-typed work is kept as an encrypted draft."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.clock import Clock, SystemClock
from app.domain.attachments import record_concern_with_attachments
from app.domain.concerns import ConcernDraft
from app.domain.pupils import Child
from app.domain.records import BodyMark
from app.errors import InputError
from app.store.drafts import discard_draft, load_draft, save_draft
from ui.attachments_widget import FilePicker, read_files
from ui.body_map import BodyMapEditor
from ui.categories_widget import CategoryList
from ui.child_picker import ChildPicker
from ui.children_table import ROLE_LABELS as ROLE_LABELS  # re-exported: other screens use it
from ui.children_table import ChildrenTable
from ui.errors import FieldMessage, field_of, message_for
from ui.keys import save_key
from ui.ops import Db
from ui.qt_dates import python_date_time, qt_date_time
from ui.theme import heading, year_label
from ui.wording import QT_DATE_TIME

DRAFT_NAME = "record-concern"
def _text(label: str, rows: int, parent: QWidget) -> QPlainTextEdit:
    edit = QPlainTextEdit(parent)
    edit.setAccessibleName(label)
    edit.setTabChangesFocus(True)
    edit.setMinimumHeight(edit.fontMetrics().height() * rows + 12)
    edit.setMaximumHeight(edit.fontMetrics().height() * rows * 2 + 12)
    return edit


class RecordConcernPage(QWidget):
    recorded = Signal(str)

    def __init__(self, db: Db, *, clock: Clock | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.clock = db, clock or SystemClock()
        self._restoring = False
        body = QWidget(self)
        self.picker = ChildPicker(db, body)
        self.picker.chosen.connect(self._add_child)
        self.children_table = ChildrenTable(body)
        self.categories = CategoryList(body)
        self.categories.setMinimumHeight(self.fontMetrics().height() * 10)
        self.when = QDateTimeEdit(body)
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat(QT_DATE_TIME)
        self.when.setAccessibleName("When it happened")
        self.where = QLineEdit(body)
        self.where.setAccessibleName("Where it happened")
        self.where.setPlaceholderText("e.g. Playground, Year 5 classroom")
        self.what = _text("What you saw or heard", 6, body)
        self.what.setPlaceholderText("Facts: what you saw and heard, who was there. Not your "
                                     "opinion.")
        self.words = _text("The child's own words", 3, body)
        self.words.setPlaceholderText("Exactly as the child said them, in their words")
        self.action = _text("Action you took", 3, body)
        self.witnesses = QLineEdit(body)
        self.witnesses.setAccessibleName("Witnesses")
        self.body_map = BodyMapEditor(body)
        self.body_map.setMinimumHeight(self.fontMetrics().height() * 22)
        self.body_map.hide()
        self.body_map_button = QPushButton("Add a &body map…", body)
        self.body_map_button.setCheckable(True)
        self.body_map_button.toggled.connect(self._toggle_body_map)
        self.messages = {key: FieldMessage(body) for key in
                         ("child", "category", "occurred", "location", "text",
                          "child's words", "action taken", "witnesses", "body map")}

        left = QFormLayout()
        left.addRow(QLabel("<b>Which child or children?</b>", body))
        left.addRow(self.picker)
        left.addRow(self.messages["child"])
        left.addRow(self.children_table)
        left.addRow(QLabel("<b>What kind of concern?</b> (up to three)", body))
        left.addRow(self.categories)
        left.addRow(self.messages["category"])
        left.addRow("&When", self.when)
        left.addRow("", self.messages["occurred"])
        left.addRow("W&here", self.where)
        left.addRow("", self.messages["location"])
        right = QFormLayout()
        right.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        right.addRow("What yo&u saw or heard", self.what)
        right.addRow(self.messages["text"])
        right.addRow("The child's own w&ords", self.words)
        right.addRow(self.messages["child's words"])
        right.addRow("&Action you took", self.action)
        right.addRow(self.messages["action taken"])
        right.addRow("W&itnesses or others present", self.witnesses)
        right.addRow(self.messages["witnesses"])
        self.files = FilePicker(body)
        self.messages["attachment"] = self.files.message
        right.addRow(self.files)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addSpacing(16)
        columns.addLayout(right, 1)
        map_box = QGroupBox("Body map (optional)", body)
        map_layout = QVBoxLayout(map_box)
        map_layout.addWidget(QLabel("Mark where you saw an injury or mark; never ask the child "
                                    "to undress.", map_box))
        map_layout.addWidget(self.body_map_button)
        map_layout.addWidget(self.body_map)
        map_layout.addWidget(self.messages["body map"])
        layout = QVBoxLayout(body)
        layout.addWidget(heading("Record a concern", body))
        layout.addLayout(columns)
        layout.addWidget(map_box)
        layout.addStretch(1)

        scroll = QScrollArea(self)
        scroll.setAccessibleName("The concern form")
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        self.scroll_area = scroll
        self.save_button = QPushButton("&Save concern", self)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.submit)
        save_key(self.save_button, self, also=("Ctrl+Enter",), action=self.submit)
        clear = QPushButton("Start again", self)
        clear.clicked.connect(self.start_again)
        self.draft_note = QLabel(self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.draft_note, 1)
        buttons.addWidget(clear)
        buttons.addWidget(self.save_button)
        outer = QVBoxLayout(self)
        outer.addWidget(scroll, 1)
        outer.addLayout(buttons)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.submit,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(3000)
        self._autosave.timeout.connect(self.save_draft_now)
        for signal in (self.what.textChanged, self.words.textChanged, self.action.textChanged,
                       self.where.textChanged, self.witnesses.textChanged,
                       self.categories.changed, self.children_table.changed,
                       self.body_map.changed, self.when.dateTimeChanged):
            signal.connect(self._edited)
        answered = {"child": self.children_table.changed, "category": self.categories.changed,
                    "occurred": self.when.dateTimeChanged, "location": self.where.textChanged,
                    "text": self.what.textChanged, "child's words": self.words.textChanged,
                    "action taken": self.action.textChanged,
                    "witnesses": self.witnesses.textChanged, "body map": self.body_map.changed}
        for key, signal in answered.items():  # a problem goes once the field is answered
            signal.connect(lambda *_a, message=self.messages[key]: message.clear_message())
        self.reset_when()

    # -- form state ----------------------------------------------------------------------------
    def focus_first(self) -> None:
        self.picker.search.setFocus()

    def reset_when(self) -> None:
        now = self.clock.now().astimezone()
        self.when.setDateTime(qt_date_time(now.date(), now.time().replace(second=0,
                                                                          microsecond=0)))

    def occurred_at(self) -> datetime:
        return python_date_time(self.when.dateTime()).astimezone()

    def _add_child(self, child: Child) -> None:
        self.messages["child"].clear_message()
        self.children_table.add(child.id, f"{child.display_name} ({year_label(child.year_group)})")

    def _toggle_body_map(self, shown: bool) -> None:
        self.body_map.setVisible(shown)
        self.body_map_button.setText("Hide the &body map" if shown else "Add a &body map…")

    def _edited(self, *_: object) -> None:
        if not self._restoring:
            self._autosave.start()

    def is_empty(self) -> bool:
        return not (self.children_table.ids or self.categories.codes() or
                    self.what.toPlainText().strip() or self.words.toPlainText().strip() or
                    self.action.toPlainText().strip() or self.where.text().strip() or
                    self.witnesses.text().strip() or self.body_map.marks())

    def draft_body(self) -> dict[str, Any] | None:
        if self.is_empty():
            return None
        return {"children": [list(row) for row in self.children_table.chosen()],
                "categories": self.categories.codes(),
                "occurred": self.occurred_at().isoformat(), "location": self.where.text(),
                "text": self.what.toPlainText(), "child_words": self.words.toPlainText(),
                "action_taken": self.action.toPlainText(),
                "witnesses": self.witnesses.text(),
                "marks": [m.__dict__ for m in self.body_map.marks()]}

    def restore(self, body: dict[str, Any]) -> None:
        self._restoring = True
        try:
            self.children_table.clear_children()
            for child_id, name, role in body.get("children", []):
                self.children_table.add(child_id, name, role)
            self.categories.set_codes(body.get("categories", []))
            occurred = datetime.fromisoformat(body["occurred"]).astimezone()
            self.when.setDateTime(qt_date_time(occurred.date(), occurred.time()))
            self.where.setText(body.get("location", ""))
            self.what.setPlainText(body.get("text", ""))
            self.words.setPlainText(body.get("child_words", ""))
            self.action.setPlainText(body.get("action_taken", ""))
            self.witnesses.setText(body.get("witnesses", ""))
            marks = [BodyMark.from_json(m) for m in body.get("marks", [])]
            self.body_map.set_marks(marks)
            self.body_map_button.setChecked(bool(marks))
        finally:
            self._restoring = False

    def clear_form(self) -> None:
        self._restoring = True
        try:
            self.picker.drop_results()
            self.children_table.clear_children()
            self.categories.set_codes([])
            for edit in (self.what, self.words, self.action):
                edit.clear()
            self.where.clear()
            self.witnesses.clear()
            self.body_map.set_marks([])
            self.body_map_button.setChecked(False)
            self.files.clear_files()
            self.reset_when()
            for message in self.messages.values():
                message.clear_message()
        finally:
            self._restoring = False

    # -- drafts --------------------------------------------------------------------------------
    def load_saved_draft(self) -> None:
        def restored(body: dict[str, Any] | None) -> None:
            if body:
                self.restore(body)
                self.draft_note.setText("Your unfinished concern was restored.")

        self.db.op(self, lambda s: load_draft(s, DRAFT_NAME)).success(restored).run()

    def save_draft_now(self) -> None:
        body = self.draft_body()
        if body is None:
            self.db.op(self, lambda s: discard_draft(s, DRAFT_NAME)).run()
            return
        self.db.op(self, lambda s: save_draft(s, DRAFT_NAME, body)).success(
            lambda _r: self.draft_note.setText("Draft kept (encrypted).")).run()

    def start_again(self) -> None:
        self._autosave.stop()
        self.clear_form()
        self.draft_note.setText("")
        self.db.op(self, lambda s: discard_draft(s, DRAFT_NAME)).run()
        self.picker.search.setFocus()

    # -- saving --------------------------------------------------------------------------------
    def submit(self) -> None:
        for message in self.messages.values():
            message.clear_message()
        problems = []
        if not self.children_table.ids:
            problems.append(InputError("child", "choose at least one child"))
        if not self.what.toPlainText().strip():
            problems.append(InputError("text", "say what you saw or heard"))
        if not self.categories.codes():
            problems.append(InputError("category", "choose at least one category"))
        if problems:
            for problem in problems:
                self._say(problem)
            return
        draft = ConcernDraft(
            children=[(cid, role) for cid, _name, role in self.children_table.chosen()],
            categories=self.categories.codes(), text=self.what.toPlainText(),
            occurred_at=self.occurred_at(), location=self.where.text(),
            child_words=self.words.toPlainText(), action_taken=self.action.toPlainText(),
            witnesses=self.witnesses.text(), body_marks=tuple(self.body_map.marks()))
        self.save_button.setEnabled(False)
        self._autosave.stop()
        paths = self.files.paths()

        def save(session: Any) -> str:
            files = read_files(paths)  # here, off the GUI thread; a bad file saves nothing
            view = record_concern_with_attachments(session, draft, files)
            discard_draft(session, DRAFT_NAME)
            return view.id

        self.db.op(self, save).success(self._saved).failure(self._failed).run()

    def _say(self, error: BaseException) -> bool:
        field = (field_of(error) or "").lower()
        key = "body map" if field.startswith("body mark") else \
            {"child role": "child", "categories": "category"}.get(field, field)
        if key in self.messages:
            self.messages[key].say(message_for(error))
            widget = {"child": self.picker.search, "category": self.categories,
                      "occurred": self.when, "text": self.what}.get(key)
            if widget is not None:
                widget.setFocus()
            return True
        return False

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        if not self._say(error) and self.db.default_failure is not None:
            self.db.default_failure(error)

    def _saved(self, record_id: str) -> None:
        self._autosave.stop()
        self.db.op(self, lambda s: discard_draft(s, DRAFT_NAME)).run()  # typed while saving
        self.save_button.setEnabled(True)
        self.clear_form()
        self.draft_note.setText("Concern saved. The DSL team will see it now.")
        self.recorded.emit(record_id)
        self.db.changed.emit()
        self.picker.search.setFocus()
