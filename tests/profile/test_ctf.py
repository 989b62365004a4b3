"""Reading a Common Transfer File: the small synthetic fixture end to end (checked against the
schema in resources/ctf/), the generator's 1,500-pupil file, and every refusal, none of which
may show a pupil's name, UPN or date of birth. Real files, no mocks."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree

from app.demo.ctf_fixture import make_ctf
from app.errors import InputError, InputErrors
from app.profile.ctf import SUPPORTED_VERSIONS, CtfFile, CtfSchool, read_ctf
from app.profile.model import Address, Phone, PupilLink

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "data" / "ctf" / "small.xml"
SCHEMA = ROOT / "resources" / "ctf" / "ctf-reconstruction.xsd"

# What no refusal may show: the fixture's pupils' names, UPNs, dates of birth, and the bad
# values the tests put in.
PRIVATE = (
    "Ada", "Testperson", "Addie", "B975410020001", "2015-03-02",
    "Bo", "Example", "Oldname", "Q975410020002", "2012-11-20", "Y975410012007",
    "Cy", "Sample", "E975410020003", "2019-06-30",
    "C975410020001", "9991408917", "999 140 8917", "2015-02-30",
)  # fmt: skip
MESSAGES: list[str] = []  # every refusal seen, checked by the last test of the module


def small() -> str:
    return SMALL.read_text(encoding="utf-8")


def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def refusal(data: bytes) -> str:
    with pytest.raises(InputError) as caught:
        read_ctf(data)
    MESSAGES.append(str(caught.value))
    return caught.value.problem


def problems(data: bytes) -> list[str]:
    with pytest.raises(InputErrors) as caught:
        read_ctf(data)
    MESSAGES.append(str(caught.value))
    return caught.value.problems


def edited(old: str, new: str, text: str | None = None) -> bytes:
    text = small() if text is None else text
    assert text.count(old) == 1, old
    return text.replace(old, new).encode("utf-8")


# --- the small fixture -------------------------------------------------------------------------


def test_the_small_fixture_is_a_valid_ctf_by_the_schema():
    validator = schema()
    assert validator.validate(etree.parse(str(SMALL))), validator.error_log


def test_the_small_fixture_reads_as_a_user_would_see_it():
    ctf = read_ctf(SMALL.read_bytes())
    assert isinstance(ctf, CtfFile)
    assert ctf.version == "25.0"
    assert ctf.source_school == CtfSchool("975", "4100", "Testford Park Academy")
    assert ctf.destination == CtfSchool("975", "5100")
    assert ctf.created == datetime(2026, 9, 2, 10, 15)
    ada, bo, cy = ctf.pupils

    assert (ada.upn, ada.legal_forename, ada.legal_surname) == ("B975410020001", "Ada",
                                                                "Testperson")  # fmt: skip
    assert ada.preferred_forename == "Addie" and ada.preferred_surname is None
    assert ada.date_of_birth == date(2015, 3, 2) and ada.gender == "F" and ada.nc_year == "6"
    assert ada.position == 1 and ada.line == ada.update.line and ada.line > 20
    assert ada.phones == (Phone("01632 960101", "Home"),)
    update = ada.update
    assert update.link == PupilLink(upn="B975410020001")
    home = Address(("12 Sample Street", "Mockbury", "Testford"), "ZZ99 9AB")
    assert update.addresses == (home,)
    facts = update.facts
    assert (facts.ethnicity_code, facts.ethnicity) == ("WBRI", "White - British")
    assert (facts.first_language_code, facts.first_language) == ("ENG", "English")
    assert facts.sen_status == "K"  # the latest SEN entry, not the first
    assert facts.sen_needs == ("SLCN", "ASD")  # by rank, not by order in the file
    assert facts.nhs_number == "9991408916"  # normalised from "999 140 8916"
    assert facts.looked_after is False
    assert facts.previous_school == "Sampleton Junior School (975/2003)"  # the latest left
    assert update.previous_names == ()

    mother, father, childminder = update.contacts  # in the CTF's order, not the file's
    assert mother.name == "Beth Testperson" and mother.relationship == "Parent"
    assert mother.parental_responsibility is True and mother.lives_with_child is True
    assert mother.address == home and mother.priority == 1
    assert mother.phones == (Phone("07700 900101", "Mobile"), Phone("01632 960101", "Home"))
    assert mother.email == "beth.parent@example.org"
    assert father.name == "Carl Exampleson" and father.parental_responsibility is True
    assert father.lives_with_child is False and father.priority == 2
    assert father.address == Address(("Flat 3, Fictional House", "Placeholder Road",
                                      "Sampleton"), "ZZ99 9DE")  # fmt: skip
    assert father.phones == (Phone("01632 960202", "Work"),)
    assert childminder.relationship == "Childminder"
    assert childminder.parental_responsibility is False
    assert childminder.lives_with_child is None and childminder.address is None

    facts = bo.update.facts
    assert facts.looked_after is True
    assert (facts.ethnicity, facts.first_language) == ("Pakistani", "Urdu")
    assert facts.sen_status == "E" and facts.sen_needs == ("SEMH",)
    assert facts.nhs_number is None
    assert facts.previous_school == "Testford Park Academy (975/4100)"
    assert bo.update.previous_names == ("Bo Oldname",)
    assert bo.former_upns == ("Y975410012007",)  # an identifier, never a name
    assert bo.update.addresses == (Address(("7 Testing Close", "Exampleby"), "ZZ99 9FG"),)
    carer, social_worker = bo.update.contacts
    assert (carer.relationship, carer.parental_responsibility, carer.lives_with_child) == (
        "Foster parent", False, True)
    assert social_worker.relationship == "Social worker"
    assert social_worker.email == "finn.casework@example.org"

    facts = cy.update.facts
    assert facts.ethnicity == "White Eastern European"  # an extended code
    assert (facts.first_language_code, facts.first_language) == ("QQQ", "QQQ")  # unknown: kept
    assert facts.looked_after is None and facts.sen_status is None  # not said, not "no"
    assert facts.previous_school == "Testford Park Academy (975/4100)"  # no history: source
    assert cy.update.contacts == () and cy.update.addresses == ()


def test_ctf_26_and_a_bare_version_number_are_read():
    assert read_ctf(edited("<CTFversion>25.0<", "<CTFversion>26.0<")).version == "26.0"
    assert read_ctf(edited("<CTFversion>25.0<", "<CTFversion>25<")).version == "25.0"


def test_responsible_is_read_where_an_export_writes_it_instead_of_responsibility():
    text = small().replace("<Responsibility>false</Responsibility>",
                           "<Responsible>false</Responsible>")  # fmt: skip
    ctf = read_ctf(text.encode("utf-8"))
    assert ctf.pupils[1].update.contacts[0].parental_responsibility is False


# --- the generator -----------------------------------------------------------------------------


def test_the_generated_1500_pupil_ctf_is_valid_and_reads_with_3000_contacts():
    data = make_ctf(1500)
    validator = schema()
    assert validator.validate(etree.fromstring(data)), validator.error_log
    ctf = read_ctf(data)
    assert len(ctf.pupils) == 1500
    assert sum(len(p.update.contacts) for p in ctf.pupils) == 3000
    assert len({p.upn for p in ctf.pupils}) == 1500
    facts = [p.update.facts for p in ctf.pupils]
    assert any(f.looked_after for f in facts) and any(f.sen_status == "E" for f in facts)
    assert any(f.nhs_number for f in facts)
    assert all(f.nhs_number is None or f.nhs_number.startswith("999") for f in facts)
    assert all(a.postcode and a.postcode.startswith("ZZ99 9")
               for p in ctf.pupils for a in p.update.addresses)  # fmt: skip


def test_the_generator_is_reproducible_and_takes_its_arguments():
    assert make_ctf(20, seed=3) == make_ctf(20, seed=3)
    assert make_ctf(20, seed=3) != make_ctf(20, seed=4)
    ctf = read_ctf(make_ctf(10, contacts_per_pupil=3, version="26.0"))
    assert ctf.version == "26.0"
    assert all(len(p.update.contacts) == 3 for p in ctf.pupils)


# --- refusals of the whole file ----------------------------------------------------------------


def test_malformed_xml_is_refused_with_line_and_column():
    text = small().replace("</Forename>\n      <DOB>2012", "</Forname>\n      <DOB>2012")
    problem = refusal(text.encode("utf-8"))
    line = next(n for n, s in enumerate(text.splitlines(), start=1) if "</Forname>" in s)
    assert "not well-formed XML" in problem
    assert f"line {line}, column " in problem


def test_a_truncated_file_is_refused_as_malformed_xml():
    data = SMALL.read_bytes()
    assert "not well-formed XML" in refusal(data[: len(data) // 2])


def test_a_file_that_is_not_xml_at_all_says_so():
    assert "not XML" in refusal(b"upn,forename,surname\nB975410020001,Ada,Testperson\n")
    assert "empty" in refusal(b"  \n")


def test_xml_that_is_not_a_ctf_names_its_root():
    problem = refusal(b"<?xml version='1.0'?><Roster><Pupil/></Roster>")
    assert "not a Common Transfer File" in problem and "<Roster>" in problem
    assert "admissions transfer file" in refusal(b"<ATfile><Header/></ATfile>")


def test_an_unsupported_version_names_the_version_found_and_those_read():
    problem = refusal(edited("<CTFversion>25.0<", "<CTFversion>24.0<"))
    assert "version 24.0" in problem
    assert all(v in problem for v in SUPPORTED_VERSIONS)
    assert "does not say its version" in refusal(edited("<CTFversion>25.0</CTFversion>", ""))


def test_a_header_without_source_school_or_pupils_is_refused():
    text = small()
    start, end = text.index("<SourceSchool>"), text.index("</SourceSchool>") + 15
    assert "SourceSchool" in refusal((text[:start] + text[end:]).encode("utf-8"))
    start, end = text.index("<CTFpupilData>"), text.index("</CTFpupilData>") + 15
    assert "no pupils" in refusal((text[:start] + text[end:]).encode("utf-8"))


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE CTfile [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<CTfile><Header><CTFversion>&lol9;</CTFversion></Header></CTfile>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE CTfile [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<CTfile><Header><CTFversion>&secret;</CTFversion></Header></CTfile>
"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE CTfile SYSTEM "http://example.invalid/ctf.dtd">
<CTfile/>
"""


