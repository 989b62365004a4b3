"""The child's profile in words: labels for each detail, a value as a person reads it, where a
change came from, and one line per change for the history. No widgets, so it is tested alone.

A missing value reads "Not recorded" (the model's ``None`` means "not known", never "no")."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from app.errors import InputError
from app.identifiers import format_nhs_number
from app.profile.model import (
    SEN_STATUS,
    Address,
    Contact,
    HouseholdMember,
    Professional,
    address_from_json,
    contact_from_json,
    household_from_json,
    professional_from_json,
)
from app.profile.profiles import ProfileChange, Provenance
from ui.errors import message_for
from ui.table_model import local_time
from ui.wording import date_text

NOT_RECORDED = "Not recorded"

# In the order a DSL reads them; every name in FACT_NAMES is here (tests check it).
FACT_LABELS = {
    "ethnicity": "Ethnicity", "ethnicity_code": "Ethnicity code", "religion": "Religion",
    "first_language": "First language", "first_language_code": "First language code",
    "interpreter_needed": "Interpreter needed", "sen_status": "SEN status",
    "sen_needs": "SEN needs", "disability": "Disability", "gp": "GP",
    "nhs_number": "NHS number", "looked_after": "Looked after",
    "previous_school": "Previous school",
}
_CLEAR = " Leave it empty to clear it."
FACT_HINTS = {
    "ethnicity": "In words, e.g. White - British.",
    "ethnicity_code": "The DfE code of 3 or 4 letters, e.g. WBRI.",
    "first_language": "In words, e.g. Polish.",
    "first_language_code": "The DfE code of 3 or 4 letters, e.g. POL.",
    "interpreter_needed": "Yes or no.",
    "looked_after": "Yes or no.",
    "sen_status": " or ".join(f"{c} ({w})" for c, w in SEN_STATUS.items()) + ".",
    "sen_needs": "DfE SEN type codes separated by commas, e.g. SLCN, ASD.",
    "gp": "The practice and the doctor, on one line.",
    "nhs_number": "10 digits; spaces are fine.",
    "previous_school": "Name (LA/ESTAB), e.g. Example Primary (999/2000).",
}
KIND_WORDS = {"fact": "Detail", "address": "Address", "contact": "Contact",
              "household": "Household", "professional": "Professional",
              "name": "Previous name"}


def fact_hint(name: str) -> str:
    return FACT_HINTS.get(name, "As you would write it.") + _CLEAR


def yes_no(value: bool | None) -> str:
    return NOT_RECORDED if value is None else ("Yes" if value else "No")


def fact_text(name: str, value: Any) -> str:
    """A fact as shown: "SEN support (K)", "943 476 5919", "Yes"."""
    if value is None or value in ("", (), []):
        return NOT_RECORDED
    if isinstance(value, bool):
        return yes_no(value)
    if name == "sen_status":
        return f"{SEN_STATUS.get(value, value)} ({value})"
    if name == "nhs_number":
        return format_nhs_number(str(value))
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def fact_edit_text(name: str, value: Any) -> str:
    """A fact as the edit box starts: what a person would type to set it again."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name == "nhs_number":
        return format_nhs_number(str(value))
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def fact_problem(name: str, error: BaseException) -> str:
    """The core's message about one fact, with the field named as the form names it (the core
    names some by their code, "nhs_number")."""
    if not isinstance(error, InputError) or error.field not in FACT_LABELS:
        return message_for(error)
    label, problem = FACT_LABELS[error.field], error.problem
    if problem.casefold().startswith(label.casefold()):
        return problem
    return f"{label}: {problem}"


def source_text(prov: Provenance | None) -> str:
    if prov is None:
        return ""
    return prov.text[:1].upper() + prov.text[1:]


def source_tip(prov: Provenance | None) -> str:
    if prov is None:
        return "Nobody has recorded this yet."
    return f"Where it came from: {prov.text}, {local_time(prov.at)}"


