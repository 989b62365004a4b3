"""A CP file from one ConcernDesk school to another through one LA front door (issue #19), over a
real service process: school A sends a leaver's file, sealed to school B's DSL team key; B's
DSL PC takes it at sync, verifies it against the front door's directory and accepts it into the
child with its UPN; A's transfer then reads "accepted by B" after B's signed receipt. And the
refusals: an unknown destination, a tampered file, a UPN that is not the chosen child's. And a
file larger than one envelope: it travels in chunks and arrives byte for byte; a tampered chunk
refuses the whole file; a late chunk makes it wait, and one that never comes refuses it."""

from __future__ import annotations

import json
import random
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from app.cli.main import main as cli_main
from app.delivery.cp_decide import accept_file, reject_file, waiting_files
from app.delivery.cp_inbox import WAIT_DAYS
from app.delivery.cp_send import choose, school_directory, send_file
from app.delivery.identity import store_identity
from app.delivery.services import set_service
from app.delivery.team_keys import team_bundle
from app.domain.attachments import add_attachment, attachments
from app.domain.chronology import amend_entry, chronology
from app.domain.concerns import ConcernDraft, record_concern
from app.domain.pupils import apply_roster, child_by_upn
from app.domain.roster_csv import RosterRow
from app.errors import InputError
from app.hub.sync import sync_round
from app.profile.model import Contact, Phone
from app.profile.profiles import profile, put_item, set_fact
from app.protocol.envelope import MAX_ENVELOPE_LEN
from app.protocol.fingerprint import KeyPairs
from app.store.session import Session
from app.store.users import remove_user
from app.transfer.leaving import leaver_cards, mark_left
from app.transfer.model import load, transfers
from frontdoor.storage import StoredEnvelope
from tests.conftest import STAFF_PASS, FakeClock, SmallSchool
from tests.frontdoor.conftest import ENGINES, Service, checked_engine

ZOFIA, TOMASZ = "B801200005001", "Q801200005002"
PHOTO = b"\x89PNG\r\n\x1a\n synthetic photo of a bruise drawing"


@dataclass
class Two:
    a: SmallSchool
    b: SmallSchool
    service: Service


def _join(school: SmallSchool, service: Service, name: str) -> None:
    """The school's DSL sets the LA front door; the LA enrols the school by fingerprint; the
    DSL's first sync tells the front door which DSL team key this PC holds."""
    with school.open("dsl") as dsl:
        set_service(dsl, "frontdoor", service.url, service.info.fingerprint)
        me = store_identity(dsl.store_id).fingerprint
        assert service.cli("enrol", "--fingerprint", me, "--name", name) == 0
        sync_round(dsl)


@pytest.fixture(scope="module", params=["sqlite"])
def engine(request: pytest.FixtureRequest) -> str:
    """The school's side of a CP file is the same over either storage of the front door, whose
    own tests run on both (test_frontdoor_service.py, test_school_delivery.py …): here SQLite,
    and PostgreSQL too only for the tests that store, relay or rewrite chunks (``on_both``)."""
    return checked_engine(str(request.param))


on_both = pytest.mark.parametrize("engine", ENGINES, indirect=True)


@pytest.fixture()
def two(school: SmallSchool, fresh_la_service: Service, tmp_path: Path, clock: FakeClock
        ) -> Iterator[Two]:
    yield from _two(school, fresh_la_service, tmp_path, clock)


@pytest.fixture()
def two_big(school: SmallSchool, fresh_la_service: Service, tmp_path: Path, clock: FakeClock
            ) -> Iterator[Two]:
    """As ``two``, with the front door taking envelopes up to the default 8 MiB."""
    fresh_la_service.max_body = MAX_ENVELOPE_LEN
    yield from _two(school, fresh_la_service, tmp_path, clock)


def _two(school: SmallSchool, fresh_la_service: Service, tmp_path: Path, clock: FakeClock
         ) -> Iterator[Two]:
    fresh_la_service.start()
    other = SmallSchool(tmp_path / "school-b", clock)
    _join(school, fresh_la_service, "Larkfield Test Primary")
    _join(other, fresh_la_service, "Brookside Test Academy")
    yield Two(school, other, fresh_la_service)
    shutil.rmtree(tmp_path / "school-b", ignore_errors=True)