@pytest.mark.parametrize("data", [
    BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD,
    EXTERNAL_ENTITY.decode().replace('"1.0"', '"1.0" encoding="UTF-16"', 1).encode("utf-16"),
], ids=["billion-laughs", "external-entity", "external-dtd", "utf-16"])  # fmt: skip
def test_a_doctype_or_entity_is_refused_unread(data: bytes):
    problem = refusal(data)
    assert "DOCTYPE" in problem and "refused" in problem
    assert "lol" not in problem and "passwd" not in problem


def test_an_undeclared_entity_is_malformed_not_expanded():
    assert "not well-formed XML" in refusal(edited("<Forename>Cy<", "<Forename>&cy;<"))


# --- refusals pupil by pupil -------------------------------------------------------------------


def lines() -> list[int]:
    return [p.line for p in read_ctf(SMALL.read_bytes()).pupils]


def test_missing_upn_names_and_date_of_birth_name_the_pupil_by_position():
    _, bo, cy = lines()
    text = small()
    for old in ("<UPN>Q975410020002</UPN>", "<Forename>Bo</Forename>",
                "<Surname>Example</Surname>", "<DOB>2012-11-20</DOB>",
                "<DOB>2019-06-30</DOB>"):  # fmt: skip
        text = text.replace(old, "")
    found = problems(text.encode("utf-8"))
    assert found == [
        f"pupil 2 (line {bo}): upn: is missing",
        f"pupil 2 (line {bo}): legal forename: is missing",
        f"pupil 2 (line {bo}): legal surname: is missing",
        f"pupil 2 (line {bo}): date of birth: is missing",
        f"pupil 3 (line {cy}): date of birth: is missing",
    ]


