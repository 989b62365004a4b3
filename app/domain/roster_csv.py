"""Reading a pupil roster exported from the school's MIS (SIMS, Arbor, ...) or written in the
canonical form of the CLI contract, and validating every row before anything is imported.

Decisions:
- Encoding: UTF-8 (with or without a BOM), or UTF-16 with a BOM (Excel's "Unicode text").
  Anything else is refused with a message saying how to save as UTF-8. We do not guess cp1252:
  every byte string decodes as *something* in cp1252, so a file really in another code page
  (Polish, Turkish, Greek, Cyrillic ones: exactly the names in our schools) would import with
  silently wrong names, and a child's legal name on a referral must be right.
- Separator: comma, or tab / semicolon when the header clearly uses one (Excel in some locales).
- Line numbers count rows as a spreadsheet shows them: the header is line 1, blank lines count.
- Messages name the line, the column and the problem; never a name, date or identifier.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.errors import InputError, InputErrors
from app.identifiers import check_nhs_number, check_upn

CANONICAL_COLUMNS = (
    "upn",
    "legal_forename",
    "legal_surname",
    "preferred_forename",
    "date_of_birth",
    "gender",
    "year_group",
    "nhs_number",
)
REQUIRED = ("upn", "legal_forename", "legal_surname", "date_of_birth", "gender", "year_group")

# Headings each field is recognised by, best first (the first present wins). Matching ignores
# case, spaces, underscores and punctuation. A plain "Forename"/"First name" is the legal one
# only when no explicitly legal column exists.
HEADINGS: dict[str, tuple[str, ...]] = {
    "upn": ("upn", "unique pupil number", "pupil upn"),
    "legal_forename": (
        "legal_forename", "Legal Forename", "Legal first name", "Forename", "First name",
        "Given name",
    ),
    "legal_surname": (
        "legal_surname", "Legal Surname", "Legal last name", "Surname", "Last name",
        "Family name",
    ),
    "preferred_forename": (
        "preferred_forename", "Preferred Forename", "Preferred first name", "Preferred name",
        "Known as",
    ),
    "date_of_birth": ("date_of_birth", "DOB", "Date of Birth", "Birth date"),
    "gender": ("gender", "Sex", "Legal sex"),
    "year_group": ("year_group", "Year Group", "Year", "NC Year Actual", "NC Year"),
    "nhs_number": ("nhs_number", "NHS number", "NHS no", "NHS"),
}  # fmt: skip

MAX_AGE = 25  # a CP file is kept to the 25th birthday; an older "pupil" is a typo
MAX_NAME = 100

_GENDERS = {
    "m": "M", "male": "M", "boy": "M",
    "f": "F", "female": "F", "girl": "F",
    "x": "X", "other": "X", "non-binary": "X", "nonbinary": "X", "indeterminate": "X",
    "u": "U", "unknown": "U", "not known": "U", "not recorded": "U", "not stated": "U",
}  # fmt: skip

_YEAR_WORDS = {
    "r": "R", "rec": "R", "reception": "R", "yr": "R", "year r": "R", "f2": "R",
    "n1": "N1", "n2": "N2", "nursery": "N2", "nursery 1": "N1", "nursery 2": "N2",
    "x": "X",
}  # fmt: skip
_YEAR_NUMBER = re.compile(r"^(?:y|yr|year|nc year|ncy)?\s*(\d{1,2})$")

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]00:00(?::00(?:\.0+)?)?Z?)?$")
_UK = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?: 00:00(?::00)?)?$")
_UK_SHORT_YEAR = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}$")


@dataclass(frozen=True)
class RosterRow:
    upn: str
    legal_forename: str
    legal_surname: str
    preferred_forename: str | None  # None when absent or the same as the legal forename
    date_of_birth: date
    gender: str  # M, F, X (other) or U (not known)
    year_group: str  # N1, N2, R, Y1..Y14 or X (no National Curriculum year)
    nhs_number: str | None  # 10 digits
    line: int  # spreadsheet row (the header is line 1); 0 for rows not read from a file


def parse_roster(data: bytes, *, today: date) -> list[RosterRow]:
    """Every row of the roster, or InputErrors listing every bad row (InputError for a file
    that cannot be read as a roster at all)."""
    text = _decode(data)
    rows = _records(text)
    header_line, header = _first_non_blank(rows)
    columns = _map_columns(header)
    parsed: list[RosterRow] = []
    problems: list[str] = []
    bad_lines: set[int] = set()
    first_line_of: dict[tuple[str, str], int] = {}  # (field, value) -> first line it was on
    seen_rows = 0
    for line, cells in rows:
        if _blank(cells):
            continue
        seen_rows += 1
        values, row_problems = _parse_row(line, cells, columns, today)
        for field in ("upn", "nhs_number"):
            value = values.get(field)
            if value is None:
                continue
            first = first_line_of.setdefault((field, value), line)
            if first != line:
                row_problems.append(f"line {line}: {field}: also on line {first}")
        if row_problems:
            problems.extend(row_problems)
            bad_lines.add(line)
            continue
        if values["preferred_forename"] == values["legal_forename"]:
            values["preferred_forename"] = None  # MIS exports often repeat the legal name
        parsed.append(RosterRow(**values, line=line))
    if problems:
        verb = "has" if len(bad_lines) == 1 else "have"
        raise InputErrors(
            f"{len(bad_lines)} of {seen_rows} roster rows {verb} problems; nothing was imported. "
            "Fix these rows and import the file again:",
            problems,
        )
    if not parsed:
        raise InputError("csv", f"the roster has a header on line {header_line} but no pupils")
    return parsed


def _decode(data: bytes) -> str:
    if not data.strip():
        raise InputError("csv", "the roster file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError("csv", "the roster says it is UTF-16 but is damaged") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputError(
            "csv",
            f"the roster is not UTF-8 text (first unreadable byte on line {line}); it may come "
            "from an older MIS export. Open it in Excel and use Save As > 'CSV UTF-8 (Comma "
            "delimited)', or in LibreOffice choose character set 'Unicode (UTF-8)', then import "
            "that file",
        ) from None


def _records(text: str) -> list[tuple[int, list[str]]]:
    """(spreadsheet line, cells) for every record, blank ones included."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ","
    for candidate in ("\t", ";"):
        if first_line.count(candidate) > first_line.count(delimiter):
            delimiter = candidate
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        return list(enumerate(reader, start=1))
    except csv.Error as error:
        raise InputError(
            "csv", f"the roster is not a well-formed CSV file near line {reader.line_num} ({error})"
        ) from None


