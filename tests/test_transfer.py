"""A leaver's CP file to a school on another product (issue #19, docs/transfer.md): the card on
the DSL's home through each step, the AES-256 pack read back with pypdf (slip, pages, embedded
files), the receipt code checked, a file received from another product, and retention."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.domain.attachments import add_attachment
from app.domain.chronology import chronology
from app.domain.concerns import ConcernDraft, record_concern
from app.domain.leavers import set_term_dates
from app.domain.pupils import child_by_upn
from app.errors import AccessDenied, InputError
from app.export.container import read_folder
from app.export.dump import export_store
from app.export.load import import_export
from app.store.access import unlock
from app.store.audit import events
from app.store.keys import TEST_KDF
from app.transfer.incoming import previous_files, receive_file
from app.transfer.leaving import leaver_cards, mark_left
from app.transfer.model import load, transfers
from app.transfer.outgoing import confirm_receipt, make_pack, mark_sent
from app.transfer.retention import decide, retention_of
from tests.conftest import PUPILS, SmallSchool

ZOFIA = PUPILS[0].upn
SCANNED = b"%PDF-1.4\n% a synthetic scan from another product\n%%EOF\n"


def _leaver_with_file(school: SmallSchool) -> str:
    """Zofia, with a concern and a photo of a note, leaves on Wed 4 Mar 2026 for Oak Academy."""
    with school.open("admin") as admin:
        set_term_dates(admin, "2026-02-23 to 2026-03-27\n2026-04-13 to 2026-05-22")
    with school.open("dsl") as dsl:
        zofia = child_by_upn(dsl, ZOFIA)
        view = record_concern(dsl, ConcernDraft([(zofia.id, "subject")], ["neglect"],
                                                "Said she had no breakfast again.",
                                                school.clock.now() - timedelta(hours=2)))
        add_attachment(dsl, view.id, "note-from-home.txt", b"A synthetic note.")
        mark_left(dsl, zofia.id, date(2026, 3, 4), "Oak Academy")
    return zofia.id


def _at(school: SmallSchool, day: date) -> None:
    school.clock.set(datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10))


def test_the_card_counts_down_then_turns_amber_and_red_in_words(school: SmallSchool) -> None:
    _leaver_with_file(school)
    with school.open("dsl") as dsl:
        [card] = leaver_cards(dsl)
        # In-year: the fifth school day after Wed 4 Mar is Wed 11 Mar.
        assert card.title == "CP file to send to Oak Academy by 11 Mar 2026"
        assert (card.level, card.words, card.action) == ("ok", "7 school days left", "send")
    _at(school, date(2026, 3, 10))
    with school.open("dsl") as dsl:
        [card] = leaver_cards(dsl)
        assert (card.level, card.words) == ("amber", "1 school day left")
    _at(school, date(2026, 3, 12))
    with school.open("dsl") as dsl:
        [card] = leaver_cards(dsl)
        assert (card.level, card.words) == ("red", "Overdue by 1 school day (was due "
                                                   "11 Mar 2026)")


def test_a_child_without_a_file_has_no_card(school: SmallSchool) -> None:
    with school.open("dsl") as dsl:
        mark_left(dsl, child_by_upn(dsl, PUPILS[1].upn).id, date(2026, 3, 4), None)
        assert leaver_cards(dsl) == []


def test_the_pack_is_aes_256_with_the_slip_first_and_every_part_inside(
        school: SmallSchool, tmp_path: Path) -> None:
    child_id = _leaver_with_file(school)
    out = tmp_path / "cp-file.pdf"
    with school.open("dsl") as dsl:
        made = make_pack(dsl, child_id, "Oak Academy", out)
        assert load(dsl, made.transfer_id).status == "prepared"
    reader = PdfReader(out)
    assert reader.is_encrypted
    encrypt = reader.trailer["/Encrypt"]
    assert (encrypt["/V"], encrypt["/R"]) == (5, 6)  # AES-256
    assert reader.decrypt("wrong password").name == "NOT_DECRYPTED"
    assert reader.decrypt(made.password).name != "NOT_DECRYPTED"
    slip = reader.pages[0].extract_text()
    assert "receipt slip" in slip and made.receipt_code in slip
    assert "Oak Academy" in slip and made.password not in slip
    assert len(reader.pages) > 1  # the chronology pack follows
    assert "Said she had no breakfast again." in "".join(
        p.extract_text() for p in reader.pages[1:])
    assert set(reader.attachments) == {"chronology.json", "profile.json",
                                       "attachments/note-from-home.txt"}
    assert reader.attachments["attachments/note-from-home.txt"] == [b"A synthetic note."]
    assert made.attachments == 1
    # The DSL chooses what goes: without the attachments and the profile.
    with school.open("dsl") as dsl:
        fewer = make_pack(dsl, child_id, "Oak Academy", tmp_path / "fewer.pdf",
                          without=("attachments", "profile"))
        with pytest.raises(InputError, match="not a part that can be left out"):
            make_pack(dsl, child_id, "Oak Academy", tmp_path / "x.pdf", without=("chronology",))
    smaller = PdfReader(tmp_path / "fewer.pdf")
    smaller.decrypt(fewer.password)
    assert set(smaller.attachments) == {"chronology.json"}
    assert fewer.password != made.password and fewer.receipt_code != made.receipt_code


def test_sent_then_chased_then_receipt_confirmed_then_retention(
        school: SmallSchool, tmp_path: Path) -> None:
    child_id = _leaver_with_file(school)
    _at(school, date(2026, 3, 5))  # Thursday
    with school.open("dsl") as dsl:
        made = make_pack(dsl, child_id, "Oak Academy", tmp_path / "cp.pdf")
        assert leaver_cards(dsl)[0].words.endswith("pack made, not yet marked sent")
        mark_sent(dsl, made.transfer_id, "by hand to their office")
        with pytest.raises(InputError, match="already sent"):
            mark_sent(dsl, made.transfer_id)
        [card] = leaver_cards(dsl)
        assert card.action == "sent" and "waiting for the receipt code" in card.words
    _at(school, date(2026, 3, 9))  # Monday: Friday and Monday are two school days
    with school.open("dsl") as dsl:
        [card] = leaver_cards(dsl)
        assert card.title == "No receipt yet from Oak Academy"
        assert card.words == ("Sent on 05 Mar 2026, 2 school days ago: chase them for the "
                              "receipt code")
        with pytest.raises(InputError, match="does not match"):
            confirm_receipt(dsl, made.transfer_id, "ACDE-2347", "Ann Lee")
        with pytest.raises(InputError, match="name of the person"):
            confirm_receipt(dsl, made.transfer_id, made.receipt_code, " ")
        done = confirm_receipt(dsl, made.transfer_id, made.receipt_code.lower().replace(
            "-", " "), "Ann Lee")
        assert done.status_words == "receipt confirmed by Ann Lee on 09 Mar 2026"
        with pytest.raises(InputError, match="already confirmed by Ann Lee"):
            confirm_receipt(dsl, made.transfer_id, made.receipt_code, "Ann Lee")
        [card] = leaver_cards(dsl)
        assert card.action == "retention" and card.words.startswith("Receipt confirmed by")
        with pytest.raises(InputError, match="date to keep"):
            decide(dsl, child_id, "period")
        decide(dsl, child_id, "archive", reason="school policy")
        assert retention_of(dsl, child_id) is not None
        assert leaver_cards(dsl) == []
        summaries = [i.summary for i in chronology(dsl, child_id)]
        assert any(s.startswith("Left on 04 Mar 2026 for Oak Academy") for s in summaries)
        assert any(s.startswith("CP file prepared for Oak Academy") for s in summaries)
        assert any(s.startswith("CP file sent to Oak Academy") for s in summaries)
        assert any(s.startswith("Receipt of the CP file confirmed by Ann Lee") for s in summaries)
        assert any("kept as a read-only archive (school policy)" in s for s in summaries)
        steps = [e for schema in ("main", "dsl") for e in reversed(events(dsl.conn,
                 schema=schema)) if e.action == "transfer" and e.object_id == made.transfer_id]
        assert [e.detail.get("status") for e in steps] == ["prepared", "sent", None,
                                                       "receipt confirmed"]  # None: wrong code


def test_a_teacher_cannot_send_a_file(school: SmallSchool, tmp_path: Path) -> None:
    child_id = _leaver_with_file(school)
    with school.open("teacher") as teacher, pytest.raises(AccessDenied):
        make_pack(teacher, child_id, "Oak Academy", tmp_path / "cp.pdf")
    assert not (tmp_path / "cp.pdf").exists()


def test_a_file_from_another_product_is_attached_to_a_received_entry(
        school: SmallSchool) -> None:
    with school.open("dsl") as dsl:
        olu = child_by_upn(dsl, PUPILS[2].upn)
        with pytest.raises(InputError, match="is not a PDF"):
            receive_file(dsl, olu.id, "Elm Primary", date(2026, 2, 27), "file.docx",
                         b"PK\x03\x04 not a pdf")
        assert transfers(dsl, olu.id) == []
        received = receive_file(dsl, olu.id, "Elm Primary", date(2026, 2, 27), "cpoms.pdf",
                                SCANNED)
        assert received.status_words == "received from Elm Primary on 02 Mar 2026"
        assert [t.school for t in previous_files(dsl, olu.id)] == ["Elm Primary"]
        [item] = chronology(dsl, olu.id)
        assert item.summary == "CP file received from Elm Primary on 27 Feb 2026"
        assert item.significant
        pdf = dsl.conn.execute("SELECT data FROM attachments WHERE record_id = ?",
                               (item.record_id,)).fetchone()[0]
        assert bytes(pdf) == SCANNED


def test_leavers_and_transfers_go_in_the_export_and_come_back(school: SmallSchool,
                                                              tmp_path: Path) -> None:
    child_id = _leaver_with_file(school)
    with school.open("dsl") as dsl:
        made = make_pack(dsl, child_id, "Oak Academy", tmp_path / "cp.pdf")
        confirm_receipt(dsl, made.transfer_id, made.receipt_code, "Ann Lee")
        decide(dsl, child_id, "period", date(2030, 3, 4))
        export_store(dsl, tmp_path / "out", passphrase=None)
    files = read_folder(tmp_path / "out")
    counts = {name: files[f"{name}.jsonl"].count(b"\n") for name in (
        "leavers", "transfers", "transfer_events", "file_retention")}
    assert counts == {"leavers": 1, "transfers": 1, "transfer_events": 3, "file_retention": 1}
    assert made.receipt_code.encode() not in files["transfers.jsonl"]
    assert made.password.encode() not in b"".join(files.values())
    import_export(tmp_path / "out", tmp_path / "new", admin_username="mover",
                  admin_display_name="Morgan Mover", passphrase="mover passphrase one",
                  export_passphrase=None, clock=school.clock, kdf=TEST_KDF)
    with unlock(tmp_path / "new", "mover", "mover passphrase one", clock=school.clock) as moved:
        [transfer] = transfers(moved)
        assert transfer.status_words == "receipt confirmed by Ann Lee on 02 Mar 2026"
        assert leaver_cards(moved) == []  # settled: receipt confirmed, retention recorded
