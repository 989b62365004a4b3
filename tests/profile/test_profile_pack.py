"""The referral pack fills itself from the child's profile and the school's settings; what a
DSL types on the referral wins; every answer typed reaches the PDF and its JSON twin; and the
demo's worked referral prints "Not recorded" only for what nobody knows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pymupdf
import pytest

from app.clock import FakeClock
from app.demo.school import build_demo
from app.domain.pupils import child_by_upn
from app.domain.referral_form import FIELDS
from app.domain.referrals import create_referral, list_referrals
from app.pack import pack_json
from app.pack.assembly import referral_pack_data, write_pack
from app.profile.model import (
    Address,
    Contact,
    Facts,
    Phone,
    Professional,
    ProfileUpdate,
    PupilLink,
)
from app.profile.profiles import apply_update
from app.store.access import unlock
from app.store.keys import TEST_KDF
from app.store.settings import SCHOOL_DSL_NAME, SCHOOL_DSL_PHONE, SCHOOL_PHONE, set_value
from tests.conftest import SmallSchool

UPN = "B801200005001"
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
UPDATE = ProfileUpdate(
    link=PupilLink(UPN),
    facts=Facts(ethnicity_code="WOTH", ethnicity="Any other White background",
                religion="Christian (Roman Catholic)", first_language_code="POL",
                first_language="Polish", interpreter_needed=True, sen_status="K",
                sen_needs=("SLCN",), gp="Dr Q Example, Larkspur Surgery",
                previous_school="Brookside Infant School (999/2001)"),
    addresses=(Address(("12 Sample Street", "Exampleton"), "ZZ99 9AB"),),
    contacts=(Contact("Marta Example", "Mother", True, True,
                      (Phone("07700 900456", "mobile"),), "marta@example.org", None, 1),
              Contact("Tomasz Example", "Father", True, False,
                      (Phone("07700 900457", "mobile"),), None, None, 2, True,
                      "Court order: no contact")),
    professionals=(Professional("Sam Caseworth", "Social worker",
                                "Exampleshire Children's Services", "01632 960555"),))


def _text(pdf: bytes) -> str:
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        return " ".join(" ".join(page.get_text().split()) for page in doc)


def test_the_pack_is_filled_from_the_profile_and_the_settings(
        keyed_school: SmallSchool, tmp_path: Path) -> None:
    with keyed_school.open("admin") as admin:
        set_value(admin, SCHOOL_PHONE, "01632 960000")
        set_value(admin, SCHOOL_DSL_NAME, "Dana Lead")
        set_value(admin, SCHOOL_DSL_PHONE, "01632 960001")
    with keyed_school.open("dsl") as dsl:
        child = child_by_upn(dsl, UPN)
        with dsl.tx():
            apply_update(dsl, child.id, UPDATE, "mis", "SIMS contact export")
        referral = create_referral(dsl, child.id, [("child_religion", "None (told us in 2026)")])
        data = referral_pack_data(dsl, referral)
        write_pack(dsl, data, tmp_path / "pack.pdf")
    text = _text((tmp_path / "pack.pdf").read_bytes())
    for shown in ("Any other White background (WOTH)", "Polish", "SEN support: SLCN",
                  "12 Sample Street, Exampleton, ZZ99 9AB", "Dr Q Example, Larkspur Surgery",
                  "Marta Example", "DO NOT CONTACT: Court order: no contact",
                  "Sam Caseworth", "Exampleshire Children's Services",
                  "Dana Lead, direct line 01632 960001",
                  "07700 900456 (mobile), Marta Example"):
        assert shown in text, shown
    assert "None (told us in 2026)" in text and "Roman Catholic" not in text  # typed wins
    twin = pack_json(data, generated_at=NOW)
    assert twin["child"]["ethnicity_code"] == "WOTH" and twin["cin"]["Ethnicity"] == "WOTH"
    assert twin["child"]["previous_school"] == "Brookside Infant School (999/2001)"
    assert [c["name"] for c in twin["contacts"]] == ["Marta Example", "Tomasz Example"]
    assert twin["contacts"][1]["do_not_contact_reason"] == "Court order: no contact"
    assert twin["referrer"]["phone"] == "01632 960001"  # the DSL's line before the school's


def test_every_answer_typed_on_the_referral_reaches_the_pack(
        keyed_school: SmallSchool, tmp_path: Path) -> None:
    typed = {"bool": "yes", "level": "3", "risk": "high", "urgency": "early help",
             "household": "Hal Example; Uncle; 1990-01-02; no; visits weekly",
             "professional": "Pat Nurse; School nurse; Exampleton NHS; 01632 960777"}
    fields = [(f.name, typed.get(f.kind, f"typed-{f.name}-words")) for f in FIELDS]
    with keyed_school.open("dsl") as dsl:
        referral = create_referral(dsl, child_by_upn(dsl, UPN).id, fields)
        data = referral_pack_data(dsl, referral)
        write_pack(dsl, data, tmp_path / "all.pdf")
    text = _text((tmp_path / "all.pdf").read_bytes())
    missing = [name for name, value in fields if value.startswith("typed-")
               and value not in text and not name.endswith(("aliases", "harm_types"))]
    assert missing == []  # child_aware, child_views, child_voice were once dropped
    twin = pack_json(data, generated_at=NOW)
    assert twin["form"]["consent"]["child_views"] == "typed-child_views-words"
    assert twin["form"]["reason"]["child_voice"] == "typed-child_voice-words"
    assert twin["form"]["consent"]["child_aware"] is True
    assert "Hal Example" in text and "Pat Nurse" in text


@pytest.mark.slow
def test_the_demo_referral_prints_not_recorded_at_most_five_times(tmp_path: Path) -> None:
    build_demo(tmp_path / "demo", pupils=120, kdf=TEST_KDF, passphrase="demo",
               clock=FakeClock(NOW))
    with unlock(tmp_path / "demo", "dsl", "demo", clock=FakeClock(NOW)) as dsl:
        (referral,) = list_referrals(dsl)
        write_pack(dsl, referral_pack_data(dsl, referral), tmp_path / "demo.pdf")
    text = _text((tmp_path / "demo.pdf").read_bytes())
    assert 0 < text.count("Not recorded") <= 5
    assert "Referral to children's social care" in text and "direct line" in text
