"""Renders every main screen of the demo school to PNG under docs/screenshots/ (offscreen).

    scripts/with-keyring.sh .venv/bin/python scripts/screenshots.py [--out DIR]

(It re-runs itself under scripts/with-keyring.sh when no keyring session is set up.) It builds a
fresh demo school in a temporary directory, runs a throwaway LA front door on 127.0.0.1 (so sync
and referral delivery show real states), drives the real widgets as each role and saves one PNG
per screen. Everything shown is synthetic.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if not os.environ.get("CONCERNDESK_KEYRING_SESSION"):
    os.execv(str(ROOT / "scripts" / "with-keyring.sh"),
             [str(ROOT / "scripts" / "with-keyring.sh"), sys.executable, *sys.argv])
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog, QWidget  # noqa: E402

from app.demo.school import build_demo  # noqa: E402
from app.hub.reactions import install  # noqa: E402
from app.store.keys import TEST_KDF  # noqa: E402
from ui import theme  # noqa: E402
from ui.app_window import MainWindow  # noqa: E402


def wait_until(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the screen did not get there in time")
        QApplication.processEvents()
        time.sleep(0.01)


def settle(window: MainWindow) -> None:
    for _ in range(4):
        wait_until(lambda: window.db.pending == 0)
        QApplication.processEvents()
    for _ in range(5):
        QApplication.processEvents()
        time.sleep(0.02)


class Shots:
    def __init__(self, window: MainWindow, out: Path, work: Path) -> None:
        self.window, self.out, self.work = window, out, work

    def take(self, name: str, widget: QWidget | None = None) -> None:
        settle(self.window)
        path = self.out / f"{name}.png"
        (widget or self.window).grab().save(str(path))
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")

    def sign_in(self, username: str) -> None:
        window = self.window
        wait_until(lambda: window.signin.account.count() > 0)
        window.signin.account.setCurrentText(username)
        window.signin.passphrase.setText("demo")
        window.signin.submit()
        wait_until(lambda: window.workspace is not None)
        settle(window)

    def page(self, key: str) -> QWidget:
        assert self.window.workspace is not None
        page = self.window.workspace.show_page(key)
        settle(self.window)
        return page


def record_concern(shots: Shots) -> None:
    page = shots.page("record")
    page.picker.search.setText("Y4")
    page.picker.search_now()
    settle(shots.window)
    for row in range(min(2, page.picker.results.count())):
        page._add_child(page.picker.results.item(row).data(Qt.ItemDataRole.UserRole))
    if page.children_table.rowCount() > 1:
        page.children_table.cellWidget(0, 1).setCurrentIndex(1)
        page.children_table.cellWidget(1, 1).setCurrentIndex(2)
    page.picker.drop_results()
    page.categories.set_codes(["child-on-child", "physical-abuse"])
    page.where.setText("Junior playground, by the climbing frame")
    page.what.setPlainText("At morning break I saw one child push the other against the fence "
                           "twice. The second child was crying and holding their left arm. I "
                           "separated them and took both inside.")
    page.words.setPlainText("He always does it when the teachers aren't looking.")
    page.action.setPlainText("Took both children to the office. Told the DSL in person at "
                             "10:50.")
    page.witnesses.setText("Two midday supervisors")
    note = shots.work / "supervisor-note.txt"  # a synthetic file the user "chose"
    note.write_text("Synthetic note from a midday supervisor.\n", encoding="utf-8")
    page.files.choose_files = lambda: [note]
    page.files.choose()
    shots.take("record_concern")
    page.body_map_button.setChecked(True)
    page.body_map.add_mark("front", 0.8, 0.31, "Left arm", note="Red mark, about 3 cm",
                           edit=False)
    page.body_map.add_mark("back", 0.5, 0.27, "Upper back", note="Graze", edit=False)
    settle(shots.window)
    page.scroll_area.ensureWidgetVisible(page.body_map)
    shots.take("body_map")
    page.submit()
    settle(shots.window)


def amend_latest(window: MainWindow, child: QWidget) -> None:
    """Corrects the newest entry through the Amend dialog, so the history has two versions."""
    child.amend()  # type: ignore[attr-defined]
    settle(window)
    dialog = next(d for d in window.findChildren(QDialog) if d.isVisible())
    dialog.reason.setText("Time corrected after speaking to the class teacher")  # type: ignore[attr-defined]
    dialog.when.setDateTime(dialog.when.dateTime().addSecs(-1800))  # type: ignore[attr-defined]
    dialog.submit()  # type: ignore[attr-defined]
    settle(window)
    last = child.model.rowCount() - 1  # type: ignore[attr-defined]
    child.table.selectRow(last)  # type: ignore[attr-defined]


def fill_referral(page: QWidget) -> None:
    widgets = page.form.widgets  # type: ignore[attr-defined]
    for name, value in (("immediate_risk", "no"), ("kind", "safeguarding"),
                        ("parents_aware", "yes"), ("consent_given", "yes"),
                        ("risk_view", "medium")):
        widgets[name].setCurrentIndex(widgets[name].findData(value))
    widgets["consent_by"].setText("Mother, by phone")
    widgets["worries"].setPlainText("Repeated unexplained bruising and the child's account "
                                    "of being pushed at home.")


def front_door(work: Path) -> Any:
    """A real LA front door on a free loopback port (the test suite's helper)."""
    from frontdoor import keys
    from tests.frontdoor.conftest import PASSPHRASE, _make_service

    os.environ[keys.PASSPHRASE_ENV] = PASSPHRASE
    service = _make_service(work, "la", None)
    service.max_body = 8 * 1024 * 1024  # a referral with its pack PDF, as a real LA allows
    service.start()
    return service


def admin_services(shots: Shots, service: Any) -> None:
    admin = shots.page("admin")
    shots.take("admin")
    admin.tabs.setCurrentWidget(admin.services)  # type: ignore[attr-defined]
    box = admin.services.boxes["frontdoor"]  # type: ignore[attr-defined]
    box.url.setText(service.url)
    box.fingerprint.setText(service.info.fingerprint)
    box.save.click()
    settle(shots.window)
    shots.take("admin_services")
    own = admin.services.own.text()  # type: ignore[attr-defined]
    assert service.cli("enrol", "--fingerprint", own, "--name", "Demo school") == 0


def my_concern_opened(shots: Shots) -> None:
    """The teacher opens the concern just recorded and adds further information to it."""
    page = shots.page("mine")
    # The teacher's own concerns are opened from their sealed copies after sign-in.
    wait_until(lambda: page.table.model().rowCount() > 0)  # type: ignore[attr-defined]
    page.table.selectRow(0)  # type: ignore[attr-defined]
    shots.take("my_concerns")
    page.add_further_information()  # type: ignore[attr-defined]
    settle(shots.window)
    dialog = next(d for d in shots.window.findChildren(QDialog) if d.isVisible())
    dialog.text.setPlainText("At home time his mum said he had fallen off his bike at the "  # type: ignore[attr-defined]
                             "weekend; he said nothing about the fence.")
    dialog.words.setPlainText("I don't want to talk about it.")  # type: ignore[attr-defined]
    shots.take("further_information", dialog)
    dialog.submit()  # type: ignore[attr-defined]
    settle(shots.window)
    shots.take("my_concerns_further")


def dsl_search(shots: Shots) -> None:
    page = shots.page("search")
    page.box.setText("fence")  # type: ignore[attr-defined]
    page.search()  # type: ignore[attr-defined]
    shots.take("search")
    page.open_current()  # type: ignore[attr-defined]
    shots.take("search_opened_child")


def admin_accounts(shots: Shots) -> None:
    admin = shots.page("admin")
    rows = admin.users.rows  # type: ignore[attr-defined]
    admin.user_table.selectRow(next(i for i, u in enumerate(rows)  # type: ignore[attr-defined]
                                    if u.username == "teacher2"))
    admin._change_roles()  # type: ignore[attr-defined]
    settle(shots.window)
    dialog = next(d for d in shots.window.findChildren(QDialog) if d.isVisible())
    dialog.roles["dsl"].setChecked(True)  # type: ignore[attr-defined]
    shots.take("admin_roles", dialog)
    dialog.reject()
    admin.user_table.selectRow(next(i for i, u in enumerate(rows)  # type: ignore[attr-defined]
                                    if u.username == "office"))
    admin.confirm = lambda _title, _text: True  # type: ignore[attr-defined]
    admin._disable()  # type: ignore[attr-defined]
    settle(shots.window)
    shots.take("admin_users")
    admin.tabs.setCurrentWidget(admin.roster)  # type: ignore[attr-defined]
    shots.take("admin_roster")


def set_a_flag(window: MainWindow, child: QWidget) -> None:
    child.flags.boxes["young-carer"].click()  # type: ignore[attr-defined]
    dialog = next(d for d in window.findChildren(QDialog) if d.isVisible())
    dialog.note.setPlainText("Cares for a parent; confirmed by the family support worker.")  # type: ignore[attr-defined]
    dialog.submit()  # type: ignore[attr-defined]
    settle(window)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    install()  # as ui/main.py does: sealing and replication react to every change
    work = Path(tempfile.mkdtemp(prefix="concerndesk-shots-"))
    service = window = None
    try:
        build_demo(work / "demo", pupils=120, kdf=TEST_KDF)
        service = front_door(work)
        app = QApplication(sys.argv[:1])
        theme.apply(app)
        window = MainWindow(work / "demo", demo=True, kdf=TEST_KDF)
        window.resize(1280, 820)
        window.show()
        window.start()
        shots = Shots(window, args.out, work)
        wait_until(lambda: window.signin.account.count() > 0)
        shots.take("signin")

        shots.sign_in("admin")
        admin_services(shots, service)
        window.lock_now()
        settle(window)

        shots.sign_in("teacher")
        record_concern(shots)
        my_concern_opened(shots)
        window.lock_now()
        shots.take("lock")

        shots.sign_in("dsl")
        shots.page("inbox")
        shots.take("inbox")
        inbox = window.workspace.pages["inbox"]  # type: ignore[union-attr]
        child = window.workspace.children_page.page  # type: ignore[union-attr]
        for row in range(inbox.model.rowCount()):  # a child with a long chronology
            inbox.table.selectRow(row)
            inbox._open_child()
            settle(window)
            if child.model.total >= 6:
                break
        set_a_flag(window, child)
        shots.take("child_page")
        child.show_profile()
        settle(window)
        shots.take("profile")
        child.tabs.setCurrentIndex(0)
        settle(window)
        amend_latest(window, child)
        child.show_history()
        settle(window)
        dialog = next(d for d in window.findChildren(QDialog) if d.isVisible())
        shots.take("history", dialog)
        dialog.reject()
        dsl_search(shots)
        shots.page("dashboard")
        shots.take("dashboard")
        referrals = shots.page("referrals")
        if hasattr(referrals, "form") and child.child is not None:
            referrals.start_for_child(child.child.id)
            settle(window)
            fill_referral(referrals)
            referrals.approve()
            settle(window)
            referrals.release()
            settle(window)
            referrals.queue()
            settle(window)
            wait_until(lambda: referrals.delivery.text().startswith("Received"))
            settle(window)
            shots.take("referral_editor")
        else:
            shots.take("referral_editor")
        window.lock_now()
        settle(window)

        shots.sign_in("office")
        shots.page("print")
        shots.take("print_queue")
        window.lock_now()
        settle(window)

        shots.sign_in("admin")  # last: it disables the office account
        admin_accounts(shots)
        window.lock_now()
        settle(window)

        return 0
    finally:
        if window is not None:
            window.close()
        if service is not None:
            service.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
