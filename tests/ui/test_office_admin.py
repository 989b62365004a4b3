"""The office prints released packs and sees nothing else; the admin runs accounts and
settings; a first run creates a school and shows its recovery key once."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QDialog, QTabWidget

from app.pack.assembly import release_referral
from app.store.access import unlock
from app.store.audit import events
from tests.ui.conftest import PASSPHRASE, settle, sign_in, wait_for
from tests.ui.test_staff import nav_titles

referrals = pytest.importorskip("app.domain.referrals")


def release_a_pack(store: Path) -> str:
    from app.domain.pupils import list_pupils

    with unlock(store, "dsl", PASSPHRASE) as session:
        child = list_pupils(session)[0]
        referral = referrals.create_referral(session, child.id, [
            ("immediate_risk", "no"), ("kind", "safeguarding"), ("parents_aware", "yes"),
            ("consent_given", "yes"), ("risk_view", "low"), ("worries", "Synthetic worry.")])
        referrals.approve_referral(session, referral.id)
        return release_referral(session, referral.id)


def test_office_previews_prints_saves_and_marks_printed(qtbot, make_window, demo_store,
                                                       tmp_path) -> None:  # type: ignore[no-untyped-def]
    pack_id = release_a_pack(demo_store)
    window = make_window()
    sign_in(qtbot, window, "office")
    assert nav_titles(window) == ["Print queue"]
    page = window.workspace.pages["print"]
    settle(qtbot, window)
    assert [p.id for p in page.model.rows] == [pack_id]

    page.preview()
    settle(qtbot, window)
    preview = next(d for d in window.findChildren(QDialog) if d.isVisible())
    assert preview.pages and not preview.pages[0].isNull()
    assert preview.pages[0].width() > 500
    preview.reject()

    printed = tmp_path / "printed.pdf"

    def to_file(printer: QPrinter) -> bool:  # pre-answers the print dialog
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(printed))
        return True

    page.choose_printer = to_file
    page.print_pack()
    settle(qtbot, window)
    assert printed.read_bytes().startswith(b"%PDF")

    saved = tmp_path / "saved"
    page.choose_save_path = lambda: saved
    page.save_pack()
    settle(qtbot, window)
    assert saved.with_suffix(".pdf").read_bytes().startswith(b"%PDF")

    page.mark_printed()
    settle(qtbot, window)
    assert page.model.rows[0].printed
    assert page.model.data(page.model.index(0, 3)) == "Yes, printed"
    window.lock_now()
    settle(qtbot, window)

    with unlock(demo_store, "dsl", PASSPHRASE) as session:
        actions = [(e.action, e.object_id) for e in events(session.conn)]
        referral_id = session.conn.execute("SELECT referral_id FROM referral_packs WHERE id = ?",
                                           (pack_id,)).fetchone()[0]
        office = session.conn.execute("SELECT display_name FROM users WHERE username = 'office'"
                                      ).fetchone()[0]
    assert ("print", pack_id) in actions and ("export", pack_id) in actions

    # The DSL sees on the referral who printed its pack (on every DSL PC, via the hub).
    dsl_window = make_window()
    sign_in(qtbot, dsl_window, "dsl")
    editor = dsl_window.workspace.pages["referrals"]
    editor.open_referral(referral_id)
    settle(qtbot, dsl_window)
    assert f"printed by {office} at " in editor.status.text()


def test_admin_manages_accounts_and_settings(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    sign_in(qtbot, window, "admin")
    assert nav_titles(window) == ["Admin"]
    admin = window.workspace.pages["admin"]
    settle(qtbot, window)
    assert {u.username for u in admin.users.rows} >= {"admin", "dsl", "office"}

    admin._add_user()
    settle(qtbot, window)
    dialog = next(d for d in window.findChildren(QDialog) if d.isVisible())
    dialog.username.setText("newteacher")
    dialog.display.setText("Nia Newteacher")
    dialog.passphrase.setText("short")
    dialog.submit()
    settle(qtbot, window)
    assert "passphrase" in dialog.message.text().lower() and dialog.isVisible()
    assert dialog.username.text() == "newteacher"  # nothing typed is lost
    dialog.passphrase.setText("a long enough first passphrase")
    dialog.submit()
    settle(qtbot, window)
    assert "newteacher" in {u.username for u in admin.users.rows}

    row = next(i for i, u in enumerate(admin.users.rows) if u.username == "teacher")
    admin.user_table.selectRow(row)
    admin._reset()
    settle(qtbot, window)
    dialog = next(d for d in window.findChildren(QDialog) if d.isVisible())
    dialog.passphrase.setText("teacher's brand new passphrase")
    dialog.submit()
    settle(qtbot, window)
    assert not dialog.isVisible()

    admin.auto_lock.setValue(9)
    admin.setting_edits["school_phone"].setText("01234 000000")
    years = admin.retention_years
    years["retention_sen_years"].setValue(24 + 1)
    years["retention_years"].setValue(30)  # longer than SEN: refused in words
    admin._save_school()
    settle(qtbot, window)
    assert "cannot be shorter" in admin.school_message.text()
    years["retention_sen_years"].setValue(35)
    years["retention_looked_after_years"].setValue(40)
    admin._save_school()
    settle(qtbot, window)
    assert window.idle.interval_ms == 9 * 60_000
    assert "saved" in window.messages.text
    admin.findChild(QTabWidget).setCurrentIndex(1)  # the School tab, for a look
    admin.grab().save("/tmp/retention-admin.png")

    window.lock_now()
    settle(qtbot, window)
    sign_in(qtbot, window, "teacher", "teacher's brand new passphrase")
    assert window.info.username == "teacher"


def test_first_run_creates_a_school_and_shows_the_recovery_key_once(qtbot, make_window,
                                                                     tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = make_window(tmp_path / "new-store", demo=False)
    wait_for(qtbot, lambda: hasattr(window, "create_page"))
    page = window.create_page
    page.school.setText("Larkfield Test Primary")
    page.display.setText("Avery Admin")
    page.passphrase.setText("a long admin passphrase")
    page.confirm.setText("a different one")
    page.submit()
    assert page.messages["confirm"].isVisible()
    page.confirm.setText("a long admin passphrase")
    page.submit()
    settle(qtbot, window)
    key = page.key_label.text()
    assert len(key.replace("-", "").replace(" ", "")) >= 50
    assert not page.carry_on.isEnabled()
    page.written.setChecked(True)
    page.carry_on.click()
    settle(qtbot, window)
    assert page.key_label.text() == ""
    assert window.info.username == "admin" and nav_titles(window) == ["Admin"]
    assert not window.banner.isVisible()


def test_the_recovery_key_resets_a_forgotten_passphrase(qtbot, make_window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = make_window(tmp_path / "fresh", demo=False)
    wait_for(qtbot, lambda: hasattr(window, "create_page"))
    page = window.create_page
    page.school.setText("Larkfield Test Primary")
    page.passphrase.setText("the admin's first passphrase")
    page.confirm.setText("the admin's first passphrase")
    page.submit()
    settle(qtbot, window)
    key = page.key_label.text()
    page.written.setChecked(True)
    page.carry_on.click()
    window.lock_now()
    settle(qtbot, window)

    window.signin.recover.click()
    dialog = next(d for d in window.findChildren(QDialog) if d.isVisible())
    dialog.key.setText("AAAA-" + key[5:])  # a mistyped key is refused inline
    dialog.account.setText("admin")
    dialog.new.setText("a new passphrase for the admin")
    dialog.submit()
    settle(qtbot, window)
    assert dialog.isVisible() and dialog.message.isVisible()
    dialog.key.setText(key)
    dialog.submit()
    settle(qtbot, window)
    assert not dialog.isVisible()
    assert "reset" in window.messages.text
    sign_in(qtbot, window, "admin", "a new passphrase for the admin")
    assert window.info.username == "admin"
