"""The chronology model is virtualised: a view of thousands of entries asks only for the rows
it shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView

from app.domain.chronology import ChronologyItem
from tests.ui.conftest import wait_for
from ui.chronology_model import ChronologyModel, item_as_text


class CountingModel(ChronologyModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows_asked: set[int] = set()

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):  # type: ignore[no-untyped-def]
        self.rows_asked.add(index.row())
        return super().data(index, role)


def items(count: int) -> list[ChronologyItem]:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    return [ChronologyItem(f"r{i}", f"v{i}", "note" if i % 3 else "concern",
                           start + timedelta(hours=i), start + timedelta(hours=i, minutes=5),
                           f"Synthetic entry {i}\nsecond line", None, ("neglect",), "A DSL",
                           i % 7 == 0, i % 5 == 0, "subject") for i in range(count)]


def test_ten_thousand_entries_are_drawn_a_screenful_at_a_time(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = CountingModel()
    model.set_items(items(10_000))
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(900, 500)
    view.show()
    qtbot.waitExposed(view)
    view.scrollToBottom()
    wait_for(qtbot, lambda: 9_999 in model.rows_asked)
    assert model.rowCount() == 10_000
    assert len(model.rows_asked) < 200
    assert model.data(model.index(9_999, 2)) == "Synthetic entry 9999"
    assert "★ Significant" in model.data(model.index(0, 7))


def test_a_search_narrows_rows_and_copy_text_is_plain(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = ChronologyModel()
    model.set_items(items(50))
    model.set_only({"r3", "r4"})
    assert model.rowCount() == 2 and model.total == 50
    model.set_only(None)
    assert model.rowCount() == 50
    assert item_as_text(model.item(3)).splitlines()[1] == "Synthetic entry 3"
