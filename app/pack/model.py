"""What a referral pack contains: plain frozen dataclasses the store fills in.

No database code here. ``None`` (or an empty string or list) means "not known"; the PDF shows
"Not recorded" for it, and the JSON twin keeps it as ``null`` / ``""`` / ``[]``.
Times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from app.body_regions import nearest_region, place

# "status": a DSL's change of a concern's status (acknowledged, assigned, actioned, closed)
# with the words written with it, an entry of its own in event order. "police-notification":
# an Operation Encompass notification, with its fields in ``details``.
EntryKind = Literal["concern", "action", "contact", "meeting", "referral", "outcome", "note",
                    "status", "police-notification"]
ENTRY_KINDS: tuple[str, ...] = (
    "concern", "action", "contact", "meeting", "referral", "outcome", "note", "status",
    "police-notification",
)


@dataclass(frozen=True)
class SchoolInfo:
    name: str
    address: str | None = None
    phone: str | None = None
    secure_email: str | None = None
    dsl_name: str | None = None  # the school's designated safeguarding lead
    dsl_phone: str | None = None  # their direct line


@dataclass(frozen=True)
class PackChild:
    legal_forename: str
    legal_surname: str
    preferred_forename: str | None = None
    aliases: list[str] = field(default_factory=list)
    date_of_birth: date | None = None
    gender: str | None = None
    ethnicity: str | None = None
    religion: str | None = None
    first_language: str | None = None
    interpreter_needed: bool | None = None
    disability: str | None = None
    address: str | None = None
    phone: str | None = None
    gp: str | None = None
    upn: str | None = None
    nhs_number: str | None = None
    year_group: str | None = None
    flags: list[str] = field(default_factory=list)
    # From the child's profile (app/profile/), for the LA's systems as much as for people:
    # DfE codes beside the words, so a case system loads them without re-keying.
    ethnicity_code: str | None = None
    first_language_code: str | None = None
    sen: str | None = None  # "SEN support: ASD, SLCN", in words
    sen_status: str | None = None  # N, K or E (school census)
    sen_needs: list[str] = field(default_factory=list)  # DfE SEN type codes
    looked_after: bool | None = None
    previous_school: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.legal_forename} {self.legal_surname}".strip()


@dataclass(frozen=True)
class HouseholdMember:
    name: str
    relationship: str | None = None
    date_of_birth: date | None = None
    address: str | None = None
    parental_responsibility: bool | None = None
    notes: str | None = None


@dataclass(frozen=True)
class PackContact:
    """A parent, carer or other adult from the child's profile, as the LA needs them."""
    name: str
    relationship: str | None = None
    parental_responsibility: bool | None = None
    lives_with_child: bool | None = None
    phones: list[str] = field(default_factory=list)  # "07700 900123 (mobile)"
    email: str | None = None
    address: str | None = None
    priority: int | None = None
    do_not_contact: bool = False
    do_not_contact_reason: str | None = None


@dataclass(frozen=True)
class Referrer:
    name: str
    role: str | None = None
    school: str | None = None
    phone: str | None = None
    secure_email: str | None = None
    date: date | None = None


@dataclass(frozen=True)
class Professional:
    name: str
    role: str | None = None
    organisation: str | None = None
    contact: str | None = None


@dataclass(frozen=True)
class ReferralForm:
    """The front door's referral form, sections 1, 2 and 6–9 of DOMAIN.md.

    Sections 3 (child), 4 (household) and 5 (referrer) live in their own objects on PackData.
    """

    # 1. Urgency
    immediate_risk: bool | None = None
    phoned_whom: str | None = None
    phoned_when: str | None = None
    kind: Literal["safeguarding", "early help"] | None = None
    # 2. Consent
    parents_aware: bool | None = None
    consent_given: bool | None = None
    consent_by: str | None = None
    consent_scope: str | None = None
    no_consent_reason: str | None = None
    child_aware: bool | None = None
    child_views: str | None = None
    parent_views: str | None = None
    withhold_from_family: str | None = None
    # 6. Reason for the referral
    worries: str | None = None
    impact: str | None = None
    harm_types: list[str] = field(default_factory=list)
    history: str | None = None
    disclosures: str | None = None
    parenting_capacity: str | None = None
    strengths: str | None = None
    child_voice: str | None = None
    # 7. Risk and threshold
    threshold_level: int | None = None
    risk_view: Literal["low", "medium", "high"] | None = None
    risk_reasons: str | None = None
    # 8. History and support
    previous_social_care: str | None = None
    early_help: str | None = None
    support_offered: str | None = None
    # 9. Other professionals
    professionals: list[Professional] = field(default_factory=list)


