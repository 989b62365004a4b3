"""UI tests: real widgets (pytest-qt, offscreen) on a real encrypted demo store.

One small demo school is built per session and copied for each test (the keyring's device
keys are per store id, so the copies share them).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.demo.school import build_demo
from app.store.keys import TEST_KDF

PASSPHRASE = "demo"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo-template") / "store"
    build_demo(directory, pupils=40, kdf=TEST_KDF, passphrase=PASSPHRASE)
    return directory


@pytest.fixture
def demo_store(demo_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "store"
    shutil.copytree(demo_template, target)
    return target


@pytest.fixture
def make_window(qtbot, demo_store: Path) -> Iterator:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    from ui import theme
    from ui.app_window import MainWindow

    theme.apply(QApplication.instance())  # type: ignore[arg-type]
    made: list[MainWindow] = []

    def make(directory: Path | None = None, **kwargs: object) -> MainWindow:
        kwargs.setdefault("demo", True)
        window = MainWindow(directory or demo_store, kdf=TEST_KDF, **kwargs)  # type: ignore[arg-type]
        qtbot.addWidget(window)
        window.show()
        window.start()
        made.append(window)
        return window

    yield make
    for window in made:
        window.close()


WAIT_MS = 30_000  # generous: the machine may be busy; waits end as soon as the condition holds


def wait_for(qtbot, condition) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(condition, timeout=WAIT_MS)


def settle(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Waits until the DB thread has nothing left to do (callbacks may queue more work)."""
    from PySide6.QtWidgets import QApplication

    for _ in range(4):
        qtbot.waitUntil(lambda: window.db.pending == 0, timeout=WAIT_MS)
        QApplication.processEvents()


def sign_in(qtbot, window, username: str, passphrase: str = PASSPHRASE) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    qtbot.waitUntil(lambda: window.signin.account.count() > 0, timeout=WAIT_MS)
    window.signin.account.setCurrentText(username)
    window.signin.passphrase.clear()
    qtbot.keyClicks(window.signin.passphrase, passphrase)
    qtbot.keyClick(window.signin.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=WAIT_MS)
    settle(qtbot, window)
