"""Joining a PC to a school and approving it, through real widgets, real stores and a real
school hub (``concerndesk-frontdoor serve`` in school mode) on 127.0.0.1.

The admin sets the hub in Admin → Services; a new PC joins from its first-run page, shows its
fingerprint and waits (also after a restart); the hub's administrator enrols it; the admin
approves it in "PCs of this school" (an unknown or malformed fingerprint is refused at the field
and nothing is saved); the admin's background sync delivers the accounts; "Check now" on the new
PC goes to sign-in and a provisioned account signs in there. Then the admin removes it. A
wrong hub fingerprint or an unreachable hub makes nothing; a PC that joined naming another admin
PC refuses the real admin's approval and says why.

Set CONCERNDESK_SCREENSHOTS=docs/screenshots to also write join-pc.png and services-pcs.png.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

from app.demo.school import build_demo
from app.hub.devices import joined_pc_fingerprint
from app.store.access import store_exists
from app.store.keys import TEST_KDF
from frontdoor import keys
from tests.frontdoor.conftest import PASSPHRASE as SERVICE_PASSPHRASE
from tests.frontdoor.conftest import Service, _make_service, free_port
from tests.hub.conftest import enrol
from tests.ui.conftest import settle, sign_in, wait_for
from ui.join_page import WAITING, grouped

WRONG = "0000-1111-2222-3333-4444-5555-6666-7777-8888-9999"


# One hub per test: each test's admin PC is a fresh copy of the same demo store (one device
# fingerprint), and a hub that kept an earlier copy's audit head rightly calls the next copy
# rolled back (app/hub/heads.py).
@pytest.fixture
def school_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(keys.PASSPHRASE_ENV, SERVICE_PASSPHRASE)
        service = _make_service(tmp_path_factory.mktemp("hub"), "school", None)
        service.max_body = 1024 * 1024
        service.start()
        yield service
        service.stop()


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A hub school's admin PC made before keyed hub schools (one store file, docs/keys.md):
    these tests' demo is made that way, so any admin there approves PCs."""
    directory = tmp_path_factory.mktemp("demo-single-key") / "store"
    build_demo(directory, pupils=40, kdf=TEST_KDF, passphrase="demo", split=False)
    return directory


def screenshot(widget: QWidget, name: str) -> None:
    out = os.environ.get("CONCERNDESK_SCREENSHOTS")
    if out:
        for _ in range(5):
            QApplication.processEvents()
        widget.grab().save(str(Path(out) / f"{name}.png"))


def admin_with_hub(qtbot, make_window, hub: Service):  # type: ignore[no-untyped-def]
    """The demo school's admin sets the hub in Admin → Services; the hub's administrator
    enrols the admin's PC. Returns the window and the PCs box."""
    window = make_window()
    sign_in(qtbot, window, "admin")
    admin = window.workspace.pages["admin"]
    admin.tabs.setCurrentWidget(admin.services)
    settle(qtbot, window)
    pcs = admin.services.pcs
    assert not pcs.isVisible()  # no hub, no PCs to approve
    box = admin.services.boxes["hub"]
    box.url.setText(hub.url)
    box.fingerprint.setText(hub.info.fingerprint)
    box.save.click()
    settle(qtbot, window)
    assert box.current.text().startswith("Set up: " + hub.url), box.current.text()
    assert "made the DSL team's and the office's keys" in window.messages.text
    assert pcs.isVisible() and pcs.approve_form.isVisible()
    assert "admin PC" in pcs.where.text()
    assert pcs.empty.isVisible() and pcs.model.rows == []
    enrol(hub, admin.services.own.text(), "Synthetic admin PC")
    return window, pcs


