"""Keyboard use: no two visible controls on one screen share an access key (Alt+letter), every
save says its shortcut, and sign-in puts the cursor where work starts."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QWidget

from tests.ui.conftest import sign_in
from tests.ui.walk import clashes, mnemonic, walk


def test_mnemonic_reads_the_access_key() -> None:
    assert mnemonic("&Save concern") == "s"
    assert mnemonic("Save con&cern") == "c"
    assert mnemonic("Fish && chips") is None
    assert mnemonic("No key") is None


def test_no_screen_has_two_controls_with_one_access_key(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    found: dict[str, dict[str, list[str]]] = {}

    def check(screen: str, window: QWidget) -> None:
        clash = clashes(window)
        if clash:
            found[screen] = clash

    walk(qtbot, make_window, check)
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_every_save_shows_its_shortcut(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QAbstractButton

    saves: dict[str, str] = {}

    def check(screen: str, window: QWidget) -> None:
        for button in window.findChildren(QAbstractButton):
            text = button.text().replace("&", "")
            if button.isVisible() and text.startswith("Save") and not text.endswith("…"):
                saves[f"{screen}: {text}"] = f"{text} {button.toolTip()}"

    walk(qtbot, make_window, check)
    assert saves, "no save button was found"
    assert {k: v for k, v in saves.items() if "Ctrl+S" not in v} == {}


def test_sign_in_puts_the_cursor_in_the_child_search(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    sign_in(qtbot, window, "teacher")
    page = window.workspace.pages["record"]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.picker.search, timeout=5000)
    window.lock_now()
    sign_in(qtbot, window, "dsl")
    window.workspace.show_page("children")
    children = window.workspace.pages["children"]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is children.picker.search, timeout=5000)
