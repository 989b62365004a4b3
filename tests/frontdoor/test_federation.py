"""Two LA front doors that trust each other (issue #19), over two real service processes: school
A at LA One sends a leaver's CP file to school B at LA Two; LA One relays it, unchanged, to LA
Two; B takes it from its own front door, accepts it, and A's transfer reads "accepted" after
B's signed receipt, relayed back. And the refusals: trust on one side only, a peer removed on
either side, a front door nobody trusts, a peer relaying a forged school signature or to a
school not enrolled there, a peer reading an inbox; a peer that is down breaks nothing and the
envelope goes, once, when it is back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.delivery.cp_decide import accept_file, waiting_files
from app.delivery.cp_send import choose, school_directory, send_file
from app.delivery.identity import store_identity
from app.domain.chronology import chronology
from app.domain.pupils import child_by_upn
from app.hub.sync import sync_round
from app.protocol.client import FrontDoorClient, NotEnrolled, Refused
from app.protocol.cp_file import CpAnswer, seal_cp_answer
from app.protocol.envelope import MAX_ENVELOPE_LEN
from app.protocol.fingerprint import KeyBundle, KeyPairs
from app.store.session import Session
from app.transfer.leaving import mark_left
from app.transfer.model import load
from frontdoor import keys
from frontdoor.storage import open_storage
from tests.conftest import FakeClock, SmallSchool
from tests.frontdoor.conftest import PASSPHRASE, Service, _database, _make_service
from tests.frontdoor.test_cp_transfer import ZOFIA, _join, _scans, _send_large, _send_zofia

LA_ONE, LA_TWO = "Synthetic LA One", "Synthetic LA Two"


@dataclass
class Federated:
    a: SmallSchool  # at LA One
    b: SmallSchool  # at LA Two
    one: Service
    two: Service

    def peer_client(self, caller: Service, target: Service) -> FrontDoorClient:
        """``caller`` front door's own signed client to ``target`` (what its relay uses)."""
        signing = keys.load_signing_key(caller.store, caller.info, PASSPHRASE)
        return FrontDoorClient(target.url, signing, caller.info.fingerprint,
                               service_bundle=target.info.bundle)


def _trust(one: Service, two: Service, name: str) -> None:
    assert one.cli("peers", "add", "--url", two.url, "--fingerprint", two.info.fingerprint,
                   "--name", name) == 0


def _services(tmp_path: Path, max_body: int) -> tuple[Service, Service]:
    one = _make_service(tmp_path / "la-one", "la", None)
    two = _make_service(tmp_path / "la-two", "la", None)
    one.max_body = two.max_body = max_body
    one.start()
    two.start()
    return one, two


def _federated(school: SmallSchool, tmp_path: Path, clock: FakeClock, *, max_body: int = 65536,
               mutual: bool = True) -> Iterator[Federated]:
    one, two = _services(tmp_path, max_body)
    other = SmallSchool(tmp_path / "school-b", clock)
    try:
        _join(school, one, "Larkfield Test Primary")
        _join(other, two, "Brookside Test Academy")
        _trust(one, two, LA_TWO)
        if mutual:
            _trust(two, one, LA_ONE)
        yield Federated(school, other, one, two)
    finally:
        one.stop()
        two.stop()


@pytest.fixture()
def fed(school: SmallSchool, tmp_path: Path, clock: FakeClock) -> Iterator[Federated]:
    yield from _federated(school, tmp_path, clock)


def _team(dsl: Session, name: str) -> KeyBundle:
    return choose(school_directory(dsl), name=name).team


def _stored(service: Service) -> dict[str, str]:
    storage = service.storage()
    try:
        return {e.id: e.sha256 for e in storage.list_envelopes()}
    finally:
        storage.close()


