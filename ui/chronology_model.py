"""A child's chronology as a virtualised Qt table model: the view asks only for the rows it
draws, so thousands of entries scroll smoothly. Filtering by category, date and "significant"
happens in the core; a text search narrows the rows to the records it found."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from app.domain.chronology import ChronologyItem
from ui.categories_widget import category_labels
from ui.table_model import local_time

Index = QModelIndex | QPersistentModelIndex
KIND_WORDS = {"concern": "Concern", "action": "Action", "contact": "Contact",
              "meeting": "Meeting", "referral": "Referral", "outcome": "Outcome", "note": "Note",
              "status": "Status", "police-notification": "Police notification"}
SHORT_ROLES = {"subject": "About them", "harmed": "Harmed", "harmed others": "Harmed others",
               "witness": "Witness", "sibling": "Sibling", "other": "Other"}
COLUMNS = ("Happened", "What", "Summary", "Categories", "Child's part", "By", "Written",
           "Marked")


def first_line(text: str, limit: int = 140) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def kind_words(item: ChronologyItem) -> str:
    """"Concern", "Action"…; further information says so."""
    if item.further_to_recorded is not None:
        return "Further info"
    return KIND_WORDS.get(item.kind, item.kind)


def further_words(item: ChronologyItem) -> str:
    """"Further information to the concern of 02 Dec 2026", or nothing."""
    if item.further_to_recorded is None:
        return ""
    return ("Further information to the concern of "
            f"{local_time(item.further_to_recorded, with_time=False)}")


def marks(item: ChronologyItem) -> str:
    words = []
    if item.significant:
        words.append("★ Significant")
    if item.amended:
        words.append("Amended")
    return ", ".join(words)


class ChronologyModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._all: list[ChronologyItem] = []
        self._shown: list[ChronologyItem] = []
        self._only: set[str] | None = None

    # -- contents ------------------------------------------------------------------------------
    def set_items(self, items: list[ChronologyItem]) -> None:
        self.beginResetModel()
        self._all = list(items)
        self._apply()
        self.endResetModel()

    def set_only(self, record_ids: set[str] | None) -> None:
        """Show only these records (a text search), or everything for None."""
        self.beginResetModel()
        self._only = record_ids
        self._apply()
        self.endResetModel()

    def _apply(self) -> None:
        only = self._only
        self._shown = self._all if only is None else [i for i in self._all
                                                     if i.record_id in only]

    def clear(self) -> None:
        self._only = None
        self.set_items([])

    def item(self, row: int) -> ChronologyItem | None:
        return self._shown[row] if 0 <= row < len(self._shown) else None

    @property
    def total(self) -> int:
        return len(self._all)

    @property
    def records(self) -> int:
        """How many records the items are of (a concern's status changes share its id)."""
        return len({i.record_id for i in self._all})

    # -- the model interface -------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._shown)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = self._shown[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._text(item, index.column())
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 2:
            return item.summary[:2000]
        if role == Qt.ItemDataRole.FontRole and item.significant:
            from PySide6.QtGui import QFont

            font = QFont()
            font.setBold(True)
            return font
        return None

    def _text(self, item: ChronologyItem, column: int) -> str:
        if column == 0:
            return local_time(item.occurred_at)
        if column == 1:
            return kind_words(item)
        if column == 2:
            return first_line(item.summary)
        if column == 3:
            return category_labels(item.categories)
        if column == 4:
            return SHORT_ROLES.get(item.child_role, item.child_role)
        if column == 5:
            return item.author
        if column == 6:
            late = " (late)" if item.recorded_late else ""
            return local_time(item.recorded_at, with_time=False) + late
        return marks(item)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None


def item_as_text(item: ChronologyItem) -> str:
    """Plain text of one entry, for a concealed clipboard copy."""
    lines = [f"{local_time(item.occurred_at)} — {KIND_WORDS.get(item.kind, item.kind)}",
             item.summary]
    if item.further_to_recorded is not None:
        lines.insert(1, further_words(item))
    if item.child_words:
        lines.append(f"Child's words: “{item.child_words}”")
    for label, value in (("Where", item.location), ("Action taken", item.action_taken),
                         ("Witnesses", item.witnesses)):
        if value:
            lines.append(f"{label}: {value}")
    lines += [f"Body map: {m.place} — {m.note or '(no note)'}" for m in item.body_marks]
    lines.append(f"Recorded by {item.author}, {local_time(item.recorded_at)}")
    return "\n".join(lines)
