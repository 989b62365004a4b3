"""The referral pack PDF, read back with pypdf and rendered with poppler's pdftoppm."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from app.errors import InputError
from app.pack import (
    BodyMark,
    PackChild,
    PackData,
    PackEntry,
    ReferralForm,
    Referrer,
    SchoolInfo,
    encrypt_pdf,
    pack_json,
    render_pack,
)
from app.pack.dates import fmt_datetime
from tests.pack_fixtures import (
    CHILD_FORENAME,
    CHILD_SURNAME,
    GENERATED_AT,
    NAMES_LTR,
    NAMES_RTL,
    PACK_ID,
    at_day,
    big_pack,
    full_pack,
    schema_errors,
)

SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "pack-schema.json"


@pytest.fixture(scope="module")
def full_pdf() -> bytes:
    return render_pack(full_pack(), generated_at=GENERATED_AT)


@pytest.fixture(scope="module")
def big_pdf() -> bytes:
    return render_pack(big_pack(), generated_at=GENERATED_AT)


@pytest.fixture(scope="module")
def big_texts(big_pdf: bytes) -> list[str]:
    return pages_text(big_pdf)


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def squash(text: str) -> str:
    """Without whitespace, so a name broken over two lines still matches."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


def test_every_page_carries_marking_child_pack_id_and_page_x_of_y(big_texts: list[str]
                                                                   ) -> None:
    texts = big_texts
    assert len(texts) > 50  # 500 entries
    generated = fmt_datetime(GENERATED_AT)
    for number, page in enumerate(texts, start=1):
        assert page.count("OFFICIAL-SENSITIVE") >= 2, number  # top and bottom
        assert f"Page {number} of {len(texts)}" in page
        assert PACK_ID in page and generated in page
        assert squash(f"{CHILD_FORENAME} {CHILD_SURNAME}") in squash(page)
        assert "B801200005001" in page


def test_names_in_every_script_survive_in_the_text(big_texts: list[str]) -> None:
    text = squash("".join(big_texts))
    assert "#500" in text
    for name in NAMES_LTR:
        assert squash(name) in text, name
    # Arabic script is drawn as presentation forms in visual order; NFKC undoes the shaping,
    # and each word must come back whole in one direction or the other.
    shaped = unicodedata.normalize("NFKC", text)
    for name in NAMES_RTL:
        for word in name.split():
            assert word in shaped or word[::-1] in shaped, name