def test_every_bad_pupil_is_listed_and_the_summary_counts_them():
    text = small().replace("<DOB>2015-03-02</DOB>", "<DOB>2015-02-30</DOB>")
    text = text.replace("<DOB>2019-06-30</DOB>", "<DOB>30/06/2019</DOB>")
    with pytest.raises(InputErrors) as caught:
        read_ctf(text.encode("utf-8"))
    MESSAGES.append(str(caught.value))
    assert caught.value.summary.startswith("2 of 3 pupils in the CTF have problems")
    assert [p.split(": ", 1)[1] for p in caught.value.problems] == [
        "date of birth: is not a date (YYYY-MM-DD)"] * 2


def test_a_bad_upn_is_described_in_the_checks_own_words():
    ada, _, _ = lines()
    assert problems(edited("<UPN>B975410020001<", "<UPN>C975410020001<")) == [
        f"pupil 1 (line {ada}): upn: check letter should be B"]
    assert problems(edited("<UPN>B975410020001<", "<UPN>B97541002000<")) == [
        f"pupil 1 (line {ada}): upn: UPN has 12 characters; it needs 13"]


def test_a_bad_nhs_number_is_described_in_the_checks_own_words():
    ada, _, _ = lines()
    assert problems(edited("999 140 8916", "999 140 8917")) == [
        f"pupil 1 (line {ada}): nhs_number: NHS number check digit is wrong"]


def test_the_same_upn_twice_is_refused():
    _, bo, _ = lines()
    found = problems(edited("<UPN>Q975410020002<", "<UPN>B975410020001<"))
    assert found == [f"pupil 2 (line {bo}): upn: the same UPN as pupil 1"]


def test_bad_flags_codes_and_contact_names_are_refused_by_position():
    _, bo, _ = lines()
    text = small().replace("<InCare>true</InCare>", "<InCare>yes</InCare>")
    text = text.replace("<SENprovision>E</SENprovision>", "<SENprovision>S</SENprovision>")
    text = text.replace("<Surname>Fosterly</Surname>\n          <Forename>Erin</Forename>", "")
    found = problems(text.encode("utf-8"))
    contact_line = next(n for n, s in enumerate(text.splitlines(), start=1)
                        if "<Contact>" in s and n > bo)  # fmt: skip
    assert found == [
        f"pupil 2 (line {bo}): SEN provision: is not N, K or E",
        f"pupil 2 (line {bo}): looked after (InCare): is not true or false",
        f"pupil 2 (line {bo}): contact 1 (line {contact_line}): name: is missing",
    ]


def test_a_name_with_a_direction_override_is_refused():
    found = problems(edited("<Forename>Cy<", "<Forename>C\u202ey<"))
    assert found[0].endswith("legal forename: contains control or unassigned characters")


def test_no_refusal_shows_a_pupils_name_upn_or_date_of_birth():
    assert len(MESSAGES) >= 20  # the tests above ran first (pytest keeps file order)
    for message in MESSAGES:
        words = set(message.replace(":", " ").replace(",", " ").split())
        leaked = [p for p in PRIVATE if p in words or (len(p) > 4 and p in message)]
        assert leaked == [], message
