"""Reading a DfE Common Transfer File (CTF, XML) into profile updates, one per pupil.

Pure: bytes in, a ``CtfFile`` out, no database. Follows the CTF 25 structure and also reads
files that say CTF 26, assuming (not checked: its specification was not to hand) that the
elements read here are unchanged, as they have been since CTF 17; resources/ctf/ holds the
schema the tests check fixtures against and says where it comes from.

Decisions:
- Safe parsing: a file with a DOCTYPE is refused before and after parsing (a CTF never has
  one; a DTD is how entity-expansion and external-entity attacks get in), and lxml is told
  not to resolve entities, load a DTD or touch the network.
- What is refused, each with its own message: bytes that are not XML or not well-formed XML
  (with line and column), XML that is not a CTF (names its root element), a CTF version this
  code does not read (names both), and per pupil, every problem at once: a missing or bad UPN,
  names or date of birth, a bad NHS number, an unreadable flag, date or code. Any problem
  raises; nothing is half-returned.
- Messages name the pupil by position and line ("pupil 12 (line 340)"), never by name, UPN or
  date of birth; a bad identifier is described in app/identifiers.py's own words.
- Codes become words through app/profile/codes.py; an unknown code is kept as the code.
- Former UPNs are identifiers, not names: they go in ``CtfPupil.former_upns``, never in
  ``previous_names``. A former surname (or forename) is a previous name, written with the
  pupil's other current name: "Ada Former".
- The pupil's own phones and email have no place in ``ProfileUpdate``; they are on ``CtfPupil``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import NoReturn

from lxml import etree

from app.errors import InputError, InputErrors
from app.identifiers import check_nhs_number, check_upn, normalise_upn
from app.profile import codes
from app.profile.model import (
    SEN_STATUS,
    Address,
    Contact,
    Facts,
    Phone,
    ProfileUpdate,
    PupilLink,
)

SUPPORTED_VERSIONS: tuple[str, ...] = ("25.0", "26.0")
ROOT = "CTfile"
FIELD = "ctf"
MAX_NAME = 100

_UK = {"united kingdom", "uk", "gb", "great britain", "england", "wales", "scotland",
       "northern ireland"}  # fmt: skip
_DOCTYPE = "<!DOCTYPE"
_DOCTYPE_MARKS = tuple(_DOCTYPE.encode(e) for e in ("ascii", "utf-16-le", "utf-16-be"))
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_REFUSED_CATEGORIES = {"Cc", "Cs", "Co", "Cn"}
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?$")
_SAFE_TOKEN = re.compile(r"^[\w.:\- ]{1,40}$")
_TRUE, _FALSE = {"true", "1"}, {"false", "0"}


@dataclass(frozen=True)
class CtfSchool:
    lea: str | None  # local authority number, 3 digits
    estab: str | None  # establishment number, 4 digits
    name: str | None = None

    @property
    def label(self) -> str:
        """"Name (LA/ESTAB)", as the profile's previous school shows it."""
        numbers = "/".join(p for p in (self.lea, self.estab) if p)
        if self.name and numbers:
            return f"{self.name} ({numbers})"
        return self.name or numbers


@dataclass(frozen=True)
class CtfPupil:
    upn: str
    legal_forename: str
    legal_surname: str
    preferred_forename: str | None
    preferred_surname: str | None
    date_of_birth: date
    gender: str | None  # the CTF's Sex code: M or F
    nc_year: str | None  # NCyearActual as the CTF writes it: N1, N2, R, 1..14 or X
    update: ProfileUpdate
    former_upns: tuple[str, ...] = ()
    phones: tuple[Phone, ...] = ()  # the pupil's own
    email: str | None = None
    position: int = 0  # 1 for the first pupil in the file
    line: int = 0


@dataclass(frozen=True)
class CtfFile:
    version: str  # "25.0"
    source_school: CtfSchool
    destination: CtfSchool | None  # None when the CTF does not say (or says "not known")
    created: datetime | None  # the header's DateTime
    pupils: list[CtfPupil]


