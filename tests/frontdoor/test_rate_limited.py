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

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from app.delivery.services import set_service
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
from tests.conftest import SmallSchool
from tests.frontdoor.conftest import BusyProxy, Service

StartProxy = Callable[..., BusyProxy]


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
