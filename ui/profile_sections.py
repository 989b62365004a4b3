"""The parts of the child's profile: a table of items, each with where it came from, that is
as tall as its rows (the page scrolls, never a table within it), with add, edit and remove.

The "where it came from" column reads quieter than the values; a row the school must act on (a
contact not to call) is bold and red as well as said in words."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QFont, QKeyEvent, QKeySequence, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.profile.profiles import Provenance
from ui.profile_text import fact_text, source_text, source_tip
from ui.table_model import Column, Index, RowsModel, rows_table
from ui.theme import readable


@dataclass(frozen=True)
class Item:
    """One row: what it is (kind and key, as the core names it), its value and its source."""
    kind: str
    key: str
    value: Any
    prov: Provenance | None
    label: str = ""


def source_of(item: Item) -> str:
    return source_text(item.prov)


class ProfileRows(RowsModel):
    """Rows whose "where it came from" reads quieter than the values, and whose urgent rows
    (a contact not to be called) are bold and red as well as worded."""

    def __init__(self, columns: Sequence[Column], urgent: Callable[[Item], bool],
                 parent: Any = None) -> None:
        super().__init__(columns, parent)
        self.urgent = urgent

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.row(index)
        if item is None:
            return None
        palette = QApplication.palette()
        base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
        if role == Qt.ItemDataRole.ForegroundRole:
            if self.urgent(item):
                return readable(QColor("#9b0016"), base, text)
            quiet = self.columns[index.column()].title == "Where it came from" or (
                item.kind == "fact" and item.value is None)
            return readable(QColor(palette.color(QPalette.ColorRole.PlaceholderText)), base,
                            text) if quiet else None
        if role == Qt.ItemDataRole.FontRole and self.urgent(item):
            font = QFont(QApplication.font())
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and self.columns[index.column()].tooltip is None:
            shown = super().data(index, Qt.ItemDataRole.DisplayRole)  # whole, if cut short
            tip = source_tip(item.prov)
            return f"{shown}\n{tip}" if shown and shown != source_text(item.prov) else tip
        return super().data(index, role)


class Section(QGroupBox):
    """One part of the profile: its table (as tall as its rows), a line when it is empty, and
    add, edit and remove. Enter edits the selected row; Delete removes it."""

    def __init__(self, title: str, noun: str, columns: Sequence[Column], add_text: str,
                 parent: QWidget, *, stretch: int = 1,
                 urgent: Callable[[Item], bool] = lambda _i: False) -> None:
        super().__init__(title, parent)
        self.model = ProfileRows(columns, urgent, self)
        self.table = rows_table(self.model, title, self, fit="contents")
        # Long values (a reason not to call, a note) wrap in the one column that stretches,
        # and the table is as tall as its rows: the page scrolls, never a table within it.
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        header.sectionResized.connect(lambda *_: self._fit())
        self.table.horizontalScrollBar().rangeChanged.connect(lambda *_: self._fit())
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        rows = self.table.verticalHeader()
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)
        rows.setMinimumSectionSize(self.fontMetrics().height() + 10)  # fitted rows breathe
        self.empty = QLabel("None recorded.", self)
        self.add_button = QPushButton(add_text, self)
        self.add_button.setAccessibleName(add_text.replace("&", "").rstrip("…"))
        self.edit_button = QPushButton("Edit…", self)
        self.edit_button.setAccessibleName(f"Edit the selected {noun}")
        self.remove_button = QPushButton("Remove…", self)
        self.remove_button.setAccessibleName(f"Remove the selected {noun}")
        self.table.activated.connect(lambda _i: self.edit_button.click())
        self.table.installEventFilter(self)  # Delete on a row removes it (asking why)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selected())
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)
        self.set_rows([])

    def set_rows(self, rows: Sequence[Item]) -> None:
        self.model.set_rows(rows)
        self.table.setVisible(bool(rows))
        self.empty.setVisible(not rows)
        self._fit()
        self._selected()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and isinstance(event, QKeyEvent) and \
                event.type() == QEvent.Type.KeyPress and \
                event.matches(QKeySequence.StandardKey.Delete):
            self.remove_button.click()
            return True
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit()  # wrapped rows need the columns' final widths

    def _fit(self) -> None:
        table = self.table
        table.resizeRowsToContents()
        bar = table.horizontalScrollBar()
        overflow = bar.sizeHint().height() if bar.maximum() > 0 else 0  # columns too wide
        table.setFixedHeight(table.horizontalHeader().sizeHint().height() +
                             table.frameWidth() * 2 + overflow +
                             table.verticalHeader().length())

    def current(self) -> Item | None:
        item = self.model.row(self.table.currentIndex())
        return item if isinstance(item, Item) else None

    def _selected(self) -> None:
        item = self.current()
        self.edit_button.setEnabled(item is not None)
        self.remove_button.setEnabled(item is not None and item.prov is not None)


def source_columns(*pairs: tuple[str, Callable[[Item], str]]) -> list[Column]:
    """The given columns, then where each row came from (every part of the profile says)."""
    return [Column(t, f) for t, f in pairs] + [Column("Where it came from", source_of)]


def attr(name: str) -> Callable[[Item], str]:
    """A column showing one field of the row's item, blank where it is not known."""
    return lambda i: str(getattr(i.value, name) or "")


@dataclass(frozen=True)
class Fact(Item):
    """A row of "About the child": a fact (or a previous name) in words."""

    @property
    def value_text(self) -> str:
        return fact_text(self.key, self.value) if self.kind == "fact" else str(self.value)
