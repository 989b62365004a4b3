"""A member of staff records a concern with the keyboard and sees it in "My concerns"."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.ui.conftest import settle, sign_in, wait_for


def nav_titles(window) -> list[str]:  # type: ignore[no-untyped-def]
    nav = window.workspace.nav
    return [nav.item(i).text() for i in range(nav.count())]


def test_staff_records_a_concern_and_sees_only_their_own(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    sign_in(qtbot, window, "teacher")
    assert nav_titles(window) == ["Record a concern", "My concerns"]
    assert "Signed in" in window.status.user.text() and "staff" in window.status.user.text()
    assert window.status.sync.text() == "Sync: not set up"
    mine = window.workspace.pages["mine"]
    window.workspace.show_page("mine")
    settle(qtbot, window)
    before = mine.model.rowCount()

    page = window.workspace.show_page("record")
    settle(qtbot, window)
    # Find two children as you type; Enter adds the first match.
    qtbot.keyClicks(page.picker.search, "Y4")
    wait_for(qtbot, lambda: page.picker.results.count() > 1)
    first = page.picker.results.item(0).data(Qt.ItemDataRole.UserRole)
    second = page.picker.results.item(1).data(Qt.ItemDataRole.UserRole)
    qtbot.keyClick(page.picker.search, Qt.Key.Key_Return)
    assert page.children_table.ids == [first.id]
    qtbot.keyClicks(page.picker.search, second.upn)
    wait_for(qtbot, lambda: page.picker.results.count() == 1)
    qtbot.keyClick(page.picker.search, Qt.Key.Key_Return)
    assert page.children_table.ids == [first.id, second.id]
    page.children_table.cellWidget(0, 1).setCurrentIndex(1)  # the child harmed
    page.children_table.cellWidget(1, 1).setCurrentIndex(2)  # the child who harmed

    # Categories by keyboard: the first common category, toggled with Space.
    page.categories.setFocus()
    page.categories.setCurrentRow(1)
    qtbot.keyClick(page.categories, Qt.Key.Key_Space)
    assert page.categories.codes() == ["physical-abuse"]
    qtbot.keyClicks(page.where, "Playground")
    qtbot.keyClicks(page.what, "Saw a push against the fence at break.")
    qtbot.keyClicks(page.words, "He pushed me.")
    page.body_map_button.setChecked(True)
    page.body_map.region.setCurrentText("Left arm")
    page.body_map._add_at_region()
    page.body_map.table.item(0, 2).setText("Red mark")
    qtbot.keyClick(page.what, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, window)
    assert "Concern saved" in page.draft_note.text()
    assert page.is_empty()

    window.workspace.show_page("mine")
    settle(qtbot, window)
    assert mine.model.rowCount() == before + 1
    newest, way = mine.model.rows[0]
    assert newest.status == "new"
    assert newest.latest.fields.body_marks[0].note == "Red mark"
    assert [role for _c, role in newest.children] == ["harmed", "harmed others"]
    assert all(view.reporter_id == newest.reporter_id for view, _ in mine.model.rows)
    # The demo school has no hub: the teacher is told the concern stays on this PC.
    assert way.state == "sealed"  # sealed for the DSL team, not opened yet (docs/keys.md)
    shown = mine.model.index(0, 5).data()
    assert shown == "sealed for the DSL team: they see it when a DSL next signs in"