def test_all_fonts_are_embedded_shipped_truetype(full_pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(full_pdf))
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object() if isinstance(font, IndirectObject) else font
            names.add(str(font["/BaseFont"]))
            descriptor = font["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor, font["/BaseFont"]
    assert any("NotoSans-Regular" in n for n in names)
    assert any("NotoSansArabic" in n for n in names)


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
def test_pdffonts_reports_every_font_embedded(full_pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "pack.pdf"
    path.write_bytes(full_pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    rows = out.stdout.splitlines()[2:]
    assert rows
    for row in rows:
        assert " yes yes yes " in row, row  # embedded, subset, with a ToUnicode map


def test_metadata_names_the_pack_never_the_child(full_pdf: bytes) -> None:
    meta = PdfReader(io.BytesIO(full_pdf)).metadata
    assert meta is not None
    assert meta.title == f"Referral pack {PACK_ID}"
    values = " ".join(str(v) for v in meta.values())
    for secret in (CHILD_FORENAME, CHILD_SURNAME, "Zosia", "B801200005001", "943 476 5870"):
        assert secret not in values


def test_same_content_gives_byte_identical_pdf(full_pdf: bytes) -> None:
    assert render_pack(full_pack(), generated_at=GENERATED_AT) == full_pdf


def test_another_process_renders_the_same_bytes(full_pdf: bytes) -> None:
    """No dependence on hash seeds, the environment's SOURCE_DATE_EPOCH or process state."""
    script = (
        "import hashlib, sys\n"
        "from tests.pack_fixtures import full_pack, GENERATED_AT\n"
        "from app.pack import render_pack\n"
        "print(hashlib.sha256(render_pack(full_pack(), generated_at=GENERATED_AT)).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "SOURCE_DATE_EPOCH": "1000000"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, cwd=Path(__file__).resolve().parents[1], check=True)
    assert done.stdout.strip() == hashlib.sha256(full_pdf).hexdigest()


def test_generation_time_is_the_only_difference(full_pdf: bytes) -> None:
    later = GENERATED_AT + timedelta(days=3, hours=2)
    other = render_pack(full_pack(), generated_at=later)
    assert other != full_pdf
    old, new = fmt_datetime(GENERATED_AT), fmt_datetime(later)
    assert [t.replace(old, "T") for t in pages_text(full_pdf)] == [
        t.replace(new, "T") for t in pages_text(other)
    ]
    assert "20260309" in str(PdfReader(io.BytesIO(full_pdf)).metadata["/CreationDate"])


def test_pack_contents(full_pdf: bytes) -> None:
    text = "\n".join(pages_text(full_pdf))
    flat = squash(text)
    for heading in ("1. Urgency", "2. Consent", "3. The child", "4. Household and family",
                    "5. Referrer", "6. Reason for the referral", "7. Risk and threshold",
                    "8. History and support", "9. Other professionals involved",
                    "10. Chronology", "11. Body map", "12. Attachments",
                    "13. In the child's own words"):
        assert heading in text
    assert "IMMEDIATE RISK" in text and "HIGH" in text and "level 4 of 4" in text
    assert "KEEP FROM THE FAMILY" in text
    assert "IN THE CHILD'S OWN WORDS" in text
    assert squash("Dad got angry when the dinner was late.") in flat
    assert "FRONT" in text and "BACK" in text and "Bruise 3 cm, yellow-green" in text
    assert "3 days later" in text  # entry recorded late says when
    assert "AMENDED" in text and squash("Corrected the date of the meeting") in flat
    assert "SIGNIFICANT" in text
    # attachments with their SHA-256, grouped in eights
    digest = full_pack().attachments[0].sha256
    assert digest in flat
    # chronology in the order things happened: the neglect entry (earliest) is #1
    chrono = text[text.index("10. Chronology"):]
    assert chrono.index("#1") < chrono.index("#2") < chrono.index("#3") < chrono.index("#4")
    assert chrono.index("Neglect") < chrono.index("Phoned mother") < chrono.index("Bruise seen")
    assert "Not recorded" in text


def test_minimal_pack_shows_not_recorded() -> None:
    data = PackData(
        pack_id="00000000-0000-4000-8000-000000000000",
        school=SchoolInfo("Test School"),
        child=PackChild(legal_forename="Sam", legal_surname="Example"),
        referrer=Referrer("A Teacher"),
        form=ReferralForm(),
    )
    text = "\n".join(pages_text(render_pack(data, generated_at=GENERATED_AT)))
    assert text.count("Not recorded") > 20
    assert "UPN not recorded" in text
    assert "No chronology entries are included in this pack." in text


def test_long_entry_splits_across_pages_under_repeated_headings() -> None:
    huge = "\n\n".join(f"Paragraph {i}. " + "A long account of what was seen. " * 40
                       for i in range(1, 13))
    entry = PackEntry(entry_id="long", occurred_at=at_day(1), recorded_at=at_day(1), kind="concern",
                      summary=huge, author="Ms Test", categories=["Neglect"])
    texts = pages_text(render_pack(full_pack([entry]), generated_at=GENERATED_AT))
    chrono = [t for t in texts if "10. Chronology" in t]
    assert len(chrono) >= 3
    for page in chrono:
        assert "Date and time" in page and "What happened" in page
    assert all("#1 (continued)" in page for page in chrono[1:])
    flat = squash("".join(chrono))
    for i in range(1, 13):
        assert squash(f"Paragraph {i}. ") in flat  # nothing lost in the splits


def test_characters_no_font_has_are_printed_as_code_points() -> None:
    # Bengali (no shipped font), a control character, an emoji (beyond U+FFFF, where
    # reportlab's ToUnicode map breaks): all printed as code points, none dropped.
    child = dataclasses.replace(full_pack().child, preferred_forename="জয়া\x07 😀")
    data = dataclasses.replace(full_pack(), child=child)
    text = "".join(pages_text(render_pack(data, generated_at=GENERATED_AT)))
    assert "[U+099C]" in text and "[U+0007]" in text and "[U+1F600]" in text


def test_many_body_marks_are_numbered_across_figures() -> None:
    marks = [BodyMark("front" if i % 2 else "back", (i % 10) / 10, (i % 7) / 7, f"mark {i}")
             for i in range(35)]
    entry = PackEntry(entry_id="m", occurred_at=at_day(1), recorded_at=at_day(1),
                      kind="concern", summary="Marks seen.", author="Ms Test", body_marks=marks)
    text = "".join(pages_text(render_pack(full_pack([entry]), generated_at=GENERATED_AT)))
    assert "Marks 1–30" in text and "Marks 31–35" in text
    assert "mark 34" in text
    # each mark with its place and note in the entry's row (mark n holds note "mark n-1")
    assert squash("Body map (section 11): mark 1, Back: Left arm — mark 0; mark 2, Front: "
                  "Right arm — mark 1") in squash(text)


def test_decomposed_accents_are_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Minh Anh")
    child = dataclasses.replace(full_pack().child, preferred_forename=decomposed)
    data = dataclasses.replace(full_pack(), child=child)
    text = "".join(pages_text(render_pack(data, generated_at=GENERATED_AT)))
    assert "Nguyễn Thị Minh Anh" in unicodedata.normalize("NFC", text)


def test_encrypted_pack_opens_only_with_the_password(full_pdf: bytes) -> None:
    locked = encrypt_pdf(full_pdf, "correct horse battery")
    assert b"Wi\xc5\x9bniewska" not in locked
    reader = PdfReader(io.BytesIO(locked))
    assert reader.is_encrypted
    encrypt = reader.trailer["/Encrypt"].get_object()
    assert encrypt["/V"] == 5 and encrypt["/R"] == 6  # AES-256, PDF 2.0 security handler
    assert encrypt["/CF"]["/StdCF"]["/CFM"] == "/AESV3"
    assert not reader.decrypt("wrong password")
    reader = PdfReader(io.BytesIO(locked))
    assert reader.decrypt("correct horse battery")
    assert len(reader.pages) == len(PdfReader(io.BytesIO(full_pdf)).pages)
    assert "OFFICIAL-SENSITIVE" in reader.pages[0].extract_text()


def test_encrypted_pack_says_which_pdf_it_is_and_keeps_no_owner_backdoor(full_pdf: bytes
                                                                         ) -> None:
    from pypdf import PasswordType

    locked = encrypt_pdf(full_pdf, "correct horse battery")
    # AES-256 revision 6 needs PDF 2.0, or PDF 1.7 with Adobe extension level 8: say which.
    assert locked.startswith(b"%PDF-1.7")
    reader = PdfReader(io.BytesIO(locked))
    assert reader.decrypt("correct horse battery") == PasswordType.USER_PASSWORD  # not owner
    adbe = reader.trailer["/Root"]["/Extensions"]["/ADBE"]
    assert adbe["/BaseVersion"] == "/1.7" and adbe["/ExtensionLevel"] == 8
    # The owner password is neither the user's (above: it opens as user, not owner) nor
    # empty: it is random and never shown.
    assert PdfReader(io.BytesIO(locked)).decrypt("") == PasswordType.NOT_DECRYPTED


def test_encryption_refuses_a_short_password(full_pdf: bytes) -> None:
    with pytest.raises(InputError) as caught:
        encrypt_pdf(full_pdf, "short")
    assert caught.value.field == "password"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_poppler_renders_every_page(full_pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "pack.pdf"
    path.write_bytes(encrypt_pdf(full_pdf, "correct horse battery"))
    done = subprocess.run(
        ["pdftoppm", "-r", "30", "-png", "-upw", "correct horse battery", str(path),
         str(tmp_path / "page")], capture_output=True, text=True,
    )
    assert done.returncode == 0 and done.stderr == ""
    pages = len(PdfReader(io.BytesIO(full_pdf)).pages)
    assert len(list(tmp_path.glob("page-*.png"))) == pages


def _validate(document: dict) -> list[str]:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    try:
        import jsonschema
    except ImportError:
        return schema_errors(document, schema)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.FormatChecker())
    return [e.message for e in validator.iter_errors(document)]


def test_twin_matches_the_schema_and_the_pdf() -> None:
    for data in (full_pack(), big_pack(50)):
        twin = json.loads(json.dumps(pack_json(data, generated_at=GENERATED_AT)))
        assert _validate(twin) == []
    twin = pack_json(full_pack(), generated_at=GENERATED_AT)
    assert twin["schema_version"] == "1.1" and twin["pack_id"] == PACK_ID
    assert twin["generated_at"] == "2026-03-09T14:30:00.000000Z"
    assert [e["number"] for e in twin["chronology"]] == [1, 2, 3, 4]
    bruise = twin["chronology"][2]  # numbered as in the PDF
    assert bruise["entry_id"] == "e-003" and [m["number"] for m in bruise["body_marks"]] == [1, 2]
    assert twin["chronology"][3]["child_words"] == "میں گھر نہیں جانا چاہتی"  # exactly as recorded


def test_schema_check_catches_a_bad_twin() -> None:
    twin = json.loads(json.dumps(pack_json(full_pack(), generated_at=GENERATED_AT)))
    twin["chronology"][0]["kind"] = "gossip"
    twin["form"]["risk"]["threshold_level"] = 7
    del twin["child"]["upn"]
    twin["extra"] = 1
    assert len(_validate(twin)) >= 4
