"""The children in a concern being recorded, each with their part in it (a drop-down in words)
and a Remove button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from ui.wording import choice_words

ROLE_LABELS = {"subject": "the child this is about", "harmed": "the child harmed",
               "harmed others": "the child who harmed", "witness": "a witness",
               "sibling": "a sibling", "other": "other"}


class ChildrenTable(QTableWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 3, parent)
        self.setHorizontalHeaderLabels(["Child", "Their part in this", ""])
        self.setAccessibleName("Children in this concern")
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        probe = QComboBox(self)
        probe.addItems([choice_words(label) for label in ROLE_LABELS.values()])
        header.resizeSection(1, probe.sizeHint().width() + 8)
        probe.deleteLater()
        header.resizeSection(2, QPushButton("Remove").sizeHint().width() + 8)
        self.verticalHeader().setDefaultSectionSize(probe.sizeHint().height() + 6)
        self.setMinimumHeight(self.fontMetrics().height() * 5)
        self.setMaximumHeight(self.fontMetrics().height() * 9)
        self.ids: list[str] = []

    def add(self, child_id: str, name: str, role: str | None = None) -> None:
        if child_id in self.ids:
            return
        row = self.rowCount()
        self.insertRow(row)
        self.ids.append(child_id)
        item = QTableWidgetItem(name)
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.setItem(row, 0, item)
        combo = QComboBox(self)
        combo.setAccessibleName(f"Part played by {name}")
        for code, label in ROLE_LABELS.items():
            combo.addItem(choice_words(label), code)
        combo.setCurrentIndex(combo.findData(role or ("subject" if row == 0 else "other")))
        combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.setCellWidget(row, 1, combo)
        remove = QPushButton("Remove", self)
        remove.setAccessibleName(f"Remove {name}")
        remove.clicked.connect(lambda: self.remove(child_id))
        self.setCellWidget(row, 2, remove)
        self.changed.emit()

    def remove(self, child_id: str) -> None:
        if child_id in self.ids:
            self.removeRow(self.ids.index(child_id))
            self.ids.remove(child_id)
            self.changed.emit()

    def chosen(self) -> list[tuple[str, str, str]]:
        """(child id, name, role) for each row."""
        return [(child_id, self._name(row), self._role(row))
                for row, child_id in enumerate(self.ids)]

    # Every row has the child's name in column 0 and a role combo in column 1 (see add).
    def _name(self, row: int) -> str:
        item = self.item(row, 0)
        assert item is not None, f"child row {row} has no name cell"
        return item.text()

    def _role(self, row: int) -> str:
        combo = self.cellWidget(row, 1)
        assert isinstance(combo, QComboBox), f"child row {row} has no role choice"
        return combo.currentData()

    def clear_children(self) -> None:
        self.setRowCount(0)
        self.ids.clear()
