"""Roster CSV parsing and validation: canonical, SIMS-like and Arbor-like files (synthetic, in
tests/data), every kind of bad row, encodings, and a fuzz that it never fails any other way."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.roster_csv import (
    CANONICAL_COLUMNS,
    RosterRow,
    normalise_year_group,
    parse_date,
    parse_roster,
    read_roster,
    write_canonical_csv,
)
from app.errors import InputError, InputErrors
from app.identifiers import make_upn

DATA = Path(__file__).parent / "data"
TODAY = date(2026, 11, 23)
HEADER = ",".join(CANONICAL_COLUMNS)
# Synthetic UPNs from LA 975, which no local authority uses.
UPN_A = make_upn(975, 4100, 20, 1)
UPN_B = make_upn(975, 4100, 20, 2)
UPN_C = make_upn(975, 4100, 20, 3)


def roster(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode("utf-8")


def row(upn=UPN_A, fore="Ada", sur="Testperson", pref="", dob="2015-03-02", gender="F",
        year="Y6", nhs="") -> str:  # fmt: skip
    return ",".join([upn, fore, sur, pref, dob, gender, year, nhs])


def problems_of(data: bytes) -> list[str]:
    with pytest.raises(InputErrors) as caught:
        parse_roster(data, today=TODAY)
    return caught.value.problems


def input_error_of(data: bytes) -> str:
    with pytest.raises(InputError) as caught:
        parse_roster(data, today=TODAY)
    return caught.value.problem


# --- good files --------------------------------------------------------------------------------


def test_canonical_roster_parses():
    rows = parse_roster(
        roster(row(), row(UPN_B, "Bo", "Example", "Bobby", "2014-09-01", "M", "Year 7",
                          "999 000 0018")),
        today=TODAY,
    )  # fmt: skip
    assert rows[0] == RosterRow(
        UPN_A, "Ada", "Testperson", None, date(2015, 3, 2), "F", "Y6", None, line=2
    )
    assert rows[1].preferred_forename == "Bobby"
    assert rows[1].nhs_number == "9990000018" and rows[1].year_group == "Y7"
    assert rows[1].line == 3


def test_sims_like_export_is_recognised():
    rows = parse_roster((DATA / "roster_sims.csv").read_bytes(), today=TODAY)
    assert len(rows) == 20
    assert rows[0].line == 2
    assert rows[-1].line == 22  # the blank line in the file is counted, as a spreadsheet shows
    assert {r.year_group for r in rows} <= {"N1", "N2", "R", *(f"Y{k}" for k in range(1, 14))}
    assert all(r.nhs_number is None for r in rows)  # SIMS export had no NHS column
    # SIMS fills Preferred Forename with the legal one when there is no other: that is no
    # preferred name; a real one is kept.
    file_rows = [r for r in csv.reader(io.StringIO(
        (DATA / "roster_sims.csv").read_text("utf-8-sig"))) if r][1:]  # fmt: skip
    expected = [None if r[4] == r[3] else r[4] for r in file_rows]
    assert [r.preferred_forename for r in rows] == expected
    assert any(expected) and not all(expected)
    assert any(ord(ch) > 127 for r in rows for ch in r.legal_surname + r.legal_forename)


def test_arbor_like_export_is_recognised():
    rows = parse_roster((DATA / "roster_arbor.csv").read_bytes(), today=TODAY)
    assert len(rows) == 20
    assert rows[0].year_group == "N2"  # "Nursery"
    assert rows[1].year_group == "R"  # "Reception"
    assert any(r.nhs_number for r in rows)
    assert all(r.gender in ("M", "F") for r in rows)
    # The legal columns win over the plain "First name" (which Arbor fills with the known-as).
    text = (DATA / "roster_arbor.csv").read_text("utf-8").splitlines()
    legal_first = [line.split(",")[5] for line in text[1:]]
    assert [r.legal_forename for r in rows] == legal_first


def test_headings_match_whatever_the_case_and_punctuation():
    header = "Unique Pupil Number;SURNAME;forename;D.O.B;sex;Year_Group;Reg Group"
    data = f"{header}\n{UPN_A};Testperson;Ada;02/03/2015;girl;7;7B\n".encode()
    (only,) = parse_roster(data, today=TODAY)
    assert (only.upn, only.legal_surname, only.gender, only.year_group) == (UPN_A, "Testperson",
                                                                             "F", "Y7")  # fmt: skip


def test_bom_crlf_tabs_and_quoted_fields():
    data = ("\ufeff" + HEADER.replace(",", "\t") + "\r\n"
            + f'{UPN_A}\t"Ada, Jr"\tTestperson\t\t2015-03-02\tF\tR\t\r\n').encode()  # fmt: skip
    (only,) = parse_roster(data, today=TODAY)
    assert only.legal_forename == "Ada, Jr" and only.year_group == "R"


def test_utf16_with_bom_is_read():
    data = roster(row(fore="Zoë", sur="Łukasiewicz")).decode().encode("utf-16")
    (only,) = parse_roster(data, today=TODAY)
    assert (only.legal_forename, only.legal_surname) == ("Zoë", "Łukasiewicz")


def test_names_are_trimmed_and_nfc_normalised():
    decomposed = "Zoe\u0308"  # e + combining diaeresis, as macOS may write it
    (only,) = parse_roster(roster(row(fore=f"  {decomposed}  ", sur=" Van  der  Berg ")),
                           today=TODAY)  # fmt: skip
    assert only.legal_forename == "Zoë" and only.legal_surname == "Van der Berg"


def test_non_latin_names_and_joiners_are_kept():
    (only,) = parse_roster(roster(row(fore="Олександр", sur="Παπαδόπουλος", pref="می\u200cخواهم")),
                           today=TODAY)  # fmt: skip
    assert only.legal_forename == "Олександр" and "\u200c" in only.preferred_forename


def test_preferred_name_same_as_legal_is_dropped():
    (only,) = parse_roster(roster(row(fore="Ada", pref=" Ada ")), today=TODAY)
    assert only.preferred_forename is None


def test_blank_lines_and_rows_of_empty_cells_are_skipped():
    rows = parse_roster(roster("", row(), ",,,,,,,", "", row(UPN_B)), today=TODAY)
    assert [r.line for r in rows] == [3, 6]


def test_same_roster_gives_same_rows():
    data = (DATA / "roster_sims.csv").read_bytes()
    assert parse_roster(data, today=TODAY) == parse_roster(data, today=TODAY)


# --- bad rows: every one listed, with line, field and problem ----------------------------------


def test_every_bad_row_is_listed_with_its_spreadsheet_line():
    data = roster(
        row(),  # line 2: fine
        row(UPN_B, dob="2027-01-01"),  # line 3
        row(("B" if UPN_C[0] == "A" else "A") + UPN_C[1:]),  # line 4: wrong check letter
        row(UPN_A),  # line 5: duplicate of line 2
        row(make_upn(975, 4100, 20, 9), fore="  ", sur=""),  # line 6
    )
    problems = problems_of(data)
    expected_letter = UPN_C[0]
    assert problems == [
        "line 3: date_of_birth: is in the future",
        f"line 4: upn: check letter should be {expected_letter}",
        "line 5: upn: also on line 2",
        "line 6: legal_forename: is empty",
        "line 6: legal_surname: is empty",
    ]


def test_summary_counts_bad_rows_and_says_nothing_was_imported():
    with pytest.raises(InputErrors) as caught:
        parse_roster(roster(row(), row(UPN_B, gender="?", year="Y99")), today=TODAY)
    assert caught.value.summary.startswith("1 of 2 roster rows has problems; nothing was imported")
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"upn": "B80120000500"}, "upn: UPN has 12 characters; it needs 13"),
        ({"upn": ""}, "upn: is empty"),
        ({"dob": "1990-01-01"}, "date_of_birth: makes the pupil 25 or older"),
        ({"dob": "2001-11-23"}, "date_of_birth: makes the pupil 25 or older"),
        ({"dob": "31/02/2015"}, "date_of_birth: is not a real date (day or month out of range)"),
        ({"dob": "02/03/15"}, "date_of_birth: needs a four-digit year (DD/MM/YYYY or YYYY-MM-DD)"),
        ({"dob": "March 2nd"}, "date_of_birth: is not a date (use YYYY-MM-DD or DD/MM/YYYY)"),
        ({"dob": ""}, "date_of_birth: is empty"),
        ({"gender": "?"}, "gender: is not recognised (use M, F, X for other, or U for not known)"),
        ({"year": "Y15"}, "year_group: is not a year group (use N1, N2, R, 1–14 or Year 7 etc.)"),
        ({"nhs": "999 000 0019"}, "nhs_number: NHS number check digit is wrong"),
        ({"nhs": "12345"}, "nhs_number: NHS number has 5 digits; it needs 10"),
        ({"fore": "A" * 101}, "legal_forename: is longer than 100 characters"),
        ({"sur": "Test\x07person"}, "legal_surname: contains control or unassigned characters"),
        ({"pref": "\u202eevil"}, "preferred_forename: contains control or unassigned characters"),
    ],
)
def test_each_kind_of_bad_value(changes, problem):
    assert problems_of(roster(row(**changes))) == [f"line 2: {problem}"]


def test_pupil_born_a_day_short_of_25_years_is_accepted():
    (only,) = parse_roster(roster(row(dob="2001-11-24", year="X")), today=TODAY)
    assert only.year_group == "X"


def test_duplicate_nhs_numbers_are_caught():
    data = roster(row(nhs="9990000018"), row(UPN_B, nhs="999 000 0018"))
    assert problems_of(data) == ["line 3: nhs_number: also on line 2"]


def test_duplicate_upn_is_caught_even_when_the_first_row_has_other_problems():
    data = roster(row(dob="tomorrow"), row(" " + UPN_A.lower()))
    assert problems_of(data)[-1] == "line 3: upn: also on line 2"


def test_messages_never_contain_names_or_identifiers():
    name, upn = "Zebedee", make_upn(975, 4100, 20, 77)
    data = roster(
        row(upn, fore=name, sur=name, dob="2099-01-01", gender="?"),
        row(upn[:1] + "0" + upn[2:], fore=name, sur=name, nhs="9990000019"),
    )
    with pytest.raises(InputErrors) as caught:
        parse_roster(data, today=TODAY)
    message = str(caught.value)
    assert name not in message and upn not in message and upn[1:] not in message
    assert "2099" not in message and "9990000019" not in message


# --- whole-file problems -----------------------------------------------------------------------


def test_empty_file():
    assert input_error_of(b"") == "the roster file is empty"
    assert input_error_of(b"\n\r\n  \n") == "the roster file is empty"
    assert input_error_of(b"\xef\xbb\xbf\n") == "the roster file is empty"


def test_header_only():
    assert input_error_of(roster()) == "the roster has a header on line 1 but no pupils"


def test_missing_required_column_names_what_was_looked_for():
    header = HEADER.replace("date_of_birth", "birthday")
    problem = input_error_of(roster(header=header))
    assert problem == (
        "the roster has no column for date_of_birth "
        "(looked for: date_of_birth, DOB, Date of Birth, Birth date)"
    )


def test_several_missing_columns_are_all_named():
    problem = input_error_of(b"Name,Class\nx,y\n")
    assert problem.count("the roster has no column for") == 6


# --- encodings ---------------------------------------------------------------------------------

ACCENTED = [("Zoë", "Testperson"), ("Chloé", "Lefèvre"), ("Seán", "Ó Briain"), ("Ann", "O’Neil"),
            ("Ada", "Plain")]  # fmt: skip


def accented_roster(encoding: str, delimiter: str = ",", newline: str = "\r\n") -> bytes:
    lines = [HEADER] + [
        row(make_upn(975, 4100, 20, n), fore=f, sur=s) for n, (f, s) in enumerate(ACCENTED, start=1)
    ]
    text = newline.join(line.replace(",", delimiter) for line in lines) + newline
    return text.encode(encoding)


def test_cp1252_file_is_read_as_windows_1252_and_says_so():
    read = read_roster(accented_roster("cp1252"), today=TODAY)
    assert [(r.legal_forename, r.legal_surname) for r in read.rows] == ACCENTED
    assert read.encoding == "Windows-1252" and read.non_ascii_names == 4
    note = read.encoding_note()
    assert note.startswith("Read as Windows-1252 (an older export)")
    assert "4 pupils' names have accented" in note
    for name in ("Chloé", "Seán", "Lefèvre", "O’Neil"):
        assert name not in note  # the example 'Zoë' in the note is fixed wording, not the data


def test_utf8_with_and_without_bom_and_utf16_say_so():
    for encoding, label in (("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8"), ("utf-16", "UTF-16")):
        read = read_roster(accented_roster(encoding), today=TODAY)
        assert [(r.legal_forename, r.legal_surname) for r in read.rows] == ACCENTED
        assert read.encoding == label
    assert read_roster(roster(row()), today=TODAY).encoding_note() == (
        "Read as UTF-8; 0 pupils' names have accented or other non-ASCII letters."
    )


def test_excel_unicode_text_is_tab_separated_utf16_and_accepted():
    data = accented_roster("utf-16-le", delimiter="\t")
    read = read_roster(b"\xff\xfe" + data, today=TODAY)
    assert read.encoding == "UTF-16" and len(read.rows) == len(ACCENTED)
    assert "UTF-16 (Excel's Unicode text)" in read.encoding_note()


@pytest.mark.parametrize("byte", [b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d"])
def test_bytes_undefined_in_cp1252_are_refused_not_guessed(byte):
    data = accented_roster("cp1252").replace("Lefèvre".encode("cp1252"), b"Lef" + byte + b"vre")
    problem = input_error_of(data)
    assert problem.startswith(
        f"the roster is neither UTF-8 nor Windows-1252 text: line 3 has the byte 0x{byte[0]:02X}"
    )
    assert "CSV UTF-8" in problem and "Lef" not in problem


def test_a_file_mixing_utf8_and_cp1252_is_refused_naming_a_line_of_each():
    cp1252 = accented_roster("cp1252")
    utf8_row = row(make_upn(975, 4100, 20, 9), fore="Zoë") + "\r\n"
    problem = input_error_of(cp1252 + utf8_row.encode("utf-8"))
    assert problem.startswith(
        "the roster mixes character sets: line 7 is UTF-8 but line 2 is Windows-1252"
    )
    assert "Zo" not in problem


def test_a_utf8_bom_file_with_cp1252_lines_is_refused_as_mixed():
    data = b"\xef\xbb\xbf" + accented_roster("cp1252")
    assert input_error_of(data).startswith(
        "the roster starts as UTF-8 (it has a UTF-8 mark) but line 2 is not UTF-8"
    )


@pytest.mark.parametrize(
    ("names", "encoding"),
    [(("Łucja", "Wiśniewska"), "cp1250"), (("Олександр", "Шевченко"), "cp1251"),
     (("Γιώργος", "Παπαδόπουλος"), "cp1253")],
)  # fmt: skip
def test_another_code_page_is_not_passed_off_as_cp1252(names, encoding):
    fore, sur = names
    data = roster(row(), row(UPN_B, fore=fore, sur=sur)).decode().encode(encoding)
    problem = input_error_of(data)
    assert "line 3 come out as symbols or strings of accented letters" in problem
    assert "probably in another character set" in problem


def test_cp1252_names_with_apostrophes_and_the_catalan_middle_dot_are_letters_enough():
    data = roster(row(fore="Gal·la", sur="D’Arcy"), row(UPN_B, fore="Åsa", sur="Ó Briain"))
    read = read_roster(data.decode().encode("cp1252"), today=TODAY)
    assert [r.legal_forename for r in read.rows] == ["Gal·la", "Åsa"]


def test_non_ascii_names_are_counted_per_pupil():
    data = roster(row(fore="Zoë", sur="Lefèvre", pref="Zoë"), row(UPN_B))
    assert read_roster(data, today=TODAY).non_ascii_names == 1


# --- files that are not a CSV roster at all ------------------------------------------------------

CTF = b"""<?xml version="1.0" encoding="UTF-8"?>
<!-- synthetic -->
<CTfile>
  <Header><DocumentName>Common Transfer File</DocumentName><CTFversion>24.0</CTFversion></Header>
  <CTFpupilData><Pupil><UPN>B801200005001</UPN><Surname>Testperson</Surname></Pupil>
  </CTFpupilData>
