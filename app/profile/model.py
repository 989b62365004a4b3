"""What a child's profile holds: plain frozen dataclasses, no database code.

The parsers (CTF, MIS contact exports) produce these; ``profiles`` keeps them as JSON, one item
per row, and the referral form reads them. ``None`` means "not known", never "no": a contact
whose parental responsibility nobody recorded is ``None``, not ``False``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, Literal

# Where a change to a profile came from; every stored item says which.
Source = Literal["mis", "ctf", "person", "cp-file"]
SOURCES: tuple[str, ...] = ("mis", "ctf", "person", "cp-file")

# SEN provision, as the school census codes it.
SEN_STATUS = {"N": "No special educational need", "K": "SEN support",
              "E": "Education, health and care plan"}

# The kinds of professional the referral form asks about (DOMAIN.md, section 9).
PROFESSIONAL_ROLES = ("Social worker", "Early help lead", "Police", "Health visitor",
                      "School nurse", "CAMHS", "Virtual school", "Youth justice", "Other")


@dataclass(frozen=True)
class Address:
    lines: tuple[str, ...]  # house, street, locality, town, county: as given, blanks dropped
    postcode: str | None = None

    @property
    def text(self) -> str:
        return ", ".join([*self.lines, *([self.postcode] if self.postcode else [])])


@dataclass(frozen=True)
class Phone:
    number: str
    kind: str | None = None  # home, mobile, work … in the source's words


@dataclass(frozen=True)
class Contact:
    """A parent, carer or other adult the school may call about the child."""
    name: str
    relationship: str | None = None  # in words: "Mother", "Grandfather", "Foster carer"
    parental_responsibility: bool | None = None
    lives_with_child: bool | None = None
    phones: tuple[Phone, ...] = ()
    email: str | None = None
    address: Address | None = None
    priority: int | None = None  # 1 is called first
    do_not_contact: bool = False
    do_not_contact_reason: str | None = None
    date_of_birth: date | None = None


@dataclass(frozen=True)
class HouseholdMember:
    """Someone the child lives with who is not a contact (a sibling, a lodger, a partner)."""
    name: str
    relationship: str | None = None
    date_of_birth: date | None = None
    notes: str | None = None


@dataclass(frozen=True)
class Professional:
    name: str
    role: str  # one of PROFESSIONAL_ROLES, or the source's own words
    organisation: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Facts:
    """The profile's single-valued fields; ``None`` where the source says nothing."""
    ethnicity_code: str | None = None  # DfE code, e.g. "WBRI"
    ethnicity: str | None = None  # its words, "White - British"
    religion: str | None = None
    first_language_code: str | None = None  # DfE language code, e.g. "ENG"
    first_language: str | None = None
    interpreter_needed: bool | None = None
    sen_status: str | None = None  # a key of SEN_STATUS
    sen_needs: tuple[str, ...] = ()  # DfE SEN type codes, e.g. ("SLCN", "ASD")
    disability: str | None = None
    gp: str | None = None  # practice and doctor, as one line
    nhs_number: str | None = None  # normalised and validated
    looked_after: bool | None = None
    previous_school: str | None = None  # "Name (LA/ESTAB)"


@dataclass(frozen=True)
class PupilLink:
    """How an import row names its pupil: by UPN, else by admission number."""
    upn: str | None = None
    admission_number: str | None = None


@dataclass(frozen=True)
class ProfileUpdate:
    """Everything one source says about one child. Empty parts say nothing (they never clear
    what another source said)."""
    link: PupilLink
    facts: Facts = field(default_factory=Facts)
    addresses: tuple[Address, ...] = ()
    contacts: tuple[Contact, ...] = ()
    household: tuple[HouseholdMember, ...] = ()
    professionals: tuple[Professional, ...] = ()
    previous_names: tuple[str, ...] = ()
    line: int | None = None  # where in the file, for messages


def to_json(value: Any) -> Any:
    """A model value as JSON-ready data (dates as ISO text, tuples as lists)."""
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "__dataclass_fields__"):  # field by field: asdict() deep-copies first
        return {f.name: to_json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


def address_from_json(data: dict[str, Any]) -> Address:
    return Address(tuple(data.get("lines") or ()), data.get("postcode"))


def contact_from_json(data: dict[str, Any]) -> Contact:
    dob = data.get("date_of_birth")
    return Contact(
        name=data["name"], relationship=data.get("relationship"),
        parental_responsibility=data.get("parental_responsibility"),
        lives_with_child=data.get("lives_with_child"),
        phones=tuple(Phone(p["number"], p.get("kind")) for p in data.get("phones") or ()),
        email=data.get("email"),
        address=address_from_json(data["address"]) if data.get("address") else None,
        priority=data.get("priority"), do_not_contact=bool(data.get("do_not_contact")),
        do_not_contact_reason=data.get("do_not_contact_reason"),
        date_of_birth=date.fromisoformat(dob) if dob else None)


def household_from_json(data: dict[str, Any]) -> HouseholdMember:
    dob = data.get("date_of_birth")
    return HouseholdMember(data["name"], data.get("relationship"),
                           date.fromisoformat(dob) if dob else None, data.get("notes"))


def professional_from_json(data: dict[str, Any]) -> Professional:
    return Professional(data["name"], data["role"], data.get("organisation"), data.get("phone"),
                        data.get("email"))


FACT_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Facts))
_YES_NO_FACTS = ("interpreter_needed", "looked_after")


def facts_from_json(data: dict[str, Any]) -> Facts:
    """Facts as ``to_json`` wrote them (another school's CP file): known names only, each of
    its type, else ValueError."""
    values: dict[str, Any] = {}
    for name in FACT_NAMES:
        value = data.get(name)
        if value is None or value == [] or value == "":
            continue
        if name in _YES_NO_FACTS:
            if not isinstance(value, bool):
                raise ValueError(f"{name} is not yes or no")
        elif name == "sen_needs":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError("sen_needs is not a list of codes")
            value = tuple(value)
        elif not isinstance(value, str):
            raise ValueError(f"{name} is not text")
        values[name] = value
    return Facts(**values)
