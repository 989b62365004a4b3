"""Reading a pupil roster exported from the school's MIS (SIMS, Arbor, ...) or written in the
canonical form of the CLI contract, and validating every row before anything is imported.

Decisions:
- What the file is: before anything is read as CSV, a file that is plainly something else is
  refused naming what it is: XML (a DfE Common Transfer File, root element CTfile, is named as
  such: this version cannot import it yet), an HTML page, an Excel workbook (.xlsx/.xls), another
  ZIP, a PDF, or binary data with NUL bytes.
- Encoding, in this order: UTF-8 (with or without a BOM); UTF-16 with a BOM, accepted because
  Excel's "Unicode text" writes exactly that (tab-separated), the BOM makes it unambiguous and it
  loses nothing; otherwise Windows-1252 (cp1252), what older SIMS exports and Excel's plain "CSV"
  on an English Windows write. cp1252 is not guessed blindly, since bytes in another code page
  decode as *something* and a child's legal name on a referral must be right:
  * the bytes cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) refuse the file;
  * a file mixing UTF-8 and cp1252 (a UTF-8 export edited in an older program, or two exports
    pasted together) is refused naming a line of each: decoding it either way garbles names;
  * names that would come through with symbols where letters belong (Polish, Czech and other
    Central European code pages: 'ł' reads as '³') or as words of accented letters only
    (Cyrillic and Greek code pages) refuse the file as "probably another character set".
  The result says which encoding was read, and how many pupils' names have non-ASCII letters.
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
    # Kept to link the MIS's contact exports, which may name a pupil by it (app/profile/).
    "admission_number": ("admission_number", "Adno", "Admission number", "Admission no"),
    # A leaver, when the MIS export carries it (app/domain/leavers.py).
    "leaving_date": ("leaving_date", "Leaving date", "Date of leaving", "Date left",
                     "Leaving Date (Actual)"),
    "destination": ("destination", "Destination", "Destination school", "Next school",
                    "Leaving destination"),
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
    admission_number: str | None = None  # the MIS's own number for the pupil
    leaving_date: date | None = None  # the child's last day, when the MIS says they left
    destination: str | None = None  # the school they go to, when known


UTF8, UTF16, CP1252 = "UTF-8", "UTF-16", "Windows-1252"


@dataclass(frozen=True)
class RosterFile:
    rows: list[RosterRow]
    encoding: str  # UTF8, UTF16 or CP1252
    non_ascii_names: int  # pupils with a letter outside ASCII in any of their names

    def encoding_note(self) -> str:
        return encoding_note(self.encoding, self.non_ascii_names, ("pupil", "pupils"),
                             "the roster")


def encoding_note(encoding: str, count: int, noun: tuple[str, str], where: str) -> str:
    """One sentence for the CLI and the UI saying how a file was read (no one's data):
    ``count`` of the ``noun`` (singular, plural) have a letter outside ASCII in a name."""
    names = f"{count} {noun[1]}' names have" if count != 1 else f"1 {noun[0]}'s name has"
    if encoding == CP1252:
        return (f"Read as Windows-1252 (an older export): names such as 'Zoë' came through "
                f"as written; {names} accented or other non-ASCII letters — check one or "
                f"two on {where}.")
    what = "UTF-16 (Excel's Unicode text)" if encoding == UTF16 else "UTF-8"
    return f"Read as {what}; {names} accented or other non-ASCII letters."


def parse_roster(data: bytes, *, today: date) -> list[RosterRow]:
    """Every row of the roster, or InputErrors listing every bad row (InputError for a file
    that cannot be read as a roster at all)."""
    return read_roster(data, today=today).rows


def read_roster(data: bytes, *, today: date) -> RosterFile:
    """parse_roster, also saying which encoding was read."""
    _refuse_other_kinds(data)
    text, encoding = decode_text(data)
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
    if encoding == CP1252:
        _check_cp1252_names(parsed)
    non_ascii = sum(1 for r in parsed if not "".join(_names(r)).isascii())
    return RosterFile(parsed, encoding, non_ascii)


_SAVE_AS_UTF8 = (
    "Open it in Excel and use Save As > 'CSV UTF-8 (Comma delimited)', or in LibreOffice choose "
    "character set 'Unicode (UTF-8)', then import that file"
)
_EXPORT_CSV = "export the pupil roster from the MIS as CSV instead and import that file"
CTF_REFUSAL = (
    "this is a Common Transfer File (CTF, XML), not a roster: a DSL imports it into the "
    "children's profiles (concerndesk-cli profile import, or Admin > Pupil roster > Import "
    "contacts or a CTF); for the roster, " + _EXPORT_CSV
)
_ROOT = re.compile(r"\s*<([A-Za-z_][\w.\-]{0,40}(?::[A-Za-z_][\w.\-]{0,40})?)[\s/>]")
_SKIP = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)", re.S | re.I)


@dataclass(frozen=True)
class OtherKind:
    """A file that is plainly not CSV text: ``kind`` for code, ``what`` for the message."""

    kind: str  # xlsx, ods, docx, zip, xls, pdf, binary, ctf, html, xml
    what: str  # "an Excel workbook (.xlsx)", "XML (root element <Pupils>)" ...


def sniff_other_kind(data: bytes) -> OtherKind | None:
    """What the file plainly is when it is not CSV text, else None (never reads out content
    beyond an XML root element's name). Shared by the roster and the profile importers, which
    each give their own advice."""
    head = data[:8192]
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if b"xl/" in data:
            return OtherKind("xlsx", "an Excel workbook (.xlsx)")
        if b"opendocument.spreadsheet" in head:
            return OtherKind("ods", "an OpenDocument spreadsheet (.ods)")
        if b"word/" in data:
            return OtherKind("docx", "a Word document (.docx)")
        return OtherKind("zip", "a ZIP archive")
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OtherKind("xls", "an older Excel workbook (.xls) or other Office document")
    if b"%PDF-" in head[:1024]:
        return OtherKind("pdf", "a PDF document")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore")
    elif b"\x00" in head:
        return OtherKind("binary", "binary data (it has NUL bytes)")
    else:
        text = head.removeprefix(b"\xef\xbb\xbf").decode("latin-1")
    text = text.lstrip("\ufeff \t\r\n")
    if not text.startswith("<"):
        return None
    position = 0
    while skipped := _SKIP.match(text, position):
        if skipped.end() == position:
            break
        position = skipped.end()
    root = _ROOT.match(text, position)
    name = root.group(1) if root else ""
    if name.rpartition(":")[2].casefold() == "ctfile":
        return OtherKind("ctf", "a Common Transfer File (CTF, XML)")
    if name.casefold() == "html" or text[:200].casefold().startswith(("<!doctype html", "<html")):
        return OtherKind("html", "a web page (HTML)")
    element = f" (root element <{name}>)" if name else ""
    return OtherKind("xml", f"XML{element}")


def _refuse_other_kinds(data: bytes) -> None:
    """Refuse, naming it, a file that is plainly not a CSV roster (never quoting its content)."""
    other = sniff_other_kind(data)
    if other is None:
        return
    if other.kind == "ctf":
        raise InputError("csv", CTF_REFUSAL)
    save_as_utf8 = _SAVE_AS_UTF8[0].lower() + _SAVE_AS_UTF8[1:]
    advice = {
        "xlsx": save_as_utf8,
        "xls": save_as_utf8,
        "ods": "in LibreOffice use Save As > 'Text CSV' with character set 'Unicode (UTF-8)', "
        "then import that file",
        "zip": "take the roster CSV out of it (or " + _EXPORT_CSV + ")",
        "pdf": "a printed report cannot be imported: " + _EXPORT_CSV,
        "binary": "perhaps UTF-16 without a byte-order mark, or not a text file at all; "
        + _EXPORT_CSV,
    }.get(other.kind, _EXPORT_CSV)
    raise InputError("csv", f"the file is {other.what}, not a CSV roster; {advice}")


# Multi-byte UTF-8 sequences: in a file that is not UTF-8 as a whole, these are UTF-8 text
# pasted among cp1252 text (in real cp1252 names they would be a capital accented letter
# followed by a symbol, as in mojibake).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def decode_text(data: bytes, noun: str = "roster") -> tuple[str, str]:
    """(text, UTF8 | UTF16 | CP1252), as the module docstring decides; ``noun`` names the file
    in messages (\"roster\", \"contact file\")."""
    if not data.strip():
        raise InputError("csv", f"the {noun} file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), UTF16
        except UnicodeDecodeError:
            raise InputError("csv", f"the {noun} says it is UTF-16 but is damaged") from None
    try:
        return data.decode("utf-8-sig"), UTF8
    except UnicodeDecodeError as error:
        first_bad = error.start

    def line_at(offset: int) -> int:
        return data.count(b"\n", 0, offset) + 1

    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as error:
        byte = data[error.start]
        raise InputError(
            "csv",
            f"the {noun} is neither UTF-8 nor Windows-1252 text: line {line_at(error.start)} has "
            f"the byte 0x{byte:02X}, which Windows-1252 does not use, so the file was saved in "
            f"another character set and names could come through wrong. {_SAVE_AS_UTF8}",
        ) from None
    if data.startswith(b"\xef\xbb\xbf"):
        raise InputError(
            "csv",
            f"the {noun} starts as UTF-8 (it has a UTF-8 mark) but line {line_at(first_bad)} is "
            f"not UTF-8: it mixes two character sets, and names would come through wrong. "
            f"{_SAVE_AS_UTF8}",
        )
    utf8 = _UTF8_SEQUENCE.search(data)
    if utf8 is not None:
        raise InputError(
            "csv",
            f"the {noun} mixes character sets: line {line_at(utf8.start())} is UTF-8 but line "
            f"{line_at(first_bad)} is Windows-1252 (an older export), so names would come "
            f"through wrong whichever way it is read. Export the {noun} again in one piece, or "
            f"fix those lines and save as UTF-8. {_SAVE_AS_UTF8}",
        )
    return text, CP1252


def _names(row: RosterRow) -> list[str]:
    return [row.legal_forename, row.legal_surname, row.preferred_forename or ""]


# Letters are fine; so are the apostrophes and dashes people type in names.
_NAME_PUNCTUATION = set("'’‘`´-‐–.· ")  # · as in the Catalan Gal·la


def suspect_cp1252_lines(named: list[tuple[int, list[str]]]) -> list[int]:
    """The lines whose names, read as cp1252, show the file is in another single-byte code page
    (it decodes as cp1252 too, wrongly): symbols where letters belong (cp1250 'ł' -> '³',
    'ż' -> '¿'), or a word made only of accented letters (Cyrillic or Greek read as Latin)."""
    suspect: list[int] = []
    for line, names in named:
        for name in names:
            symbols = any(
                not ch.isascii()
                and not ch.isalpha()
                and ch not in _NAME_PUNCTUATION
                and not unicodedata.category(ch).startswith("M")
                for ch in name
            )
            foreign = any(
                len(word) >= 3 and not any(ch.isascii() for ch in word)
                for word in re.findall(r"[^\W\d_]+", name)
            )
            if symbols or foreign:
                suspect.append(line)
                break
    return suspect


def refuse_other_code_page(suspect: list[int], noun: str = "roster") -> None:
    """InputError naming the suspect lines (from suspect_cp1252_lines), if any."""
    if suspect:
        lines = ", ".join(map(str, suspect[:5])) + (" …" if len(suspect) > 5 else "")
        raise InputError(
            "csv",
            f"the {noun} is not UTF-8, and read as Windows-1252 (an older export) the names on "
            f"line{'s' * (len(suspect) != 1)} {lines} come out as symbols or strings of accented "
            f"letters: it is probably in another character set (Central European, Cyrillic, "
            f"Greek …). Nothing was imported. {_SAVE_AS_UTF8}",
        )


def _check_cp1252_names(rows: list[RosterRow]) -> None:
    refuse_other_code_page(suspect_cp1252_lines([(row.line, _names(row)) for row in rows]))


def read_records(text: str, noun: str = "roster") -> list[tuple[int, list[str]]]:
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
            "csv", f"the {noun} is not a well-formed CSV file near line {reader.line_num} ({error})"
        ) from None


def first_non_blank(
    rows: list[tuple[int, list[str]]], noun: str = "roster"
) -> tuple[int, list[str]]:
    """Remove and return the header: the first record with a non-blank cell."""
    while rows and is_blank(rows[0][1]):
        rows.pop(0)
    if not rows:
        raise InputError("csv", f"the {noun} file is empty")
    return rows.pop(0)


def is_blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


_records, _first_non_blank, _blank = read_records, first_non_blank, is_blank


def heading_key(text: str) -> str:
    """A heading as matched: case, spaces, underscores and punctuation ignored."""
    # "D.O.B" -> "dob", "Year_Group" -> "year group", "NHS No." -> "nhs no"
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold().replace(".", "")).split())


def _map_columns(header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, heading in enumerate(header):
        positions.setdefault(heading_key(heading), index)  # a repeated heading: first wins
    columns: dict[str, int] = {}
    missing: list[str] = []
    for field, headings in HEADINGS.items():
        found = next((positions[k] for k in map(heading_key, headings) if k in positions), None)
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
        "admission_number": _admission_number,
        "leaving_date": lambda v: parse_date(v) if v.strip() else None,
        "destination": _optional_name,
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


def _admission_number(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if len(value) > 20 or not re.fullmatch(r"[0-9A-Za-z/\-]+", value):
        raise InputError("admission number", "use letters, digits, / or - (20 at most)")
    return normalise_admission_number(value)


def normalise_admission_number(value: str) -> str:
    """SIMS pads admission numbers with zeros ("001234"), other exports may not: compare
    them without."""
    value = value.strip().upper()
    return value.lstrip("0") or "0"


def clean_name(value: str) -> str:
    """A name trimmed, its spaces collapsed and NFC-normalised; InputError(\"name\", ...) for
    control, bidirectional-override or unassigned characters or more than MAX_NAME."""
    name = " ".join(unicodedata.normalize("NFC", value).split())
    # Other format characters stay: ZWJ and ZWNJ are part of correct spelling in Arabic-script
    # and Indic names.
    if any(ch in _BIDI_CONTROLS or unicodedata.category(ch) in _REFUSED for ch in name):
        raise InputError("name", "contains control or unassigned characters")
    if len(name) > MAX_NAME:
        raise InputError("name", f"is longer than {MAX_NAME} characters")
    return name


def _required_name(value: str) -> str:
    name = clean_name(value)
    if not name:
        raise InputError("name", "is empty")
    return name


def _optional_name(value: str) -> str | None:
    return clean_name(value) or None


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