def read_ctf(data: bytes) -> CtfFile:
    """Every pupil of the CTF, or InputError (the file as a whole) / InputErrors (every bad
    pupil)."""
    root = _parse(data)
    _check_root(root)
    header = root.find("Header")
    if header is None:
        _refuse("the CTF has no Header element; it is damaged or not a complete CTF")
    version = _check_version(header)
    source = _source_school(header)
    destination = _destination(header)
    created = _created(header)
    container = root.find("CTFpupilData")
    elements = list(container.iterfind("Pupil")) if container is not None else []
    if not elements:
        _refuse("the CTF has no pupils in it")
    pupils: list[CtfPupil] = []
    problems: list[str] = []
    bad = 0
    first_at: dict[str, int] = {}
    for position, element in enumerate(elements, start=1):
        reader = _PupilReader(element, position)
        pupil = reader.read(source)
        if pupil is not None:
            first = first_at.setdefault(pupil.upn, position)
            if first != position:
                reader.problem(f"upn: the same UPN as pupil {first}")
                pupil = None
        if reader.problems:
            bad += 1
            problems.extend(reader.problems)
        elif pupil is not None:
            pupils.append(pupil)
    if problems:
        verb = "has" if bad == 1 else "have"
        raise InputErrors(
            f"{bad} of {len(elements)} pupils in the CTF {verb} problems; nothing was read. "
            "Ask the sending school to correct them and send the CTF again:",
            problems,
        )
    return CtfFile(version, source, destination, created, pupils)


# --- the file as a whole -----------------------------------------------------------------------


def _refuse(problem: str) -> NoReturn:
    raise InputError(FIELD, problem)


def _parse(data: bytes) -> etree._Element:
    if not data.strip():
        _refuse("the file is empty")
    if any(mark in data for mark in _DOCTYPE_MARKS):
        _refuse_doctype()
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start.startswith(b"<") and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        _refuse("the file is not XML; a Common Transfer File is an XML file (.xml)")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, remove_comments=True, remove_pis=True, collect_ids=False,
    )  # fmt: skip
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        line, column = error.position
        _refuse(
            f"the file is not well-formed XML: the first error is at line {line}, column "
            f"{column}. It may be cut short or damaged; ask for the CTF to be sent again"
        )
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        _refuse_doctype()
    return root


def _refuse_doctype() -> NoReturn:
    _refuse(
        "the file has a DOCTYPE (a document type definition), which a Common Transfer File "
        "never has; it was refused unread, since DTDs and entities are how XML files are made "
        "to attack the program reading them"
    )


def _check_root(root: etree._Element) -> None:
    name = etree.QName(root).localname
    if etree.QName(root).namespace:
        for element in root.iter():  # a CTF has no namespace; tolerate one on the elements
            if isinstance(element.tag, str):
                element.tag = etree.QName(element).localname
    if name == ROOT:
        return
    shown = f"<{name}>" if _SAFE_TOKEN.match(name) else "another element"
    if name == "ATfile":
        _refuse(f"the file is an admissions transfer file (ATF, root element {shown}), not a "
                "Common Transfer File")
    _refuse(f"the file is XML but not a Common Transfer File: its root element is {shown}, "
            f"a CTF's is <{ROOT}>")


def _check_version(header: etree._Element) -> str:
    found = (header.findtext("CTFversion") or "").strip()
    supported = " and ".join(f"CTF {v.split('.')[0]} ({v})" for v in SUPPORTED_VERSIONS)
    if not found:
        _refuse(f"the CTF does not say its version (Header/CTFversion); this version of "
                f"ConcernDesk reads {supported}")
    normal = f"{found}.0" if found.isdigit() else found
    if normal in SUPPORTED_VERSIONS:
        return normal
    shown = f"version {found}" if _SAFE_TOKEN.match(found) else "a version that is not a number"
    _refuse(f"the CTF is {shown}, which this version of ConcernDesk does not read; it reads "
            f"{supported}. Ask for the CTF to be exported again from an up-to-date MIS")


