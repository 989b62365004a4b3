"""A service that answers 429 is busy, not refusing: the client raises ``RateLimited`` with the
seconds of its Retry-After (clamped to 1..3600; 60 when it gave none or one that is not
seconds), and the outbox keeps the envelope queued until then, sends nothing more to that
service before then (even when a person asks), and says so in plain words.

Everything runs for real on 127.0.0.1: the front door (or hub) as ``concerndesk-frontdoor
serve``, and for uploads a real nginx in front of it that limits them (``BusyProxy``), since
the front door itself limits only requests to enrol (docs/protocol.md). The front door's own
429 is met where it gives one: enrolment requests over ``--enrolment-rate``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.delivery.identity import store_identity
from app.delivery.outbox import IN_FLIGHT, drain, enqueue, items
from app.delivery.referral import queue_referral
from app.delivery.services import make_client, set_service
from app.delivery.status import summary
from app.delivery.team_keys import device_fingerprint, ensure_team_keys
from app.domain.referrals import get_referral
from app.hub.backfill import backfill
from app.hub.sync import sync_hub, sync_round
from app.protocol.client import (
    RETRY_AFTER_DEFAULT,
    FrontDoorClient,
    FrontDoorError,
    RateLimited,
    Refused,
    retry_after_seconds,
)
from app.protocol.envelope import new_header, seal
from app.protocol.fingerprint import KeyPairs
from app.store.session import Session
from tests.conftest import SmallSchool
from tests.frontdoor.conftest import BusyProxy, Service
from tests.frontdoor.test_school_delivery import _approved_referral
from ui.referral_editor import delivery_state
from ui.status_bar import sync_words
from ui.sync_worker import sync_once

# What the school's data holds about the child in these tests: none of it may be in a message.
CHILD = ("Zofia", "Wiśniewska", "Zosia", "B801200005001", "disappear", "self-harm")
LA_BUSY_30 = "The LA front door is busy: will try again in 30 seconds"
StartProxy = Callable[..., BusyProxy]


def no_child_data(*texts: str | None) -> None:
    for text in texts:
        assert not any(word.lower() in (text or "").lower() for word in CHILD), text


def synthetic_envelopes(session: Session, service: Service, count: int) -> list[str]:
    me = store_identity(session.store_id).fingerprint
    hpke = service.info.bundle.hpke_key()
    with session.tx():
        return enqueue(session, [seal(new_header(me, service.info.fingerprint, "referral"),
                                      b'{"synthetic": %d}' % n, hpke, session.device.signing_key)
                                 for n in range(count)], service.info.fingerprint, "test", "t")


# -- the client -----------------------------------------------------------------------------

def test_retry_after_is_seconds_or_a_date_kept_between_a_second_and_an_hour() -> None:
    now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    assert retry_after_seconds("30", now) == 30
    assert retry_after_seconds(" 45 ", now) == 45
    assert retry_after_seconds("0", now) == 1
    assert retry_after_seconds("7200", now) == 3600
    assert retry_after_seconds("9" * 40, now) == 3600
    assert retry_after_seconds("Thu, 03 Dec 2026 09:02:00 GMT", now) == 120
    assert retry_after_seconds("Thu, 03 Dec 2026 08:00:00 GMT", now) == 1  # gone by
    assert retry_after_seconds("Fri, 31 Dec 9999 23:59:59 GMT", now) == 3600
    for malformed in (None, "", "soon", "-5", "2.5", "²", "30 seconds",
                      "Thu, 99 Foo 2026 99:99:99 GMT"):
        assert retry_after_seconds(malformed, now) == RETRY_AFTER_DEFAULT == 60, malformed


def test_the_front_doors_own_429_is_busy_not_refused(school: SmallSchool,
                                                     fresh_la_service: Service) -> None:
    """Over its enrolment limit the real front door answers 429 with Retry-After: the client
    says "busy, try again in …", setting the front door saves nothing, and nothing names a
    child."""
    service = fresh_la_service
    service.serve_args = ["--enrolment-rate", "1"]
    service.start()
    first = KeyPairs.generate()
    with service.client(first) as client:
        assert client.request_enrolment(first.bundle, "Synthetic School") == "pending"
    second = KeyPairs.generate()
    with service.client(second) as client, pytest.raises(RateLimited) as caught:
        client.request_enrolment(second.bundle, "Synthetic School")
    busy = caught.value
    assert isinstance(busy, FrontDoorError) and not isinstance(busy, Refused)
    assert busy.retryable and busy.status == 429 and busy.code == "too-many-requests"
    assert 55 <= busy.retry_after <= 60  # one request a minute: the next in about 60 s
    with school.open("dsl") as dsl:
        with pytest.raises(RateLimited) as caught:
            set_service(dsl, "frontdoor", service.url, service.info.fingerprint)
        assert str(caught.value) == "The LA front door is busy: try again in 1 minute"
        assert dsl.conn.execute("SELECT count(*) FROM services").fetchone()[0] == 0


@pytest.mark.parametrize(("header", "seconds", "words"), [
    (None, 60, "1 minute"), ("soon", 60, "1 minute"), ("7200", 3600, "1 hour"),
    ("0", 1, "1 second")])
def test_a_missing_or_odd_retry_after_gets_a_sane_wait(
        fresh_la_service: Service, busy_proxy: StartProxy, header: str | None, seconds: int,
        words: str) -> None:
    service = fresh_la_service
    service.start()
    pairs, _ = service.enrolled_device()
    proxy = busy_proxy(service, retry_after=header)
    envelopes = [seal(new_header(pairs.fingerprint, service.info.fingerprint, "referral"),
                      b'{"synthetic": true}', service.info.bundle.hpke_key(), pairs.signing)
                 for _ in range(2)]
    with FrontDoorClient(proxy.url, pairs.signing, pairs.fingerprint,
                         service_bundle=service.info.bundle, name="The hub") as client:
        client.put_envelope(envelopes[0])
        with pytest.raises(RateLimited) as caught:
            client.put_envelope(envelopes[1])
    assert caught.value.retry_after == seconds
    assert str(caught.value) == f"The hub is busy: try again in {words}"
    assert proxy.uploads() == [201, 429]


# -- the outbox, to an LA front door ----------------------------------------------------------

def test_a_busy_front_door_keeps_the_referral_queued_until_its_retry_after(
        school: SmallSchool, fresh_la_service: Service, busy_proxy: StartProxy) -> None:
    service = fresh_la_service
    service.start()
    proxy = busy_proxy(service, retry_after="30")  # one upload a minute, then 429
    clock = school.clock
    with school.open("dsl") as dsl:
        set_service(dsl, "frontdoor", proxy.url, service.info.fingerprint)
        me = store_identity(dsl.store_id).fingerprint
        assert service.cli("enrol", "--fingerprint", me, "--name", "Larkfield") == 0
        first, second = synthetic_envelopes(dsl, service, 2)
        referral_id = _approved_referral(dsl, school)
        [referral_envelope] = queue_referral(dsl, referral_id)

        # One at a time: the first goes, the second is told 429, the third is not even tried.
        with make_client(proxy.url, dsl, service.info.bundle) as client:
            done = drain(dsl, client, in_flight=1)
        assert [(d.item.id, d.outcome) for d in done] == [
            (first, "receipted"), (second, "waiting"), (referral_envelope, "waiting")]
        assert [d.detail for d in done[1:]] == [LA_BUSY_30] * 2
        assert proxy.uploads() == [201, 429]
        by_id = {i.id: i for i in items(dsl)}
        retry_at = clock.now() + timedelta(seconds=30)
        for envelope_id, attempts in ((second, 1), (referral_envelope, 0)):
            item = by_id[envelope_id]
            assert (item.state, item.attempts) == ("queued", attempts)
            assert item.next_attempt_at == retry_at and item.last_error == LA_BUSY_30
        assert get_referral(dsl, referral_id).status == "queued"

        # What people see: the status bar (the app's own round), and the referral.
        status = summary(dsl)
        assert (status.queued, status.failed) == (2, 0)
        result = sync_once(dsl)
        shown, described = sync_words(result.summary, result.problem)
        assert shown.startswith("Sync: 2 queued, last delivered ")
        assert shown.endswith(f"· ⚠ {LA_BUSY_30}")
        word, sentence = delivery_state([by_id[referral_envelope]])
        assert word == "Queued for the LA"
        assert sentence == ("Queued for the LA front door: it goes with the next sync. "
                            f"Last try: {LA_BUSY_30}.")
        no_child_data(shown, described, word, sentence, *(d.detail for d in done))

        # Before the time, nothing goes: not the background round, not "Sync now".
        clock.advance(10)
        assert sync_once(dsl, everything=True).problem == LA_BUSY_30
        waited = sync_round(dsl).sent
        assert {d.outcome for d in waited} == {"waiting"}
        assert {d.detail for d in waited} == {
            "The LA front door is busy: will try again in 20 seconds"}
        assert proxy.uploads() == [201, 429]

        # Then both go again, together (nginx, on real time, still says no: queued again).
        clock.advance(20)
        assert sync_once(dsl).problem == LA_BUSY_30
        assert proxy.uploads() == [201, 429, 429, 429]
        by_id = {i.id: i for i in items(dsl)}
        assert [(by_id[i].state, by_id[i].attempts) for i in (second, referral_envelope)] == [
            ("queued", 2), ("queued", 1)]
        assert by_id[second].next_attempt_at == clock.now() + timedelta(seconds=30)

        # The limit lifted (straight to the service): both go, each once.
        clock.advance(30)
        with make_client(service.url, dsl, service.info.bundle) as client:
            assert [d.outcome for d in drain(dsl, client)] == ["receipted", "receipted"]
        assert get_referral(dsl, referral_id).status == "receipted"
        assert (summary(dsl).queued, summary(dsl).failed) == (0, 0)
    assert sorted(service.stored_ids()) == sorted([first, second, referral_envelope])


# -- the outbox and the sync round, with a school hub -------------------------------------------

def test_a_busy_hub_gets_nothing_more_until_its_retry_after(
        single_key_school: SmallSchool, hub_service: Service, busy_proxy: StartProxy) -> None:
    school = single_key_school  # a hub school made before keyed hub schools: one key
    hub = hub_service
    proxy = busy_proxy(hub, retry_after="30")
    clock = school.clock
    with school.open("dsl") as dsl:  # a concern from before the hub: it goes in the backfill
        _approved_referral(dsl, school)
    with school.open("admin") as admin:
        set_service(admin, "hub", proxy.url, hub.info.fingerprint)
        assert ensure_team_keys(admin)
        backfill(admin)
        assert hub.cli("enrol", "--fingerprint", device_fingerprint(admin), "--name",
                       "Synthetic admin PC") == 0
        queued = [i.id for i in items(admin, pending_only=True)]
        assert len(queued) >= 2
        # Someone else on this network used the minute's one upload.
        stray = httpx.put(f"{proxy.url}/v1/envelopes/{uuid.uuid4()}", content=b"x")
        assert stray.status_code != 429
        before = len(proxy.requests())

        report = sync_hub(admin)
        assert report.waiting == "The hub is busy: will try again in 30 seconds"
        assert [d.outcome for d in report.sent] == ["waiting"] * len(queued)
        # The audit-head check goes first (docs/hub-sync.md); then only the uploads already on
        # the wire were tried, and the inbox was not asked for.
        asked = proxy.requests()[before:]
        assert [(m, s) for m, p, s in asked if p == "/v1/audit-heads"] == [("GET", 200),
                                                                           ("POST", 200)]
        tried = [r for r in asked if r[1] != "/v1/audit-heads"]
        assert 1 <= len(tried) <= min(IN_FLIGHT, len(queued))
        assert {(method, status) for method, _, status in tried} == {("PUT", 429)}
        pending = items(admin, pending_only=True)
        assert [i.id for i in pending] == queued
        assert {i.state for i in pending} == {"queued"}
        assert {i.next_attempt_at for i in pending} == {clock.now() + timedelta(seconds=30)}
        assert summary(admin).failed == 0

        assert sync_once(admin).problem == "The hub is busy: will try again in 30 seconds"
        clock.advance(5)
        result = sync_once(admin, everything=True)  # "Sync now", 5 s later
        assert result.problem == "The hub is busy: will try again in 25 seconds"
        shown, described = sync_words(result.summary, result.problem)
        assert shown.endswith("· ⚠ The hub is busy: will try again in 25 seconds")
        assert len(proxy.requests()) == before + len(asked)  # nothing more went to the hub
        no_child_data(shown, described, report.waiting, *(d.detail for d in report.sent))

        # Time up, and the hub takes uploads again: everything goes, the inbox is read.
        proxy.stop()
        proxy.per_minute, proxy.burst = 600, 100
        proxy.start()
        clock.advance(25)
        report = sync_hub(admin)
        assert report.waiting is None
        assert [d.outcome for d in report.sent] == ["receipted"] * len(queued)
        assert any(p.startswith("/v1/inbox") for _, p, _ in proxy.requests())
