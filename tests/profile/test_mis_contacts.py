"""MIS contact exports (app/profile/mis_contacts.py): the synthetic SIMS, Arbor and Bromcom
fixtures end to end, every refusal (line and heading named, no one's data), and a property test
that valid rows round-trip their names and links."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.roster_csv import parse_roster
from app.errors import InputError, InputErrors
from app.identifiers import make_upn
from app.profile.mis_contacts import ContactFile, read_contacts
from app.profile.model import Address, Phone

DATA = Path(__file__).resolve().parents[1] / "data"
MIS = DATA / "mis"
UPN_A = make_upn(975, 4100, 20, 1)  # LA 975: no local authority uses it
UPN_B = make_upn(975, 4100, 20, 2)
TODAY = date(2026, 11, 23)
HEADER = ["UPN", "Adno", "Contact Forename", "Contact Surname", "Relationship",
          "Parental Responsibility", "Lives with Pupil", "Priority", "Mobile Telephone",
          "Email Address", "Do Not Contact", "Do Not Contact Reason"]  # fmt: skip


def contacts_csv(*rows: dict[str, str], header: list[str] = HEADER) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return out.getvalue().encode("utf-8")


def good(**changes: str) -> dict[str, str]:
    row = {"UPN": UPN_A, "Adno": "004321", "Contact Forename": "Quinlan",
           "Contact Surname": "Testcontact", "Relationship": "Mother",
           "Parental Responsibility": "Yes", "Lives with Pupil": "Y", "Priority": "1",
           "Mobile Telephone": "07700 900999", "Email Address": "q.t@example.org"}  # fmt: skip
    return row | changes


def problems_of(data: bytes) -> list[str]:
    with pytest.raises(InputErrors) as caught:
        read_contacts(data)
    message = str(caught.value)
    for secret in ("Quinlan", "Testcontact", UPN_A, UPN_A[1:], "004321", "900999", "q.t@"):
        assert secret not in message
    return caught.value.problems


def refusal_of(data: bytes) -> str:
    with pytest.raises(InputError) as caught:
        read_contacts(data)
    assert caught.value.field == "csv"
    return caught.value.problem


def roster_upns(name: str) -> set[str]:
    return {row.upn for row in parse_roster((DATA / name).read_bytes(), today=TODAY)}


# --- the fixtures, as a user would see them ----------------------------------------------------


def test_sims_export_in_windows_1252_reads_as_sims_and_says_how_it_was_read():
    read = read_contacts((MIS / "sims_contacts.csv").read_bytes())
    assert isinstance(read, ContactFile)
    assert (read.system, read.encoding, read.rows, len(read.updates)) == (
        "SIMS", "Windows-1252", 17, 8)  # fmt: skip
    assert read.encoding_note().startswith("Read as Windows-1252 (an older export)")
    assert "4 contacts' names have accented" in read.encoding_note()
    jones = read.updates[0]
    assert (jones.link.upn, jones.link.admission_number, jones.line) == (
        "M976405426001", "001000", 2)  # fmt: skip
    mother, father = jones.contacts
    assert mother.name == "Mrs Zoë Jones"  # cp1252 0xEB came through as ë
    assert (mother.relationship, mother.parental_responsibility, mother.lives_with_child) == (
        "Mother", True, True)  # fmt: skip
    assert mother.phones == (Phone("01632 960101", "home"), Phone("07700 900101", "mobile"))
    assert mother.email == "zoe.jones@example.org"
    assert mother.address == Address(("14 Larch Close", "Hollowfield", "Exampleton", "Westshire"),
                                     "ZZ1 4AB")  # fmt: skip
    # a father without parental responsibility, living elsewhere; his number was unspaced
    assert (father.relationship, father.parental_responsibility, father.lives_with_child) == (
        "Father", False, False)  # fmt: skip
    assert father.phones[0] == Phone("07700 900102", "mobile")
    assert father.address is not None and father.address.lines[0] == "Flat 2, Mill House"


def test_sims_relationships_in_capitals_grandparent_foster_carer_and_court_order():
    updates = read_contacts((MIS / "sims_contacts.csv").read_bytes()).updates
    kaminski = updates[1].contacts
    assert [c.relationship for c in kaminski] == ["Mother", "Father", "Grandmother"]
    assert kaminski[2].name == "Mrs Chloé Nowak" and kaminski[2].parental_responsibility is False
    walker_father = updates[2].contacts[1]
    assert walker_father.do_not_contact is True
    assert walker_father.do_not_contact_reason == "court order (recorded in the MIS)"
    foster = updates[4].contacts[0]
    assert (foster.relationship, foster.parental_responsibility, foster.priority) == (
        "Foster Carer", False, 1)  # fmt: skip


def test_contacts_come_in_priority_order_and_a_row_linked_by_admission_number_joins_its_pupil():
    updates = read_contacts((MIS / "sims_contacts.csv").read_bytes()).updates
    murray = updates[6]  # the file lists the father (priority 2) first
    assert [(c.relationship, c.priority) for c in murray.contacts] == [("Mother", 1),
                                                                       ("Father", 2)]  # fmt: skip
    adeyemi = updates[3]  # the father's row has no UPN, only the Adno
    assert adeyemi.link.upn == "B976405425001" and len(adeyemi.contacts) == 2
    assert all(u.contacts for u in updates)


def test_arbor_export_with_a_bom_reads_as_arbor():
    read = read_contacts((MIS / "arbor_contacts.csv").read_bytes())
    assert (read.system, read.encoding, read.rows, len(read.updates)) == ("Arbor", "UTF-8", 13, 6)
    assert read.encoding_note() == (
        "Read as UTF-8; 3 contacts' names have accented or other non-ASCII letters."
    )
    morris = read.updates[1]
    assert [c.relationship for c in morris.contacts] == ["Foster carer", "Mother", "Grandmother"]
    mother = morris.contacts[1]
    assert mother.do_not_contact is True
    assert mother.do_not_contact_reason == "Contact only through the child's social worker"
    assert mother.parental_responsibility is True and mother.lives_with_child is False
    wright_father = read.updates[0].contacts[1]
    assert wright_father.parental_responsibility is False
    assert read.updates[0].contacts[0].phones[1] == Phone("07700 900201", "mobile")  # was +44
    assert read.updates[0].contacts[0].address == Address(
        ("5 Elm Grove", "Exampleton", "Westshire"), "ZZ1 6QR")  # fmt: skip
    assert read.updates[4].contacts[1].relationship == "Step-father"
    assert read.updates[5].contacts[0].name == "Mrs Małgorzata Kamińska"


def test_bromcom_export_reads_as_bromcom_with_a_court_order_and_its_reason():
    read = read_contacts((MIS / "bromcom_contacts.csv").read_bytes())
    assert (read.system, read.encoding, read.rows, len(read.updates)) == (
        "Bromcom", "UTF-8", 12, 5)  # fmt: skip
    zachary, connor = read.updates[1], read.updates[2]  # siblings sharing two contacts
    assert [c.name for c in zachary.contacts] == ["Ms Gemma Ward", "Mr Lee Williams",
                                                  "Mrs Brenda Ward"]  # fmt: skip
    father = connor.contacts[1]
    assert father.do_not_contact and father.do_not_contact_reason.startswith("Non-molestation")
    assert zachary.contacts[2].relationship == "Grandmother"
    rahman_father = read.updates[0].contacts[1]
    assert [p.kind for p in rahman_father.phones] == ["home", "mobile", "work"]
    assert rahman_father.phones[2].number == "020 7946 0302"
    foster = read.updates[4].contacts
    assert [c.relationship for c in foster] == ["Foster Carer", "Foster Carer", "Mother"]


def test_fixture_pupils_are_the_roster_fixtures_pupils():
    sims_roster, arbor_roster = roster_upns("roster_sims.csv"), roster_upns("roster_arbor.csv")
    for name, roster in (("sims", sims_roster), ("arbor", arbor_roster),
                         ("bromcom", sims_roster)):  # fmt: skip
        updates = read_contacts((MIS / f"{name}_contacts.csv").read_bytes()).updates
        assert {u.link.upn for u in updates} <= roster
        assert all(2 <= len(u.contacts) <= 3 for u in updates)
    sims = read_contacts((MIS / "sims_contacts.csv").read_bytes()).updates
    lines = (DATA / "roster_sims.csv").read_text("utf-8-sig").splitlines()[1:]
    adnos = {line.split(",")[0] for line in lines if line}
    assert {u.link.admission_number for u in sims} <= adnos


def test_a_schools_own_column_order_and_spelling_works_as_generic():
    header = ["parental_responsibility", "Contact Name", "relationship to pupil", "Adm No"]
    data = contacts_csv(
        {
            "parental_responsibility": "1",
            "Contact Name": "Quinlan Testcontact",
            "relationship to pupil": "aunt",
            "Adm No": "77",
        },
        header=header,
    )
    read = read_contacts(data)
    (update,) = read.updates
    assert read.system == "generic" and update.link.upn is None
    assert update.link.admission_number == "77"
    assert update.contacts[0].relationship == "Aunt"
    assert update.contacts[0].parental_responsibility is True


# --- refusals: line and heading named, no one's data ------------------------------------------


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"UPN": "A" + UPN_A[1:] if UPN_A[0] != "A" else "B" + UPN_A[1:]},
         f"UPN: check letter should be {UPN_A[0]}"),
        ({"UPN": UPN_A[:12]}, "UPN: UPN has 12 characters; it needs 13"),
        ({"UPN": "", "Adno": ""},
         "UPN or Adno: the row names no pupil (give a UPN or an admission number)"),
        ({"Adno": "00 43 21!"}, "Adno: is not an admission number (letters, digits, / or -, "
                                "at most 20)"),
        ({"Parental Responsibility": "maybe"},
         "Parental Responsibility: is not yes or no (use Yes/No, Y/N, True/False or 1/0)"),
        ({"Lives with Pupil": "sometimes"},
         "Lives with Pupil: is not yes or no (use Yes/No, Y/N, True/False or 1/0)"),
        ({"Priority": "first"}, "Priority: is not a whole number from 1 to 99"),
        ({"Priority": "0"}, "Priority: is not a whole number from 1 to 99"),
        ({"Priority": "1.5"}, "Priority: is not a whole number from 1 to 99"),
        ({"Mobile Telephone": "07700 9OO999"},
         "Mobile Telephone: has letters in it (a phone number is digits, spaces and +)"),
        ({"Mobile Telephone": "900999"},
         "Mobile Telephone: is not a phone number (7 to 15 digits, spaces and +)"),
        ({"Email Address": "q.t at example.org"},
         "Email Address: is not an email address (one @ and a domain such as example.org)"),
        ({"Email Address": "q.t@example"},
         "Email Address: is not an email address (one @ and a domain such as example.org)"),
        ({"Contact Forename": "", "Contact Surname": ""},
         "Contact Forename / Contact Surname: the contact's name is empty"),
        ({"Contact Surname": "Test\u202econtact"},
         "Contact Surname: contains control or unassigned characters"),
        ({"Do Not Contact": "No", "Do Not Contact Reason": "Quinlan Testcontact moved"},
         "Do Not Contact Reason: a reason is given but Do Not Contact says no; correct one of "
         "them"),
    ],
)  # fmt: skip
def test_each_kind_of_bad_value_names_line_and_heading(changes, problem):
    assert problems_of(contacts_csv(good(), good(**changes) | {"Relationship": "Father"})) == [
        f"line 3: {problem}"
    ]


def test_every_bad_row_is_listed_and_nothing_is_returned():
    data = contacts_csv(
        good(),
        good(Priority="x", Relationship="Father"),
        good(Relationship="Aunt"),
        good(UPN="", Adno="", Relationship="Uncle", **{"Email Address": "@"}),
    )
    with pytest.raises(InputErrors) as caught:
        read_contacts(data)
    assert caught.value.summary.startswith("2 of 4 contact rows have problems; nothing was "
                                           "imported")  # fmt: skip
    assert [p.split(":")[0] for p in caught.value.problems] == ["line 3", "line 5", "line 5"]


def test_the_same_contact_twice_and_conflicting_links_are_refused():
    assert problems_of(contacts_csv(good(), good())) == [
        "line 3: the same contact of the same pupil is also on line 2"
    ]
    assert problems_of(contacts_csv(good(), good(UPN=UPN_B, Relationship="Father"))) == [
        "line 3: Adno: is also on line 2 with a different UPN"
    ]
    assert problems_of(contacts_csv(good(), good(Adno="9", Relationship="Father"))) == [
        "line 3: UPN: is also on line 2 with a different admission number"
    ]


NOT_CSV = {
    "xlsx": b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml....xl/workbook.xml....",
    "html": b"<!DOCTYPE html><html><body><table></table></body></html>",
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
}


@pytest.mark.parametrize("kind", NOT_CSV)
def test_files_that_are_not_csv_are_refused_naming_what_they_are(kind):
    what = {"xlsx": "an Excel workbook (.xlsx)", "html": "a web page (HTML)",
            "pdf": "a PDF document"}[kind]  # fmt: skip
    assert refusal_of(NOT_CSV[kind]).startswith(f"the file is {what}, not a CSV contact export")


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?>\n<CTfile><Header/></CTfile>',
        b'\xef\xbb\xbf<?xml version="1.0"?><Contacts><Contact/></Contacts>',
    ],
)
def test_xml_is_refused_suggesting_the_ctf_import(data):
    problem = refusal_of(data)
    assert problem.startswith("this looks like XML (")
    assert "if it is a Common Transfer File, import it as a CTF" in problem


def test_a_roster_given_as_contacts_is_named_as_a_roster():
    for name in ("roster_sims.csv", "roster_arbor.csv"):
        problem = refusal_of((DATA / name).read_bytes())
        assert problem.startswith("this looks like a pupil roster, not a contact export")
        assert "Jones" not in problem and "M976405426001" not in problem


def test_a_file_with_no_link_or_no_name_column_says_what_was_looked_for():
    assert refusal_of(b"Contact Name,Relationship\nx,y\n").startswith(
        "the contact export has no column naming each contact's pupil: it needs a UPN or an "
        "admission number (looked for: UPN, Student UPN"
    )
    assert refusal_of(b"UPN,Relationship\nx,y\n").startswith(
        "the contact export has no column for the contact's name (looked for: Contact Name"
    )


def test_empty_and_header_only_files():
    assert refusal_of(b"") == "the contact export file is empty"
    assert refusal_of(contacts_csv()) == "the contact export has a header on line 1 but no contacts"


def test_another_code_page_is_not_passed_off_as_cp1252():
    data = contacts_csv(good(**{"Contact Surname": "Białas"})).decode().encode("cp1250")
    assert "line 2 come out as symbols" in refusal_of(data)


# --- property: valid rows round-trip names and links ------------------------------------------

name_part = (
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzéëłńÅØ'-", min_size=1, max_size=12)
    .map(lambda s: s[0].upper() + s[1:])
    .filter(lambda s: s.strip("'-") == s)
)
pupil = st.tuples(st.integers(0, 999), st.booleans())  # serial, whether this row gives the UPN


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(pupil, name_part, name_part), min_size=1, max_size=12),
    st.permutations(["UPN", "Adno", "Contact Forename", "Contact Surname", "Relationship"]),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_valid_rows_round_trip_names_and_links(rows, header, encoding):
    names: dict[str, list[str]] = {}  # admission number -> contact names, in file order
    upns: dict[str, str | None] = {}  # admission number -> the UPN, if any row gives it
    written = []
    for n, ((serial, with_upn), forename, surname) in enumerate(rows):
        upn, adno = make_upn(975, 4100, 20, serial), f"{serial:06d}"
        written.append({"UPN": upn if with_upn else "", "Adno": adno,
                        "Contact Forename": forename, "Contact Surname": surname,
                        "Relationship": f"Relative {n}"})  # fmt: skip
        names.setdefault(adno, []).append(f"{forename} {surname}")
        upns[adno] = upns.get(adno) or (upn if with_upn else None)
    data = contacts_csv(*written, header=list(header)).decode().encode(encoding)
    read = read_contacts(data)
    assert read.rows == len(rows)
    assert {u.link.admission_number: [c.name for c in u.contacts] for u in read.updates} == names
    assert {u.link.admission_number: u.link.upn for u in read.updates} == upns