def _send_zofia(dsl: Session, clock: FakeClock) -> str:
    """Zofia leaves A for B; her file (a concern with a drawing attached) goes through the
    front door and is receipted there."""
    child = child_by_upn(dsl, ZOFIA)
    concern = record_concern(dsl, ConcernDraft(
        children=[(child.id, "subject")], categories=["physical abuse"],
        text="Bruise on her arm; said a door did it", child_words="the door hit me",
        occurred_at=clock.now() - timedelta(days=2)))
    add_attachment(dsl, concern.id, "drawing.png", PHOTO, "image/png")
    mark_left(dsl, child.id, clock.now().date(), "Brookside Test Academy")
    to = choose(school_directory(dsl), name="brookside test academy")
    transfer_id = send_file(dsl, child.id, to)
    assert load(dsl, transfer_id).status == "prepared"
    (card,) = leaver_cards(dsl)
    assert (card.action, card.words) == (
        "wait", "Queued for the LA front door: it goes at the next sync")
    assert [d.outcome for d in sync_round(dsl).sent] == ["receipted"]
    assert load(dsl, transfer_id).status == "sent"
    (card,) = leaver_cards(dsl)
    assert card.title == "CP file sent to Brookside Test Academy"
    assert card.words.endswith("through the LA front door: waiting for their signed receipt")
    return transfer_id


def _audited(dsl: Session, object_type: str) -> list[dict[str, object]]:
    return [json.loads(r[0]) for schema in ("main", "dsl") for r in dsl.conn.execute(
        f"SELECT detail FROM {schema}.audit WHERE object_type = ? ORDER BY seq",
        (object_type,))]


def test_a_cp_file_goes_to_the_next_school_and_is_accepted(two: Two, clock: FakeClock) -> None:
    with two.a.open("dsl") as a:
        zofia_at_a = child_by_upn(a, ZOFIA).id
        put_item(a, zofia_at_a, "contact", Contact("Mrs Ewa Testowa", "Mother", True, True,
                                                   (Phone("07700 900555", "mobile"),)))
        set_fact(a, zofia_at_a, "first_language_code", "POL")
        set_fact(a, zofia_at_a, "gp", "Larkfield Test Surgery")
        transfer_id = _send_zofia(a, clock)
    clock.advance(600)
    with two.b.open("dsl") as b:
        set_fact(b, child_by_upn(b, ZOFIA).id, "gp", "Brookside Test Practice")  # B's own
        (got,) = sync_round(b).answers
        assert (got.kind, got.outcome) == ("cp-file", "applied")
        (waiting,) = waiting_files(b)
        assert waiting.title == "CP file from Larkfield Test Primary for Zofia Wiśniewska"
        arrived = [i.summary or "" for i in chronology(b, child_by_upn(b, ZOFIA).id)]
        assert arrived == ["CP file from Larkfield Test Primary arrived through the LA front "
                           "door: waiting for the DSL team to accept or reject it."]
        # A UPN that is not the chosen child's is refused, and nothing is taken in.
        tomasz = child_by_upn(b, TOMASZ)
        with pytest.raises(InputError, match="UPN is not this child's UPN"):
            accept_file(b, waiting.id, tomasz.id)
        assert transfers(b) == [] and len(waiting_files(b)) == 1
        assert chronology(b, tomasz.id) == []
        in_id = accept_file(b, waiting.id)
        zofia = child_by_upn(b, ZOFIA)
        assert load(b, in_id).status == "accepted" and waiting_files(b) == []
        items = chronology(b, zofia.id)
        received = [i for i in items if "From Larkfield Test Primary (concern" in
                    (i.summary or "")]
        assert len(received) == 1
        assert "recorded by Dana Lead" in (received[0].summary or "")
        assert received[0].occurred_at == clock.now() - timedelta(days=2, seconds=600)
        with pytest.raises(InputError, match="read-only"):
            amend_entry(b, received[0].record_id, "typo", summary="changed")
        (note,) = [i for i in items if (i.summary or "").startswith("CP file received from")]
        files = {f.filename for f in attachments(b, note.record_id)}
        assert files == {"chronology.pdf", "drawing.png", "profile.json"}
        # The profile fills in what B did not hold, saying where it came from; B's own GP stays.
        assert "The child's profile gained 2 items this school did not hold, marked as " \
            "from Larkfield Test Primary." in (note.summary or "")
        shown = profile(b, zofia.id)
        assert shown.facts.gp == "Brookside Test Practice"
        assert shown.facts.first_language_code == "POL"
        ((key, mother),) = shown.contacts
        assert (mother.name, mother.relationship, mother.phones[0].number) == (
            "Mrs Ewa Testowa", "Mother", "07700 900555")
        assert shown.source_of("contact", key).text == "CP file (from Larkfield Test Primary)"
        # Received at sync, then imported: each step audited.
        assert [(a.get("outcome"), a.get("entries")) for a in _audited(b, "cp-file")] == [
            ("received", 2), (None, 2)]  # the concern and the "Left on" note
        # The receipt and the acceptance go back, each once.
        assert [d.outcome for d in sync_round(b).sent] == ["receipted", "receipted"]
    clock.advance(600)
    with two.a.open("dsl") as a:
        answers = sync_round(a).answers
        assert [(x.kind, x.outcome) for x in answers] == [("cp-file-answer", "applied")] * 2
        done = load(a, transfer_id)
        assert [s.status for s in done.steps] == ["prepared", "sent", "received", "accepted"]
        assert done.status_words.startswith("accepted by Brookside Test Academy on ")
        (card,) = leaver_cards(a)  # what this school keeps is the next step
        assert card.action == "retention"
        assert card.words.startswith("Accepted by Brookside Test Academy on ")
        zofia = child_by_upn(a, ZOFIA)
        texts = [i.summary or "" for i in chronology(a, zofia.id)]
        # Both answers verified against B's key; uploaded side by side, the decision may come
        # first and stands as the receipt too (the receipt after it changes nothing).
        assert any("Brookside Test Academy received the CP file (their signed receipt)" in t
                   for t in texts) or done.step("received").note == "signed with their decision"
        assert any("Brookside Test Academy accepted the CP file" in t for t in texts)
        assert sync_round(a).answers == []  # each answer applied once


