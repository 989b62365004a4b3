"""Answering a subject access request from a child's page (DSL; docs/sar.md): choose who is
asking and the dates, review each entry with its redactions highlighted, redact a selection,
keep an automatic match, withhold an entry with a reason, and make the response PDF."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.clock import Clock
from app.profile.profiles import profile
from app.sar.drafts import (
    draft_sar,
    drafts_for,
    include,
    keep_in_text,
    load_draft,
    redact_span,
    withhold,
)
from app.sar.model import AUTO, OTHER, THIRD_PARTY, SarDraft, SarEntry
from app.sar.respond import produce_response
from ui.errors import FieldMessage, message_for
from ui.note_dialog import NoteDialog
from ui.ops import Db
from ui.qt_dates import python_date
from ui.wording import QT_DATE

HIGHLIGHT = QColor("#ffe08a")  # a redaction, with the text's own (dark) colour on it
KEPT = QColor("#d7ecd9")  # an automatic match the DSL kept in the text


def sar_button(page: Any) -> QPushButton:
    """The child page's button: opens the dialog for the page's child."""
    button = QPushButton("S&ubject access request…", page)
    button.setObjectName("sarButton")
    button.setToolTip("Answer a request for this child's records: drafted with other "
                      "people's names redacted, reviewed by you, produced as a PDF")

    def open_dialog() -> None:
        if page.child is not None:
            SarDialog(page.db, page.child.id, page.child.display_name, clock=page.clock,
                      parent=page).open()

    button.clicked.connect(open_dialog)
    return button


def _py_offset(text: str, utf16: int) -> int:
    """A position in a Qt document (UTF-16 units) as an index into the Python string."""
    return len(text.encode("utf-16-le")[:2 * utf16].decode("utf-16-le", errors="ignore"))


def _qt_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


class SarDialog(QDialog):
    def __init__(self, db: Db, child_id: str, child_name: str, *, clock: Clock,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Subject access request — {child_name}")
        self.db, self.child_id = db, child_id
        self.draft: SarDraft | None = None
        self.written: Path | None = None
        self._spans: list[tuple[int, int, int]] = []  # (segment, start, end) in the document

        self.requester = QComboBox(self)
        self.requester.setAccessibleName("Who is asking")
        self.requester.addItem(f"{child_name} (the child)", "child")
        today = clock.now().date()
        start = today - timedelta(days=365)
        self.since, self.until = QDateEdit(self), QDateEdit(self)
        for edit, name, day in ((self.since, "From date", start), (self.until, "To date", today)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat(QT_DATE)
            edit.setAccessibleName(name)
            edit.setDate(QDate(day.year, day.month, day.day))
        self.draft_button = QPushButton("&Draft", self)
        self.draft_button.clicked.connect(self.start_draft)
        self.state = QLabel("Choose who is asking and the dates, then Draft.", self)
        self.state.setWordWrap(True)
        self.message = FieldMessage(self)

        self.entries = QListWidget(self)
        self.entries.setAccessibleName("Entries")
        self.entries.currentRowChanged.connect(lambda _r: self._show_entry())
        self.text = QTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse |
                                          Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.text.setAccessibleName("The entry as recorded, redactions highlighted")
        self.shown = QTextBrowser(self)
        self.shown.setAccessibleName("The entry as the response shows it")
        self.redactions = QListWidget(self)
        self.redactions.setAccessibleName("Redactions in this entry")
        self.harm = QCheckBox("Risk of &serious harm (shows “[redacted]”)", self)
        self.redact_button = QPushButton("&Redact selection…", self)
        self.redact_button.clicked.connect(self.redact_selection)
        self.keep_button = QPushButton("&Keep in text…", self)
        self.keep_button.clicked.connect(self.keep_selected)
        self.withhold_button = QPushButton("&Withhold entry…", self)
        self.withhold_button.clicked.connect(self.toggle_withheld)
        self.pdf_button = QPushButton("Make the response &PDF…", self)
        self.pdf_button.clicked.connect(self.ask_for_pdf)
        close = QPushButton("Close", self)
        close.clicked.connect(self.reject)

        top = QHBoxLayout()
        for label, widget in (("Who is &asking", self.requester), ("&From", self.since),
                              ("&To", self.until)):
            buddy = QLabel(label, self)
            buddy.setBuddy(widget)
            top.addWidget(buddy)
            top.addWidget(widget)
        top.addWidget(self.draft_button)
        top.addStretch(1)
        right = QWidget(self)
        review = QVBoxLayout(right)
        review.setContentsMargins(0, 0, 0, 0)
        review.addWidget(QLabel("As recorded (select words, then Redact selection):", self))
        review.addWidget(self.text, 3)
        review.addWidget(QLabel("As the response will show it:", self))
        review.addWidget(self.shown, 2)
        review.addWidget(QLabel("Redactions and why:", self))
        review.addWidget(self.redactions, 2)
        buttons = QHBoxLayout()
        buttons.addWidget(self.harm)
        for button in (self.redact_button, self.keep_button, self.withhold_button):
            buttons.addWidget(button)
        review.addLayout(buttons)
        splitter = QSplitter(self)
        splitter.addWidget(self.entries)
        splitter.addWidget(right)
        splitter.setSizes([260, 640])
        bottom = QHBoxLayout()
        bottom.addWidget(self.state, 1)
        bottom.addWidget(self.pdf_button)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)
        self.resize(980, 700)
        self._enable()
        self.db.op(self, lambda s: (profile(s, child_id), drafts_for(s, child_id))) \
            .success(self._loaded).failure(self._failed).run()

    # -- loading -------------------------------------------------------------------------------
    def _loaded(self, result: tuple[Any, list[SarDraft]]) -> None:
        known, drafts = result
        for _, contact in known.contacts:
            words = f"{contact.name} ({contact.relationship or 'contact'})"
            if contact.do_not_contact:
                words += " — DO NOT CONTACT"
            self.requester.addItem(words, contact.name)
        open_drafts = [d for d in drafts if d.produced_at is None]
        if open_drafts:
            self._show_draft(open_drafts[0])
            self.state.setText(f"Resumed the draft for {open_drafts[0].requester.text} "
                               f"({open_drafts[0].since} to {open_drafts[0].until}).")

    def _failed(self, error: BaseException) -> None:
        self.message.say(message_for(error))
        self._enable()

    def _run(self, fn: Any) -> None:
        self.message.clear_message()
        self.db.op(self, fn).success(self._show_draft).failure(self._failed).run()

    def start_draft(self) -> None:
        who = str(self.requester.currentData())
        since, until = python_date(self.since.date()), python_date(self.until.date())
        child_id = self.child_id
        self._run(lambda s: draft_sar(s, child_id, who, since, until))

    def _show_draft(self, draft: SarDraft) -> None:
        row = max(self.entries.currentRow(), 0)
        self.draft = draft
        self.entries.blockSignals(True)
        self.entries.clear()
        for e in draft.entries:
            flag = "  — WITHHELD" if e.withheld else ""
            count = sum(1 for r in e.redactions if r.active)
            item = QListWidgetItem(f"{e.number}. {e.occurred_at[:10]} {e.kind}"
                                   + (f" · {count} redacted" if count else "") + flag)
            self.entries.addItem(item)
        self.entries.blockSignals(False)
        caution = f" CAUTION: the requester is {draft.requester.caution}." \
            if draft.requester.caution else ""
        done = (f" The response was produced ({self.written or 'the PDF'}); its log of what "
                "was withheld and why is in the child's chronology." if draft.produced_at
                else "")
        self.state.setText(f"Draft for {draft.requester.text}, {draft.since} to "
                           f"{draft.until}: {len(draft.entries)} entries.{caution}{done}")
        if draft.entries:
            self.entries.setCurrentRow(min(row, len(draft.entries) - 1))
        self._show_entry()

    def current_entry(self) -> SarEntry | None:
        row = self.entries.currentRow()
        if self.draft is None or not 0 <= row < len(self.draft.entries):
            return None
        return self.draft.entries[row]

    def _show_entry(self) -> None:
        entry = self.current_entry()
        self.text.clear()
        self.shown.clear()
        self.redactions.clear()
        self._spans = []
        self._enable()
        if entry is None:
            return
        document, shown = "", []
        for i, segment in enumerate(entry.segments):
            document += f"{segment.label}:\n"
            self._spans.append((i, len(document), len(document) + len(segment.text)))
            document += segment.text + "\n\n"
            shown.append(f"{segment.label}:\n{entry.redacted(i)}")
        self.text.setPlainText(document)
        selections = []
        for r in entry.redactions:
            base = self._spans[r.segment][1]
            cursor = QTextCursor(self.text.document())
            cursor.setPosition(_qt_offset(document, base + r.start))
            cursor.setPosition(_qt_offset(document, base + r.end),
                               QTextCursor.MoveMode.KeepAnchor)
            fmt = QTextCharFormat()
            fmt.setBackground(KEPT if r.lifted else HIGHLIGHT)
            selection = QTextEdit.ExtraSelection()
            selection.cursor, selection.format = cursor, fmt
            selections.append(selection)
            words = entry.segments[r.segment].text[r.start:r.end]
            why = r.reason + (f" ({'; '.join(r.who)})" if r.who else "")
            state = f" — kept in the text: {r.lifted}" if r.lifted else ""
            item = QListWidgetItem(f"“{words}”: {why}{state}")
            item.setData(Qt.ItemDataRole.UserRole, r.by == AUTO and r.active)
            self.redactions.addItem(item)
        self.text.setExtraSelections(selections)
        self.shown.setPlainText("WITHHELD: " + entry.withheld if entry.withheld
                                else "\n\n".join(shown))
        self.withhold_button.setText("&Include entry" if entry.withheld else "&Withhold entry…")

    def _enable(self) -> None:
        open_draft = self.draft is not None and self.draft.produced_at is None
        has_entry = open_draft and self.current_entry() is not None
        for button in (self.redact_button, self.keep_button, self.withhold_button):
            button.setEnabled(has_entry)
        self.pdf_button.setEnabled(self.draft is not None)

    # -- the DSL's review ----------------------------------------------------------------------
    def selected_span(self) -> tuple[int, int, int] | None:
        """(segment, start, end) of the selection, within one field's text."""
        cursor = self.text.textCursor()
        document = self.text.toPlainText()
        start = _py_offset(document, cursor.selectionStart())
        end = _py_offset(document, cursor.selectionEnd())
        for segment, begin, finish in self._spans:
            if begin <= start < end <= finish:
                return segment, start - begin, end - begin
        return None

    def _ask(self, title: str, prompt: str, action: Any) -> None:
        dialog = NoteDialog(self.db, title, prompt, action, parent=self)
        dialog.accepted.connect(self._reload)
        dialog.open()

    def _reload(self) -> None:
        draft_id = self.draft.id if self.draft else None
        if draft_id is not None:
            self._run(lambda s: load_draft(s, draft_id, audit=False))

    def redact_selection(self) -> None:
        entry, span = self.current_entry(), self.selected_span()
        if self.draft is None or entry is None:
            return
        if span is None:
            self.message.say("Select the words to redact, within one field of the entry.")
            return
        draft_id, number = self.draft.id, entry.number
        segment, start, end = span
        ground = OTHER if self.harm.isChecked() else THIRD_PARTY
        self._ask("Redact", "Why is this redacted? (kept in the log, not shown to the "
                  "requester)", lambda s, reason: redact_span(
                      s, draft_id, number, start, end, reason, segment=segment, ground=ground))

    def keep_selected(self) -> None:
        entry, row = self.current_entry(), self.redactions.currentRow()
        if self.draft is None or entry is None:
            return
        item = self.redactions.item(row) if row >= 0 else None
        if item is None or not item.data(Qt.ItemDataRole.UserRole):
            self.message.say("Choose an automatic redaction in the list to keep it in the "
                             "text.")
            return
        draft_id, number = self.draft.id, entry.number
        self._ask("Keep in the text", "Why may the requester see this?",
                  lambda s, reason: keep_in_text(s, draft_id, number, row + 1, reason))

    def toggle_withheld(self) -> None:
        entry = self.current_entry()
        if self.draft is None or entry is None:
            return
        draft_id, number = self.draft.id, entry.number
        if entry.withheld:
            self._run(lambda s: include(s, draft_id, number))
        else:
            self._ask("Withhold entry", "Why is this entry withheld? (kept in the log)",
                      lambda s, reason: withhold(s, draft_id, number, reason))

    def ask_for_pdf(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the response",
                                              "subject-access-response.pdf", "PDF (*.pdf)")
        if path:
            self.make_pdf(Path(path))

    def make_pdf(self, path: Path) -> None:
        if self.draft is None:
            return
        draft_id = self.draft.id
        self.message.clear_message()
        self.db.op(self, lambda s: produce_response(s, draft_id, path)) \
            .success(lambda _p: self._produced(path)).failure(self._failed).run()

    def _produced(self, path: Path) -> None:
        self.written = path
        self._reload()
