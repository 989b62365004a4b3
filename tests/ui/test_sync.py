"""Sync through real widgets and a real LA front door on 127.0.0.1: the admin sets it by its
fingerprint (a wrong one saves nothing), the DSL sends an approved referral, the background sync
thread delivers it and the editor shows the LA's receipt, then the LA's signed decision;
locking stops that thread and closes its connection."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.domain.pupils import list_pupils
from app.domain.referrals import approve_referral, create_referral
from frontdoor import keys
from tests.frontdoor.conftest import PASSPHRASE as SERVICE_PASSPHRASE
from tests.frontdoor.conftest import Service, _make_service
from tests.ui.conftest import settle, sign_in, wait_for

READY = [("immediate_risk", "no"), ("kind", "safeguarding"), ("parents_aware", "yes"),
         ("consent_given", "yes"), ("risk_view", "low"), ("worries", "Synthetic worry.")]
WRONG = "0000-1111-2222-3333-4444-5555-6666-7777-8888-9999"


@pytest.fixture(scope="module")
def front_door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(keys.PASSPHRASE_ENV, SERVICE_PASSPHRASE)
        service = _make_service(tmp_path_factory.mktemp("la"), "la", None)
        service.start()
        yield service
        service.stop()


def approved_referral(qtbot, window) -> str:  # type: ignore[no-untyped-def]
    made: list[str] = []

    def make(session) -> None:  # type: ignore[no-untyped-def]
        referral = create_referral(session, list_pupils(session)[0].id, READY)
        approve_referral(session, referral.id)
        made.append(referral.id)

    window.db.op(None, make).run()
    settle(qtbot, window)
    return made[0]


def test_admin_sets_the_front_door_and_the_dsl_sends_a_referral_that_is_receipted(
        qtbot, make_window, front_door: Service, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(keys.PASSPHRASE_ENV, SERVICE_PASSPHRASE)
    window = make_window()
    sign_in(qtbot, window, "admin")
    assert window.status.sync.text() == "Sync: not set up"
    assert not window.status.sync_button.isVisible()
    admin = window.workspace.pages["admin"]
    admin.tabs.setCurrentWidget(admin.services)
    settle(qtbot, window)
    own = admin.services.own.text()
    assert len(own.replace("-", "")) >= 32
    box = admin.services.boxes["frontdoor"]

    # A fingerprint that is not the service's: said at the field, nothing saved, nothing lost.
    box.url.setText(front_door.url)
    box.fingerprint.setText(WRONG)
    box.save.click()
    settle(qtbot, window)
    assert box.messages["fingerprint"].isVisible()
    assert "nothing was saved" in box.messages["fingerprint"].text()
    assert box.current.text() == "Not set up." and box.fingerprint.text() == WRONG
    assert window.status.sync.text() == "Sync: not set up"

    box.fingerprint.setText(front_door.info.fingerprint)
    box.save.click()
    settle(qtbot, window)
    assert not box.messages["fingerprint"].isVisible()
    assert box.current.text().startswith("Set up: " + front_door.url)
    wait_for(qtbot, lambda: window.status.sync.text() == "Sync: nothing waiting")
    assert window.status.sync_button.isVisible()
    assert front_door.cli("enrol", "--fingerprint", own, "--name", "Larkfield") == 0
    window.lock_now()
    settle(qtbot, window)

    sign_in(qtbot, window, "dsl")
    referral_id = approved_referral(qtbot, window)
    page = window.workspace.show_page("referrals")
    page.open_referral(referral_id)
    settle(qtbot, window)
    assert page.delivery.text() == "Not sent to the LA front door."
    assert page.queue_button.isEnabled()
    page.queue_button.click()
    settle(qtbot, window)
    assert page.referral.status in ("queued", "receipted")
    # The background thread delivers it; the editor then shows the LA's signed receipt.
    wait_for(qtbot, lambda: page.delivery.text().startswith("Received by the LA front door"))
    settle(qtbot, window)
    assert page.referral.status == "receipted" and not page.queue_button.isEnabled()
    wait_for(qtbot, lambda: "last delivered" in window.status.sync.text())
    row = next(r for r in page.model.rows if r[0].id == referral_id)
    assert page.model.data(page.model.index(page.model.rows.index(row), 1)).startswith(
        "Received by the LA ")
    assert len(front_door.stored_ids()) >= 1

    # "Sync now" runs a round at once and comes back.
    window.status.sync_button.click()
    assert not window.status.sync_button.isEnabled()
    wait_for(qtbot, lambda: window.status.sync_button.isEnabled())
    assert window.status.sync.text().startswith("Sync: nothing waiting, last delivered")

    # The LA decides (issue #18); a sync brings its signed decision to the referral.
    storage = front_door.storage()
    (envelope_id,) = [e.id for e in storage.list_envelopes() if e.kind == "referral"]
    storage.close()
    assert front_door.cli("inbox", "decide", envelope_id, "--outcome", "early help", "--note",
                          "Family support worker allocated", "--by", "Sam Duty") == 0
    window.status.sync_button.click()
    wait_for(qtbot, lambda: window.status.sync_button.isEnabled())
    settle(qtbot, window)
    page.open_referral(referral_id)
    settle(qtbot, window)
    assert "decided: early help (Sam Duty," in page.delivery.text()
    assert "Family support worker allocated" in page.delivery.text()
    page.grab().save("/tmp/laside-ui-referral.png")

    # Locking stops the sync thread and closes its connection.
    worker = window.sync.worker
    assert worker is not None and worker.session is not None
    window.lock_now()
    assert not window.sync.running
    wait_for(qtbot, lambda: worker.session is None)
    assert window.sync.wait(10_000)
    assert window.status.sync.text() == "Sync: not set up"


def test_sending_without_a_front_door_says_to_ask_the_admin(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    sign_in(qtbot, window, "dsl")
    referral_id = approved_referral(qtbot, window)
    page = window.workspace.show_page("referrals")
    page.open_referral(referral_id)
    settle(qtbot, window)
    assert "Ask your admin to set up the LA front door" in page.delivery.text()
    # The button is greyed out with the reason beside it; asked anyway, the page refuses.
    assert not page.queue_button.isEnabled() and page.queue_reason.isVisible()
    page.queue()
    settle(qtbot, window)
    assert page.message.isVisible() and "Ask your admin" in page.message.text()
    assert page.referral.status == "approved"


def test_the_sync_thread_follows_a_re_key_of_the_school_store(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    """An admin removes an account: the school store is re-keyed on the DB thread, and the
    sync thread's own connection, opened on the old key, is replaced, not left failing."""
    from app.store.users import remove_user

    window = make_window()
    sign_in(qtbot, window, "admin")
    wait_for(qtbot, lambda: window.sync.worker is not None and not window.sync.busy)
    before = window.sync.worker.session
    window.db.op(None, lambda s: remove_user(s, "teacher2")).run()
    settle(qtbot, window)
    results: list[object] = []
    window.sync.finished.connect(results.append)
    window.sync.sync_now()
    wait_for(qtbot, lambda: any(not isinstance(r, str) for r in results))
    assert window.sync.worker is not None and window.sync.worker.session is not before
    assert "sign in again" not in window.status.sync.text()