def test_a_pc_joins_waits_is_approved_and_a_provisioned_user_signs_in(
        qtbot, make_window, tmp_path: Path, school_hub: Service) -> None:  # type: ignore[no-untyped-def]
    admin_window, pcs = admin_with_hub(qtbot, make_window, school_hub)
    admin_fp = admin_window.workspace.pages["admin"].services.own.text()

    # The new PC: first run offers joining beside creating a school, by keyboard too.
    directory = tmp_path / "joined"
    window = make_window(directory, demo=False)
    wait_for(qtbot, lambda: hasattr(window, "create_page"))
    create = window.create_page
    assert "&J" in create.join_button.text()
    assert create.join_button.focusPolicy() & Qt.FocusPolicy.TabFocus
    create.join_button.setFocus()
    qtbot.keyClick(create.join_button, Qt.Key.Key_Space)
    page = window.join_page
    assert window.pages.currentWidget() is page and page.stack.currentIndex() == 0

    page.url.setText(school_hub.url)
    page.hub_fingerprint.setText(school_hub.info.fingerprint)
    page.admin_fingerprint.setText(admin_fp)  # read from the admin's Services tab
    page.name.setText("Synthetic staff room PC")
    qtbot.keyClick(page.name, Qt.Key.Key_Return)
    settle(qtbot, window)
    assert page.stack.currentIndex() == 1, window.messages.text
    fingerprint = joined_pc_fingerprint(directory)
    assert page.fingerprint_view.text() == grouped(fingerprint)
    assert len(page.key_label.text().replace("-", "").replace(" ", "")) >= 50
    assert page.state.text() == WAITING

    # Copies of the fingerprint are concealed from clipboard histories.
    page.fingerprint_view.copy()
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.text() == fingerprint
    assert bytes(mime.data("x-kde-passwordManagerHint")) == b"secret"

    # Checking waits for the recovery key to be kept; then says why it cannot go on.
    assert not page.check_button.isEnabled()
    page.written.setChecked(True)
    assert page.check_button.isEnabled()
    page.check_button.click()
    settle(qtbot, window)
    assert page.state.text() == WAITING
    assert "has not enrolled this PC" in page.why.text()
    screenshot(window, "join-pc")

    enrol(school_hub, fingerprint, "Synthetic staff room PC")  # the hub's administrator
    page.check_button.click()
    settle(qtbot, window)
    assert "has not approved this PC" in page.why.text()
    assert window.pages.currentWidget() is page

    # Restarted before approval: back to waiting, its fingerprint shown, no recovery key.
    window.close()
    window = make_window(directory, demo=False)
    wait_for(qtbot, lambda: hasattr(window, "join_page"))
    page = window.join_page
    settle(qtbot, window)
    assert page.stack.currentIndex() == 1 and not page.key_box.isVisible()
    assert page.key_label.text() == ""
    assert page.fingerprint_view.text() == grouped(fingerprint)
    assert "has not approved this PC" in page.why.text()

    # The admin approves it — an unknown, then a malformed fingerprint first: refused at the
    # field, nothing saved.
    pcs.fingerprint.setText(WRONG)
    pcs.approve.click()
    assert pcs.messages["for"].isVisible() and "choose" in pcs.messages["for"].text()
    pcs.purpose.setCurrentIndex(pcs.purpose.findData("staff"))
    pcs.approve.click()
    settle(qtbot, admin_window)
    assert pcs.messages["fingerprint"].isVisible()
    assert "not enrolled with the hub" in pcs.messages["fingerprint"].text()
    assert "Nothing was saved" in pcs.messages["fingerprint"].text()
    assert pcs.model.rows == [] and pcs.fingerprint.text() == WRONG
    pcs.fingerprint.setText(fingerprint[:-5])
    pcs.approve.click()
    settle(qtbot, admin_window)
    assert "40 hex digits" in pcs.messages["fingerprint"].text()
    assert pcs.model.rows == []

    pcs.fingerprint.setText(fingerprint.lower().replace("-", " "))  # as it was read out
    pcs.approve.click()
    settle(qtbot, admin_window)
    assert not pcs.messages["fingerprint"].isVisible()
    [pc] = pcs.model.rows
    assert (pc.fingerprint, pc.purpose, pc.name) == (fingerprint, "staff",
                                                     "Synthetic staff room PC")
    assert pcs.model.data(pcs.model.index(0, 3)).endswith(f" by {admin_window.info.display_name}")
    assert admin_window.messages.text.startswith("Done: Approved the PC " + fingerprint)
    # The admin's background sync delivers the accounts.
    wait_for(qtbot, lambda: pcs.model.rows and pcs.model.rows[0].delivered)
    assert pcs.model.data(pcs.model.index(0, 4)) == "Approved, accounts sent"
    if os.environ.get("CONCERNDESK_SCREENSHOTS"):
        admin_window.resize(1200, 1000)  # the whole Services tab, without scrolling
        screenshot(admin_window, "services-pcs")
        admin_window.resize(1200, 800)

    # "Check now" on the new PC: provisioned, on to sign-in; a provisioned account signs in.
    page.check_button.click()
    settle(qtbot, window)
    assert window.pages.currentWidget() is window.signin
    assert window.messages.text.startswith("Done: This PC is now set up for ")
    assert f"by the admin PC {admin_fp}" in window.messages.text
    assert "no admin PC fingerprint" not in window.messages.text  # it was pinned at join
    assert "teacher" in [window.signin.account.itemText(i)
                         for i in range(window.signin.account.count())], \
        "the sign-in page lists no provisioned account (app.store.accounts.account_names)"
    sign_in(qtbot, window, "teacher")
    assert window.info.username == "teacher" and window.info.school_name

    # The admin removes it (after confirming); it stays in the list, said to be removed.
    asked: list[str] = []
    pcs.confirm = lambda _parent, _title, text: asked.append(text) is None
    pcs.table.selectRow(0)
    assert pcs.remove.isEnabled()
    pcs.remove.click()
    settle(qtbot, admin_window)
    assert asked and fingerprint in asked[0]
    assert pcs.model.rows[0].removed_at is not None
    assert pcs.model.data(pcs.model.index(0, 4)).startswith("Removed ")
    assert not pcs.remove.isEnabled()