@dataclass(frozen=True)
class BodyMark:
    """A mark on the body map. ``x`` and ``y`` run 0..1 across the drawn figure's box as the
    viewer sees it: x from the left edge, y from the top (the head) down to the feet."""

    side: Literal["front", "back"]
    x: float
    y: float
    note: str | None = None
    region: str | None = None  # the named region ("Left arm"); the nearest one when None

    @property
    def named_region(self) -> str:
        return self.region or nearest_region(self.side, self.x, self.y)

    @property
    def place(self) -> str:
        """"Front: Left arm", as every view of the mark names it."""
        return place(self.side, self.named_region)


@dataclass(frozen=True, kw_only=True)  # keywords only: fields with defaults come last
class PackEntry:
    entry_id: str
    occurred_at: datetime
    recorded_at: datetime
    kind: EntryKind
    summary: str
    author: str
    categories: list[str] = field(default_factory=list)
    child_words: str | None = None
    amended: bool = False
    amendment_note: str | None = None
    significant: bool = False
    body_marks: list[BodyMark] = field(default_factory=list)
    location: str | None = None  # where it happened
    action_taken: str | None = None  # what the person who recorded it did at once
    witnesses: str | None = None
    # The record this entry is (or, for a status entry, the concern it changed).
    record_id: str | None = None
    # A status entry: the new status and the words the DSL wrote with it (``summary`` is how
    # it reads: "Actioned — <note>").
    status: str | None = None
    note: str | None = None
    # A police notification's fields by name (police_reference, officer, force, told …), as
    # recorded; times as app.clock.iso strings. Empty for every other kind.
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NumberedMark:
    """A body-map mark with its number across the pack (the PDF draws it, the twin lists it)."""

    number: int
    entry: PackEntry
    entry_number: int
    mark: BodyMark


def number_marks(entries: list[PackEntry]) -> list[NumberedMark]:
    """Every mark in chronology order, numbered from 1 across the pack."""
    out: list[NumberedMark] = []
    for index, entry in enumerate(entries, start=1):
        for mark in entry.body_marks:
            out.append(NumberedMark(len(out) + 1, entry, index, mark))
    return out


@dataclass(frozen=True)
class PackAttachment:
    filename: str
    size: int
    sha256: str
    description: str | None = None


@dataclass(frozen=True)
class FormAnswer:
    """One question of an LA's own referral form with our answer, in the LA's wording."""
    asks: str
    answer: str | None
    confirmed: bool = True  # False: the mapping to our fields is not checked against the form


@dataclass(frozen=True)
class FormSection:
    title: str
    answers: list[FormAnswer] = field(default_factory=list)


@dataclass(frozen=True)
class PackData:
    pack_id: str
    school: SchoolInfo
    child: PackChild
    referrer: Referrer
    form: ReferralForm
    household: list[HouseholdMember] = field(default_factory=list)
    chronology: list[PackEntry] = field(default_factory=list)
    attachments: list[PackAttachment] = field(default_factory=list)
    contacts: list[PackContact] = field(default_factory=list)
    # A pack made straight from a child's record (no referral form) says so on its cover and
    # leaves the form's pages out rather than print nine sections of "not recorded".
    title: str = "Referral to children's social care"
    has_form: bool = True
    # The LA's own form (app/domain/la_profiles.py), answered: when set, the pack shows it in
    # the LA's order and wording instead of our sections 1–9.
    la_form: list[FormSection] | None = None

    def entries_in_order(self) -> list[PackEntry]:
        """The chronology by when things happened; late entries fall into place."""
        return sorted(self.chronology, key=lambda e: (e.occurred_at, e.recorded_at, e.entry_id))
