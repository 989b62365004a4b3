"""The category list: common categories first, each a checkbox, up to three chosen."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QFont, QPalette
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from app.domain.categories import MAX_CATEGORIES, Category, load_categories


class CategoryList(QListWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(f"Categories (choose up to {MAX_CATEGORIES})")
        self.categories: list[Category] = load_categories()
        shown_rest = False
        self.addItem(self._heading("Most common"))
        for category in self.categories:
            if not category.common and not shown_rest:
                self.addItem(self._heading("Others"))
                shown_rest = True
            item = QListWidgetItem(category.label)
            item.setData(Qt.ItemDataRole.UserRole, category.code)
            item.setToolTip(category.description)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable |
                          Qt.ItemFlag.ItemIsSelectable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.addItem(item)
        self.itemChanged.connect(lambda _item: self.changed.emit())

    def _heading(self, text: str) -> QListWidgetItem:
        """A heading the keyboard skips, drawn in the text colour (not the faint disabled
        grey a flagless item would get) and bold."""
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        item.setForeground(QBrush(self.palette().color(QPalette.ColorRole.Text)))
        font = QFont(self.font())
        font.setBold(True)
        item.setFont(font)
        return item

    def keyPressEvent(self, event) -> None:
        item = self.currentItem()
        if event.key() == Qt.Key.Key_Space and item is not None and \
                item.flags() & Qt.ItemFlag.ItemIsUserCheckable:
            checked = item.checkState() == Qt.CheckState.Checked
            item.setCheckState(Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked)
            return
        super().keyPressEvent(event)

    def _items(self) -> list[QListWidgetItem]:
        return [self.item(i) for i in range(self.count())
                if self.item(i).data(Qt.ItemDataRole.UserRole)]

    def codes(self) -> list[str]:
        return [item.data(Qt.ItemDataRole.UserRole) for item in self._items()
                if item.checkState() == Qt.CheckState.Checked]

    def set_codes(self, codes: list[str] | tuple[str, ...]) -> None:
        self.blockSignals(True)
        for item in self._items():
            wanted = item.data(Qt.ItemDataRole.UserRole) in codes
            item.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)
        self.blockSignals(False)
        self.changed.emit()

    def labels(self, codes: tuple[str, ...] | list[str]) -> str:
        names = {c.code: c.label for c in self.categories}
        return ", ".join(names.get(code, code) for code in codes)


@cache
def _names() -> dict[str, str]:
    return {c.code: c.label for c in load_categories()}


def category_labels(codes: tuple[str, ...] | list[str]) -> str:
    return ", ".join(_names().get(code, code) for code in codes)
