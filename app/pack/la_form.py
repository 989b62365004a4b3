"""A pack's answers in an LA's own form: each question of the LA's profile answered from the
``PackData``, in the LA's order and wording. The pack prints these sections in place of our
sections 1–9 and portal assist offers each answer to copy, so both say the same thing."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any

from app.domain.la_profiles import GENERIC, SOURCES, LaProfile
from app.domain.referral_form import FIELDS
from app.pack import dates
from app.pack.model import FormAnswer, FormSection, PackData, ReferralForm

ALSO_RECORDED = "Also recorded by the school (not asked on this form)"

# Our record's details that are not the form's own fields, read from the pack.
_RECORD: dict[str, Callable[[PackData], Any]] = {
    "child.name": lambda d: d.child.full_name,
    "child.forename": lambda d: d.child.legal_forename,
    "child.surname": lambda d: d.child.legal_surname,
    "child.preferred_name": lambda d: d.child.preferred_forename,
    "child.date_of_birth": lambda d: dates.fmt_date(d.child.date_of_birth),
    "child.age": lambda d: (str(dates.age_on(d.child.date_of_birth, d.referrer.date))
                            if d.child.date_of_birth and d.referrer.date else None),
    "child.gender": lambda d: d.child.gender, "child.upn": lambda d: d.child.upn,
    "child.nhs_number": lambda d: d.child.nhs_number,
    "child.school": lambda d: d.school.name, "child.year_group": lambda d: d.child.year_group,
    "child.sen": lambda d: d.child.sen,
    "child.ethnicity": lambda d: d.child.ethnicity, "child.religion": lambda d: d.child.religion,
    "child.first_language": lambda d: d.child.first_language,
    "child.interpreter_needed": lambda d: d.child.interpreter_needed,
    "child.disability": lambda d: d.child.disability, "child.address": lambda d: d.child.address,
    "child.phone": lambda d: d.child.phone, "child.gp": lambda d: d.child.gp,
    "child.aliases": lambda d: d.child.aliases, "referrer.role": lambda d: d.referrer.role,
    "referrer.phone": lambda d: d.referrer.phone,
    "referrer.secure_email": lambda d: d.referrer.secure_email,
    "child.flags": lambda d: d.child.flags,
    "referrer.name": lambda d: d.referrer.name,
    "referrer.date": lambda d: dates.fmt_date(d.referrer.date),
    "school.address": lambda d: d.school.address,
    "school.dsl": lambda d: ", ".join(v for v in (d.school.dsl_name, d.school.dsl_phone) if v),
    "chronology": lambda d: (f"The chronology ({len(d.chronology)} entries) is attached to the "
                             "referral pack." if d.chronology else None),
}
# Form fields the pack keeps on the child or the referrer (the DSL's answer wins there).
_MOVED = {"child_aliases": ("child", "aliases"), "child_ethnicity": ("child", "ethnicity"),
          "child_religion": ("child", "religion"),
          "child_first_language": ("child", "first_language"),
          "child_interpreter_needed": ("child", "interpreter_needed"),
          "child_disability": ("child", "disability"), "child_address": ("child", "address"),
          "child_phone": ("child", "phone"), "child_gp": ("child", "gp"),
          "referrer_role": ("referrer", "role"), "referrer_phone": ("referrer", "phone"),
          "referrer_secure_email": ("referrer", "secure_email")}
_FORM_ATTRS = {f.name for f in fields(ReferralForm)}


def source_value(data: PackData, source: str) -> str | None:
    """One of our fields as plain text, or None when it is not recorded."""
    if source in _MOVED:
        obj, attr = _MOVED[source]
        value = getattr(data.child if obj == "child" else data.referrer, attr)
    elif source in _RECORD:
        value = _RECORD[source](data)
    elif source == "household":
        value = ["; ".join(v for v in (m.name, m.relationship, dates.fmt_date(m.date_of_birth),
                                       None if m.parental_responsibility is None else
                                       "parental responsibility: " +
                                       ("yes" if m.parental_responsibility else "no"),
                                       m.address, m.notes) if v) for m in data.household]
    elif source == "professional":
        value = ["; ".join(v for v in (p.name, p.role, p.organisation, p.contact) if v)
                 for p in data.form.professionals]
    elif source in _FORM_ATTRS:
        value = getattr(data.form, source)
    else:
        return None
    return _text(source, value)


def _text(source: str, value: Any) -> str | None:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ("\n" if source in ("household", "professional") else ", ").join(map(str, value))
    if source == "risk_view":
        return str(value).capitalize()
    if source == "threshold_level":
        return f"Level {value} of 4"
    if source == "kind":
        return str(value).capitalize()
    return str(value)


def answer(data: PackData, sources: tuple[str, ...]) -> str | None:
    """A question's answer: one source as it is; several, each named where it has a value."""
    parts = [(s, source_value(data, s)) for s in sources]
    given = [(s, v) for s, v in parts if v]
    if not given:
        return None
    if len(sources) == 1:
        return given[0][1]
    return "\n".join(f"{label} {v}" if label.endswith("?") else f"{label}: {v}"
                     for s, v in given for label in [_short(SOURCES[s])])


def _short(label: str) -> str:
    """A field's label as a heading for its answer, without the hints for typing it."""
    label = re.sub(r"\s*\((?:comma-separated|low/medium/high|1–4)\)", "", label)
    return label[0].upper() + label[1:]


def answered_sections(data: PackData, profile: LaProfile) -> list[FormSection]:
    """The LA's sections answered, then what the school recorded that the form does not ask."""
    out = [FormSection(s.title, [FormAnswer(q.asks, answer(data, q.fields), q.confirmed)
                                 for q in s.questions]) for s in profile.sections]
    asked = {f for s in profile.sections for q in s.questions for f in q.fields}
    extra = [FormAnswer(_short(spec.label), value) for spec in FIELDS if spec.name not in asked
             for value in [source_value(data, spec.name)] if value]
    if extra:
        out.append(FormSection(ALSO_RECORDED, extra))
    return out


def in_profile_form(data: PackData, profile: LaProfile) -> PackData:
    """The pack in the LA's form; the generic profile keeps our own sections 1–9."""
    if profile.id == GENERIC or not data.has_form:
        return data
    return replace(data, la_form=answered_sections(data, profile),
                   title=f"{profile.form_title} — {profile.service}")
