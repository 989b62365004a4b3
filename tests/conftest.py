"""Shared fixtures. The suite runs with the real Secret Service: use scripts/run-tests.sh."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.clock import FakeClock
from app.domain.pupils import apply_roster
from app.domain.roster_csv import RosterRow
from app.errors import KeyringUnavailable
from app.hub.reactions import install as install_hub_reactions
from app.store.access import create_store, unlock
from app.store.keys import TEST_KDF
from app.store.session import Session
from app.store.users import add_user

ADMIN_PASS = "admin passphrase one"
STAFF_PASS = "staff passphrase two"

# Synthetic pupils: invented names, UPNs with valid check letters.
PUPILS = [
    RosterRow("B801200005001", "Zofia", "Wiśniewska", "Zosia", date(2016, 5, 4), "F", "Y5",
              None, 2),
    RosterRow("Q801200005002", "Tomasz", "Wiśniewski", None, date(2018, 9, 1), "M", "Y3",
              None, 3),
    RosterRow("U801200005004", "Olumide", "Adeyemi-Harte", "Olu", date(2015, 1, 20), "M",
              "Y6", "9991408916", 4),
]


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    install_hub_reactions()  # as the desktop app and the CLI do at start-up


NO_KEYRING = ("No Secret Service: run the suite with scripts/run-tests.sh (it starts a private "
              "D-Bus session with an unlocked gnome-keyring).")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Only the tests that make a store reach the keyring; the first that finds none stops the
    run with the reason, as before. Pure tests run without it (or a display)."""
    yield
    if call.excinfo is not None and call.excinfo.errisinstance(KeyringUnavailable):
        item.session.shouldstop = NO_KEYRING


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class SmallSchool:
    """A store with one account per role and three pupils."""

    def __init__(self, directory: Path, clock: FakeClock, *, split: bool = True) -> None:
        self.directory = directory
        self.clock = clock
        made = create_store(directory, school_name="Larkfield Test Primary",
                            admin_username="admin", admin_display_name="Avery Admin",
                            passphrase=ADMIN_PASS, clock=clock, kdf=TEST_KDF, split=split)
        self.recovery_key = made.recovery_key
        with made.session as admin:
            for name, display, roles in (("dsl", "Dana Lead", "dsl"),
                                         ("deputy", "Dev Deputy", "dsl"),
                                         ("teacher", "Terry Teach", "staff"),
                                         ("teacher2", "Tess Teach", "staff"),
                                         ("office", "Olly Office", "office")):
                add_user(admin, name, display, roles, STAFF_PASS, kdf=TEST_KDF)
            apply_roster(admin, PUPILS)

    def open(self, username: str) -> Session:
        secret = ADMIN_PASS if username == "admin" else STAFF_PASS
        return unlock(self.directory, username, secret, clock=self.clock)


@pytest.fixture
def keyed_school(tmp_path: Path, clock: FakeClock) -> Iterator[SmallSchool]:
    """The small school with roles enforced by key (docs/keys.md)."""
    yield SmallSchool(tmp_path / "keyed", clock, split=True)
    shutil.rmtree(tmp_path / "keyed", ignore_errors=True)


@pytest.fixture
def single_key_school(tmp_path: Path, clock: FakeClock) -> Iterator[SmallSchool]:
    """The small school in one store file, as before roles were enforced by key (and as a
    school that syncs through a hub still makes it)."""
    yield SmallSchool(tmp_path / "single", clock, split=False)
    shutil.rmtree(tmp_path / "single", ignore_errors=True)


@pytest.fixture
def school(tmp_path: Path, clock: FakeClock) -> Iterator[SmallSchool]:
    yield SmallSchool(tmp_path / "store", clock)
    shutil.rmtree(tmp_path / "store", ignore_errors=True)


def in_a_keyring_session_of_its_own(code: str) -> Any:
    """Runs Python ``code`` in a private D-Bus session with a gnome-keyring of its own
    (scripts/with-keyring.sh), so what it does to its keyring cannot touch the tests running
    beside it, nor theirs it; returns the JSON its last line printed."""
    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items()
           if k not in ("CONCERNDESK_KEYRING_SESSION", "CONCERNDESK_TEST_HOME")}
    done = subprocess.run([str(root / "scripts" / "with-keyring.sh"), sys.executable, "-c",
                           code], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
