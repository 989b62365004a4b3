"""Search, for the DSL team: every record in the school, not one child's. Each result is a row
(child, date, kind, the matched words); Enter or a double-click opens that child's page at
that entry. The search runs on the DB thread, like everything that reads the store."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.school_search import SchoolSearch, SearchRow, school_search
from ui.chronology_model import KIND_WORDS
from ui.errors import FieldMessage, message_for
from ui.ops import Db
from ui.table_model import Column, RowsModel, local_time, rows_table
from ui.theme import heading, muted


def kind_words(row: SearchRow) -> str:
    if row.further_information:
        return "Further information"
    return KIND_WORDS.get(row.kind, row.kind)


class SearchPage(QWidget):
    open_hit = Signal(str, str)  # child id, record id

    def __init__(self, db: Db, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.box = QLineEdit(self)
        self.box.setAccessibleName("Search every child's records")
        self.box.setPlaceholderText("Words to find, e.g. bruise arm…")
        self.box.setClearButtonEnabled(True)
        self.box.returnPressed.connect(self.search)
        find = QPushButton("&Search", self)
        find.clicked.connect(self.search)
        self.message = FieldMessage(self)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.newest = muted("Newest only: these words match very many records, so the best "
                            "matches among the newest are shown. Add words to narrow it.", self)
        self.newest.setObjectName("newestOnly")
        self.newest.setWordWrap(True)
        self.newest.hide()
        self.model = RowsModel([
            Column("Child", lambda r: r.child_name),
            Column("Date", lambda r: local_time(r.occurred_at, with_time=False)),
            Column("Kind", kind_words),
            Column("What matched", lambda r: r.snippet, tooltip=lambda r: r.snippet),
        ], self)
        self.table = rows_table(self.model, "Search results", self, fit="contents",
                                alternating=True)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(lambda _i: self.open_current())  # Enter or double-click
        self.open_button = QPushButton("&Open the child's page at this entry", self)
        self.open_button.clicked.connect(self.open_current)
        self.open_button.setEnabled(False)
        self.table.selectionModel().currentRowChanged.connect(
            lambda *_: self.open_button.setEnabled(self.current() is not None))

        top = QHBoxLayout()
        top.addWidget(heading("Search", self))
        top.addWidget(self.box, 1)
        top.addWidget(find)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(muted("Every concern and chronology entry in the school: what was "
                               "seen or heard, the child's words, actions and places. Each "
                               "search is recorded in the audit trail.", self))
        layout.addWidget(self.message)
        layout.addWidget(self.newest)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)

    def focus_first(self) -> None:
        self.box.setFocus()

    def search(self) -> None:
        text = self.box.text()
        self.message.clear_message()
        self.summary.setText("Searching…")
        self.db.op(self, lambda s: school_search(s, text)).success(self._show) \
            .failure(self._failed).run()

    def _failed(self, error: BaseException) -> None:
        self.summary.clear()
        self.message.say(message_for(error))

    def _show(self, found: SchoolSearch) -> None:
        self.model.set_rows(found.rows)
        self.newest.setVisible(found.newest_only)
        records = len({r.record_id for r in found.rows})
        self.summary.setText("Nothing found." if not found.rows else
                             f"{records} record{'s' * (records != 1)} found. Enter opens the "
                             "child's page at the selected one.")
        if found.rows:
            self.table.selectRow(0)
            self.table.setFocus()

    def current(self) -> SearchRow | None:
        return self.model.row(self.table.currentIndex())

    def open_current(self) -> None:
        row = self.current()
        if row is not None:
            self.open_hit.emit(row.child_id, row.record_id)
