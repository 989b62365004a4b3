"""Locking: by Ctrl+L or after idle time; the half-typed concern survives as a draft; the lock
screen shows no child's data; the clipboard is cleared if it still holds our copy."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel

from tests.ui.conftest import settle, sign_in, wait_for
from ui.chronology_model import ChronologyModel
from ui.table_model import RowsModel


def visible_text(window) -> str:  # type: ignore[no-untyped-def]
    return " ".join(label.text() for label in window.findChildren(QLabel)
                    if label.isVisibleTo(window)) + " " + window.windowTitle()


def test_ctrl_l_locks_keeps_the_draft_and_hides_the_child(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    sign_in(qtbot, window, "teacher")
    page = window.workspace.show_page("record")
    qtbot.keyClicks(page.picker.search, "Y3")
    wait_for(qtbot, lambda: page.picker.results.count() > 0)
    child = page.picker.results.item(0).data(Qt.ItemDataRole.UserRole)
    qtbot.keyClick(page.picker.search, Qt.Key.Key_Return)
    qtbot.keyClicks(page.what, "Half-written account of what was said")
    window.clipboard.copy_concealed(f"{child.display_name}: notes")
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.data("x-kde-passwordManagerHint").data() == b"secret"

    qtbot.keyClick(page.what, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, window)
    assert window.is_locked
    assert window.signin.isVisible()
    assert "locked" in window.signin.title.text().lower()
    assert child.legal_surname not in visible_text(window)
    assert QGuiApplication.clipboard().text() == ""
    assert window.status.user.text() == "Locked"
    assert not window.findChildren(RowsModel) and not window.findChildren(ChronologyModel)

    sign_in(qtbot, window, "teacher")
    page = window.workspace.pages["record"]
    assert page.what.toPlainText() == "Half-written account of what was said"
    assert page.children_table.ids == [child.id]
    assert "restored" in page.draft_note.text()


def test_clipboard_left_alone_if_the_user_copied_something_else(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    sign_in(qtbot, window, "teacher")
    window.clipboard.copy_concealed("a child's name")
    QGuiApplication.clipboard().setText("the user's own text")
    window.lock_now()
    settle(qtbot, window)
    assert QGuiApplication.clipboard().text() == "the user's own text"


def test_idle_time_locks_and_activity_postpones_it(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window(idle_ms=60_000)
    sign_in(qtbot, window, "dsl")
    assert window.idle.armed and window.idle.interval_ms == 60_000
    window.idle._timer.stop()
    qtbot.keyClick(window.workspace.nav, Qt.Key.Key_Down)  # any key restarts the timer
    assert window.idle._timer.isActive()
    window.idle.set_interval_ms(50)
    wait_for(qtbot, lambda: window.is_locked)
    settle(qtbot, window)
    assert "without use" in window.signin.subtitle.text()
    assert not window.idle.armed


def test_a_wrong_passphrase_is_said_inline_and_the_delay_shown(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    page = window.signin
    wait_for(qtbot, lambda: page.account.count() > 0)
    page.account.setCurrentText("teacher")
    for attempt in range(3):
        page.passphrase.setText(f"wrong {attempt}")
        page.submit()
        wait_for(qtbot, lambda: page.message.isVisible() and page.passphrase.isEnabled())
        settle(qtbot, window)
        assert "wrong" in page.message.text()
        assert page.passphrase.selectedText() == page.passphrase.text()
    # After three free tries the core makes people wait; the screen says for how long.
    assert page.button.text().startswith("Wait")
    assert not page.button.isEnabled()
    page.passphrase.setText("demo")
    page.submit()  # refused on screen until the wait is over
    settle(qtbot, window)
    assert window.workspace is None


def test_closing_the_app_mid_entry_keeps_the_draft(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    sign_in(qtbot, window, "dsl")
    page = window.workspace.show_page("record")
    qtbot.keyClicks(page.words, "words said before the app was closed")
    window.close()
    assert window.db.pending == 0 or window.is_locked

    again = make_window()
    sign_in(qtbot, again, "dsl")
    restored = again.workspace.pages["record"]
    assert restored.words.toPlainText() == "words said before the app was closed"
