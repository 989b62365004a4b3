"""The school's settings, kept in the encrypted store; each declared once with its default."""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import InputError
from app.store.roles import Perm
from app.store.session import Session


@dataclass(frozen=True)
class Setting:
    key: str
    default: str
    label: str


AUTO_LOCK_MINUTES = Setting("auto_lock_minutes", "5", "Lock after this many idle minutes")
SCHOOL_ADDRESS = Setting("school_address", "", "School address")
SCHOOL_PHONE = Setting("school_phone", "", "School phone")
SCHOOL_EMAIL = Setting("school_secure_email", "", "Secure email for safeguarding")
# The referral form's section 5 names the school's DSL and a line that reaches them.
SCHOOL_DSL_NAME = Setting("school_dsl_name", "", "Designated safeguarding lead's name")
SCHOOL_DSL_PHONE = Setting("school_dsl_phone", "", "DSL's direct line")
# The school's terms, one block a line (app/domain/schooldays.py): a leaver's CP file is due
# within so many school days, counted over them and the built-in bank holidays.
TERM_DATES = Setting("term_dates", "", "Term dates (one term or half term a line)")
SCHOOL_DETAILS = (SCHOOL_ADDRESS, SCHOOL_PHONE, SCHOOL_EMAIL, SCHOOL_DSL_NAME, SCHOOL_DSL_PHONE)
ALL = (AUTO_LOCK_MINUTES, *SCHOOL_DETAILS, TERM_DATES)


def get(session: Session, setting: Setting) -> str:
    return session.meta(f"setting:{setting.key}", setting.default) or setting.default


def auto_lock_minutes(session: Session) -> int:
    return int(get(session, AUTO_LOCK_MINUTES))


def set_value(session: Session, setting: Setting, value: str) -> None:
    session.require(Perm.MANAGE_SETTINGS)
    value = value.strip()
    if setting is AUTO_LOCK_MINUTES and (not value.isdigit() or not 1 <= int(value) <= 60):
        raise InputError("auto-lock", "give a whole number of minutes from 1 to 60")
    with session.tx():
        session.set_meta(f"setting:{setting.key}", value)
        session.audit("settings", "setting", setting.key)


def set_school_name(session: Session, name: str) -> None:
    session.require(Perm.MANAGE_SETTINGS)
    if not name.strip():
        raise InputError("school", "give the school's name")
    with session.tx():
        session.set_meta("school_name", name.strip())
        session.audit("settings", "setting", "school_name")