def _source_school(header: etree._Element) -> CtfSchool:
    school = header.find("SourceSchool")
    if school is None:
        _refuse("the CTF header has no SourceSchool: it does not say which school sent it")
    return CtfSchool(_text(school, "LEA"), _text(school, "Estab"), _text(school, "SchoolName"))


def _destination(header: etree._Element) -> CtfSchool | None:
    school = header.find("DestSchool")
    if school is None:
        return None
    lea, estab = _text(school, "LEA"), _text(school, "Estab")
    # "MMM"/"MMMM" (and any non-number) mean the destination was not known
    lea = lea if lea and lea.isdigit() else None
    estab = estab if estab and estab.isdigit() else None
    return CtfSchool(lea, estab) if lea or estab else None


def _created(header: etree._Element) -> datetime | None:
    text = _text(header, "DateTime")
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        _refuse("the CTF header's DateTime is not a date and time (YYYY-MM-DDThh:mm:ss)")


def _text(element: etree._Element, path: str) -> str | None:
    value = element.findtext(path)
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


# --- one pupil ---------------------------------------------------------------------------------


class _PupilReader:
    """Reads one <Pupil>, collecting every problem (each names the pupil by position only)."""

    def __init__(self, element: etree._Element, position: int) -> None:
        self.element = element
        self.position = position
        self.line = element.sourceline or 0
        self.problems: list[str] = []

    def problem(self, text: str) -> None:
        self.problems.append(f"pupil {self.position} (line {self.line}): {text}")

    def read(self, source: CtfSchool) -> CtfPupil | None:
        pupil = self.element
        upn = self._identifier("UPN", "upn", check_upn, required=True)
        forename = self._name(pupil, "Forename", "legal forename", required=True)
        surname = self._name(pupil, "Surname", "legal surname", required=True)
        born = self._date(pupil, "DOB", "date of birth", required=True)
        sex = _text(pupil, "Sex") or _text(pupil, "Gender")  # Gender before CTF 17
        basic = pupil.find("BasicDetails")
        details = basic if basic is not None else etree.Element("BasicDetails")
        preferred_forename = self._name(details, "PreferredForename", "preferred forename")
        preferred_surname = self._name(details, "PreferredSurname", "preferred surname")
        former_forename = self._name(details, "FormerForename", "former forename")
        former_surname = self._name(details, "FormerSurname", "former surname")
        address, _ = self._address(pupil.find("Address"), None, "address")
        facts = Facts(
            ethnicity_code=(ethnicity := _code(details, "Ethnicity")),
            ethnicity=codes.words(codes.ETHNICITY, ethnicity) if ethnicity else None,
            first_language_code=(language := self._first_language(details)),
            first_language=codes.words(codes.LANGUAGE, language) if language else None,
            sen_status=self._sen_status(),
            sen_needs=self._sen_needs(),
            nhs_number=self._identifier("BasicDetails/NHSnumber", "nhs_number",
                                        check_nhs_number, required=False),
            looked_after=self._flag(pupil, "LookedAfter/InCare", "looked after (InCare)"),
            previous_school=self._previous_school(source),
        )  # fmt: skip
        contacts = self._contacts(address)
        phones = self._phones(pupil.find("Phones"))
        if self.problems or upn is None or forename is None or surname is None or born is None:
            return None
        previous = []
        if former_surname or former_forename:
            previous.append(f"{former_forename or forename} {former_surname or surname}")
        update = ProfileUpdate(
            link=PupilLink(upn=upn), facts=facts,
            addresses=(address,) if address else (), contacts=contacts,
            previous_names=tuple(previous), line=self.line,
        )  # fmt: skip
        return CtfPupil(
            upn=upn, legal_forename=forename, legal_surname=surname,
            preferred_forename=preferred_forename if preferred_forename != forename else None,
            preferred_surname=preferred_surname if preferred_surname != surname else None,
            date_of_birth=born, gender=sex.upper() if sex else None,
            nc_year=_text(details, "NCyearActual"), update=update,
            former_upns=tuple(normalise_upn(e.text or "") for e in details.iterfind("FormerUPN")
                              if (e.text or "").strip()),
            phones=phones, email=_text(pupil, "Email"), position=self.position, line=self.line,
        )  # fmt: skip

    # -- fields --

    def _identifier(self, path: str, field: str, check: Callable[[str], str], *,
                    required: bool) -> str | None:  # fmt: skip
        text = _text(self.element, path)
        if text is None:
            if required:
                self.problem(f"{field}: is missing")
            return None
        try:
            return check(text)
        except InputError as error:
            self.problem(f"{field}: {error.problem}")
            return None

    def _name(self, parent: etree._Element, tag: str, what: str, *, required: bool = False,
              prefix: str = "") -> str | None:  # fmt: skip
        raw = parent.findtext(tag)
        name = unicodedata.normalize("NFC", " ".join((raw or "").split()))
        if not name:
            if required:
                self.problem(f"{prefix}{what}: is missing")
            return None
        if any(ch in _BIDI_CONTROLS or unicodedata.category(ch) in _REFUSED_CATEGORIES
               for ch in name):  # fmt: skip
            self.problem(f"{prefix}{what}: contains control or unassigned characters")
            return None
        if len(name) > MAX_NAME:
            self.problem(f"{prefix}{what}: is longer than {MAX_NAME} characters")
            return None
        return name

    def _date(self, parent: etree._Element, tag: str, what: str, *,
              required: bool = False) -> date | None:  # fmt: skip
        text = _text(parent, tag)
        if text is None:
            if required:
                self.problem(f"{what}: is missing")
            return None
        match = _DATE.match(text)
        try:
            if match is None:
                raise ValueError
            return date(*(int(g) for g in match.groups()))
        except ValueError:
            self.problem(f"{what}: is not a date (YYYY-MM-DD)")
            return None

    def _flag(self, parent: etree._Element, path: str, what: str) -> bool | None:
        text = _text(parent, path)
        if text is None:
            return None
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        self.problem(f"{what}: is not true or false")
        return None

    def _first_language(self, details: etree._Element) -> str | None:
        for kind in details.iterfind("Languages/Type"):
            if (_text(kind, "LanguageType") or "").upper() == "F":
                return _code(kind, "Language")
        return None

    def _sen_status(self) -> str | None:
        history = self.element.find("SENhistory")
        if history is None:
            return None
        # the current provision: the latest start date, else the last listed
        entries = list(history.iterfind("SEN"))
        if not entries:
            return None
        latest = max(enumerate(entries), key=lambda e: (_text(e[1], "StartDate") or "", e[0]))
        code = (_text(latest[1], "SENprovision") or "").upper()
        if code not in SEN_STATUS:
            self.problem("SEN provision: is not N, K or E")
            return None
        return code

    def _sen_needs(self) -> tuple[str, ...]:
        needs: list[tuple[int, int, str]] = []
        for index, need in enumerate(self.element.iterfind("SENhistory/SENneeds/SENneed")):
            code = _code(need, "SENtype")
            rank = _text(need, "SENtypeRank")
            if code:
                needs.append((int(rank) if rank and rank.isdigit() else 99, index, code))
        return tuple(dict.fromkeys(code for _, _, code in sorted(needs)))

    def _previous_school(self, source: CtfSchool) -> str | None:
        schools = list(self.element.iterfind("SchoolHistory/School"))
        if not schools:
            return source.label or None
        # the most recent: the latest leaving (else entry) date, else the last listed
        _, _, latest = max(
            ((_text(s, "LeavingDate") or _text(s, "EntryDate") or "", i, s)
             for i, s in enumerate(schools)), key=lambda t: (t[0], t[1]))  # fmt: skip
        school = CtfSchool(_text(latest, "LEA"), _text(latest, "Estab"),
                           _text(latest, "SchoolName"))
        return school.label or None

    def _phones(self, phones: etree._Element | None) -> tuple[Phone, ...]:
        if phones is None:
            return ()
        found = []
        for phone in phones.iterfind("Phone"):
            number = _text(phone, "PhoneNo")
            if number:
                kind = _text(phone, "TelephoneType")
                found.append(Phone(number, codes.words(codes.PHONE_KIND, kind) if kind else None))
        return tuple(found)

    def _address(self, element: etree._Element | None, pupils: Address | None,
                 what: str) -> tuple[Address | None, bool | None]:  # fmt: skip
        """The address, and whether it says "as the pupil's" (a contact the child lives with)."""
        if element is None:
            return None, None
        as_pupil = self._flag(element, "AddressAsPupil", f"{what}: AddressAsPupil")
        if as_pupil:
            return pupils, True
        lines: list[str] = []
        bs7666 = element.find("BS7666Address")
        if bs7666 is not None:
            saon, paon, street = (_text(bs7666, t) for t in ("SAON", "PAON", "Street"))
            lines.append(saon or "")
            if paon and street and paon[:1].isdigit():
                lines.append(f"{paon} {street}")  # "12 Sample Street", as it is written
            else:
                lines += [paon or "", street or ""]
            town = _text(bs7666, "Town")
            post_town = _text(bs7666, "PostTown")
            lines += [_text(bs7666, "Locality") or "", town or "",
                      post_town if post_town and post_town != town else "",
                      _text(bs7666, "AdministrativeArea") or ""]  # fmt: skip
        else:
            lines += [_text(element, f"AddressLines/AddressLine{k}") or "" for k in range(1, 6)]
        county = _text(element, "County")
        if county not in lines:
            lines.append(county or "")
        country = _text(element, "Country")
        if country and country.casefold() not in _UK:
            lines.append(country)
        postcode = _text(element, "PostCode") or _text(element, "Zip")
        kept = tuple(line for line in lines if line)
        if not kept and not postcode:
            return None, as_pupil
        return Address(kept, postcode.upper() if postcode else None), as_pupil

    def _contacts(self, pupils_address: Address | None) -> tuple[Contact, ...]:
        contacts = []
        for number, element in enumerate(self.element.iterfind("Contacts/Contact"), start=1):
            where = f"contact {number} (line {element.sourceline}): "
            before = len(self.problems)
            forename = self._name(element, "Forename", "forename", prefix=where)
            surname = self._name(element, "Surname", "surname", prefix=where)
            if forename is None and surname is None:
                if len(self.problems) == before:
                    self.problem(f"{where}name: is missing")
                continue
            name = " ".join(p for p in (forename or _text(element, "Title"), surname) if p)
            order_text = _text(element, "Order")
            order = None
            if order_text is not None:
                if order_text.isdigit():
                    order = int(order_text)
                else:
                    self.problem(f"{where}order: is not a whole number")
            relationship = _text(element, "Relationship")
            address, as_pupil = self._address(element.find("Address"), pupils_address,
                                              f"{where}address")
            # a contact at another address does not live with the child; no address: not known
            lives_with = True if as_pupil else (False if address is not None else None)
            # "Responsibility" in the CTF; some exports write "Responsible"
            tag = "Responsible" if element.find("Responsibility") is None else "Responsibility"
            contacts.append(Contact(
                name=name,
                relationship=codes.words(codes.RELATIONSHIP, relationship) if relationship
                else None,
                parental_responsibility=self._flag(element, tag,
                                                   f"{where}parental responsibility"),
                lives_with_child=lives_with,
                phones=self._phones(element.find("Phones")),
                email=_text(element, "Email"),
                address=address,
                priority=order,
            ))  # fmt: skip
        contacts.sort(key=lambda c: c.priority if c.priority is not None else 1_000_000)
        return tuple(contacts)


def _code(parent: etree._Element, path: str) -> str | None:
    text = _text(parent, path)
    return text.upper() if text else None
