"""Reading the contact export of a school's MIS (SIMS, Arbor, Bromcom or a school's own report):
one row per contact, linked to its pupil by UPN or admission number, into ProfileUpdates.

Decisions:
- The file is read exactly as the pupil roster is (app.domain.roster_csv): the same refusal of
  files that are not CSV (a workbook, a web page, XML, which might be a CTF), the same encodings
  (UTF-8 with or without a BOM, UTF-16 with a BOM, else Windows-1252 with its checks), the same
  separators and spreadsheet line numbers.
- Columns are found by heading, whatever their order, through the alias table HEADINGS (its
  matching ignores case, spaces and punctuation; a heading may also carry a "Contact" prefix, as
  SIMS report exports write "(Contact) Priority"). docs/profile-imports.md lists them per system.
  Which system wrote the file is told from headings only one of them uses; it is reported, never
  relied on.
- The contact's name needs a contact-specific column ("Contact Surname", "Guardian Name" ...):
  plain "Surname" is the pupil's in these exports, and a roster given by mistake must not pass
  for contacts (it is refused as "looks like a pupil roster").
- Every row is checked before anything is returned; a bad row is named by line and heading,
  never by its content (a child's and a family's data). Nothing is half-returned.
- Values: yes/no as Yes/No, Y/N, True/False, T/F, 1/0 (blank is "not recorded", None);
  priority a whole number 1–99; phones digits with spaces, dashes, brackets and a leading +
  (letters refused: an "ext" or a name typed in the number column needs a person); a UK number
  is spaced the usual way. A court-order flag makes the contact "do not contact" (reason "court
  order" unless a reason is given): the MIS uses it to stop contact, and a DSL must see it.
- Contacts of one pupil come in priority order (unrecorded last), ties in file order.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.domain import roster_csv
from app.domain.roster_csv import (
    CP1252,
    clean_name,
    decode_text,
    encoding_note,
    first_non_blank,
    heading_key,
    is_blank,
    read_records,
    refuse_other_code_page,
    sniff_other_kind,
    suspect_cp1252_lines,
)
from app.errors import InputError, InputErrors
from app.identifiers import check_upn
from app.profile.model import Address, Contact, Phone, ProfileUpdate, PupilLink

NOUN = "contact export"

# Field -> headings it is recognised by, best first (the first present wins). Sources and
# which system writes which: docs/profile-imports.md.
HEADINGS: dict[str, tuple[str, ...]] = {
    # the pupil
    "upn": ("UPN", "Student UPN", "Pupil UPN", "Unique Pupil Number"),
    "admission_number": ("Adno", "Adm No", "Admission No", "Admission Number",
                         "Student Admission Number", "Pupil Admission Number"),
    # the contact's name: one column, or title / forename / surname
    "name": ("Contact Name", "Guardian Name", "Guardian", "Contact Full Name", "Parent Name",
             "Carer Name", "Name of Contact"),
    "title": ("Contact Title", "Guardian Title", "Parent Title"),
    "forename": ("Contact Forename", "Contact First Name", "Contact Legal Forename",
                 "Guardian First Name", "Guardian Forename", "Parent Forename",
                 "Parent First Name"),
    "surname": ("Contact Surname", "Contact Last Name", "Contact Legal Surname",
                "Guardian Last Name", "Guardian Surname", "Parent Surname", "Parent Last Name"),
    # the link
    "relationship": ("Relationship", "Relationship to Student", "Relationship to Pupil",
                     "Relationship to Child", "Relation", "Relationship Type"),
    "parental_responsibility": ("Parental Responsibility", "Parental Resp",
                                "Has Parental Responsibility", "Legal Guardian"),
    "lives_with_child": ("Lives with Pupil", "Lives with Student", "Lives with Child",
                         "Lives With", "Same Address as Pupil", "Same Address as Student"),
    "priority": ("Priority", "Contact Priority", "Priority Order"),
    "do_not_contact": ("Do Not Contact", "No Contact", "Do Not Contact Flag"),
    "do_not_contact_reason": ("Do Not Contact Reason", "No Contact Reason",
                              "Reason for No Contact", "Reason Not to Contact"),
    "court_order": ("Court Order", "Court Order Restricted Access", "Has Court Order"),
    # phones: each column one kind (PHONE_KINDS)
    "phone_home": ("Home Telephone", "Home Tel", "Home Phone", "Home Telephone Number",
                   "Home Number", "Home Phone Number"),
    "phone_mobile": ("Mobile Telephone", "Mobile Tel", "Mobile", "Mobile Number",
                     "Mobile Phone", "Mobile No", "Mobile Phone Number"),
    "phone_work": ("Work Telephone", "Work Tel", "Work Phone", "Work Number",
                   "Work Phone Number"),
    "phone_other": ("Telephone", "Main Telephone", "Primary Telephone", "Phone",
                    "Phone Number", "Telephone Number", "Other Telephone", "Other Phone"),
    # emails: the first non-blank is kept (the model holds one)
    "email": ("Email Address", "Email", "E-mail", "Primary Email", "Main Email",
              "Email Address Main"),
    "email_home": ("Personal Email Address", "Personal Email", "Home Email",
                   "Home Email Address"),
    "email_work": ("Work Email Address", "Work Email"),
    # the contact's address, in parts or in one column
    "address": ("Address", "Full Address", "Home Address"),
    "flat": ("Flat", "SAON", "Apartment", "Flat Number"),
    "house_name": ("House Name", "Building Name", "PAON"),
    "house_number": ("House Number", "House No", "Building Number"),
    "street": ("Street", "Address Line 1", "Address 1", "Address1", "Road"),
    "line2": ("Address Line 2", "Address 2", "Address2"),
    "locality": ("Locality", "District", "Address Line 3", "Address 3", "Address3"),
    "town": ("Town", "Town/City", "City", "Post Town", "Address Line 4", "Address 4"),
    "county": ("County", "Address Line 5", "Address 5"),
    "postcode": ("Postcode", "Post Code", "Postal Code"),
}  # fmt: skip

PHONE_KINDS = {"phone_home": "home", "phone_mobile": "mobile", "phone_work": "work",
               "phone_other": None}  # fmt: skip
EMAILS = ("email", "email_home", "email_work")
ADDRESS_PARTS = ("flat", "house_name", "house_number", "street", "line2", "locality", "town",
                 "county")  # fmt: skip
NAME_PARTS = ("title", "forename", "surname")
# Fields whose heading may also carry "Contact" in front, as SIMS report exports write them.
_PREFIXABLE = set(HEADINGS) - {"upn", "admission_number", "name", *NAME_PARTS}

# Headings only one system's export uses (heading keys): two of them name the system.
SIGNATURES: dict[str, frozenset[str]] = {
    "SIMS": frozenset({"adno", "contact forename", "contact surname", "contact title",
                       "lives with pupil", "home telephone", "mobile telephone",
                       "work telephone", "court order", "personal email address"}),
    "Arbor": frozenset({"student upn", "guardian", "guardian name", "guardian title",
                        "guardian first name", "guardian last name", "legal guardian",
                        "lives with student", "mobile number", "relationship to student"}),
    "Bromcom": frozenset({"contact name", "home tel", "mobile tel", "work tel",
                          "contact priority", "court order restricted access",
                          "contact email"}),
}  # fmt: skip

MAX_PRIORITY = 99
MAX_TEXT = 200  # a relationship or a reason; longer is a pasted note, not a value
COURT_ORDER_REASON = "court order (recorded in the MIS)"


@dataclass(frozen=True)
class ContactFile:
    updates: list[ProfileUpdate]  # one per pupil, in the order the file first names them
    system: str  # "SIMS", "Arbor", "Bromcom" or "generic"
    encoding: str  # "UTF-8", "UTF-16" or "Windows-1252"
    rows: int  # contact rows read
    non_ascii_names: int  # contacts with a letter outside ASCII in their name

    def encoding_note(self) -> str:
        return encoding_note(self.encoding, self.non_ascii_names, ("contact", "contacts"),
                             "the child's profile")


def read_contacts(data: bytes) -> ContactFile:
    """Every contact of the file grouped per pupil, or InputErrors listing every bad row
    (InputError for a file that cannot be read as a contact export at all)."""
    _refuse_other_kinds(data)
    text, encoding = decode_text(data, NOUN)
    records = read_records(text, NOUN)
    header_line, header = first_non_blank(records, NOUN)
    columns = _map_columns(header)
    headings = {field: header[index].strip() for field, index in columns.items()}
    problems: list[str] = []
    bad_lines: set[int] = set()
    good: list[tuple[int, PupilLink, Contact]] = []
    seen = 0
    for line, cells in records:
        if is_blank(cells):
            continue
        seen += 1
        row_problems: list[str] = []
        link, contact = _parse_row(line, cells, columns, headings, row_problems)
        if row_problems or link is None or contact is None:
            problems.extend(row_problems)
            bad_lines.add(line)
        else:
            good.append((line, link, contact))
    updates = _group(good, headings, problems, bad_lines) if not problems else []
    if problems:
        verb = "has" if len(bad_lines) == 1 else "have"
        raise InputErrors(
            f"{len(bad_lines)} of {seen} contact rows {verb} problems; nothing was imported. "
            "Fix these rows and import the file again:",
            problems,
        )
    if not updates:
        raise InputError("csv", f"the {NOUN} has a header on line {header_line} but no contacts")
    if encoding == CP1252:
        refuse_other_code_page(
            suspect_cp1252_lines([(line, [c.name]) for line, _, c in good]), NOUN
        )
    non_ascii = sum(1 for _, _, c in good if not c.name.isascii())
    return ContactFile(updates, _system(header), encoding, seen, non_ascii)


# --- the file ---------------------------------------------------------------------------------

_EXPORT_CSV = "export the contacts report from the MIS as CSV instead and import that file"
_SAVE_AS_UTF8 = (
    "open it in Excel and use Save As > 'CSV UTF-8 (Comma delimited)', or in LibreOffice "
    "choose character set 'Unicode (UTF-8)', then import that file"
)


def _refuse_other_kinds(data: bytes) -> None:
    other = sniff_other_kind(data)
    if other is None:
        return
    if other.kind in ("ctf", "xml"):
        raise InputError(
            "csv",
            f"this looks like XML ({other.what}), not a CSV contact export: if it is a Common "
            f"Transfer File, import it as a CTF; otherwise {_EXPORT_CSV}",
        )
    advice = {"xlsx": _SAVE_AS_UTF8, "xls": _SAVE_AS_UTF8, "ods": _SAVE_AS_UTF8,
              "zip": "take the contacts CSV out of it (or " + _EXPORT_CSV + ")",
              "pdf": "a printed report cannot be imported: " + _EXPORT_CSV}.get(
        other.kind, _EXPORT_CSV)  # fmt: skip
    raise InputError("csv", f"the file is {other.what}, not a CSV contact export; {advice}")


def _aliases(field: str) -> list[str]:
    keys = [heading_key(h) for h in HEADINGS[field]]
    if field in _PREFIXABLE:
        keys += [f"contact {k}" for k in keys if not k.startswith("contact ")]
    return keys


def _map_columns(header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, heading in enumerate(header):
        positions.setdefault(heading_key(heading), index)  # a repeated heading: first wins
    columns: dict[str, int] = {}
    for field in HEADINGS:
        found = next((positions[k] for k in _aliases(field) if k in positions), None)
        if found is not None and found not in columns.values():
            columns[field] = found
    if "name" not in columns and not ("forename" in columns or "surname" in columns):
        looked_for = ", ".join([*HEADINGS["name"], *HEADINGS["forename"][:2],
                                *HEADINGS["surname"][:2]])  # fmt: skip
        roster = {
            heading_key(h)
            for f in ("date_of_birth", "year_group", "gender", "legal_surname")
            for h in roster_csv.HEADINGS[f]
        }
        if roster & set(positions):
            raise InputError(
                "csv",
                "this looks like a pupil roster, not a contact export: it has pupil columns "
                "(such as date of birth or year group) but no column for a contact's name. "
                "Import it as the pupil roster, or export the contacts report from the MIS "
                f"(contact name headings looked for: {looked_for})",
            )
        raise InputError("csv", f"the {NOUN} has no column for the contact's name "
                                f"(looked for: {looked_for})")  # fmt: skip
    if "upn" not in columns and "admission_number" not in columns:
        looked_for = ", ".join([*HEADINGS["upn"], *HEADINGS["admission_number"]])
        raise InputError(
            "csv",
            f"the {NOUN} has no column naming each contact's pupil: it needs a UPN or an "
            f"admission number (looked for: {looked_for})",
        )
    return columns


def _system(header: list[str]) -> str:
    keys = {heading_key(h) for h in header}
    scores = {system: len(keys & heads) for system, heads in SIGNATURES.items()}
    best = max(scores.values())
    winners = [system for system, score in scores.items() if score == best]
    return winners[0] if best >= 2 and len(winners) == 1 else "generic"


# --- a row ------------------------------------------------------------------------------------


def _parse_row(
    line: int,
    cells: list[str],
    columns: dict[str, int],
    headings: dict[str, str],
    problems: list[str],
) -> tuple[PupilLink | None, Contact | None]:
    """The row's link and contact, or None with its problems appended (line and heading only)."""

    def cell(field: str) -> str:
        index = columns.get(field)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    def check(field: str, parse: Callable[[str], Any]) -> Any:
        try:
            return parse(cell(field))
        except InputError as error:
            problems.append(f"line {line}: {headings[field]}: {error.problem}")
            return None

    link = _link(line, cell("upn"), cell("admission_number"), headings, problems)
    name = _name(line, {f: cell(f) for f in ("name", *NAME_PARTS)}, headings, problems)
    relationship = check("relationship", _relationship) if "relationship" in columns else None
    flags = {
        f: check(f, _yes_no)
        for f in ("parental_responsibility", "lives_with_child", "do_not_contact", "court_order")
        if f in columns
    }
    priority = check("priority", _priority) if "priority" in columns else None
    reason = check("do_not_contact_reason", _text) if "do_not_contact_reason" in columns else None
    phones: list[Phone] = []
    for field, kind in PHONE_KINDS.items():
        number = check(field, _phone) if field in columns else None
        if number and all(p.number != number for p in phones):
            phones.append(Phone(number, kind))
    emails = [check(f, _email) for f in EMAILS if f in columns]
    address = _address({f: cell(f) for f in (*ADDRESS_PARTS, "address", "postcode")})
    said, court = flags.get("do_not_contact"), flags.get("court_order")
    do_not_contact = bool(said or court)
    if reason and not do_not_contact:
        if said is False:
            problems.append(
                f"line {line}: {headings['do_not_contact_reason']}: a reason is given but "
                f"{headings['do_not_contact']} says no; correct one of them"
            )
        do_not_contact = True  # the export gives the reason alone
    if court and not reason:
        reason = COURT_ORDER_REASON
    if problems or name is None:
        return None, None
    contact = Contact(
        name=name,
        relationship=relationship,
        parental_responsibility=flags.get("parental_responsibility"),
        lives_with_child=flags.get("lives_with_child"),
        phones=tuple(phones),
        email=next((e for e in emails if e), None),
        address=address,
        priority=priority,
        do_not_contact=do_not_contact,
        do_not_contact_reason=reason if do_not_contact else None,
    )
    return link, contact