def test_joining_with_a_wrong_fingerprint_or_an_unreachable_hub_makes_nothing(
        qtbot, make_window, tmp_path: Path, school_hub: Service) -> None:  # type: ignore[no-untyped-def]
    directory = tmp_path / "joined"
    window = make_window(directory, demo=False)
    wait_for(qtbot, lambda: hasattr(window, "create_page"))
    window.create_page.join_button.click()
    page = window.join_page

    page.submit()  # nothing typed
    assert page.messages["url"].isVisible()

    page.url.setText(school_hub.url)
    page.hub_fingerprint.setText(school_hub.info.fingerprint)
    page.join_button.click()  # no admin PC fingerprint: asked for at its field
    assert page.messages["admin"].isVisible() and page.stack.currentIndex() == 0
    page.admin_fingerprint.setText("1234-5678")  # malformed: said by the core, at the field
    page.join_button.click()
    settle(qtbot, window)
    assert "40 hex digits" in page.messages["admin"].text()
    assert not store_exists(directory)

    page.admin_fingerprint.setText(WRONG.replace("0000", "ABCD"))
    page.hub_fingerprint.setText(WRONG)
    page.join_button.click()
    settle(qtbot, window)
    assert page.messages["fingerprint"].isVisible()
    assert "nothing was saved" in page.messages["fingerprint"].text()
    assert page.stack.currentIndex() == 0 and page.hub_fingerprint.text() == WRONG
    assert not store_exists(directory)

    page.messages["fingerprint"].clear_message()
    page.url.setText(f"http://127.0.0.1:{free_port()}")  # nothing listens there
    page.hub_fingerprint.setText(school_hub.info.fingerprint)
    page.join_button.click()
    settle(qtbot, window)
    assert window.messages.isVisible() and "Cannot reach the hub" in window.messages.text
    assert "Traceback" not in window.messages.text
    assert page.stack.currentIndex() == 0 and page.join_button.isEnabled()
    assert not store_exists(directory)

    page.back.emit()
    assert window.pages.currentWidget() is window.create_page


def test_a_pc_joined_with_the_wrong_admin_pc_refuses_the_admins_approval(
        qtbot, make_window, tmp_path: Path, school_hub: Service) -> None:  # type: ignore[no-untyped-def]
    admin_window, pcs = admin_with_hub(qtbot, make_window, school_hub)
    directory = tmp_path / "joined"
    window = make_window(directory, demo=False)
    wait_for(qtbot, lambda: hasattr(window, "create_page"))
    window.create_page.join_button.click()
    page = window.join_page
    page.url.setText(school_hub.url)
    page.hub_fingerprint.setText(school_hub.info.fingerprint)
    page.admin_fingerprint.setText(WRONG)  # not the admin PC's
    page.join_button.click()
    settle(qtbot, window)
    assert page.stack.currentIndex() == 1, window.messages.text
    fingerprint = joined_pc_fingerprint(directory)
    enrol(school_hub, fingerprint, "Synthetic PC")
    page.written.setChecked(True)

    pcs.fingerprint.setText(fingerprint)
    pcs.purpose.setCurrentIndex(pcs.purpose.findData("staff"))
    pcs.approve.click()
    settle(qtbot, admin_window)
    wait_for(qtbot, lambda: pcs.model.rows and pcs.model.rows[0].delivered)

    page.check_button.click()
    settle(qtbot, window)
    assert window.pages.currentWidget() is page and page.state.text() == WAITING
    assert page.why.text().startswith("An approval reached this PC but it refused it: "), \
        page.why.text()
    assert "only from the admin PC given at join" in page.why.text()
