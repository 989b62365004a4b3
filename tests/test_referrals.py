"""Referrals from draft to the office print queue, and packs read back with pypdf."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.domain.chronology import add_entry
from app.domain.concerns import ConcernDraft, record_concern
from app.domain.pupils import child_by_upn
from app.domain.referrals import (
    approve_referral,
    create_referral,
    get_referral,
)
from app.domain.referrals import update_referral as update
from app.errors import AccessDenied, InputError, InputErrors
from app.pack.assembly import (
    child_pack_data,
    mark_printed,
    release_referral,
    released_pack_pdf,
    released_packs,
    write_pack,
)
from tests.conftest import SmallSchool

READY = [("kind", "safeguarding"), ("immediate_risk", "no"), ("parents_aware", "yes"),
         ("consent_given", "yes"), ("worries", "Repeatedly hungry and cold"),
         ("risk_view", "medium")]


@pytest.fixture
def child_id(school: SmallSchool) -> str:
    with school.open("teacher") as teacher:
        child = child_by_upn(teacher, "B801200005001")
        record_concern(teacher, ConcernDraft(
            children=[(child.id, "subject")], categories=["neglect"],
            text="Arrived soaked, no coat", child_words="Mum says we can't afford one",
            occurred_at=school.clock.now() - timedelta(days=3)))
    with school.open("dsl") as dsl:
        add_entry(dsl, [child.id], "contact", "Spoke to mum, coat provided",
                  school.clock.now() - timedelta(days=2), significant=True)
    return child.id


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_draft_is_prefilled_from_the_chronology(school: SmallSchool, child_id: str) -> None:
    with school.open("dsl") as dsl:
        referral = create_referral(dsl, child_id)
    assert referral.status == "draft" and len(referral.entry_ids) == 2
    assert referral.form["harm_types"] == "Neglect"
    assert "Mum says we can't afford one" in referral.form["child_voice"]


def test_approval_lists_every_gap_then_release_reaches_the_office(school: SmallSchool,
                                                                  child_id: str) -> None:
    with school.open("dsl") as dsl:
        referral = create_referral(dsl, child_id)
        with pytest.raises(InputErrors) as gaps:
            approve_referral(dsl, referral.id)
        assert {p.split(":")[0] for p in gaps.value.problems} >= {
            "kind", "immediate_risk", "parents_aware", "worries", "risk_view"}
        with pytest.raises(InputError, match="approve the referral before"):
            release_referral(dsl, referral.id)
        update(dsl, referral.id, READY)
        assert approve_referral(dsl, referral.id).status == "approved"
        pack_id = release_referral(dsl, referral.id)
    with school.open("office") as office:
        queue = released_packs(office)
        assert [p.id for p in queue] == [pack_id] and not queue[0].printed
        pdf = released_pack_pdf(office, pack_id)
        mark_printed(office, pack_id)
        assert released_packs(office)[0].printed
        with pytest.raises(AccessDenied):
            get_referral(office, referral.id)
        printed = office.conn.execute("SELECT count(*) FROM audit WHERE action = 'print' AND "
                                      "object_id = ?", (pack_id,)).fetchone()[0]
    assert printed == 2  # the print itself and marking it printed
    text = _text(pdf)
    assert "Arrived soaked, no coat" in text and "Spoke to mum, coat provided" in text
    assert "OFFICIAL-SENSITIVE" in text and "B801200005001" in text


def test_the_released_pack_carries_its_own_id_in_its_pdf_and_twin(school: SmallSchool,
                                                                 child_id: str) -> None:
    """One id for a released pack: the print queue's, the CLI's, the PDF's title and footers
    and the JSON twin's (it was the referral version's id inside the PDF)."""
    with school.open("dsl") as dsl:
        referral = create_referral(dsl, child_id, READY)
        approve_referral(dsl, referral.id)
        pack_id = release_referral(dsl, referral.id)
        twin = dsl.conn.execute("SELECT twin FROM referral_packs WHERE id = ?",
                                (pack_id,)).fetchone()[0]
    with school.open("office") as office:
        assert [p.id for p in released_packs(office)] == [pack_id]
        reader = PdfReader(io.BytesIO(released_pack_pdf(office, pack_id, "view")))
    assert json.loads(twin)["pack_id"] == pack_id
    assert reader.metadata.title == f"Referral pack {pack_id}"
    assert all(f"Pack {pack_id} ·" in page.extract_text() for page in reader.pages)


def test_editing_an_approved_referral_needs_approval_again(school: SmallSchool,
                                                           child_id: str) -> None:
    with school.open("dsl") as dsl:
        referral = create_referral(dsl, child_id, READY)
        approve_referral(dsl, referral.id)
        edited = update(dsl, referral.id, [("risk_view", "high")])
        assert edited.status == "draft" and edited.version == 2
        with pytest.raises(InputError, match="risk_view"):
            update(dsl, referral.id, [("risk_view", "very")])


def test_staff_and_admin_cannot_touch_referrals(school: SmallSchool, child_id: str) -> None:
    for account in ("teacher", "admin", "office"):
        with school.open(account) as session, pytest.raises(AccessDenied):
            create_referral(session, child_id)


def test_child_pack_file_and_twin_are_written_and_deterministic(
        school: SmallSchool, child_id: str, tmp_path: Path) -> None:
    with school.open("dsl") as dsl:
        child = child_by_upn(dsl, "B801200005001")
        first = write_pack(dsl, child_pack_data(dsl, child), tmp_path / "a.pdf")
        second = write_pack(dsl, child_pack_data(dsl, child), tmp_path / "b.pdf")
        with pytest.raises(InputError, match=r"\.pdf"):
            write_pack(dsl, child_pack_data(dsl, child), tmp_path / "a.txt")
    assert first == second  # same content, same pack id
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
    assert (tmp_path / "a.json").exists()
    reader = PdfReader(tmp_path / "a.pdf")
    assert "Zofia" not in str(reader.metadata)


def test_encrypted_pack_opens_only_with_the_password(school: SmallSchool, child_id: str,
                                                     tmp_path: Path) -> None:
    with school.open("dsl") as dsl:
        child = child_by_upn(dsl, "B801200005001")
        write_pack(dsl, child_pack_data(dsl, child), tmp_path / "e.pdf", "pack password 1")
    reader = PdfReader(tmp_path / "e.pdf")
    assert reader.is_encrypted and not (tmp_path / "e.json").exists()
    assert reader.decrypt("pack password 1")
    assert "Arrived soaked" in _text_from(reader)


def _text_from(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)