ADMISSION_NUMBER = re.compile(r"^[A-Za-z0-9/\-]{1,20}$")


def _link(
    line: int, upn_text: str, adno_text: str, headings: dict[str, str], problems: list[str]
) -> PupilLink | None:
    upn = adno = None
    if upn_text:
        try:
            upn = check_upn(upn_text)
        except InputError as error:
            problems.append(f"line {line}: {headings['upn']}: {error.problem}")
    if adno_text:
        adno = "".join(adno_text.split())
        if not ADMISSION_NUMBER.match(adno):
            problems.append(
                f"line {line}: {headings['admission_number']}: is not an admission number "
                "(letters, digits, / or -, at most 20)"
            )
            adno = None
    if not upn_text and not adno_text:
        names = " or ".join(headings[f] for f in ("upn", "admission_number") if f in headings)
        problems.append(f"line {line}: {names}: the row names no pupil (give a UPN or an "
                        "admission number)")  # fmt: skip
    if upn is None and adno is None:
        return None
    return PupilLink(upn, adno)


def _name(
    line: int, parts: dict[str, str], headings: dict[str, str], problems: list[str]
) -> str | None:
    cleaned: dict[str, str] = {}
    for field, value in parts.items():
        try:
            cleaned[field] = clean_name(value)
        except InputError as error:
            problems.append(f"line {line}: {headings[field]}: {error.problem}")
    if len(cleaned) != len(parts):
        return None
    name = cleaned["name"] or " ".join(
        part for part in (cleaned["title"], cleaned["forename"], cleaned["surname"]) if part
    )
    if not cleaned["name"] and not (cleaned["forename"] or cleaned["surname"]):
        used = [headings[f] for f in ("name", "forename", "surname") if f in headings]
        problems.append(f"line {line}: {' / '.join(used)}: the contact's name is empty")
        return None
    return name


