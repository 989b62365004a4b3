"""A synthetic Common Transfer File for tests and the benchmark: ``make_ctf(1500)``.

Every person, address and number is invented, from the same sources as the demo school
(app/demo/synthetic.py): pupils from ``SyntheticSchool.pupils`` (names from
resources/demo/names.json, UPNs with real check letters in LA codes 960–989, which no local
authority uses, NHS numbers from the 999 test range), contacts' names from names.json,
addresses on invented streets in "ZZ99 9xx" postcodes, phones from Ofcom's drama ranges,
emails at example.org (reserved for examples). Siblings share a home and parents.

The file follows the structure in resources/ctf/ (its tests validate against it). It is
reproducible: the same arguments give the same bytes, whatever the date.
"""

from __future__ import annotations

import random
from datetime import date, datetime

from lxml import etree

from app.demo import roll
from app.demo.synthetic import SyntheticSchool
from app.domain.roster_csv import RosterRow

# The roll is built as on this day, so the same arguments give the same file in any year.
REFERENCE_DAY = date(2026, 9, 1)

_ETHNICITY = {"WBRI": 62, "WOTH": 6, "WEEU": 2, "WIRI": 1, "MWBC": 3, "MWAS": 1, "AIND": 3,
              "APKN": 6, "ABAN": 3, "AOTH": 1, "BAFR": 5, "BCRB": 2, "CHNE": 1, "OOTH": 1,
              "REFU": 1, "NOBT": 2}  # fmt: skip
_LANGUAGE = {"ENG": 80, "POL": 4, "URD": 3, "BNGA": 2, "SOM": 2, "PNJ": 2, "RMN": 2, "ARA": 1,
             "TUR": 1, "YOR": 1, "PRS": 1, "ENB": 1}  # fmt: skip
_SEN_TYPES = ("SLCN", "SEMH", "ASD", "MLD", "SPLD", "HI", "VI", "PD", "OTH")
_OTHER_CONTACTS = ("REL", "FAM", "CHM", "CAR", "OTH")


def make_ctf(pupils: int, contacts_per_pupil: int = 2, seed: int = 0,
             version: str = "25.0") -> bytes:  # fmt: skip
    """A CTF (UTF-8 XML bytes) with ``pupils`` pupils of ``contacts_per_pupil`` contacts
    each, from a synthetic school; the same arguments always give the same bytes."""
    if pupils < 0 or contacts_per_pupil < 0:
        raise ValueError("pupils and contacts_per_pupil must be >= 0")
    school = SyntheticSchool(seed, today=REFERENCE_DAY)
    rows = school.pupils(pupils)
    rng = random.Random(f"concerndesk-ctf:{seed}:{pupils}:{contacts_per_pupil}")
    family_of = {i: i for i in range(len(rows))}
    for group in school.siblings(rows):
        for index in group:
            family_of[index] = group[0]
    families: dict[int, _Family] = {}

    root = etree.Element("CTfile")
    _header(root, school, version, rng)
    data = etree.SubElement(root, "CTFpupilData")
    for index, row in enumerate(rows):
        family = families.get(family_of[index])
        if family is None:
            family = families[family_of[index]] = _Family(rng, row, contacts_per_pupil)
        _pupil(data, row, index, family, school, rng)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _header(root: etree._Element, school: SyntheticSchool, version: str,
            rng: random.Random) -> None:  # fmt: skip
    header = _sub(root, "Header")
    _sub(header, "DocumentName", "Common Transfer File")
    _sub(header, "CTFversion", version)
    _sub(header, "DateTime", datetime(2026, 9, 2, 14, 5, 0).isoformat())
    _sub(header, "DocumentQualifier", "full")
    _sub(header, "SupplierID", "ConcernDesk synthetic CTF")
    source = _sub(header, "SourceSchool")
    _sub(source, "LEA", f"{school.la_code:03d}")
    _sub(source, "Estab", f"{school.establishment:04d}")
    _sub(source, "SchoolName", school.school_name())
    _sub(source, "AcademicYear", "2025")
    dest = _sub(header, "DestSchool")
    _sub(dest, "LEA", f"{school.la_code:03d}")
    _sub(dest, "Estab", f"{rng.randrange(5000, 6000):04d}")