def test_an_unknown_destination_is_refused_with_what_can_be_chosen(two: Two) -> None:
    with two.a.open("dsl") as a:
        schools = school_directory(a)
        assert [s.name for s in schools] == ["Brookside Test Academy"]  # never itself
        with pytest.raises(InputError, match="Brookside Test Academy"):
            choose(schools, name="Nowhere Primary")
        with pytest.raises(InputError, match="no school enrolled at this LA front door"):
            choose(schools, fingerprint=KeyPairs.generate().fingerprint)
        with pytest.raises(InputError, match="not a key fingerprint"):
            choose(schools, fingerprint="not one")
        by_key = choose(schools, fingerprint=schools[0].team.fingerprint)
        assert by_key.name == "Brookside Test Academy"


def test_a_school_whose_dsl_team_key_was_replaced_is_sent_to_with_its_current_key(
        school: SmallSchool, fresh_la_service: Service, tmp_path: Path, clock: FakeClock
        ) -> None:
    # School B's deputy leaves before B first syncs: B's DSL PC then tells the front door of
    # both its team keys at once. A must seal to the current one, never to the one the
    # removed deputy could still hold.
    fresh_la_service.start()
    b = SmallSchool(tmp_path / "school-b", clock)
    with b.open("deputy"):
        pass
    with b.open("admin") as admin:
        remove_user(admin, "deputy")
    with b.open("dsl") as dsl:
        held = dsl.conn.execute("SELECT count(*) FROM dsl.held_team_keys WHERE team = 'dsl'"
                                ).fetchone()[0]
        current = team_bundle(dsl.conn, "dsl")
    assert held >= 2 and current is not None  # (the first DSL sign-in made one more)
    _join(school, fresh_la_service, "Larkfield Test Primary")
    _join(b, fresh_la_service, "Brookside Test Academy")
    with school.open("dsl") as a:
        (to,) = school_directory(a)
    assert to.team.fingerprint == current.fingerprint


