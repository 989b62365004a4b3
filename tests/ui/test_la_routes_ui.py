"""Issue #18 in the desktop app: the admin's LA, the referral editor in that LA's order and
wording, portal assist (copy, tick, record the LA's reference) and the secure-email dialog
(encrypted pack, one-time password, confirmation), on the real demo store."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from pypdf import PdfReader
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QGroupBox, QPushButton

from app.delivery import la_routes
from app.domain.chronology import chronology
from app.domain.la_profiles import choose_profile
from app.domain.referrals import approve_referral, get_referral, list_referrals
from app.store.access import unlock
from tests.ui.conftest import PASSPHRASE, settle, sign_in

SHOTS = os.environ.get("LAROUTES_SHOTS")  # a folder: save screenshots there to look at


def _prepare(store: Path, profile_id: str) -> str:
    """The admin chooses the LA; the demo's worked referral is approved by its DSL."""
    with unlock(store, "admin", PASSPHRASE) as admin:
        choose_profile(admin, profile_id)
    with unlock(store, "dsl", PASSPHRASE) as dsl:
        referral = list_referrals(dsl)[0]
        if referral.status == "draft":
            approve_referral(dsl, referral.id)
        return referral.id


def _shot(widget, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        widget.grab().save(str(Path(SHOTS) / f"laroutes-{name}.png"))


def test_portal_assist_ends_with_the_la_reference(qtbot, make_window, demo_store) -> None:  # type: ignore[no-untyped-def]
    referral_id = _prepare(demo_store, "eastwold")
    window = make_window()
    sign_in(qtbot, window, "dsl")
    referrals = window.workspace.pages["referrals"]
    referrals.open_referral(referral_id)
    settle(qtbot, window)
    boxes = [b.title() for b in referrals.form.findChildren(QGroupBox)]
    assert boxes[0] == "Before you start" and boxes[1] == "Section 1 – About the child"
    assert "Eastwold County Council" in referrals.route.text()
    routes = referrals.routes
    assert not routes.portal_button.isHidden() and routes.portal_button.isEnabled()
    assert routes.email_button.isHidden()
    referrals.resize(1300, 900)
    _shot(referrals, "editor")

    referrals.routes.portal_assist()
    settle(qtbot, window)
    dialog = referrals.routes.dialog
    titles = [b.title() for b in dialog.findChildren(QGroupBox)]
    assert titles[:3] == ["1. Before you start", "2. Section 1 – About the child",
                          "3. Section 2 – Details of the family"]
    # What the school recorded that the portal does not ask comes last, with nothing to tick.
    assert titles[-1].endswith("Also recorded by the school (not asked on this form)")
    assert set(dialog.ticks) == {s.title for s in window.workspace.pages[
        "referrals"].profile.sections}
    copy = next(b for b in dialog.findChildren(QPushButton)
                if b.accessibleName() == "Copy the answer to: First name")
    copy.click()
    board = QGuiApplication.clipboard()
    with unlock(demo_store, "dsl", PASSPHRASE) as dsl:
        child_id = get_referral(dsl, referral_id).child_id
        forename = dsl.conn.execute("SELECT legal_forename FROM children WHERE id = ?",
                                    (child_id,)).fetchone()[0]
    assert board.text() == forename
    assert board.mimeData().data("x-kde-passwordManagerHint") == b"secret"
    timer = window.clipboard._timer
    assert timer is not None and timer.isActive()
    timer.timeout.emit()  # the 30 seconds are up, without waiting for them
    assert board.text() == "" and not timer.isActive()
    dialog.ticks["Before you start"].setChecked(True)
    settle(qtbot, window)
    dialog.resize(900, 760)
    _shot(dialog, "portal-assist")

    dialog.submit()  # not yet confirmed: nothing is marked sent
    settle(qtbot, window)
    assert "submitted" in dialog.message.text()
    dialog.submitted.setChecked(True)
    dialog.reference.setText("EW-2026-00417")
    dialog.submit()
    settle(qtbot, window)
    settle(qtbot, window)
    assert "LA reference: EW-2026-00417" in referrals.route.text()
    assert referrals.routes.outcome_button.isEnabled()
    outcome = referrals.routes.la_answer("outcome")
    outcome.value.setCurrentText("Section 17 assessment (child in need)")
    outcome.submit()
    settle(qtbot, window)
    settle(qtbot, window)
    assert "Outcome: Section 17 assessment" in referrals.route.text()
    with unlock(demo_store, "dsl", PASSPHRASE) as dsl:
        state = la_routes.route_state(dsl, referral_id)
        text = "\n".join(i.summary for i in chronology(dsl, child_id))
    assert state.route == "portal" and state.sections_done == ["Before you start"]
    assert "EW-2026-00417" in text and "Section 17 assessment" in text


def test_secure_email_dialog(qtbot, make_window, demo_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    referral_id = _prepare(demo_store, "northmoor")
    window = make_window()
    sign_in(qtbot, window, "dsl")
    referrals = window.workspace.pages["referrals"]
    referrals.open_referral(referral_id)
    settle(qtbot, window)
    routes = referrals.routes
    assert not routes.email_button.isHidden() and routes.portal_button.isHidden()
    dialog = referrals.routes.secure_email()
    out = tmp_path / "referral.pdf"
    dialog.path.setText(str(out))
    dialog.save_encrypted()
    settle(qtbot, window)
    password = dialog.password.text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", password)
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    assert reader.is_encrypted and reader.decrypt(password)
    _shot(dialog, "secure-email")
    dialog.sent.setChecked(True)
    dialog.submit()
    settle(qtbot, window)
    settle(qtbot, window)
    assert "Sent by secure email to mash@northmoor.gov.example" in referrals.route.text()
    assert not routes.email_button.isEnabled() and routes.reference_button.isEnabled()


def test_the_admin_chooses_the_la(qtbot, make_window, demo_store) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    sign_in(qtbot, window, "admin")
    admin = window.workspace.pages["admin"]
    choice = admin.la_choice
    settle(qtbot, window)
    assert choice.combo.count() >= 4 and choice.combo.currentData() == "generic-marf"
    choice.combo.setCurrentIndex(choice.combo.findData("westbrook"))
    assert "secure email to frontdoor@westbrook.gov.example" in choice.details.text()
    assert "not yet confirmed" in choice.details.text()
    choice.save()
    settle(qtbot, window)
    with unlock(demo_store, "admin", PASSPHRASE) as session:
        from app.domain.la_profiles import chosen_profile

        assert chosen_profile(session).id == "westbrook"
    page = choice.parentWidget()
    page.resize(900, 420)
    page.layout().activate()
    _shot(page, "admin-la")
