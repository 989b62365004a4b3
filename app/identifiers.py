"""Checks and generators for the two child identifiers: the DfE UPN and the NHS number.

Messages say what is wrong, never the value: both are a child's identifiers.

What the check characters guarantee (and the tests check, no more):
- UPN. The check letter is (sum of characters 2–13 x weights 2..13) mod 23. Since 23 is prime
  and every weight and every value difference is below 23, any change of one character among
  2–13 to another well-formed character changes the sum, except one: swapping the last character
  between a digit and the letter with the same table value (1 <-> B, 2 <-> C, ... 9 <-> K, 0 <->
  A) turns a permanent UPN into an equally valid temporary one. Changing the check letter itself
  is always caught. Transposing two different adjacent characters among 2–13 changes the sum by
  their difference, so it is always caught too.
- NHS number. With the check digit weighted 1, a valid number's weighted sum (10, 9, ..., 1) is
  0 mod 11. Any single-digit change (weights 1..10, differences 1..9, 11 prime) and any
  transposition of two different adjacent digits (changes the sum by their difference) is
  caught.
"""

from __future__ import annotations

import random
import re

from app.errors import InputError

# Check-letter table: 0..22 -> letter (no I, O or S).
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_LETTER_VALUE = {letter: value for value, letter in enumerate(UPN_LETTERS)}

# NHS England keeps 999 000 0000–999 999 9999 for test data: never issued to a person.
NHS_TEST_PREFIX = "999"

_SEPARATORS = re.compile(r"[\s\-]+")


def normalise_upn(text: str) -> str:
    """What people type, made comparable: no surrounding or inner spaces, upper case."""
    return "".join(text.split()).upper()


def upn_check_letter(body: str) -> str:
    """The check letter for characters 2–13 (12 characters, the last a digit or table letter)."""
    total = 0
    for weight, char in enumerate(body, start=2):
        total += weight * (int(char) if char.isdigit() else _LETTER_VALUE[char])
    return UPN_LETTERS[total % 23]


def check_upn(text: str) -> str:
    """The normalised UPN, or InputError("upn", what is wrong)."""
    upn = normalise_upn(text)
    if not upn:
        raise InputError("upn", "is empty")
    if len(upn) != 13:
        raise InputError("upn", f"UPN has {len(upn)} characters; it needs 13")
    if not ("A" <= upn[0] <= "Z"):
        raise InputError("upn", "UPN must start with a letter")
    if not all("0" <= c <= "9" for c in upn[1:12]):
        raise InputError("upn", "characters 2–12 of a UPN must be digits")
    last = upn[12]
    if not ("0" <= last <= "9" or last in _LETTER_VALUE):
        if "A" <= last <= "Z":
            raise InputError("upn", "the last character cannot be I, O or S")
        raise InputError("upn", "the last character must be a digit or a letter")
    expected = upn_check_letter(upn[1:])
    if upn[0] != expected:
        raise InputError("upn", f"check letter should be {expected}")
    return upn


def is_temporary_upn(upn: str) -> bool:
    """A temporary UPN ends in a letter (check it first)."""
    return upn[-1:].isalpha()


def make_upn(
    la_code: int, establishment: int, year: int, serial: int, *, temporary: bool = False
) -> str:
    """A valid UPN from its parts: LA code (3 digits), establishment (4), year (2), serial.

    A permanent UPN's serial is 0..999. A temporary UPN has two serial digits and a final letter,
    so its serial runs 0..2299 (serial // 23 as the digits, serial % 23 as the letter).
    """
    _in_range("la_code", la_code, 999)
    _in_range("establishment", establishment, 9999)
    _in_range("year", year % 100, 99)
    if temporary:
        _in_range("serial", serial, 100 * 23 - 1)
        tail = f"{serial // 23:02d}{UPN_LETTERS[serial % 23]}"
    else:
        _in_range("serial", serial, 999)
        tail = f"{serial:03d}"
    body = f"{la_code:03d}{establishment:04d}{year % 100:02d}{tail}"
    return upn_check_letter(body) + body


def _in_range(name: str, value: int, top: int) -> None:
    if not 0 <= value <= top:
        raise ValueError(f"{name} must be 0..{top}")


def _nhs_check_digit(nine: str) -> int:
    """11 - (weighted sum mod 11); 11 becomes 0; 10 means no valid number has these 9 digits."""
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return 0 if check == 11 else check


def check_nhs_number(text: str) -> str:
    """The 10 digits of a valid NHS number (spaces and dashes allowed), or InputError."""
    digits = _SEPARATORS.sub("", text)
    if not digits:
        raise InputError("nhs_number", "is empty")
    if not digits.isascii() or not digits.isdigit():
        raise InputError("nhs_number", "NHS number must be digits only")
    if len(digits) != 10:
        raise InputError("nhs_number", f"NHS number has {len(digits)} digits; it needs 10")
    check = _nhs_check_digit(digits[:9])
    if check == 10:
        raise InputError(
            "nhs_number", "this NHS number can never be valid (check digit would be 10)"
        )
    if check != int(digits[9]):
        raise InputError("nhs_number", "NHS number check digit is wrong")
    return digits


def format_nhs_number(digits: str) -> str:
    """'9434765870' -> '943 476 5870' (the 3-3-4 form people read)."""
    d = _SEPARATORS.sub("", digits)
    return f"{d[:3]} {d[3:6]} {d[6:]}"


def is_test_nhs_number(digits: str) -> bool:
    """True for the 999 range reserved for test data."""
    return digits.startswith(NHS_TEST_PREFIX)


def make_nhs_number(rng: random.Random) -> str:
    """A valid NHS number from the 999 test range, so it can never be a real person's."""
    while True:
        nine = NHS_TEST_PREFIX + f"{rng.randrange(1_000_000):06d}"
        check = _nhs_check_digit(nine)
        if check != 10:
            return nine + str(check)
