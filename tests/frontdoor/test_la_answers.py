"""The LA answers the school (issue #18): ``inbox acknowledge`` and ``inbox decide`` on a real
LA front door, sealed to the school's DSL team key and signed by the front door; the DSL PC's
sync verifies the signature against the key it pinned and records each answer on the referral
and in the child's chronology; a forged answer is refused, audited, and changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from app.cli.main import main as cli_main
from app.delivery.identity import store_identity
from app.delivery.la_routes import route_state
from app.delivery.outcomes import la_answers
from app.delivery.referral import queue_referral
from app.delivery.services import set_service
from app.domain.chronology import chronology
from app.domain.concerns import ConcernDraft, record_concern
from app.domain.pupils import child_by_upn
from app.domain.referrals import approve_referral, create_referral, get_referral
from app.hub.sync import sync_round
from app.protocol.answer import Answer, seal_answer
from app.protocol.envelope import parse
from app.protocol.fingerprint import KeyPairs
from app.protocol.payload import read_referral
from app.store.session import Session
from app.wording import date_time_text
from frontdoor import keys
from frontdoor.inbox import Inbox
from frontdoor.la_storage import AnswerRecord
from tests.conftest import STAFF_PASS, SmallSchool
from tests.frontdoor.conftest import PASSPHRASE, Service

READY = [("kind", "safeguarding"), ("immediate_risk", "no"), ("parents_aware", "yes"),
         ("consent_given", "yes"), ("worries", "Talk of self-harm"), ("risk_view", "high")]


def sent_referral(dsl: Session, school: SmallSchool, service: Service) -> tuple[str, str]:
    """A referral queued and receipted at the LA front door: (referral id, its envelope id)."""
    child = child_by_upn(dsl, "B801200005001")
    record_concern(dsl, ConcernDraft(children=[(child.id, "subject")], categories=["self-harm"],
                                     text="Said she wanted to disappear",
                                     occurred_at=school.clock.now() - timedelta(days=1)))
    referral = create_referral(dsl, child.id, READY)
    approve_referral(dsl, referral.id)
    set_service(dsl, "frontdoor", service.url, service.info.fingerprint)
    me = store_identity(dsl.store_id).fingerprint
    assert service.cli("enrol", "--fingerprint", me, "--name", "Larkfield Test Primary") == 0
    envelope_id = queue_referral(dsl, referral.id)[-1]
    assert [d.outcome for d in sync_round(dsl).sent] == ["receipted"]
    return referral.id, envelope_id


def audited(dsl: Session, object_type: str) -> list[dict[str, object]]:
    rows = []
    for schema in ("main", "dsl"):
        rows += [json.loads(r[0]) for r in dsl.conn.execute(
            f"SELECT detail FROM {schema}.audit WHERE object_type = ? ORDER BY seq",
            (object_type,))]
    return rows


def test_acknowledgement_and_decision_reach_the_referral_and_the_chronology(
        school: SmallSchool, fresh_la_service: Service, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    service = fresh_la_service
    service.start()
    with school.open("dsl") as dsl:
        referral_id, envelope_id = sent_referral(dsl, school, service)
        assert service.cli("inbox", "acknowledge", envelope_id, "--by", "duty-sw") == 0
        assert service.cli("inbox", "decide", "--id", envelope_id, "--outcome",
                           "Section 47 enquiry", "--note", "Strategy discussion today",
                           "--reference", "MASH/2026/0412", "--by", "duty-sw") == 0
        assert "Sent the decision (section 47 enquiry)" in capsys.readouterr().out

        school.clock.advance(300)
        report = sync_round(dsl)
        assert [(a.outcome, a.detail) for a in report.answers] == [
            ("applied", "the LA acknowledged"), ("applied", "the LA decided: section 47 enquiry")]
        answers = la_answers(dsl, referral_id)
        assert [a.answer for a in answers] == ["acknowledged", "decided"]
        assert "decided: section 47 enquiry (duty-sw," in answers[1].text
        assert "Strategy discussion today" in answers[1].text
        assert get_referral(dsl, referral_id).status == "receipted"  # answers are not states
        # Every route ends the same way: the referral's line names the LA's decision.
        assert "Outcome: " in route_state(dsl, referral_id).summary
        assert "section 47 enquiry" in route_state(dsl, referral_id).summary
        assert route_state(dsl, referral_id).reference == "MASH/2026/0412"
        child = child_by_upn(dsl, "B801200005001")
        texts = [item.summary for item in chronology(dsl, child.id)]
        decision = [t for t in texts if "section 47 enquiry" in (t or "")]
        assert decision and "arrived " + date_time_text(school.clock.now()) in decision[0]
        assert "LA reference MASH/2026/0412" in decision[0]
        assert [d["outcome"] for d in audited(dsl, "la-answer")] == ["applied", "applied"]

        assert sync_round(dsl).answers == []  # applied once: nothing again
        assert len(la_answers(dsl, referral_id)) == 2
        # The marks live in the DSL store, beside the answers: SQLite commits the school
        # store first, so a kill between the two files can never leave the cursor past
        # answers that did not land (app/delivery/inbox_marks.py).
        conn = dsl.conn
        assert conn.execute("SELECT count(*) FROM dsl.applied_envelopes WHERE kind = "
                            "'la-answer'").fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM main.inbox_applied").fetchone()[0] == 0
        assert conn.execute("SELECT cursor FROM dsl.inbox_cursors WHERE role = 'frontdoor'"
                            ).fetchone()[0] is not None
        assert conn.execute("SELECT inbox_cursor FROM main.services WHERE role = 'frontdoor'"
                            ).fetchone()[0] is None
        # As a second DSL PC that has them from the first (replicated) but fetches them from
        # the front door too: not recorded twice.
        with dsl.tx():
            conn.execute("DELETE FROM dsl.applied_envelopes WHERE kind = 'la-answer'")
            conn.execute("UPDATE dsl.inbox_cursors SET cursor = NULL WHERE role = 'frontdoor'")
        assert [a.outcome for a in sync_round(dsl).answers] == ["already", "already"]
        # A store upgraded from before kept its marks in the school store: they still count,
        # and its cursor there is where the DSL store's starts.
        with dsl.tx():
            conn.execute("INSERT INTO main.inbox_applied SELECT * FROM dsl.applied_envelopes")
            conn.execute("UPDATE main.services SET inbox_cursor = (SELECT cursor FROM "
                         "dsl.inbox_cursors) WHERE role = 'frontdoor'")
            conn.execute("DELETE FROM dsl.applied_envelopes")
            conn.execute("DELETE FROM dsl.inbox_cursors")
        assert sync_round(dsl).answers == []
        with dsl.tx():
            conn.execute("UPDATE main.services SET inbox_cursor = NULL")
        assert [a.outcome for a in sync_round(dsl).answers] == ["already", "already"]
        assert len(la_answers(dsl, referral_id)) == 2
        assert len([t for t in (i.summary for i in chronology(dsl, child.id))
                    if "section 47 enquiry" in (t or "")]) == 1
    # The referral shows them on the command line too.
    capsys.readouterr()
    monkeypatch.setenv("CONCERNDESK_PASSPHRASE", STAFF_PASS)
    assert cli_main(["referral", "show", "--data", str(school.directory), "--user", "dsl",
                     "--id", referral_id]) == 0
    shown = capsys.readouterr().out
    assert "status: receipted" in shown and "LA decided: " in shown
    assert "decided: section 47 enquiry (duty-sw" in shown


def test_a_forged_answer_is_refused_audited_and_changes_nothing(
        school: SmallSchool, fresh_la_service: Service) -> None:
    service = fresh_la_service
    service.start()
    with school.open("dsl") as dsl:
        referral_id, envelope_id = sent_referral(dsl, school, service)
        storage = service.storage()
        inbox = Inbox(storage, service.info,
                      keys.load_hpke_key(service.store, service.info, PASSPHRASE))
        team = read_referral(inbox._open(storage.get_envelope(envelope_id))[1]).reply_to
        assert team is not None
        # Signed by a key that is not the front door's, though it names the front door.
        forged = Answer(envelope_id, "decided", "no further action", "", "mallory", "Fake LA",
                        school.clock.now())
        forged_id, body = seal_answer(forged, service.info.fingerprint,
                                      KeyPairs.generate().signing, team)
        storage.put_answer(AnswerRecord(forged_id, envelope_id, "decided", "no further action",
                                        "mallory", school.clock.now()),
                           service.info.fingerprint, team.fingerprint, parse(body).sha256, body)
        storage.close()
        (result,) = sync_round(dsl).answers
        assert result.outcome == "refused"
        assert "signature does not verify" in result.detail
        assert la_answers(dsl, referral_id) == []
        assert audited(dsl, "la-answer")[-1]["outcome"] == "refused"


def test_bad_answers_are_refused_in_words_with_nothing_sent(
        school: SmallSchool, fresh_la_service: Service, capsys: pytest.CaptureFixture[str]
        ) -> None:
    service = fresh_la_service
    service.start()
    with school.open("dsl") as dsl:
        _, envelope_id = sent_referral(dsl, school, service)
    capsys.readouterr()
    assert service.cli("inbox", "decide", envelope_id, "--outcome", "maybe") == 2
    assert 'outcome: one of: "no further action"' in capsys.readouterr().err
    assert service.cli("inbox", "decide", envelope_id, "--outcome", "other") == 2
    assert "note: say what was decided" in capsys.readouterr().err
    unknown = "00000000-0000-4000-8000-000000000000"
    assert service.cli("inbox", "acknowledge", unknown) != 0
    assert f"no envelope {unknown}" in capsys.readouterr().err
    assert service.cli("inbox", "acknowledge", envelope_id, "--by", "duty-sw") == 0
    assert service.cli("inbox", "acknowledge", envelope_id, "--by", "duty-sw") == 1
    assert "acknowledged already, by duty-sw" in capsys.readouterr().err
    storage = service.storage()
    assert [a.answer for a in storage.answers(envelope_id)] == ["acknowledged"]
    storage.close()


def test_a_referral_that_names_no_team_key_cannot_be_answered(tmp_path: Path) -> None:
    from app.clock import FakeClock
    from frontdoor.answers import CannotAnswer, answer_referral
    from tests.frontdoor.test_la_watch import AT, arrive, make_la, tiny_pdf

    store, info, storage, school = make_la(tmp_path, None)
    (referral,) = arrive(storage, info, school, 1, tiny_pdf("Synthetic referral"))
    inbox = Inbox(storage, info, keys.load_hpke_key(store, info, PASSPHRASE))
    signing = keys.load_signing_key(store, info, PASSPHRASE)
    with pytest.raises(CannotAnswer, match="named no DSL team key"):
        answer_referral(inbox, signing, FakeClock(AT), referral, "acknowledged", by="duty-sw")
    assert storage.answers() == [] and storage.count_envelopes() == 1
    storage.close()
