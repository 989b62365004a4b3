"""Drafting a subject access response: the entries it covers, the names found in them, and
the DSL's review (more redactions, an automatic one kept in the text, entries withheld).

A draft lives in the DSL store's ``sar_drafts`` (encrypted with the DSL store's key) and is
replaced in place as the DSL works; every step is audited. Drafts stay on the PC they were made
on: they are work in progress, not records (the response's log is the record: respond.py).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import date

from app.clock import iso
from app.domain.chronology import ChronologyItem, chronology
from app.domain.pupils import Child, child_by_id
from app.errors import InputError, NotFound
from app.profile.profiles import Profile, profile
from app.sar.model import (
    AUTO,
    DSL,
    GROUNDS,
    THIRD_PARTY,
    Redaction,
    Requester,
    SarDraft,
    SarEntry,
    Segment,
)
from app.sar.names import NameFinder, Person, key, name_variants, split_name
from app.store.roles import Perm
from app.store.session import Session
from app.uktime import uk_time

CHILD = "child"
# The log of a response (respond.py) begins so; a later draft withholds it by default, as it
# names the third parties withheld then.
LOG_HEADING = "Subject access response produced"
EARLIER_LOG = ("the log of an earlier subject access response: it names the third parties "
               "withheld then")
_KIND_LABEL = {"concern": "What happened", "status": "Status"}


# -- who is asking, and who is a third party -----------------------------------------------------

def requester_for(session: Session, child: Child, known: Profile, who: str) -> Requester:
    """``child``; a contact's number as ``profile show`` prints it ("contact 2": their
    priority in the MIS); or a contact's name."""
    text = who.strip()
    if text.casefold() in {CHILD, "the child", "self"}:
        return Requester(CHILD, child.display_name)
    contacts = [c for _, c in known.contacts]
    if text.isdigit():
        found = [c for c in contacts if c.priority == int(text)]
        if len(found) != 1:
            listed = sorted({c.priority for c in contacts if c.priority is not None})
            raise InputError("requester", ("no contact of the child's profile has that number"
                                           if not found else "more than one contact has that "
                                           "number: give the contact's name") +
                             (" (numbers: " + ", ".join(map(str, listed)) + ")" if listed
                              else ""))
    else:
        found = [c for c in contacts if key(split_name(c.name)[1]) == key(split_name(text)[1])]
        if not found:
            raise InputError("requester", "is not one of the child's contacts: give 'child', "
                             "or a contact's number or name as the child's profile lists them")
    contact = found[0]
    caution = (f"marked DO NOT CONTACT in the child's profile: {contact.do_not_contact_reason}"
               if contact.do_not_contact else None)
    return Requester("contact", contact.name, contact.relationship, caution)


def _third_parties(session: Session, child: Child, known: Profile, requester: Requester
                   ) -> NameFinder:
    people: list[Person] = []
    for row in session.conn.execute(
            "SELECT legal_forename, legal_surname, preferred_forename, year_group, upn "
            "FROM children WHERE id != ?", (child.id,)):
        legal, surname, preferred, year, _upn = row
        forenames = [legal] + ([preferred] if preferred else [])
        names = name_variants(f"{legal} {surname}", forenames=forenames, surname=surname)
        people.append(Person(f"another child: {legal} {surname} ({year})",
                             "another child's name", names))
    requester_key = split_name(requester.name)[1] if requester.kind == "contact" else None
    for _, contact in known.contacts:
        title, bare, forenames, surname = split_name(contact.name)
        if requester_key is not None and bare == requester_key:
            continue
        details = [p.number for p in contact.phones] + ([contact.email] if contact.email else [])
        if contact.address is not None and contact.address.postcode and not (
                known.home and known.home.postcode == contact.address.postcode):
            details.append(contact.address.postcode)
        relation = (contact.relationship or "contact").lower()
        people.append(Person(f"{relation}: {bare}", "another person's name or details",
                             name_variants(bare, forenames=forenames, surname=surname,
                                           title=title), tuple(details)))
    for _, member in known.household:
        title, bare, forenames, surname = split_name(member.name)
        relation = (member.relationship or "household member").lower()
        people.append(Person(f"{relation}: {bare}", "another person's name",
                             name_variants(bare, forenames=forenames, surname=surname,
                                           title=title)))
    # The child's own names and the requester's are never redacted on their own.
    protected = [child.legal_forename, child.legal_surname, child.legal_name,
                 child.display_name, *([child.preferred_forename] if child.preferred_forename
                                       else [])]
    protected += [n for _, n in known.previous_names]
    if requester.kind == "contact":
        _, bare, forenames, surname = split_name(requester.name)
        protected += [bare, *forenames, *([surname] if surname else [])]
    return NameFinder(people, protected)


