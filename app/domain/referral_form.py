"""The referral form's fields: names, types and checks, shared by the CLI, the UI and packs.

A referral's form is stored as a JSON object of these names. ``--field NAME=VALUE`` on the CLI
and the UI's editor both go through ``set_field``, so every front end validates alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.errors import InputError, InputErrors


@dataclass(frozen=True)
class FieldSpec:
    name: str
    section: str
    label: str
    kind: str = "text"  # text | bool | level | risk | urgency | date | household | professional
    required_for_approval: bool = False


SECTIONS = ("1. Urgency", "2. Consent", "3. Child", "4. Household and family", "5. Referrer",
            "6. Reason for referral", "7. Risk and threshold", "8. History and support",
            "9. Other professionals")

FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("immediate_risk", SECTIONS[0], "Is the child at immediate risk?", "bool", True),
    FieldSpec("phoned_whom", SECTIONS[0], "Already phoned: whom"),
    FieldSpec("phoned_when", SECTIONS[0], "Already phoned: when"),
    FieldSpec("kind", SECTIONS[0], "Safeguarding or early help", "urgency", True),
    FieldSpec("parents_aware", SECTIONS[1], "Are parents/carers aware?", "bool", True),
    FieldSpec("consent_given", SECTIONS[1], "Did they consent?", "bool"),
    FieldSpec("consent_by", SECTIONS[1], "Consent given by"),
    FieldSpec("consent_scope", SECTIONS[1], "What the consent covers"),
    FieldSpec("no_consent_reason", SECTIONS[1], "If no consent sought or given, why"),
    FieldSpec("child_aware", SECTIONS[1], "Does the child know?", "bool"),
    FieldSpec("child_views", SECTIONS[1], "The child's views"),
    FieldSpec("parent_views", SECTIONS[1], "The parents' views"),
    FieldSpec("withhold_from_family", SECTIONS[1], "Anything to keep from the family"),
    FieldSpec("child_aliases", SECTIONS[2], "Other names (comma-separated)"),
    FieldSpec("child_ethnicity", SECTIONS[2], "Ethnicity"),
    FieldSpec("child_religion", SECTIONS[2], "Religion"),
    FieldSpec("child_first_language", SECTIONS[2], "First language"),
    FieldSpec("child_interpreter_needed", SECTIONS[2], "Interpreter needed?", "bool"),
    FieldSpec("child_disability", SECTIONS[2], "Disability"),
    FieldSpec("child_address", SECTIONS[2], "Address"),
    FieldSpec("child_phone", SECTIONS[2], "Phone"),
    FieldSpec("child_gp", SECTIONS[2], "GP"),
    FieldSpec("household", SECTIONS[3],
              "Member: name; relationship; date of birth; parental responsibility yes/no; "
              "notes", "household"),
    FieldSpec("referrer_role", SECTIONS[4], "Referrer's role"),
    FieldSpec("referrer_phone", SECTIONS[4], "Referrer's phone"),
    FieldSpec("referrer_secure_email", SECTIONS[4], "Referrer's secure email"),
    FieldSpec("worries", SECTIONS[5], "What you are worried about", "text", True),
    FieldSpec("impact", SECTIONS[5], "The impact on the child"),
    FieldSpec("harm_types", SECTIONS[5], "Types of harm (comma-separated)"),
    FieldSpec("history", SECTIONS[5], "History"),
    FieldSpec("disclosures", SECTIONS[5], "Disclosures (by whom, when)"),
    FieldSpec("parenting_capacity", SECTIONS[5], "Parenting capacity"),
    FieldSpec("strengths", SECTIONS[5], "What is going well"),
    FieldSpec("child_voice", SECTIONS[5], "The child's voice, wishes and feelings"),
    FieldSpec("threshold_level", SECTIONS[6], "Threshold level (1–4)", "level"),
    FieldSpec("risk_view", SECTIONS[6], "Referrer's view of risk (low/medium/high)", "risk",
              True),
    FieldSpec("risk_reasons", SECTIONS[6], "Reasons for that view"),
    FieldSpec("previous_social_care", SECTIONS[7], "Earlier social care involvement"),
    FieldSpec("early_help", SECTIONS[7], "Early help assessment"),
    FieldSpec("support_offered", SECTIONS[7], "Support offered and its outcome"),
    FieldSpec("professional", SECTIONS[8], "Professional: name; role; organisation; contact",
              "professional"),
)
BY_NAME = {f.name: f for f in FIELDS}
LIST_FIELDS = {"household", "professional"}
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


def parse_assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise InputError("field", "write each field as NAME=VALUE")
    return name.strip().lower().replace("-", "_"), value.strip()


def set_field(form: dict[str, Any], name: str, value: str) -> None:
    """Checks one value and puts it in ``form`` (list fields append)."""
    spec = BY_NAME.get(name)
    if spec is None:
        raise InputError("field", f"unknown referral field '{name}'; fields are: "
                         + ", ".join(BY_NAME))
    form[name] = _convert(spec, value) if name not in LIST_FIELDS else \
        [*form.get(name, []), _convert(spec, value)]


def _convert(spec: FieldSpec, value: str) -> Any:
    if value == "":
        return None
    lowered = value.lower()
    if spec.kind == "bool":
        if lowered in _YES:
            return True
        if lowered in _NO:
            return False
        raise InputError(spec.name, "answer yes or no")
    if spec.kind == "level":
        if value in {"1", "2", "3", "4"}:
            return int(value)
        raise InputError(spec.name, "give a threshold level from 1 to 4")
    if spec.kind == "risk":
        if lowered in {"low", "medium", "high"}:
            return lowered
        raise InputError(spec.name, "answer low, medium or high")
    if spec.kind == "urgency":
        if lowered in {"safeguarding", "early help"}:
            return lowered
        raise InputError(spec.name, "answer 'safeguarding' or 'early help'")
    if spec.kind == "household":
        parts = [p.strip() for p in value.split(";")] + [""] * 5
        if not parts[0]:
            raise InputError(spec.name, "start with the person's name")
        born = _date(parts[2], spec.name) if parts[2] else None
        pr = None if not parts[3] else _convert(FieldSpec("parental responsibility", "", "",
                                                          "bool"), parts[3])
        return {"name": parts[0], "relationship": parts[1] or None,
                "date_of_birth": born.isoformat() if born else None,
                "parental_responsibility": pr, "notes": parts[4] or None}
    if spec.kind == "professional":
        parts = [p.strip() for p in value.split(";")] + [""] * 4
        if not parts[0]:
            raise InputError(spec.name, "start with the professional's name")
        return {"name": parts[0], "role": parts[1] or None, "organisation": parts[2] or None,
                "contact": parts[3] or None}
    if len(value) > 20_000:
        raise InputError(spec.name, "is too long (20,000 characters at most)")
    return value


def _date(text: str, field: str) -> date:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise InputError(field, "write dates as YYYY-MM-DD")


def check_ready_for_approval(form: dict[str, Any]) -> None:
    """Everything a front door needs before a DSL can approve; lists every gap at once."""
    missing = [f"{spec.name}: {spec.label} — not answered" for spec in FIELDS
               if spec.required_for_approval and form.get(spec.name) in (None, "", [])]
    if form.get("parents_aware") is not None and form.get("consent_given") is None \
            and not form.get("no_consent_reason"):
        missing.append("consent_given: say whether they consented, or give no_consent_reason")
    if form.get("consent_given") is False and not form.get("no_consent_reason"):
        missing.append("no_consent_reason: say why the referral goes ahead without consent")
    if missing:
        raise InputErrors("The referral is not ready to approve:", missing)