def phones_text(contact: Contact) -> str:
    return "; ".join(f"{p.number} ({p.kind})" if p.kind else p.number for p in contact.phones)


def contact_label(contact: Contact) -> str:
    return f"{contact.name} ({contact.relationship})" if contact.relationship else contact.name


def do_not_contact_text(contact: Contact) -> str:
    return f"Do not contact: {contact.do_not_contact_reason or 'no reason given'}"


def contact_summary(contact: Contact) -> str:
    parts = [contact.relationship or "",
             f"parental responsibility: {yes_no(contact.parental_responsibility).lower()}",
             f"lives with the child: {yes_no(contact.lives_with_child).lower()}",
             phones_text(contact), contact.email or "",
             contact.address.text if contact.address else "",
             f"born {date_text(contact.date_of_birth)}" if contact.date_of_birth else "",
             f"priority {contact.priority}" if contact.priority is not None else "",
             do_not_contact_text(contact) if contact.do_not_contact else ""]
    return "; ".join(p for p in parts if p)


def household_summary(member: HouseholdMember) -> str:
    parts = [member.relationship or "",
             f"born {date_text(member.date_of_birth)}" if member.date_of_birth else "",
             member.notes or ""]
    return "; ".join(p for p in parts if p)


def professional_summary(pro: Professional) -> str:
    return "; ".join(p for p in (pro.role, pro.organisation, pro.phone, pro.email) if p)


def item_from_json(kind: str, value: Any) -> Any:
    return {"address": address_from_json, "contact": contact_from_json,
            "household": household_from_json,
            "professional": professional_from_json}.get(kind, lambda v: v)(value)


def _label(kind: str, key: str, value: Any) -> str:
    if kind == "fact":
        return FACT_LABELS.get(key, key)
    if kind == "address":
        return "Home address" if key == "home" else "Other address"
    item = item_from_json(kind, value) if value is not None else None
    name = getattr(item, "name", item) if item is not None else "(name not known)"
    return f"{KIND_WORDS[kind]}: {name}"


def _value(kind: str, key: str, value: Any) -> str:
    if kind == "fact":
        return fact_text(key, value)
    item = item_from_json(kind, value)
    if isinstance(item, Address):
        return item.text
    if isinstance(item, Contact):
        return contact_summary(item)
    if isinstance(item, HouseholdMember):
        return household_summary(item)
    if isinstance(item, Professional):
        return professional_summary(item)
    return str(item)


def history_rows(changes: list[ProfileChange]) -> list[tuple[str, str, str, str, str]]:
    """(when, what, value or "removed", source, who) for each change, oldest first. A removal
    names the item by its value before, and gives the reason."""
    before: dict[tuple[str, str], Any] = {}
    rows = []
    for change in changes:
        last = before.get((change.kind, change.key))
        shown = change.value if change.value is not None else last
        what = _label(change.kind, change.key, shown)
        if change.value is None:
            value = "Removed" + (f" (reason: {change.note})" if change.note else "")
        else:
            value = _value(change.kind, change.key, change.value)
        prov = Provenance(change.source, change.note, change.author, change.at)
        source = "Typed in" if change.source == "person" else source_text(prov)
        rows.append((local_time(change.at), what, value, source, change.author))
        before[(change.kind, change.key)] = change.value if change.value is not None else last
    return rows


_DMY = re.compile(r"(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def parse_day(text: str, field: str = "date of birth") -> date | None:
    """A typed date: "04/05/1985", "1985-05-04" or "04 May 1985"; empty is None."""
    text = text.strip()
    if not text:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        if found := _DMY.fullmatch(text):
            return date(int(found[3]), int(found[2]), int(found[1]))
        parts = text.split()
        if len(parts) == 3 and parts[1][:3].lower() in _MONTHS:
            return date(int(parts[2]), _MONTHS.index(parts[1][:3].lower()) + 1, int(parts[0]))
    except ValueError:
        pass
    raise InputError(field, "write it as day/month/year, e.g. 04/05/1985")
