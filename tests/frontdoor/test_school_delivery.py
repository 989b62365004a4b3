"""A school's referral reaches a real LA front door: queued in the encrypted outbox, delivered
once, receipted, kept — through refusals, an outage and a lost receipt."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest

from app.delivery.identity import store_identity
from app.delivery.outbox import drain, items
from app.delivery.referral import queue_referral
from app.delivery.services import make_client, set_service
from app.delivery.status import summary
from app.domain.concerns import ConcernDraft, record_concern
from app.domain.pupils import child_by_upn
from app.domain.referrals import approve_referral, create_referral, get_referral
from app.errors import ConcernDeskError, NotFound
from app.protocol.client import FingerprintMismatch
from app.protocol.receipt import Receipt, verify_receipt
from app.store.session import Session
from tests.conftest import SmallSchool
from tests.frontdoor.conftest import Service

READY = [("kind", "safeguarding"), ("immediate_risk", "no"), ("parents_aware", "yes"),
         ("consent_given", "yes"), ("worries", "Talk of self-harm"), ("risk_view", "high")]


def _approved_referral(dsl: Session, school: SmallSchool) -> str:
    child = child_by_upn(dsl, "B801200005001")
    record_concern(dsl, ConcernDraft(children=[(child.id, "subject")], categories=["self-harm"],
                                     text="Said she wanted to disappear",
                                     occurred_at=school.clock.now() - timedelta(days=1)))
    referral = create_referral(dsl, child.id, READY)
    approve_referral(dsl, referral.id)
    return referral.id


def _sync(dsl: Session, service: Service) -> list[str]:
    url = service.url
    with make_client(url, dsl, service.info.bundle) as client:
        return [d.outcome for d in drain(dsl, client, rng=random.Random(1))]


def test_queue_needs_a_front_door_and_a_wrong_fingerprint_saves_nothing(
        school: SmallSchool, la_service: Service) -> None:
    with school.open("dsl") as dsl:
        referral_id = _approved_referral(dsl, school)
        with pytest.raises(NotFound, match="No LA front door"):
            queue_referral(dsl, referral_id)
        wrong = "0000-1111-2222-3333-4444-5555-6666-7777-8888-9999"
        with pytest.raises(FingerprintMismatch, match="nothing was saved"):
            set_service(dsl, "frontdoor", la_service.url, wrong)
        assert dsl.conn.execute("SELECT count(*) FROM services").fetchone()[0] == 0


def test_referral_is_delivered_once_with_a_verified_receipt(school: SmallSchool,
                                                            fresh_la_service: Service) -> None:
    service = fresh_la_service
    service.start()
    with school.open("dsl") as dsl:
        referral_id = _approved_referral(dsl, school)
        set_service(dsl, "frontdoor", service.url, service.info.fingerprint)
        envelope_ids = queue_referral(dsl, referral_id)
        assert get_referral(dsl, referral_id).status == "queued"

        assert summary(dsl).queued == 1 and summary(dsl).last_delivered is None
        # Not enrolled yet: refused, nothing stored there, still waiting here.
        assert _sync(dsl, service) == ["failed"]
        assert summary(dsl).failed == 1 and "not enrolled" in (summary(dsl).last_error or "")
        assert service.stored_ids() == []
        assert [i.state for i in items(dsl)] == ["failed"]

        me = store_identity(dsl.store_id).fingerprint
        assert service.cli("enrol", "--fingerprint", me, "--name", "Larkfield") == 0
        assert _sync(dsl, service) == ["receipted"]
        assert get_referral(dsl, referral_id).status == "receipted"
        kept = Receipt.from_bytes(items(dsl)[0].receipt.encode())  # type: ignore[union-attr]
        verify_receipt(kept, service.info.bundle.signing_key())
        assert kept.envelope_id == envelope_ids[-1]
        assert _sync(dsl, service) == []  # nothing left to send
        status = summary(dsl)
        assert (status.queued, status.failed) == (0, 0) and status.last_delivered
        assert status.text.startswith("Sync: nothing waiting, last delivered")

        # The receipt was lost in transit: the same bytes again get the same receipt.
        raw = dsl.conn.execute("SELECT envelope FROM outbox").fetchone()[0]
        with make_client(service.url, dsl, service.info.bundle) as client:
            again = client.put_envelope(bytes(raw))
        assert again.to_bytes() == kept.to_bytes()
    assert service.stored_ids() == envelope_ids


def test_service_down_keeps_it_queued_with_backoff_then_delivers(
        school: SmallSchool, fresh_la_service: Service) -> None:
    service = fresh_la_service
    service.start()
    with school.open("dsl") as dsl:
        referral_id = _approved_referral(dsl, school)
        set_service(dsl, "frontdoor", service.url, service.info.fingerprint)
        me = store_identity(dsl.store_id).fingerprint
        assert service.cli("enrol", "--fingerprint", me, "--name", "Larkfield") == 0
        queue_referral(dsl, referral_id)
        service.stop()

        assert _sync(dsl, service) == ["waiting"]
        first = items(dsl)[0]
        assert first.state == "queued" and first.attempts == 1 and first.last_error
        assert first.next_attempt_at and first.next_attempt_at > school.clock.now()
        assert _sync(dsl, service) == ["waiting"]
        assert items(dsl)[0].attempts == 2

        service.start(port=service.port)
        assert _sync(dsl, service) == ["receipted"]
        assert get_referral(dsl, referral_id).status == "receipted"
        audit = [json.loads(r[0]) for r in dsl.conn.execute(
            f"SELECT detail FROM {dsl.audit_schema}.audit WHERE action = 'receipt'")]
    assert len(audit) == 1 and service.stored_ids() == [items_id(school)]


def items_id(school: SmallSchool) -> str:
    with school.open("dsl") as dsl:
        return items(dsl)[0].id


def test_staff_cannot_queue_or_point_the_school_at_a_front_door(
        school: SmallSchool, la_service: Service) -> None:
    with school.open("teacher") as teacher, pytest.raises(ConcernDeskError):
        set_service(teacher, "frontdoor", la_service.url, la_service.info.fingerprint)


def test_a_backlog_goes_several_at_a_time_each_once_in_outbox_order(
        school: SmallSchool, fresh_la_service: Service) -> None:
    """After a week offline: every queued envelope is delivered exactly once, the results and
    the receipts line up with the outbox, whatever order the uploads finished in."""
    from app.delivery.outbox import enqueue
    from app.protocol.envelope import new_header, seal

    service = fresh_la_service
    service.start()
    with school.open("dsl") as dsl:
        set_service(dsl, "frontdoor", service.url, service.info.fingerprint)
        me = store_identity(dsl.store_id).fingerprint
        assert service.cli("enrol", "--fingerprint", me, "--name", "Larkfield") == 0
        hpke = service.info.bundle.hpke_key()
        with dsl.tx():
            queued = enqueue(dsl, [seal(new_header(me, service.info.fingerprint, "referral"),
                                        b'{"synthetic": %d}' % n, hpke, dsl.device.signing_key)
                                   for n in range(11)], service.info.fingerprint, "test", "t")
        with make_client(service.url, dsl, service.info.bundle) as client:
            done = drain(dsl, client, in_flight=4)
        assert [d.item.id for d in done] == queued
        assert [d.outcome for d in done] == ["receipted"] * 11
        kept = {i.id: Receipt.from_bytes(i.receipt.encode()) for i in items(dsl)}  # type: ignore[union-attr]
        assert all(r.envelope_id == i for i, r in kept.items())
        assert sorted(service.stored_ids()) == sorted(queued)
        assert dsl.conn.execute(f"SELECT count(*) FROM {dsl.audit_schema}.audit WHERE "
                                "action = 'receipt'").fetchone()[0] == 11
