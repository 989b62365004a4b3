"""Walks every screen a role can reach (each page, each tab, the body map shown, a child open,
a referral open) and hands each one to a check. Shared by the keyboard and accessibility tests."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QGroupBox,
    QLabel,
    QTabBar,
    QTabWidget,
    QWidget,
)

from tests.ui.conftest import settle, sign_in

ROLES = ("admin", "teacher", "dsl", "office")
_MNEMONIC = re.compile(r"&([^&\s])")


def mnemonic(text: str) -> str | None:
    """The access key of a text ("Save &concern" → "c"), "&&" being a literal ampersand."""
    found = _MNEMONIC.search(text.replace("&&", ""))
    return found.group(1).lower() if found else None


def shown(root: QWidget) -> list[QWidget]:
    return [w for w in root.findChildren(QWidget) if w.isVisible()]


def access_keys(root: QWidget) -> dict[str, list[str]]:
    """Each access key among the visible widgets under ``root``, with the texts that use it."""
    keys: dict[str, list[str]] = {}
    for widget in shown(root):
        texts: list[str] = []
        labelled = isinstance(widget, QLabel) and widget.buddy() is not None
        if isinstance(widget, QAbstractButton) or labelled:
            texts = [widget.text()]  # type: ignore[attr-defined]
        elif isinstance(widget, QGroupBox):
            texts = [widget.title()]
        elif isinstance(widget, QTabBar):
            texts = [widget.tabText(i) for i in range(widget.count()) if widget.isTabVisible(i)]
        for text in texts:
            key = mnemonic(text)
            if key is not None:
                keys.setdefault(key, []).append(text)
    return keys


def clashes(root: QWidget) -> dict[str, list[str]]:
    return {key: texts for key, texts in access_keys(root).items() if len(texts) > 1}


def _screens(qtbot, window) -> Iterator[str]:  # type: ignore[no-untyped-def]
    workspace = window.workspace
    for row in range(workspace.nav.count()):
        key = workspace.nav.item(row).data(0x0100)
        page = workspace.show_page(key)
        settle(qtbot, window)
        if key == "record":
            page.body_map_button.setChecked(True)
            settle(qtbot, window)
        if key == "children":
            inbox = workspace.pages["inbox"]
            child_id = inbox.model.rows[0].children[0][0].id
            page.open(child_id)
            settle(qtbot, window)
        if key == "referrals" and workspace.children_page.page.child is not None:
            page.start_for_child(workspace.children_page.page.child.id)
            settle(qtbot, window)
        tabs = page.findChildren(QTabWidget)
        if tabs:
            for index in range(tabs[0].count()):
                tabs[0].setCurrentIndex(index)
                settle(qtbot, window)
                yield f"{key}/{tabs[0].tabText(index).replace('&', '')}"
        else:
            yield key


def walk(qtbot, make_window, check: Callable[[str, QWidget], None]) -> None:  # type: ignore[no-untyped-def]
    """Signs in as each role in turn and calls ``check(screen name, window)`` on every screen
    (the sign-in page first)."""
    window = make_window()
    qtbot.waitUntil(lambda: window.signin.account.count() > 0, timeout=30_000)
    check("signin", window)
    for username in ROLES:
        sign_in(qtbot, window, username)
        for name in _screens(qtbot, window):
            QApplication.processEvents()
            check(f"{username}: {name}", window)
        window.lock_now()
        settle(qtbot, window)
