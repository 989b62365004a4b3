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
# Retention (docs/retention.md): a child's file is reviewed at this birthday (IRMS toolkit: the
# 25th), later for a child with SEN (31st) or who has been looked after (the school's choice).
RETENTION_YEARS = Setting("retention_years", "25", "Review a child's file at this birthday")
RETENTION_SEN_YEARS = Setting("retention_sen_years", "31",
                              "Review the file of a child with SEN at this birthday")
RETENTION_LOOKED_AFTER_YEARS = Setting("retention_looked_after_years", "25",
                                       "Review the file of a looked-after child at this "
                                       "birthday")
RETENTION = (RETENTION_YEARS, RETENTION_SEN_YEARS, RETENTION_LOOKED_AFTER_YEARS)
MIN_RETENTION_YEARS, MAX_RETENTION_YEARS = 25, 100
ALL = (AUTO_LOCK_MINUTES, *SCHOOL_DETAILS, TERM_DATES, *RETENTION)


def get(session: Session, setting: Setting) -> str:
    return session.meta(f"setting:{setting.key}", setting.default) or setting.default


def auto_lock_minutes(session: Session) -> int:
    return int(get(session, AUTO_LOCK_MINUTES))


def set_value(session: Session, setting: Setting, value: str) -> None:
    session.require(Perm.MANAGE_SETTINGS)
    value = value.strip()
    if setting is AUTO_LOCK_MINUTES and (not value.isdigit() or not 1 <= int(value) <= 60):
        raise InputError("auto-lock", "give a whole number of minutes from 1 to 60")
    if setting in RETENTION:
        _check_years(session, setting, value)
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


def retention_years(session: Session, setting: Setting) -> int:
    return int(get(session, setting))


def _years(setting: Setting, value: str) -> int:
    value = value.strip()
    if not value.isdigit() or not MIN_RETENTION_YEARS <= int(value) <= MAX_RETENTION_YEARS:
        raise InputError("retention", f"give a whole number of years from "
                         f"{MIN_RETENTION_YEARS} to {MAX_RETENTION_YEARS} "
                         f"({setting.label.lower()})")
    return int(value)


def _check_years(session: Session, setting: Setting, value: str) -> None:
    proposed = {s.key: retention_years(session, s) for s in RETENTION}
    proposed[setting.key] = _years(setting, value)
    _check_periods(proposed)


def _check_periods(years: dict[str, int]) -> None:
    # Never shorter than the toolkit's 25 years, and the longer periods never shorter than
    # the school's own default: a "longer" period that is shorter would puzzle the review.
    base = years[RETENTION_YEARS.key]
    if any(years[s.key] < base for s in RETENTION[1:]):
        raise InputError("retention", f"the SEN and looked-after periods cannot be shorter "
                         f"than the school's default of {base} years: lengthen those first")


def set_retention(session: Session, values: dict[Setting, str]) -> None:
    """Sets some of the retention periods at once, checked together (one audit event each)."""
    session.require(Perm.MANAGE_SETTINGS)
    proposed = {s.key: retention_years(session, s) for s in RETENTION}
    for setting, value in values.items():
        proposed[setting.key] = _years(setting, value)
    _check_periods(proposed)
    with session.tx():
        for setting in values:
            session.set_meta(f"setting:{setting.key}", str(proposed[setting.key]))
            session.audit("settings", "setting", setting.key)