class _Family:
    """A home and the adults around one or more siblings."""

    def __init__(self, rng: random.Random, row: RosterRow, count: int) -> None:
        self.address = _address(rng)
        self.home_phone = roll.drama_phone(rng, mobile=False)
        self.looked_after = rng.random() < 0.02
        self.contacts = [_contact(rng, row, k, self.looked_after) for k in range(count)]


def _address(rng: random.Random) -> dict[str, str]:
    places = roll.demo_resource("names.json")["places"]
    letters = "ABDEFGHJLNPQRSTUWXY"  # the letters Royal Mail uses in inward codes
    return {"PAON": str(rng.randrange(1, 200)), "Street": rng.choice(places["streets"]),
            "Town": rng.choice(places["towns"]),
            "PostCode": f"ZZ99 9{rng.choice(letters)}{rng.choice(letters)}"}  # fmt: skip


def _contact(rng: random.Random, row: RosterRow, k: int, looked_after: bool) -> dict[str, object]:
    _, group = roll.pick_group(rng)
    female = k == 0 if rng.random() < 0.85 else k != 0
    if looked_after:
        relationship, responsible = (("FOS", False), ("SWR", False))[min(k, 1)]
    elif k < 2:
        relationship, responsible = ("PAR", True) if rng.random() < 0.95 else ("STP", False)
    else:
        relationship, responsible = rng.choice(_OTHER_CONTACTS), False
    family_name = k < 2 and not looked_after and rng.random() < 0.8
    surname = row.legal_surname if family_name else roll.surname_form(
        rng.choice(group["surnames"]), female)
    at_home = relationship in ("PAR", "STP", "FOS") and (k == 0 or rng.random() < 0.8)
    return {
        "Title": "Ms" if female else "Mr",
        "Forename": rng.choice(group["female" if female else "male"]),
        "Surname": surname,
        "Gender": "F" if female else "M",
        "Relationship": relationship,
        "Responsibility": responsible,
        "AtHome": at_home,
        "Address": None if at_home else _address(rng),
        "Mobile": roll.drama_phone(rng, mobile=True),
        "Work": roll.drama_phone(rng, mobile=False) if rng.random() < 0.3 else None,
        "Email": f"contact{rng.randrange(10**6):06d}@example.org" if rng.random() < 0.7 else None,
    }