# --- values -----------------------------------------------------------------------------------

_YES = {"yes", "y", "true", "t", "1", "ticked"}
_NO = {"no", "n", "false", "f", "0", "unticked"}


def _yes_no(value: str) -> bool | None:
    key = value.strip().casefold()
    if not key:
        return None
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise InputError("flag", "is not yes or no (use Yes/No, Y/N, True/False or 1/0)")


def _priority(value: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if text.endswith(".0"):  # a spreadsheet that stored 1 as 1.0
        text = text[:-2]
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PRIORITY:
        raise InputError("priority", f"is not a whole number from 1 to {MAX_PRIORITY}")
    return int(text)


_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _text(value: str) -> str | None:
    """Free text (a relationship, a reason) as clean_name makes a name, up to MAX_TEXT."""
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if any(ch in _BIDI_CONTROLS or unicodedata.category(ch) in {"Cc", "Cs", "Co", "Cn"}
           for ch in text):  # fmt: skip
        raise InputError("text", "contains control or unassigned characters")
    if len(text) > MAX_TEXT:
        raise InputError("text", f"is longer than {MAX_TEXT} characters")
    return text or None


def _relationship(value: str) -> str | None:
    """The relationship in the export's words; all-capitals or all-lower-case ("MOTHER",
    "foster carer") made sentence case, anything else ("Step-Father") left alone."""
    text = _text(value)
    if text and (text.isupper() or text.islower()):
        text = text[0].upper() + text[1:].lower()
    return text


_PHONE_SEPARATORS = re.compile(r"[\s\-().]+")


def _phone(value: str) -> str | None:
    text = " ".join(value.split())
    if not text:
        return None
    if any(ch.isalpha() for ch in text):
        raise InputError("phone", "has letters in it (a phone number is digits, spaces and +)")
    compact = _PHONE_SEPARATORS.sub("", text.replace("(0)", ""))
    digits = compact.removeprefix("+")
    if not (digits.isascii() and digits.isdigit()) or not 7 <= len(digits) <= 15:
        raise InputError("phone", "is not a phone number (7 to 15 digits, spaces and +)")
    if compact.startswith("+44"):
        digits, compact = "0" + digits[2:], "0" + digits[2:]
    if compact.startswith("0") and len(digits) == 11:
        return _uk_spacing(digits)
    return text.replace("(0)", "").replace("  ", " ").strip()


def _uk_spacing(d: str) -> str:
    """UK numbers as Ofcom's groups are written: 020 7946 0000, 0113 496 0000, 07700 900000,
    01632 960000, 0300 123 4567."""
    if d.startswith("02"):
        return f"{d[:3]} {d[3:7]} {d[7:]}"
    if d.startswith(("011", "03", "08", "09")) or d[:4] in {
        "0121", "0131", "0141", "0151", "0161", "0171", "0181", "0191"
    }:  # fmt: skip
        return f"{d[:4]} {d[4:7]} {d[7:]}"
    return f"{d[:5]} {d[5:]}"


_EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")


def _email(value: str) -> str | None:
    text = value.strip()
    if not text:
        return None
    if len(text) > 254 or not _EMAIL.match(text) or ".." in text:
        raise InputError("email", "is not an email address (one @ and a domain such as "
                                  "example.org)")  # fmt: skip
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


def _address(parts: dict[str, str]) -> Address | None:
    """An Address from parts or one column (split at commas and line breaks); None if blank.
    A house number goes in front of its street, as it is written on an envelope."""

    def tidy(text: str) -> str:
        return " ".join(text.split())

    lines: list[str] = []
    number, street = tidy(parts["house_number"]), tidy(parts["street"])
    for field in ADDRESS_PARTS:
        if field == "house_number":
            continue
        text = tidy(parts[field])
        if field == "street" and number:
            text = f"{number} {street}".strip()
        if text:
            lines.append(text)
    if not lines and parts["address"]:
        lines = [tidy(p) for p in re.split(r"[,\n\r]+", parts["address"]) if p.strip()]
    postcode = tidy(parts["postcode"]).upper() or None
    if postcode and (match := _POSTCODE.match(postcode)):
        postcode = f"{match.group(1)} {match.group(2)}"
    if lines and postcode and lines[-1].upper().replace(" ", "") == postcode.replace(" ", ""):
        lines.pop()  # a one-column address that ends with its postcode, given again
    if not lines and not postcode:
        return None
    return Address(tuple(lines), postcode)


# --- per pupil --------------------------------------------------------------------------------


def _group(
    rows: list[tuple[int, PupilLink, Contact]],
    headings: dict[str, str],
    problems: list[str],
    bad_lines: set[int],
) -> list[ProfileUpdate]:
    """One ProfileUpdate per pupil. A row with only an admission number joins the pupil whose
    other rows give that number with a UPN; a UPN given with two admission numbers (or the
    reverse), or the same contact twice for one pupil, is a problem."""
    adno_to_upn: dict[str, tuple[str, int]] = {}
    upn_to_adno: dict[str, tuple[str, int]] = {}
    for line, link, _ in rows:
        if link.upn and link.admission_number:
            upn, adno = link.upn, link.admission_number
            first = adno_to_upn.setdefault(adno, (upn, line))
            if first[0] != upn:
                problems.append(f"line {line}: {headings['admission_number']}: is also on line "
                                f"{first[1]} with a different UPN")  # fmt: skip
                bad_lines.add(line)
            first = upn_to_adno.setdefault(upn, (adno, line))
            if first[0] != adno:
                problems.append(f"line {line}: {headings['upn']}: is also on line {first[1]} "
                                "with a different admission number")  # fmt: skip
                bad_lines.add(line)
    groups: dict[str, list[tuple[int, Contact]]] = {}
    links: dict[str, PupilLink] = {}
    seen_contacts: dict[tuple[str, str, str], int] = {}
    for line, link, contact in rows:
        pupil_upn = link.upn or adno_to_upn.get(link.admission_number or "", ("", 0))[0] or None
        pupil_adno = link.admission_number or upn_to_adno.get(pupil_upn or "", ("", 0))[0] or None
        key = f"upn:{pupil_upn}" if pupil_upn else f"adno:{pupil_adno}"
        links.setdefault(key, PupilLink(pupil_upn, pupil_adno))
        who = (key, contact.name.casefold(), (contact.relationship or "").casefold())
        earlier = seen_contacts.setdefault(who, line)
        if earlier != line:
            problems.append(f"line {line}: the same contact of the same pupil is also on line "
                            f"{earlier}")  # fmt: skip
            bad_lines.add(line)
        groups.setdefault(key, []).append((line, contact))
    return [
        ProfileUpdate(
            link=links[key],
            contacts=tuple(c for _, c in sorted(
                entries, key=lambda e: (e[1].priority is None, e[1].priority or 0, e[0]))),
            line=entries[0][0],
        )
        for key, entries in groups.items()
    ]  # fmt: skip