# -- drafting ------------------------------------------------------------------------------------

def _segments(item: ChronologyItem) -> tuple[Segment, ...]:
    out = [Segment(_KIND_LABEL.get(item.kind, "Entry"), item.summary)]
    for label, value in (("In the child's words", item.child_words),
                         ("Where", item.location), ("Action taken", item.action_taken),
                         ("Witnesses", item.witnesses)):
        if value:
            out.append(Segment(label, value))
    for mark in item.body_marks:
        out.append(Segment("Body map", mark.place + (f": {mark.note}" if mark.note else "")))
    for name, value in item.details:
        out.append(Segment(name.replace("_", " ").capitalize(), value))
    return tuple(out)


def _auto(finder: NameFinder, segments: tuple[Segment, ...]) -> tuple[Redaction, ...]:
    return tuple(Redaction(i, m.start, m.end, m.reason, THIRD_PARTY, AUTO, m.who)
                 for i, segment in enumerate(segments) for m in finder.find(segment.text))


def draft_sar(session: Session, child_id: str, requester: str, since: date, until: date
              ) -> SarDraft:
    """A new draft over the child's chronology from ``since`` to ``until`` (UK dates,
    inclusive), with every third party's name and contact details redacted."""
    session.require(Perm.ANSWER_SUBJECT_ACCESS)
    if until < since:
        raise InputError("to", "is before the start of the range")
    child = child_by_id(session, child_id)
    known = profile(session, child_id, audit=False)
    asking = requester_for(session, child, known, requester)
    finder = _third_parties(session, child, known, asking)
    items = [i for i in chronology(session, child_id, audit=False)
             if since <= uk_time(i.occurred_at)[0].date() <= until]
    entries = []
    for number, item in enumerate(items, start=1):
        segments = _segments(item)
        earlier = EARLIER_LOG if item.summary.startswith(LOG_HEADING) else None
        entries.append(SarEntry(number, item.record_id, item.kind, iso(item.occurred_at),
                                item.author, item.categories, segments,
                                _auto(finder, segments), earlier))
    now = iso(session.clock.now())
    draft = SarDraft(str(uuid.uuid4()), child.id, child.upn, child.display_name,
                     child.date_of_birth.isoformat(), asking, since, until, now,
                     session.user.display_name, tuple(entries))
    with session.tx() as conn:
        conn.execute("INSERT INTO sar_drafts (id, child_id, created_by, created_at, saved_at, "
                     "body) VALUES (?,?,?,?,?,?)",
                     (draft.id, child.id, session.user.id, now, now, _body(draft)))
        session.audit("create", "sar-draft", draft.id, child=child.id, entries=len(entries),
                      redactions=sum(len(e.redactions) for e in entries),
                      requester=asking.kind)
    return draft


def _body(draft: SarDraft) -> str:
    return json.dumps(draft.to_json(), ensure_ascii=False, sort_keys=True)


def load_draft(session: Session, draft_id: str, *, audit: bool = True) -> SarDraft:
    session.require(Perm.ANSWER_SUBJECT_ACCESS)
    row = session.conn.execute("SELECT body FROM sar_drafts WHERE id = ?",
                               (draft_id.strip().lower(),)).fetchone()
    if row is None:
        raise NotFound("There is no subject access draft with that id on this PC.")
    draft = SarDraft.from_json(json.loads(row[0]))
    if audit:
        session.audited("view", "sar-draft", draft.id, child=draft.child_id)
    return draft


