"""Least privilege, decided here in the core, whatever the front end shows or hides."""

from __future__ import annotations

from enum import Enum

from app.errors import AccessDenied, InputError

ROLES = ("staff", "dsl", "office", "admin")


class Perm(Enum):
    RECORD_CONCERN = "record a concern"
    READ_OWN_CONCERNS = "read the concerns you recorded"
    READ_ALL_RECORDS = "read safeguarding records"
    TRIAGE = "triage concerns"
    ADD_ENTRY = "add chronology entries"
    AMEND_ANY = "amend another person's record"
    MANAGE_REFERRALS = "prepare referrals"
    KEEP_PROFILES = "keep children's profiles (contacts, household, GP …)"
    ANSWER_SUBJECT_ACCESS = "answer subject access requests"
    REVIEW_RETENTION = "review children's files for retention and destroy them"
    READ_RELEASED_PACKS = "read released referral packs"
    PRINT_RELEASED_PACKS = "print released referral packs"
    LIST_PUPILS = "see the pupil roster"
    IMPORT_ROSTER = "import the pupil roster"
    MANAGE_USERS = "manage staff accounts"
    MANAGE_SETTINGS = "change the school's settings"
    BACKUP = "back up the store"
    EXPORT = "export the school's data"
    READ_AUDIT = "read the audit trail"
    SYNC = "sync"


GRANTS: dict[str, frozenset[Perm]] = {
    "staff": frozenset({Perm.RECORD_CONCERN, Perm.READ_OWN_CONCERNS, Perm.LIST_PUPILS,
                        Perm.SYNC}),
    "dsl": frozenset({Perm.RECORD_CONCERN, Perm.READ_OWN_CONCERNS, Perm.READ_ALL_RECORDS,
                      Perm.TRIAGE, Perm.ADD_ENTRY, Perm.AMEND_ANY, Perm.MANAGE_REFERRALS,
                      Perm.KEEP_PROFILES, Perm.ANSWER_SUBJECT_ACCESS, Perm.REVIEW_RETENTION,
                      Perm.READ_RELEASED_PACKS, Perm.PRINT_RELEASED_PACKS, Perm.LIST_PUPILS,
                      Perm.IMPORT_ROSTER, Perm.BACKUP, Perm.EXPORT, Perm.READ_AUDIT,
                      Perm.SYNC}),
    "office": frozenset({Perm.READ_RELEASED_PACKS, Perm.PRINT_RELEASED_PACKS, Perm.SYNC}),
    # An admin runs the system, not the casework: no child's safeguarding record unless also dsl.
    "admin": frozenset({Perm.MANAGE_USERS, Perm.MANAGE_SETTINGS, Perm.IMPORT_ROSTER,
                        Perm.LIST_PUPILS, Perm.BACKUP, Perm.EXPORT, Perm.READ_AUDIT,
                        Perm.SYNC}),
}


def parse_roles(text: str | list[str]) -> tuple[str, ...]:
    items = text.split(",") if isinstance(text, str) else text
    roles = tuple(dict.fromkeys(r.strip().lower() for r in items if r.strip()))
    if not roles:
        raise InputError("role", "give at least one role: " + ", ".join(ROLES))
    for role in roles:
        if role not in ROLES:
            raise InputError("role", f"unknown role '{role}'; roles are " + ", ".join(ROLES))
    return roles


def permissions(roles: tuple[str, ...]) -> frozenset[Perm]:
    granted: frozenset[Perm] = frozenset()
    for role in roles:
        granted |= GRANTS[role]
    return granted


def require(roles: tuple[str, ...], perm: Perm) -> None:
    if perm not in permissions(roles):
        raise AccessDenied(f"Your role ({', '.join(roles)}) does not allow you to "
                           f"{perm.value}.")