def _pupil(data: etree._Element, row: RosterRow, index: int, family: _Family,
           school: SyntheticSchool, rng: random.Random) -> None:  # fmt: skip
    pupil = _sub(data, "Pupil")
    _sub(pupil, "UPN", row.upn)
    _sub(pupil, "Surname", row.legal_surname)
    _sub(pupil, "Forename", row.legal_forename)
    _sub(pupil, "DOB", row.date_of_birth.isoformat())
    _sub(pupil, "Sex", row.gender)
    basic = _sub(pupil, "BasicDetails")
    if row.preferred_forename:
        _sub(basic, "PreferredForename", row.preferred_forename)
    if rng.random() < 0.02:
        _sub(basic, "FormerSurname", roll.surname_form(
            rng.choice(roll.pick_group(rng)[1]["surnames"]), row.gender == "F"))
    _sub(basic, "NCyearActual", row.year_group.removeprefix("Y"))
    _sub(basic, "Ethnicity", rng.choices(list(_ETHNICITY), list(_ETHNICITY.values()))[0])
    languages = _sub(_sub(basic, "Languages"), "Type")
    _sub(languages, "LanguageType", "F")
    _sub(languages, "Language", rng.choices(list(_LANGUAGE), list(_LANGUAGE.values()))[0])
    if row.nhs_number:
        _sub(basic, "NHSnumber", row.nhs_number)
    looked = _sub(pupil, "LookedAfter")
    _sub(looked, "InCare", "true" if family.looked_after else "false")
    if family.looked_after:
        _sub(looked, "CareAuthority", f"{school.la_code:03d}")
    _sen(pupil, rng, row)
    _write_address(_sub(pupil, "Address"), family.address)
    phones = _sub(pupil, "Phones")
    _phone(phones, "H", family.home_phone)
    if family.contacts:
        contacts = _sub(pupil, "Contacts")
        for order, contact in enumerate(family.contacts, start=1):
            _write_contact(_sub(contacts, "Contact"), order, contact)
    history = _sub(pupil, "SchoolHistory")
    born = row.date_of_birth
    reception = date(born.year + 4 + (born.month > 8), 9, 1)  # the September after 4th birthday
    year = row.year_group.removeprefix("Y")
    if year.isdigit() and int(year) >= 7:  # a secondary pupil came from a primary school
        moved = REFERENCE_DAY.year - (int(year) - 7)
        _school(history, school.la_code, 2000 + index % 1000, "Sampleton Primary School",
                reception, date(moved, 7, 20))
        _school(history, school.la_code, school.establishment, school.school_name(),
                date(moved, 9, 1), None)
    else:
        _school(history, school.la_code, school.establishment, school.school_name(),
                min(reception, REFERENCE_DAY), None)


def _sen(pupil: etree._Element, rng: random.Random, row: RosterRow) -> None:
    roll_of_dice = rng.random()
    if roll_of_dice > 0.18:
        return
    history = _sub(pupil, "SENhistory")
    sen = _sub(history, "SEN")
    _sub(sen, "StartDate", "2024-09-01")
    _sub(sen, "SENprovision", "E" if roll_of_dice < 0.04 else "K")
    needs = _sub(history, "SENneeds")
    for rank, code in enumerate(rng.sample(_SEN_TYPES, rng.choice((1, 1, 2))), start=1):
        need = _sub(needs, "SENneed")
        _sub(need, "SENtypeRank", str(rank))
        _sub(need, "SENtype", code)


def _write_address(element: etree._Element, address: dict[str, str]) -> None:
    bs7666 = _sub(element, "BS7666Address")
    for tag in ("PAON", "Street", "Town"):
        _sub(bs7666, tag, address[tag])
    _sub(element, "PostCode", address["PostCode"])


def _phone(phones: etree._Element, kind: str, number: str) -> None:
    phone = _sub(phones, "Phone")
    _sub(phone, "TelephoneType", kind)
    _sub(phone, "PhoneNo", number)


def _write_contact(element: etree._Element, order: int, contact: dict[str, object]) -> None:
    _sub(element, "Order", str(order))
    for tag in ("Title", "Surname", "Forename", "Gender", "Relationship"):
        _sub(element, tag, str(contact[tag]))
    _sub(element, "Responsibility", "true" if contact["Responsibility"] else "false")
    address = _sub(element, "Address")
    own = contact["Address"]
    if isinstance(own, dict):
        _write_address(address, own)
    else:
        _sub(address, "AddressAsPupil", "true")
    phones = _sub(element, "Phones")
    _phone(phones, "M", str(contact["Mobile"]))
    if contact["Work"]:
        _phone(phones, "W", str(contact["Work"]))
    if contact["Email"]:
        _sub(element, "Email", str(contact["Email"]))


def _school(history: etree._Element, lea: int, estab: int, name: str, entry: date,
            leaving: date | None) -> None:  # fmt: skip
    school = _sub(history, "School")
    _sub(school, "LEA", f"{lea:03d}")
    _sub(school, "Estab", f"{estab:04d}")
    _sub(school, "SchoolName", name)
    _sub(school, "EntryDate", entry.isoformat())
    if leaving is not None:
        _sub(school, "LeavingDate", leaving.isoformat())
