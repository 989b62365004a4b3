"""The admin's pupil roster: who is on it now, the columns an import expects, and the import
(every row checked first; nothing imported if any row is wrong)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.pupils import Child, ImportResult, import_roster, list_pupils
from app.domain.roster_csv import CANONICAL_COLUMNS, REQUIRED
from app.wording import date_text
from ui.errors import show_import_failure
from ui.ops import Db
from ui.table_model import Column, RowsModel, rows_table
from ui.theme import muted, year_label


def columns_text() -> str:
    return ", ".join(c if c in REQUIRED else f"{c} (may be empty)" for c in CANONICAL_COLUMNS)


class RosterTab(QWidget):
    def __init__(self, db: Db, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        choose = QPushButton("&Import a roster CSV from the MIS…", self)
        choose.clicked.connect(self._import)
        self.result = QLabel(self)
        self.result.setWordWrap(True)
        self.problems = QListWidget(self)
        self.problems.setAccessibleName("Problems in the roster file")
        self.problems.hide()
        intro = QLabel("Export the pupil list from SIMS, Arbor or Bromcom as CSV. Every row is "
                       "checked first; if any row is wrong nothing is imported and each problem "
                       "is listed.", self)
        intro.setWordWrap(True)
        self.columns = muted(f"Columns, in any order (UTF-8, or an older export's Windows-1252; "
                             f"dates as YYYY-MM-DD; common SIMS and Arbor headings are "
                             f"recognised too): {columns_text()}.", self)
        self.columns.setAccessibleName("Columns a roster import expects")
        self.count = QLabel(self)
        self.model = RowsModel([
            Column("UPN", lambda c: c.upn),
            Column("Surname", lambda c: c.legal_surname),
            Column("Forename", lambda c: c.legal_forename),
            Column("Known as", lambda c: c.preferred_forename or ""),
            Column("Born", lambda c: date_text(c.date_of_birth)),
            Column("Year", lambda c: year_label(c.year_group)),
            Column("Gender", lambda c: c.gender),
        ], self)
        self.table = rows_table(self.model, "Pupils on the roster", self, alternating=True)
        top = QHBoxLayout()
        top.addWidget(choose)
        top.addStretch(1)
        top.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.columns)
        layout.addLayout(top)
        layout.addWidget(self.result)
        layout.addWidget(self.problems, 1)
        layout.addWidget(self.table, 3)

    def refresh(self) -> None:
        self.db.op(self, list_pupils).success(self._show).run()

    def _show(self, pupils: list[Child]) -> None:
        self.model.set_rows(pupils)
        self.count.setText(f"{len(pupils)} pupil{'s' * (len(pupils) != 1)} on the roster")

    def _import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose the roster CSV", "",
                                              "CSV files (*.csv);;All files (*)")
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> None:
        self.problems.clear()
        self.problems.hide()
        self.result.setText("Checking the file…")

        def run(session: Any) -> ImportResult:
            return import_roster(session, path.read_bytes())

        self.db.op(self, run).success(self._imported).failure(self._import_failed).run()

    def _imported(self, result: ImportResult) -> None:
        self.result.setText(f"Imported: {result.added} added, {result.updated} updated, "
                            f"{result.unchanged} unchanged. {result.encoding_note()} "
                            f"{result.leavers_note()}".strip())
        self.refresh()

    def _import_failed(self, error: BaseException) -> None:
        show_import_failure(self.result, self.problems, error)