</CTfile>
"""
NOT_CSV = {
    "ctf": CTF,
    "ctf-utf16": CTF.decode().encode("utf-16"),
    "ctf-bom": b"\xef\xbb\xbf" + CTF,
    "xml": b'<?xml version="1.0"?><Pupils><Pupil/></Pupils>',
    "html": b"<!DOCTYPE html><html><body><table></table></body></html>",
    "xlsx": b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml....xl/workbook.xml....",
    "zip": b"PK\x03\x04\x14\x00\x00\x00roster.csv....",
    "xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
    "nul": b"u\x00p\x00n\x00,\x00",
}
CTF_WORDS = (
    "this is a Common Transfer File (CTF, XML), not a roster: a DSL imports it into the "
    "children's profiles"
)
NOT_CSV_WORDS = {
    "ctf": CTF_WORDS, "ctf-utf16": CTF_WORDS, "ctf-bom": CTF_WORDS,
    "xml": "the file is XML (root element <Pupils>), not a CSV roster",
    "html": "the file is a web page (HTML), not a CSV roster",
    "xlsx": "the file is an Excel workbook (.xlsx), not a CSV roster; open it in Excel and use "
            "Save As > 'CSV UTF-8",
    "zip": "the file is a ZIP archive, not a CSV roster",
    "xls": "the file is an older Excel workbook (.xls) or other Office document, not a CSV roster",
    "pdf": "the file is a PDF document, not a CSV roster",
    "nul": "the file is binary data (it has NUL bytes), not a CSV roster",
}  # fmt: skip


@pytest.mark.parametrize("kind", NOT_CSV)
def test_files_that_are_not_csv_are_refused_naming_what_they_are(kind):
    with pytest.raises(InputError) as caught:
        parse_roster(NOT_CSV[kind], today=TODAY)
    assert caught.value.field == "csv"
    assert caught.value.problem.startswith(NOT_CSV_WORDS[kind])
    assert "no column" not in caught.value.problem
    assert "Testperson" not in caught.value.problem and "B801200005001" not in caught.value.problem


def test_error_field_is_csv_for_whole_file_problems():
    with pytest.raises(InputError) as caught:
        parse_roster(b"", today=TODAY)
    assert caught.value.field == "csv" and caught.value.exit_code == 2


# --- helpers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Year 7", "Y7"), ("Y7", "Y7"), ("7", "Y7"), ("yr 7", "Y7"), ("NC Year 11", "Y11"),
        ("07", "Y7"), ("R", "R"), ("Reception", "R"), ("YR", "R"), ("rec", "R"), ("N1", "N1"),
        ("n2", "N2"), ("Nursery", "N2"), ("Year 13", "Y13"), ("14", "Y14"), ("X", "X"),
    ],
)  # fmt: skip
def test_year_groups_normalise(text, code):
    assert normalise_year_group(text) == code


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2015-03-02", date(2015, 3, 2)),
        ("2015-3-2", date(2015, 3, 2)),
        ("02/03/2015", date(2015, 3, 2)),
        ("2/3/2015", date(2015, 3, 2)),
        ("02-03-2015", date(2015, 3, 2)),
        ("02.03.2015", date(2015, 3, 2)),
        ("02/03/2015 00:00:00", date(2015, 3, 2)),
        ("2015-03-02T00:00:00", date(2015, 3, 2)),
    ],
)
def test_dates_iso_and_uk(text, day):
    assert parse_date(text) == day


def test_canonical_writer_round_trips():
    rows = parse_roster((DATA / "roster_arbor.csv").read_bytes(), today=TODAY)
    again = parse_roster(write_canonical_csv(rows), today=TODAY)
    assert [r.__dict__ | {"line": 0} for r in again] == [r.__dict__ | {"line": 0} for r in rows]


# --- fuzz: rows or InputError(s), never anything else -----------------------------------------


def _outcome(data: bytes) -> None:
    try:
        rows = parse_roster(data, today=TODAY)
    except (InputError, InputErrors) as error:
        assert str(error)
    else:
        assert rows and all(isinstance(r, RosterRow) for r in rows)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_any_bytes(data):
    _outcome(data)


cell = st.one_of(
    st.text(max_size=20),
    st.sampled_from([UPN_A, UPN_B, "2015-03-02", "29/02/2016", "F", "m", "Y7", "R", "9990000018",
                     "", " ", '"', "\r", "\n", ",", "\x00"]),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.permutations([*CANONICAL_COLUMNS, "Reg Group", "DOB"]),
    st.lists(st.lists(cell, max_size=11), max_size=6),
    st.sampled_from([",", "\t", ";"]),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_fuzz_structured_rosters(header, rows, delimiter, encoding):
    lines = [delimiter.join(header)] + [delimiter.join(r) for r in rows]
    try:
        data = "\n".join(lines).encode(encoding)
    except UnicodeEncodeError:
        return  # lone surrogates cannot be written at all
    _outcome(data)


def test_an_older_sims_export_saved_as_windows_1252_is_read_as_such():
    """The SIMS-like fixture as an older SIMS writes it: cp1252, its names that cp1252 can hold
    (the others an older export could not have written at all)."""
    text = (DATA / "roster_sims.csv").read_text("utf-8-sig")
    kept = []
    for line in text.splitlines(keepends=True):
        try:
            line.encode("cp1252")
        except UnicodeEncodeError:
            continue
        kept.append(line)
    kept[1] = kept[1].replace(",Jessica,Jessica,Jones,Jessica,", ",Zoë,Zoë,Jones,Zoë,")
    read = read_roster("".join(kept).encode("cp1252"), today=TODAY)
    assert read.encoding == "Windows-1252" and len(read.rows) == 15
    assert read.rows[0].legal_forename == "Zoë" and read.non_ascii_names == 1
    assert read.encoding_note().startswith("Read as Windows-1252 (an older export)")
