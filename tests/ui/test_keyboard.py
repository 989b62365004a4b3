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


def test_no_dialog_has_two_controls_with_one_access_key(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from PySide6.QtWidgets import QAbstractButton

    from app.domain.records import Version, VersionFields
    from tests.ui.walk import clashes
    from ui.admin import AddUserDialog, ResetDialog
    from ui.entry_dialogs import AddEntryDialog, AmendDialog
    from ui.recovery import RecoveryDialog

    when = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    concern = Version("v", "r", 1, None, "teacher", when, None,
                      VersionFields(when, "concern", "Synthetic text.", ("neglect",)))
    dialogs = [AddEntryDialog(None, "child"), AmendDialog(None, concern),  # type: ignore[arg-type]
               AddUserDialog(None), ResetDialog(None, "teacher"),  # type: ignore[arg-type]
               RecoveryDialog(None, tmp_path, ["admin"])]  # type: ignore[arg-type]
    found = {}
    for dialog in dialogs:  # where the platform's own buttons have keys (&Save, &Cancel) too
        for button in dialog.findChildren(QAbstractButton):
            if button.text() in ("Save (Ctrl+S)", "Cancel", "OK"):
                button.setText("&" + button.text())
        qtbot.addWidget(dialog)
        dialog.show()
        if clashes(dialog):
            found[dialog.windowTitle()] = clashes(dialog)
    assert found == {}