def test_a_cp_file_goes_to_a_school_at_a_trusted_la_and_is_accepted(
        fed: Federated, clock: FakeClock) -> None:
    with fed.a.open("dsl") as a:
        (b_entry,) = school_directory(a)
        assert (b_entry.name, b_entry.at) == ("Brookside Test Academy", LA_TWO)
        transfer_id = _send_zofia(a, clock)
    # Relayed unchanged: the same envelope, byte for byte, at both front doors.
    at_one, at_two = _stored(fed.one), _stored(fed.two)
    assert at_one and at_one == at_two
    clock.advance(600)
    with fed.b.open("dsl") as b:
        # B's own front door lists A, marked as at LA One, and B checks A's signature with it.
        assert [(s.name, s.at) for s in school_directory(b)] == [
            ("Larkfield Test Primary", LA_ONE)]
        (got,) = sync_round(b).answers
        assert (got.kind, got.outcome) == ("cp-file", "applied")
        (waiting,) = waiting_files(b)
        assert waiting.title == ("CP file from Larkfield Test Primary (at Synthetic LA One) "
                                 "for Zofia Wiśniewska")
        accept_file(b, waiting.id)
        assert [d.outcome for d in sync_round(b).sent] == ["receipted", "receipted"]
    clock.advance(600)
    with fed.a.open("dsl") as a:
        answers = sync_round(a).answers
        assert [(x.kind, x.outcome) for x in answers] == [("cp-file-answer", "applied")] * 2
        done = load(a, transfer_id)
        assert done.status == "accepted"
        assert {s.status for s in done.steps} == {"prepared", "sent", "received", "accepted"}
        texts = [i.summary or "" for i in chronology(a, child_by_upn(a, ZOFIA).id)]
        assert any("Brookside Test Academy accepted the CP file" in t for t in texts)
    # Exactly once: each envelope stored once at each front door.
    assert len(_stored(fed.one)) == len(_stored(fed.two)) == 3


@pytest.mark.slow  # 9 MiB in three chunks: the size that needs chunks at all
def test_a_chunked_file_crosses_and_arrives_whole(school: SmallSchool, tmp_path: Path,
                                                  clock: FakeClock) -> None:
    for fed in _federated(school, tmp_path, clock, max_body=MAX_ENVELOPE_LEN):
        scans = _scans(1, 9 * 1024 * 1024, seed=21)  # 3 chunks
        with fed.a.open("dsl") as a:
            transfer_id = _send_large(a, clock, scans)
        with fed.b.open("dsl") as b:
            sync_round(b)
            (waiting,) = waiting_files(b)
            accept_file(b, waiting.id)
            sync_round(b)
        with fed.a.open("dsl") as a:
            sync_round(a)
            assert load(a, transfer_id).status == "accepted"


