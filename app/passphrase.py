"""What a passphrase must be before we accept it for an account."""

from __future__ import annotations

from app.errors import InputError

MIN_LENGTH = 10


def check_passphrase_strength(passphrase: str, field: str = "passphrase") -> None:
    if len(passphrase) < MIN_LENGTH:
        raise InputError(field, f"use at least {MIN_LENGTH} characters (it has "
                         f"{len(passphrase)}); a short sentence is easiest to remember")
    if len(set(passphrase)) < 4:
        raise InputError(field, "is too repetitive; use a short sentence of ordinary words")
