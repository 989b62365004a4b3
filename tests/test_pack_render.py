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
from app.pack import text as pack_text
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


# -- right-to-left text as readers extract it (issue #16) ---------------------------------
# Readers that order text by the bidi algorithm: mupdf (PyMuPDF), pdfium (pypdfium2, also
# Chrome's viewer) and poppler (pdftotext). pypdf and pdfminer.six ignore /ActualText and give
# the glyphs in drawing order (the test above).
_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_PRESENTATION_FORMS = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]")
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff]")
# In logical order, as recorded, with the left-to-right text around them.
_RTL_EXPECTED = [
    "Phoned mother زینب خان with an interpreter; she said that she",
    "محمد الأحمد قال إن الطفلة تبكي كل ليلة ولا تريد العودة إلى البيت",
    "مع الأسرة في المدرسة وناقشنا خطة الدعم للأسابيع القادمة",
    "میں گھر نہیں جانا چاہتی",
]


def _mupdf_text(pdf: bytes, _tmp: Path) -> str:
    pymupdf = pytest.importorskip("pymupdf")
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        return "\n".join(page.get_text() for page in doc)


def _pdfium_text(pdf: bytes, _tmp: Path) -> str:
    import pypdfium2

    doc = pypdfium2.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


def _poppler_text(pdf: bytes, tmp: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    path = tmp / "pack.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


_EXTRACTORS = {"mupdf": _mupdf_text, "pdfium": _pdfium_text, "poppler": _poppler_text}


def _unspanned_pack(monkeypatch: pytest.MonkeyPatch) -> bytes:
    """The full pack drawn as before /ActualText: the same visual-order markup, no spans."""
    with monkeypatch.context() as patch:
        patch.setattr(pack_text, "_spanned",
                      lambda _logical, visual, bold, _base="R": pack_text._markup_visual(visual,
                                                                                         bold))
        pack_text._line_markup.cache_clear()
        try:
            return render_pack(full_pack(), generated_at=GENERATED_AT)
        finally:
            pack_text._line_markup.cache_clear()


@pytest.mark.parametrize("extractor", sorted(_EXTRACTORS))
def test_right_to_left_text_extracts_in_logical_order_as_letters(
        full_pdf: bytes, extractor: str, tmp_path: Path) -> None:
    got = _EXTRACTORS[extractor](full_pdf, tmp_path)
    flat = squash(_BIDI_CONTROLS.sub("", got))
    for expected in _RTL_EXPECTED:
        assert squash(expected) in flat, expected
    assert not _PRESENTATION_FORMS.search(got)  # base letters, not the shaped glyphs


@pytest.mark.parametrize("extractor", sorted(_EXTRACTORS))
def test_left_to_right_text_extracts_as_before(full_pdf: bytes, extractor: str,
                                               tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    before = _EXTRACTORS[extractor](_unspanned_pack(monkeypatch), tmp_path)
    after = _EXTRACTORS[extractor](full_pdf, tmp_path)

    def latin(text: str) -> list[str]:
        return [line for line in text.splitlines() if not _ARABIC_SCRIPT.search(line)]

    assert latin(after) == latin(before)
    assert "Phoned mother" in after and "with an interpreter; she said that she" in after


def _content_streams(pdf: bytes) -> list[str]:
    return [page.get_contents().get_data().decode("latin-1")
            for page in PdfReader(io.BytesIO(pdf)).pages]


_STRING = re.compile(r"\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f]*>(?!>)")
_SPAN = re.compile(r"/Span <</ActualText <FEFF(?:[0-9A-F]{4})+>>> BDC|\bEMC\b")


def test_actual_text_spans_change_nothing_drawn(full_pdf: bytes,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Without its spans the content stream is the one drawn before them, operator for
    operator: same glyphs, fonts and positions."""
    spanned = _content_streams(full_pdf)
    assert sum(len(re.findall(r"\bBDC\b", page)) for page in spanned) >= 10
    plain = _content_streams(_unspanned_pack(monkeypatch))
    assert [_SPAN.sub(" ", page).split() for page in spanned] == [
        page.split() for page in plain]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_actual_text_spans_change_no_pixel(full_pdf: bytes, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    for name, pdf in (("spanned", full_pdf), ("plain", _unspanned_pack(monkeypatch))):
        (tmp_path / f"{name}.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "40", "-png", str(tmp_path / f"{name}.pdf"),
                        str(tmp_path / name)], check=True, capture_output=True)
    spanned = sorted(tmp_path.glob("spanned-*.png"))
    assert len(spanned) == len(PdfReader(io.BytesIO(full_pdf)).pages)
    for page in spanned:
        plain = tmp_path / page.name.replace("spanned", "plain")
        assert page.read_bytes() == plain.read_bytes(), page.name


def test_actual_text_spans_are_balanced_within_text_objects(big_pdf: bytes) -> None:
    """Every span opens and closes inside one text object (BT … ET), never nested, so a run
    whose paragraph splits across pages cannot leave a span open."""
    spans = 0
    for number, page in enumerate(_content_streams(big_pdf), start=1):
        in_text = in_span = False
        operators = _STRING.sub(" ", page)  # glyph strings may hold any bytes
        for op in re.findall(r"\b(?:BT|ET|BDC|EMC)\b", operators):
            if op == "BT":
                assert not in_text, number
                in_text = True
            elif op == "ET":
                assert in_text and not in_span, number
                in_text = False
            elif op == "BDC":
                assert in_text and not in_span, number
                in_span, spans = True, spans + 1
            else:
                assert in_span, number
                in_span = False
    assert spans > 100  # big_pack's Arabic-script names


def test_a_run_whose_line_breaks_from_its_opening_marker_is_spanned_or_left_plain() -> None:
    """The opening marker of a run that starts a line stays on the line before. Drawn whole,
    the span covers the run; split there (a page break), the run is drawn without a span rather
    than with a span that never closes."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Paragraph

    from app.pack.fonts import BODY
    from app.pack.styles import make_styles

    style = ParagraphStyle("one-line-parts", parent=make_styles().body, allowOrphans=1)
    markup = pack_text.markup("Phoned mother زینب خان today")
    width = stringWidth("Phoned mother ", BODY, style.fontSize) + 1  # the run starts line 2

    def drawn(*parts: Paragraph) -> list[str]:
        out = io.BytesIO()
        canvas = Canvas(out, pageCompression=0, invariant=1)
        pack_text.install(canvas)
        for part in parts:
            part.wrapOn(canvas, width, 500)
            part.drawOn(canvas, 50, 500)
            canvas.showPage()
        canvas.save()
        return _content_streams(out.getvalue())

    whole = Paragraph(markup, style)
    [page] = drawn(whole)
    assert page.count("BDC") == page.count("EMC") == 1
    first, rest = Paragraph(markup, style).split(width, style.leading * 1.5)
    pages = drawn(first, rest)
    assert all("BDC" not in p and "EMC" not in p for p in pages)
    assert "Tj" in pages[1]  # the run itself is still drawn


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
    assert twin["schema_version"] == "1.3" and twin["pack_id"] == PACK_ID
    # The profile for the LA's systems: CIN census names and codes, every contact in full.
    assert twin["cin"] == {"UPN": "B801200005001", "PersonBirthDate": "2016-05-14",
                           "GenderCurrent": "2", "Ethnicity": "WOTH", "Disabilities": None,
                           "NHSNumber": "9434765870"}
    assert twin["child"]["sen_status"] == "K" and twin["child"]["sen_needs"] == ["SLCN"]
    father = twin["contacts"][1]
    assert father["do_not_contact"] and father["do_not_contact_reason"].startswith("Alleged")
    assert twin["school"]["dsl_phone"] == "01632 960001"
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
