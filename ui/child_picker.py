"""Find a child as you type: by forename, preferred name, surname, UPN or year group."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.domain.leavers import Leaving, leavings_by_child
from app.domain.pupils import Child, child_by_upn, find_pupils
from app.identifiers import normalise_upn
from app.wording import date_text
from ui.errors import FieldMessage, message_for
from ui.ops import Db
from ui.theme import year_label


def child_line(child: Child) -> str:
    preferred = (f" (known as {child.preferred_forename})"
                 if child.preferred_forename and child.preferred_forename != child.legal_forename
                 else "")
    return (f"{child.legal_name}{preferred} · {year_label(child.year_group)} · "
            f"born {date_text(child.date_of_birth)} · {child.upn}")


def looks_like_upn(text: str) -> bool:
    upn = normalise_upn(text)
    return len(upn) == 13 and upn[0].isalpha() and upn[1:12].isdigit()


class ChildPicker(QWidget):
    chosen = Signal(object)  # Child

    def __init__(self, db: Db, parent: QWidget | None = None, *, rows: int = 6) -> None:
        super().__init__(parent)
        self.db = db
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Type a name, preferred name, UPN or year group (e.g. Y5)")
        self.search.setAccessibleName("Find a child")
        self.search.setClearButtonEnabled(True)
        self.results = QListWidget(self)
        self.results.setAccessibleName("Matching children")
        self.results.setMaximumHeight(self.fontMetrics().height() * (rows + 1) + 8)
        self.results.itemActivated.connect(self._activated)
        self.results.hide()
        self.message = FieldMessage(self)
        self.status = QLabel(self)
        self.status.setAccessibleName("Search result count")
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self._run_search)
        self.search.textChanged.connect(self._typing)
        self.search.returnPressed.connect(self._choose_first)
        self.search.installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.message)
        layout.addWidget(self.results)
        layout.addWidget(self.status)
        self._asked = ""
        self._pick_first = False
        self._left: dict[str, Leaving] = {}

    def eventFilter(self, watched, event) -> bool:
        if watched is self.search and event.type() == event.Type.KeyPress \
                and event.key() == Qt.Key.Key_Down and self.results.count():
            self.results.setFocus()
            self.results.setCurrentRow(0)
            return True
        return False

    def _typing(self, _text: str) -> None:
        self.message.clear_message()
        self._debounce.start()

    def search_now(self) -> None:
        self._debounce.stop()
        self._run_search()

    def _run_search(self) -> None:
        text = self.search.text().strip()
        self._asked = text
        self.message.clear_message()
        if not text:
            self._show([])
            return

        def find(session) -> list[Child]:
            found = find_pupils(session, text)
            if not found and looks_like_upn(text):
                child_by_upn(session, text)  # raises: say exactly what is wrong with the UPN
            self._left = leavings_by_child(session)
            # Children on roll first; leavers after them, marked (their files are read-only).
            return sorted(found, key=lambda c: c.id in self._left)

        self.db.op(self, find).success(lambda found: self._shown(text, found)) \
            .failure(self._failed).run()

    def _shown(self, text: str, found: list[Child]) -> None:
        if text == self._asked:
            self._show(found)
            if self._pick_first and found:
                self._activated(self.results.item(0))
        self._pick_first = False

    def _failed(self, error: BaseException) -> None:
        self._show([])
        self.message.say(message_for(error))

    def _show(self, found: list[Child]) -> None:
        self.results.clear()
        for child in found:
            leaving = self._left.get(child.id)
            item = QListWidgetItem(child_line(child) + (
                f" · LEAVER: {leaving.words.lower()}" if leaving else ""))
            item.setData(Qt.ItemDataRole.UserRole, child)
            self.results.addItem(item)
        self.results.setVisible(bool(found))
        if not self._asked:
            self.status.setText("")
        elif found:
            self.status.setText(f"{len(found)} found: press Enter to add the first, or ↓ to "
                                "choose")
        else:
            self.status.setText("No child found")

    def _choose_first(self) -> None:
        if self._debounce.isActive() or self.search.text().strip() != self._asked:
            self._pick_first = True
            self.search_now()
            return
        if self.results.count():
            self._activated(self.results.item(0))

    def _activated(self, item: QListWidgetItem) -> None:
        child = item.data(Qt.ItemDataRole.UserRole)
        self.chosen.emit(child)
        self.search.clear()
        self.results.clear()
        self.results.hide()
        self.status.setText("")
        self.search.setFocus()

    def drop_results(self) -> None:
        self._debounce.stop()
        self.search.clear()
        self.results.clear()
        self.results.hide()
        self.status.setText("")
        self._asked = ""
