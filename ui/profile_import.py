"""A DSL's import of what the MIS and other schools know about children's families: the MIS's
contact export (CSV) or a Common Transfer File (XML). Every row is checked first; if anything
is wrong nothing is imported and each problem is listed (by line or pupil's position, never a
child's data)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.profile.imports import ProfileImportResult, import_profile_file
from ui.errors import show_import_failure
from ui.ops import Db


class ProfileImport(QWidget):
    imported = Signal()  # profiles (and perhaps the roster) changed

    def __init__(self, db: Db, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.button = QPushButton("Import contact&s or a CTF…", self)
        self.button.setToolTip("The MIS's contact export (SIMS, Arbor or Bromcom, CSV) or a "
                               "Common Transfer File from a pupil's last school (XML)")
        self.button.clicked.connect(self._choose)
        self.result = QLabel(self)
        self.result.setWordWrap(True)
        self.result.setAccessibleName("Result of the import")
        self.result.hide()
        self.problems = QListWidget(self)
        self.problems.setAccessibleName("Problems in the imported file")
        self.problems.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addWidget(self.result, 1)
        row.addStretch()  # the button keeps its own width while no result is shown
        layout.addLayout(row)
        layout.addWidget(self.problems)

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose the contact export or the Common Transfer File", "",
            "Contact export or CTF (*.csv *.xml);;All files (*)")
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> None:
        self.problems.clear()
        self.problems.hide()
        self.result.show()
        self.result.setText("Checking the file…")

        def run(session: Any) -> ProfileImportResult:
            return import_profile_file(session, path.read_bytes())

        self.db.op(self, run).success(self._imported).failure(self._failed).run()

    def _imported(self, result: ProfileImportResult) -> None:
        self.result.setText(result.summary.strip())
        self.imported.emit()

    def _failed(self, error: BaseException) -> None:
        show_import_failure(self.result, self.problems, error)