def test_peers_are_added_only_by_a_checked_fingerprint_and_certificate(
        tmp_path: Path, certificate: tuple[Path, Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    one = _make_service(tmp_path / "la-one", "la", None)
    two = _make_service(tmp_path / "la-two", "la", None)
    two.tls = certificate  # LA Two is behind TLS with its own CA
    one.start()
    two.start()
    try:
        add = ["peers", "add", "--url", two.url, "--name", LA_TWO]
        ca = ["--ca-file", str(certificate[0])]
        wrong = KeyPairs.generate().fingerprint
        assert one.cli(*add, "--fingerprint", wrong, *ca) == 1
        assert "nothing was saved" in capsys.readouterr().err
        assert one.cli(*add, "--fingerprint", two.info.fingerprint) == 1  # not the system's CA
        assert "TLS with" in capsys.readouterr().err
        assert one.cli("peers", "add", "--url", one.url, "--fingerprint",
                       one.info.fingerprint, "--name", LA_ONE) == 2
        assert one.cli("peers", "remove", "--fingerprint", wrong) != 0
        assert one.cli("peers", "list", "--json") == 0
        assert capsys.readouterr().out.strip().endswith("[]")
        assert one.cli(*add, "--fingerprint", two.info.fingerprint, *ca) == 0
        # Trust on one side only: LA Two answers LA One's front door as it answers anyone.
        signing = keys.load_signing_key(one.store, one.info, PASSPHRASE)
        with FrontDoorClient(two.url, signing, one.info.fingerprint, verify=str(certificate[0]),
                             service_bundle=two.info.bundle) as client, \
                pytest.raises(NotEnrolled) as refused:
            client.directory()
        assert refused.value.code == "not-enrolled"
        two.enrolled_device("Synthetic TLS School")
        _, school = one.enrolled_device("Synthetic Plain School")
        # Both sides: LA One asks LA Two over TLS, checked with the CA its operator gave.
        _trust(two, one, LA_ONE)
        with school:
            assert [(e.name, e.at) for e in school.directory()] == [
                ("Synthetic Plain School", ""), ("Synthetic TLS School", LA_TWO)]
    finally:
        one.stop()
        two.stop()


def test_removing_a_peer_stops_it_at_once_with_a_clear_message(
        fed: Federated, clock: FakeClock) -> None:
    with fed.a.open("dsl") as a:
        to = choose(school_directory(a), name="Brookside Test Academy")
        zofia = child_by_upn(a, ZOFIA)
        mark_left(a, zofia.id, clock.now().date(), "Brookside Test Academy")
        transfer_id = send_file(a, zofia.id, to)
        # LA One stops trusting LA Two: A's file is refused at LA One, saying where B is.
        assert fed.one.cli("peers", "remove", "--fingerprint", fed.two.info.fingerprint) == 0
        (sent,) = sync_round(a).sent
        assert sent.outcome == "failed"
        assert f"that school is at {LA_TWO}, an LA front door this one no longer trusts" \
            in sent.detail
        assert load(a, transfer_id).status == "prepared"
        assert school_directory(a) == []
    assert _stored(fed.one) == _stored(fed.two) == {}
    # Trusted again at LA One, but now LA Two has stopped trusting LA One: refused there.
    _trust(fed.one, fed.two, LA_TWO)
    assert fed.two.cli("peers", "remove", "--fingerprint", fed.one.info.fingerprint) == 0
    pairs, client = fed.one.enrolled_device("Synthetic Third School")
    answer = CpAnswer(str(uuid.uuid4()), "received", "", "Third", "DSL", clock.now())
    with client, pytest.raises(Refused) as refused:
        client.put_envelope(seal_cp_answer(answer, pairs.fingerprint, pairs.signing, to.team))
    assert refused.value.code == "peer-refused"
    assert f"the front door of {LA_TWO} refused it" in refused.value.detail
    assert "no longer trusts" in refused.value.detail
    with fed.a.open("dsl") as a:
        assert school_directory(a) == []
    with fed.b.open("dsl") as b:
        assert school_directory(b) == []
    assert _stored(fed.one) == _stored(fed.two) == {}
    assert fed.one.cli("peers", "list") == 0


def test_a_peer_is_held_to_the_schools_and_signatures_it_vouches_for(
        fed: Federated, clock: FakeClock) -> None:
    with fed.a.open("dsl") as a:
        b_team = _team(a, "Brookside Test Academy")
        a_fp = store_identity(a.store_id).fingerprint
    with fed.b.open("dsl") as b:
        a_team = _team(b, "Larkfield Test Primary")
    answer = CpAnswer(str(uuid.uuid4()), "received", "", "Larkfield", "DSL", clock.now())
    with fed.peer_client(fed.one, fed.two) as peer:
        # A school signature forged by the relaying front door (or anyone) is refused.
        forged = seal_cp_answer(answer, a_fp, KeyPairs.generate().signing, b_team)
        with pytest.raises(Refused, match="signature") as refused:
            peer.relay_envelope(forged)
        assert refused.value.code == "bad-envelope"
        # A sender that is no school of the peer's.
        stranger = KeyPairs.generate()
        with pytest.raises(Refused, match="not a school enrolled at") as refused:
            peer.relay_envelope(seal_cp_answer(answer, stranger.fingerprint, stranger.signing,
                                               b_team))
        # A recipient not enrolled at the receiving front door (here: LA One's own school).
        with pytest.raises(Refused, match="enrolled at this front door") as refused:
            peer.relay_envelope(seal_cp_answer(answer, a_fp, KeyPairs.generate().signing,
                                               a_team))
        assert refused.value.code == "wrong-recipient"
        # A peer reads no inbox and no envelope, and declares no holding.
        with pytest.raises(NotEnrolled):
            peer.inbox()
        with pytest.raises(NotEnrolled):
            peer.fetch(str(uuid.uuid4()))
        team = KeyPairs.generate()
        with pytest.raises(NotEnrolled):
            peer.register_holding(team.bundle, team.signing)
    assert _stored(fed.two) == {}
    # A school enrolled at LA Two cannot use the relay route; a front door nobody trusts is
    # nobody.
    _, school_client = fed.two.enrolled_device("Synthetic Other School")
    with school_client, pytest.raises(NotEnrolled) as refused:
        school_client.relay_envelope(forged)
    assert refused.value.code == "not-a-peer"
    stranger_la = _make_service(fed.one.store.parent.parent / "la-three", "la", None)
    with fed.peer_client(stranger_la, fed.two) as nobody, pytest.raises(NotEnrolled) as refused:
        nobody.relay_envelope(forged)
    assert refused.value.code == "not-enrolled"
    assert _stored(fed.two) == {}


def test_a_peer_that_is_down_breaks_nothing_and_gets_the_file_once_back(
        fed: Federated, clock: FakeClock) -> None:
    with fed.a.open("dsl") as a:
        assert len(school_directory(a)) == 1
        port = fed.two.port
        fed.two.stop()
        # The local directory still answers, with the last copy of LA Two's schools.
        assert [s.name for s in school_directory(a)] == ["Brookside Test Academy"]
        child = child_by_upn(a, ZOFIA)
        mark_left(a, child.id, clock.now().date(), "Brookside Test Academy")
        transfer_id = send_file(a, child.id, choose(school_directory(a),
                                                    name="Brookside Test Academy"))
        (sent,) = sync_round(a).sent
        assert sent.outcome == "waiting" and f"{LA_TWO} cannot take it now" in sent.detail
        assert load(a, transfer_id).status == "prepared"
        fed.two.start(port)
        clock.advance(3600)  # past the outbox's backoff
        (sent,) = sync_round(a).sent
        assert sent.outcome == "receipted"
        assert load(a, transfer_id).status == "sent"
    assert len(_stored(fed.two)) == 1
    # The same envelope relayed again (a retry after a lost answer) stores nothing new.
    (envelope_id,) = _stored(fed.two)
    storage = fed.one.storage()
    body = storage.get_envelope(envelope_id)
    storage.close()
    assert body is not None
    with fed.peer_client(fed.one, fed.two) as peer:
        first = peer.relay_envelope(body.body)
        assert peer.relay_envelope(body.body) == first
    assert len(_stored(fed.two)) == 1
    with fed.b.open("dsl") as b:
        assert [x.outcome for x in sync_round(b).answers] == ["applied"]


def test_the_peers_table_keeps_trust_on_each_engine(engine: str, tmp_path: Path) -> None:
    databases = _database(engine)
    storage = open_storage(tmp_path, next(databases))
    try:
        peer = KeyPairs.generate().bundle
        storage.set_peer(peer, LA_TWO, "https://two.example", "trusted", datetime.now(UTC))
        assert [p.name for p in storage.trusted_peers()] == [LA_TWO]
        storage.set_peer(peer, LA_TWO, "https://two.example", "removed", datetime.now(UTC))
        (kept,) = storage.list_peers()
        assert (kept.fingerprint, kept.status, kept.bundle) == (peer.fingerprint, "removed", peer)
        assert storage.trusted_peers() == [] and storage.get_peer("nobody") is None
    finally:
        storage.close()
        next(databases, None)

