"""Every change to a child's profile, oldest first: when, what, the value (or "Removed" with the
reason), where it came from and who. Nothing in a profile is overwritten, so this is complete."""

from __future__ import annotations

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QLabel, QVBoxLayout, QWidget

from app.profile.profiles import ProfileChange
from ui.profile_text import history_rows
from ui.table_model import Column, RowsModel, rows_table
from ui.wording import plural

COLUMNS = [Column("When", lambda r: r[0]), Column("What", lambda r: r[1]),
           Column("Value", lambda r: r[2], tooltip=lambda r: r[2]),
           Column("Where it came from", lambda r: r[3]), Column("Who", lambda r: r[4])]


class ProfileHistoryDialog(QDialog):
    def __init__(self, changes: list[ProfileChange], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("History of this profile")
        summary = QLabel(f"{plural(len(changes), 'change')}, oldest first. Nothing is "
                         "overwritten: a changed or removed detail keeps its history.", self)
        summary.setWordWrap(True)
        self.model = RowsModel(COLUMNS, self)
        self.model.set_rows(history_rows(changes))
        self.table = rows_table(self.model, "Changes to this profile", self, fit="contents")
        self.table.setWordWrap(True)  # a contact's value is long: it wraps within its column
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.resizeRowsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(980, 520)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.table.resizeRowsToContents()  # the wrapped heights need the real column widths