def drafts_for(session: Session, child_id: str) -> list[SarDraft]:
    """The child's drafts on this PC, newest first."""
    session.require(Perm.ANSWER_SUBJECT_ACCESS)
    child_by_id(session, child_id)
    rows = session.conn.execute("SELECT body FROM sar_drafts WHERE child_id = ? ORDER BY "
                                "created_at DESC, id", (child_id,)).fetchall()
    return [SarDraft.from_json(json.loads(r[0])) for r in rows]


def save(session: Session, draft: SarDraft, action: str, **detail: object) -> SarDraft:
    """Replaces the stored draft and audits the step; a produced response is not changed."""
    with session.tx() as conn:
        stored = conn.execute("SELECT produced_at FROM sar_drafts WHERE id = ?",
                              (draft.id,)).fetchone()
        if stored is None:
            raise NotFound("There is no subject access draft with that id on this PC.")
        conn.execute("UPDATE sar_drafts SET body = ?, saved_at = ?, produced_at = ? WHERE "
                     "id = ?", (_body(draft), iso(session.clock.now()), draft.produced_at,
                                draft.id))
        session.audit("amend", "sar-draft", draft.id, step=action, **detail)
    return draft


def _editable(session: Session, draft_id: str) -> SarDraft:
    draft = load_draft(session, draft_id, audit=False)
    if draft.produced_at is not None:
        raise InputError("draft", "its response was produced already: start a new draft to "
                         "answer again")
    return draft


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise InputError("reason", "say why (it is kept in the log of what was withheld)")
    if len(text) > 500:
        raise InputError("reason", "keep it under 500 characters")
    return text


def redact_span(session: Session, draft_id: str, number: int, start: int, end: int,
                reason: str, *, segment: int = 0, ground: str = THIRD_PARTY) -> SarDraft:
    """The DSL redacts ``[start, end)`` of one segment of an entry."""
    draft = _editable(session, draft_id)
    entry = draft.entry(number)
    if not 0 <= segment < len(entry.segments):
        raise InputError("field", f"entry {number} has fields 1 to {len(entry.segments)}")
    length = len(entry.segments[segment].text)
    if not 0 <= start < end <= length:
        raise InputError("span", f"give START:END with 0 <= START < END <= {length}")
    if ground not in GROUNDS:
        raise InputError("ground", "one of " + ", ".join(GROUNDS))
    added = Redaction(segment, start, end, _reason(reason), ground, DSL)
    entry = replace(entry, redactions=(*entry.redactions, added))
    return save(session, draft.with_entry(entry), "redact", entry=number, length=end - start)


def keep_in_text(session: Session, draft_id: str, number: int, which: int, reason: str
                 ) -> SarDraft:
    """Lifts automatic redaction ``which`` (1-based, in the entry's order): the DSL decided
    the requester may see it (e.g. a parent's own partner the child asked about)."""
    draft = _editable(session, draft_id)
    entry = draft.entry(number)
    if not 1 <= which <= len(entry.redactions):
        raise InputError("redaction", f"entry {number} has {len(entry.redactions)} redactions")
    found = entry.redactions[which - 1]
    redactions = list(entry.redactions)
    redactions[which - 1] = replace(found, lifted=_reason(reason))
    entry = replace(entry, redactions=tuple(redactions))
    return save(session, draft.with_entry(entry), "keep", entry=number, redaction=which)


def withhold(session: Session, draft_id: str, number: int, reason: str) -> SarDraft:
    """Leaves a whole entry out of the response; the reason goes in the log."""
    draft = _editable(session, draft_id)
    entry = replace(draft.entry(number), withheld=_reason(reason))
    return save(session, draft.with_entry(entry), "withhold", entry=number)


def include(session: Session, draft_id: str, number: int) -> SarDraft:
    """Puts a withheld entry back."""
    draft = _editable(session, draft_id)
    entry = replace(draft.entry(number), withheld=None)
    return save(session, draft.with_entry(entry), "include", entry=number)
