"""A child's profile (app/profile/) as the referral pack shows it: words for the codes, the
household table's rows, the contacts for the JSON twin."""

from __future__ import annotations

from app.pack.model import HouseholdMember, PackContact
from app.profile.model import SEN_STATUS, Contact, Facts
from app.profile.profiles import Profile


def ethnicity_text(facts: Facts) -> str | None:
    """"White - British (WBRI)": the words for people, the code for the LA's systems."""
    if facts.ethnicity and facts.ethnicity_code:
        return f"{facts.ethnicity} ({facts.ethnicity_code})"
    return facts.ethnicity or facts.ethnicity_code


def sen_text(facts: Facts) -> str | None:
    if facts.sen_status is None:
        return None
    words = SEN_STATUS.get(facts.sen_status, facts.sen_status)
    return f"{words}: {', '.join(facts.sen_needs)}" if facts.sen_needs else words


def phones_text(contact: Contact) -> list[str]:
    return [f"{p.number} ({p.kind})" if p.kind else p.number for p in contact.phones]


def home_phone(profile: Profile) -> str | None:
    """The first phone of the first contact the child lives with (contacts come by priority);
    a child of school age rarely has a line of their own."""
    for _, contact in profile.contacts:
        if contact.lives_with_child and contact.phones and not contact.do_not_contact:
            return f"{phones_text(contact)[0]}, {contact.name}"
    return None


def pack_contact(contact: Contact) -> PackContact:
    return PackContact(
        name=contact.name, relationship=contact.relationship,
        parental_responsibility=contact.parental_responsibility,
        lives_with_child=contact.lives_with_child, phones=phones_text(contact),
        email=contact.email, address=contact.address.text if contact.address else None,
        priority=contact.priority, do_not_contact=contact.do_not_contact,
        do_not_contact_reason=contact.do_not_contact_reason)


def _contact_notes(contact: Contact) -> str | None:
    notes = []
    if contact.do_not_contact:
        reason = contact.do_not_contact_reason or "no reason recorded"
        notes.append(f"DO NOT CONTACT: {reason}")
    if contact.lives_with_child:
        notes.append("Lives with the child")
    elif contact.lives_with_child is False:
        notes.append("Does not live with the child")
    if contact.priority is not None:
        notes.append(f"Contact priority {contact.priority}")
    notes += [f"Phone {p}" for p in phones_text(contact)]
    if contact.email:
        notes.append(contact.email)
    return "; ".join(notes) or None


def household_rows(profile: Profile) -> list[HouseholdMember]:
    """Section 4: the contacts (by priority), then the others in the household."""
    rows = [HouseholdMember(c.name, c.relationship, c.date_of_birth,
                            c.address.text if c.address else None, c.parental_responsibility,
                            _contact_notes(c)) for _, c in profile.contacts]
    rows += [HouseholdMember(m.name, m.relationship, m.date_of_birth,
                             profile.home.text if profile.home else None, None,
                             "; ".join(v for v in ("Lives with the child", m.notes) if v))
             for _, m in profile.household]
    return rows