def _first_non_blank(rows: list[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    while rows and _blank(rows[0][1]):
        rows.pop(0)
    if not rows:
        raise InputError("csv", "the roster file is empty")
    return rows.pop(0)


def _blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _heading_key(text: str) -> str:
    # "D.O.B" -> "dob", "Year_Group" -> "year group", "NHS No." -> "nhs no"
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold().replace(".", "")).split())


def _map_columns(header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, heading in enumerate(header):
        positions.setdefault(_heading_key(heading), index)  # a repeated heading: first wins
    columns: dict[str, int] = {}
    missing: list[str] = []
    for field, headings in HEADINGS.items():
        found = next((positions[k] for k in map(_heading_key, headings) if k in positions), None)
        if found is not None:
            columns[field] = found
        elif field in REQUIRED:
            looked_for = ", ".join(dict.fromkeys(headings))
            missing.append(f"the roster has no column for {field} (looked for: {looked_for})")
    if missing:
        raise InputError("csv", "; ".join(missing))
    return columns


def _parse_row(
    line: int, cells: list[str], columns: dict[str, int], today: date
) -> tuple[dict[str, Any], list[str]]:
    """The row's checked values (a field that failed is left out) and its problems. Each value
    has its RosterRow field's type (what that field's parser returns), hence Any here."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    parsers = {
        "upn": check_upn,
        "legal_forename": _required_name,
        "legal_surname": _required_name,
        "preferred_forename": _optional_name,
        "date_of_birth": lambda v: _birth_date(v, today),
        "gender": _gender,
        "year_group": normalise_year_group,
        "nhs_number": lambda v: check_nhs_number(v) if v else None,
    }
    for field, parse in parsers.items():
        index = columns.get(field)
        text = cells[index].strip() if index is not None and index < len(cells) else ""
        try:
            values[field] = parse(text)
        except InputError as error:
            problems.append(f"line {line}: {field}: {error.problem}")
    return values, problems


# Bidirectional embeddings, overrides and isolates can make a name display as something else.
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


_REFUSED = {"Cc", "Cs", "Co", "Cn"}


def _clean_name(value: str) -> str:
    name = " ".join(unicodedata.normalize("NFC", value).split())
    # Other format characters stay: ZWJ and ZWNJ are part of correct spelling in Arabic-script
    # and Indic names.
    if any(ch in _BIDI_CONTROLS or unicodedata.category(ch) in _REFUSED for ch in name):
        raise InputError("name", "contains control or unassigned characters")
    if len(name) > MAX_NAME:
        raise InputError("name", f"is longer than {MAX_NAME} characters")
    return name


def _required_name(value: str) -> str:
    name = _clean_name(value)
    if not name:
        raise InputError("name", "is empty")
    return name


def _optional_name(value: str) -> str | None:
    return _clean_name(value) or None


def _birth_date(value: str, today: date) -> date:
    born = parse_date(value)
    if born > today:
        raise InputError("date_of_birth", "is in the future")
    try:
        limit = today.replace(year=today.year - MAX_AGE)
    except ValueError:  # 29 February
        limit = date(today.year - MAX_AGE, 3, 1)
    if born <= limit:
        raise InputError("date_of_birth", f"makes the pupil {MAX_AGE} or older")
    return born


def parse_date(value: str) -> date:
    """An ISO date (YYYY-MM-DD) or a UK one (DD/MM/YYYY) as MIS exports write them."""
    text = value.strip()
    if not text:
        raise InputError("date", "is empty")
    if _UK_SHORT_YEAR.match(text):
        raise InputError("date", "needs a four-digit year (DD/MM/YYYY or YYYY-MM-DD)")
    iso, uk = _ISO.match(text), _UK.match(text)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif uk:
        day, month, year = (int(g) for g in uk.groups())
    else:
        raise InputError("date", "is not a date (use YYYY-MM-DD or DD/MM/YYYY)")
    try:
        return date(year, month, day)
    except ValueError:
        raise InputError("date", "is not a real date (day or month out of range)") from None


def _gender(value: str) -> str:
    code = _GENDERS.get(" ".join(value.casefold().split()))
    if code is None:
        raise InputError("gender", "is not recognised (use M, F, X for other, or U for not known)")
    return code


def normalise_year_group(value: str) -> str:
    """'Year 7', 'Y7', '7' -> 'Y7'; 'R'/'Reception' -> 'R'; 'N1', 'N2' ('Nursery' -> 'N2');
    'X' for pupils outside National Curriculum years."""
    key = " ".join(value.casefold().replace(".", " ").split())
    if not key:
        raise InputError("year_group", "is empty")
    if key in _YEAR_WORDS:
        return _YEAR_WORDS[key]
    number = _YEAR_NUMBER.match(key)
    if number and 1 <= int(number.group(1)) <= 14:
        return f"Y{int(number.group(1))}"
    if number and int(number.group(1)) == 0:
        return "R"
    raise InputError("year_group", "is not a year group (use N1, N2, R, 1–14 or Year 7 etc.)")


def write_canonical_csv(rows: list[RosterRow]) -> bytes:
    """The canonical roster CSV (UTF-8, ISO dates) that parse_roster reads back unchanged."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CANONICAL_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.upn, r.legal_forename, r.legal_surname, r.preferred_forename or "",
                r.date_of_birth.isoformat(), r.gender, r.year_group, r.nhs_number or "",
            ]
        )  # fmt: skip
    return out.getvalue().encode("utf-8")