def test_a_tampered_file_is_refused_audited_and_nothing_is_kept(two: Two,
                                                                clock: FakeClock) -> None:
    with two.a.open("dsl") as a:
        _send_zofia(a, clock)
    storage = two.service.storage()
    (stored,) = [e for e in storage.list_envelopes() if e.kind == "cp-file"]
    body = bytearray(stored.body)
    body[len(body) // 2] ^= 0x01  # one bit of the sealed file
    with storage._tx(write=True) as cur:
        cur.execute(storage._q("UPDATE envelopes SET body = ? WHERE id = ?"),
                    (bytes(body), stored.id))
    storage.close()
    with two.b.open("dsl") as b:
        (got,) = sync_round(b).answers
        assert got.outcome == "refused" and "signature does not verify" in got.detail
        assert waiting_files(b) == [] and transfers(b) == []
        assert [a["outcome"] for a in _audited(b, "cp-file")] == ["refused"]
        assert sync_round(b).sent == []  # no receipt goes back for it


def test_a_rejection_goes_back_with_its_reason(two: Two, clock: FakeClock) -> None:
    with two.a.open("dsl") as a:
        transfer_id = _send_zofia(a, clock)
    with two.b.open("dsl") as b:
        sync_round(b)
        (waiting,) = waiting_files(b)
        with pytest.raises(InputError, match="say why"):
            reject_file(b, waiting.id, "  ")
        reject_file(b, waiting.id, "Not on our roll: she went to Elm Primary")
        assert waiting_files(b) == []
        with pytest.raises(InputError, match="already rejected"):
            accept_file(b, waiting.id)
        sync_round(b)
    with two.a.open("dsl") as a:
        sync_round(a)
        done = load(a, transfer_id)
        assert done.status == "rejected"
        assert done.status_words.endswith("Not on our roll: she went to Elm Primary")


def test_the_command_line_sends_lists_and_accepts(two: Two, clock: FakeClock,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONCERNDESK_PASSPHRASE", STAFF_PASS)

    def cli(school: SmallSchool, *args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli_main([*args[:2], "--data", str(school.directory), "--user", "dsl",
                         *args[2:]])
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    code, out, _ = cli(two.a, "transfer", "schools")
    assert code == 0 and "Brookside Test Academy" in out
    code, _, err = cli(two.a, "transfer", "send", "--child", ZOFIA, "--to-school", "Nowhere")
    assert code == 2 and "is not a school enrolled at this LA front door" in err
    code, out, _ = cli(two.a, "transfer", "send", "--child", ZOFIA, "--to-school",
                       "Brookside Test Academy", "--without", "attachments")
    assert code == 0 and "queued" in out
    transfer_id = out.strip().splitlines()[-1]
    assert cli(two.a, "sync")[0] == 0
    assert cli(two.b, "sync")[0] == 0
    code, out, _ = cli(two.b, "transfer", "list", "--json")
    (waiting,) = json.loads(out)
    assert waiting["status"] == "waiting"
    assert waiting["status_words"] == ("CP file from Larkfield Test Primary for Zofia "
                                       "Wiśniewska")
    code, _, err = cli(two.b, "transfer", "accept", "--id", waiting["id"], "--child", TOMASZ)
    assert code == 2 and "UPN is not this child's UPN" in err
    code, out, _ = cli(two.b, "transfer", "accept", "--id", waiting["id"])
    assert code == 0 and "accepted" in out
    assert cli(two.b, "sync")[0] == 0
    assert cli(two.a, "sync")[0] == 0
    code, out, _ = cli(two.a, "transfer", "list")
    line = next(x for x in out.splitlines() if x.startswith(transfer_id))
    assert "to Brookside Test Academy  accepted by Brookside Test Academy on" in line


def test_a_child_new_to_the_school_is_made_from_the_file(two: Two, clock: FakeClock) -> None:
    """A child B has never had on roll: accepting makes them from the file's details."""
    with two.a.open("dsl") as a:
        apply_roster(a, [RosterRow("P801200005009", "Iga", "Nowak", None, date(2017, 2, 3),
                                   "F", "Y4", None, 0)])
        child = child_by_upn(a, "P801200005009")
        record_concern(a, ConcernDraft(children=[(child.id, "subject")],
                                       categories=["neglect"], text="Often hungry",
                                       occurred_at=clock.now() - timedelta(days=1)))
        send_file(a, child.id, choose(school_directory(a), name="Brookside Test Academy"),
                  ("attachments", "profile"))
        sync_round(a)
    with two.b.open("dsl") as b:
        sync_round(b)
        (waiting,) = waiting_files(b)
        accept_file(b, waiting.id)
        made = child_by_upn(b, "P801200005009")
        assert (made.legal_name, made.date_of_birth, made.year_group) == (
            "Iga Nowak", date(2017, 2, 3), "Y4")
        texts = [i.summary or "" for i in chronology(b, made.id)]
        assert any("From Larkfield Test Primary (concern" in t and "Often hungry" in t
                   for t in texts)


# -- a file larger than one envelope, in chunks ------------------------------------------------

MIB = 1024 * 1024


def _scans(count: int, size: int, seed: int) -> dict[str, bytes]:
    """Synthetic 'scanned' attachments: random bytes, which no compression shrinks."""
    rng = random.Random(seed)
    return {f"scan-{n + 1}.pdf": rng.randbytes(size) for n in range(count)}


def _send_large(dsl: Session, clock: FakeClock, scans: dict[str, bytes]) -> str:
    child = child_by_upn(dsl, ZOFIA)
    concern = record_concern(dsl, ConcernDraft(
        children=[(child.id, "subject")], categories=["neglect"],
        text="Scanned letters from the previous school attached",
        occurred_at=clock.now() - timedelta(days=1)))
    for name, data in scans.items():
        add_attachment(dsl, concern.id, name, data, "application/pdf")
    transfer_id = send_file(dsl, child.id, choose(school_directory(dsl),
                                                  name="Brookside Test Academy"))
    sent = sync_round(dsl).sent
    assert [d.outcome for d in sent] == ["receipted"] * len(sent) and len(sent) > 1
    assert [d.item.kind for d in sent].count("cp-file") == 1
    assert load(dsl, transfer_id).status == "sent"
    return transfer_id


def _chunks_at(service: Service) -> list[StoredEnvelope]:
    storage = service.storage()
    try:
        return [e for e in storage.list_envelopes() if e.kind == "chunk"]
    finally:
        storage.close()


def _rewrite(service: Service, sql: str, *args: object) -> None:
    storage = service.storage()
    with storage._tx(write=True) as cur:
        cur.execute(storage._q(sql), args)
    storage.close()


@on_both
def test_a_file_larger_than_one_envelope_goes_in_chunks_and_arrives_whole(
        two_big: Two, clock: FakeClock) -> None:
    scans = _scans(4, 5 * MIB, seed=19)  # 20 MiB: 8 chunks of at most 4 MiB
    with two_big.a.open("dsl") as a:
        transfer_id = _send_large(a, clock, scans)
    assert len(_chunks_at(two_big.service)) == 8
    clock.advance(600)
    with two_big.b.open("dsl") as b:
        answers = sync_round(b).answers
        assert [(x.kind, x.outcome) for x in answers if x.kind == "cp-file"] == [
            ("cp-file", "applied")]
        assert {x.outcome for x in answers if x.kind == "chunk"} == {"already"}  # passed over
        (waiting,) = waiting_files(b)
        accept_file(b, waiting.id)
        zofia = child_by_upn(b, ZOFIA)
        (note,) = [i for i in chronology(b, zofia.id)
                   if (i.summary or "").startswith("CP file received from")]
        got = {f.filename: f for f in attachments(b, note.record_id)}
        for name, data in scans.items():  # every byte as it left school A
            assert b.conn.execute("SELECT data FROM attachments WHERE id = ?",
                                  (got[name].id,)).fetchone()[0] == data
        assert [d.outcome for d in sync_round(b).sent] == ["receipted", "receipted"]
    with two_big.a.open("dsl") as a:
        sync_round(a)
        assert load(a, transfer_id).status == "accepted"


@on_both
def test_a_tampered_chunk_refuses_the_whole_file(two_big: Two, clock: FakeClock) -> None:
    with two_big.a.open("dsl") as a:
        _send_large(a, clock, _scans(1, 9 * MIB, seed=20))  # 3 chunks
    second = _chunks_at(two_big.service)[1]
    body = bytearray(second.body)
    body[len(body) // 2] ^= 0x01  # one bit of one sealed chunk
    _rewrite(two_big.service, "UPDATE envelopes SET body = ? WHERE id = ?", bytes(body),
             second.id)
    with two_big.b.open("dsl") as b:
        (got,) = [x for x in sync_round(b).answers if x.kind == "cp-file"]
        assert got.outcome == "refused"
        # Uploaded side by side: which of the three the front door stored second varies.
        assert re.fullmatch(r"chunk [123] of 3: signature does not verify with the sender's "
                            "key", got.detail)
        assert waiting_files(b) == [] and transfers(b) == []
        assert b.conn.execute("SELECT count(*) FROM incoming_files").fetchone()[0] == 0
        assert [a["outcome"] for a in _audited(b, "cp-file")] == ["refused"]
        assert sync_round(b).sent == []  # no receipt goes back for it
        assert [x for x in sync_round(b).answers if x.kind == "cp-file"] == []  # once


@on_both
def test_a_file_waits_for_a_late_chunk_and_is_taken_when_it_comes(
        two_big: Two, clock: FakeClock, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock.set(max(clock.now(), datetime.now(UTC)))  # the CLI below reads the real clock
    with two_big.a.open("dsl") as a:
        _send_large(a, clock, _scans(1, 9 * MIB, seed=21))
    late = _chunks_at(two_big.service)[2]
    _rewrite(two_big.service, "DELETE FROM envelopes WHERE id = ?",
             late.id)
    with two_big.b.open("dsl") as b:
        (got,) = [x for x in sync_round(b).answers if x.kind == "cp-file"]
        assert got.outcome == "waiting"
        assert "1 of its 3 chunks have not reached the LA front door yet" in got.detail
        assert waiting_files(b) == [] and sync_round(b).sent == []  # nothing kept, no answer
    # Tried again at each sync, and said so (not as a refusal); audited once.
    monkeypatch.setenv("CONCERNDESK_PASSPHRASE", STAFF_PASS)
    capsys.readouterr()
    assert cli_main(["sync", "--data", str(two_big.b.directory), "--user", "dsl"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^later +cp-file .*: CP file: 1 of its 3 chunks have not reached", out,
                     re.MULTILINE), out
    with two_big.b.open("dsl") as b:
        assert [a["outcome"] for a in _audited(b, "cp-file")] == ["waiting"]
    # The chunk comes after all (a slow upload): the next sync takes the whole file.
    storage = two_big.service.storage()
    storage.put_envelope(late.id, late.sender, late.recipient,
                         late.kind, late.sha256, late.body,
                         clock.now())
    storage.close()
    with two_big.b.open("dsl") as b:
        (got,) = [x for x in sync_round(b).answers if x.kind == "cp-file"]
        assert got.outcome == "applied"
        assert len(waiting_files(b)) == 1
        assert [a["outcome"] for a in _audited(b, "cp-file")] == ["waiting", "received"]
        assert [d.outcome for d in sync_round(b).sent] == ["receipted"]  # the signed receipt


def test_a_chunk_that_never_comes_refuses_the_file_in_the_end(two_big: Two,
                                                              clock: FakeClock) -> None:
    with two_big.a.open("dsl") as a:
        _send_large(a, clock, _scans(1, 9 * MIB, seed=22))
    _rewrite(two_big.service, "DELETE FROM envelopes WHERE id = ?",
             _chunks_at(two_big.service)[0].id)
    with two_big.b.open("dsl") as b:
        sync_round(b)
    clock.advance(WAIT_DAYS * 86400 + 60)
    with two_big.b.open("dsl") as b:
        (got,) = [x for x in sync_round(b).answers if x.kind == "cp-file"]
        assert got.outcome == "refused"
        assert got.detail.endswith(f"after {WAIT_DAYS} days: ask the sending school to send "
                                   "it again")
        assert [a["outcome"] for a in _audited(b, "cp-file")] == ["waiting", "refused"]
        assert waiting_files(b) == [] and sync_round(b).sent == []
        assert [x for x in sync_round(b).answers if x.kind == "cp-file"] == []
