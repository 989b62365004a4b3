"""Referral packs from the store: what goes in, the released copy the office prints, and files.

A released pack is rendered once and kept (PDF and JSON twin) inside the encrypted store, so the
office prints exactly what the DSL released, byte for byte, and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from app.clock import iso, parse_iso
from app.domain.categories import load_categories
from app.domain.child_flags import FLAGS, flags
from app.domain.chronology import chronology
from app.domain.event_order import next_event_at
from app.domain.la_profiles import chosen_profile
from app.domain.pupils import Child, child_by_id
from app.domain.records import latest_version
from app.domain.referral_form import FIELDS
from app.domain.referrals import Referral, get_referral, set_status
from app.errors import InputError, NotFound
from app.pack import (
    BodyMark,
    HouseholdMember,
    PackAttachment,
    PackChild,
    PackData,
    PackEntry,
    Professional,
    ReferralForm,
    Referrer,
    SchoolInfo,
    pack_json,
    write_atomically,
)
from app.pack.from_profile import (
    ethnicity_text,
    home_phone,
    household_rows,
    pack_contact,
    sen_text,
)
from app.pack.la_form import in_profile_form
from app.profile.profiles import profile
from app.store.roles import Perm
from app.store.session import Session
from app.store.settings import (
    SCHOOL_ADDRESS,
    SCHOOL_DSL_NAME,
    SCHOOL_DSL_PHONE,
    SCHOOL_EMAIL,
    SCHOOL_PHONE,
    Setting,
    get,
)
from app.wording import date_time_text

# The form's own answers (sections 1, 2, 6–8): every stored field the ReferralForm has. Chosen
# by the dataclass, not by name: "child_aware", "child_views" and "child_voice" are answers
# about the child, not section 3's details, and were once dropped by a prefix test.
_FORM_FIELDS = {f.name for f in FIELDS} & {f.name for f in fields(ReferralForm)} - {
    "professionals"}


@dataclass(frozen=True)
class ReleasedPack:
    id: str
    referral_id: str
    child_name: str
    released_at: datetime
    released_by: str
    printed: bool


def build_pack_data(session: Session, child: Child, form: dict[str, Any],
                    entry_ids: list[str] | None, pack_id: str, referrer_name: str,
                    referral_date: date | None) -> PackData:
    labels = {c.code: c.label for c in load_categories()}
    wanted = None if entry_ids is None else set(entry_ids)
    entries = []
    for item in chronology(session, child.id, audit=False):
        if wanted is not None and item.record_id not in wanted:
            continue
        if item.is_status:  # a concern's status change: the DSL's words, as an entry
            entries.append(PackEntry(
                entry_id=item.version_id, occurred_at=item.occurred_at,
                recorded_at=item.recorded_at, kind="status", summary=item.summary,
                author=item.author, record_id=item.record_id, status=item.status,
                note=item.note, significant=item.significant))
            continue
        version = latest_version(session.conn, item.record_id)
        # Two ignores below, arg-type: the domain types a record's kind and a mark's side as
        # str, the pack as Literals of the values the domain admits (ENTRY_KINDS and SIDES,
        # checked on every write in domain/records.py): the values fit, only the types differ.
        entries.append(PackEntry(
            entry_id=item.record_id, occurred_at=item.occurred_at,
            recorded_at=item.recorded_at, kind=item.kind, summary=item.summary,  # type: ignore[arg-type]
            author=item.author, categories=[labels.get(c, c) for c in item.categories],
            child_words=item.child_words, amended=item.amended,
            amendment_note=version.reason if item.amended else None,
            significant=item.significant, location=item.location,
            action_taken=item.action_taken, witnesses=item.witnesses,
            record_id=item.record_id, details=dict(item.details),
            body_marks=[BodyMark(m.side, m.x, m.y, m.note or None,  # type: ignore[arg-type]
                                 m.with_region().region)
                        for m in item.body_marks]))
    attachments = [PackAttachment(r[0], r[1], r[2]) for r in session.conn.execute(
        "SELECT filename, size, sha256 FROM attachments WHERE record_id IN (SELECT value FROM "
        "json_each(?)) ORDER BY added_at, id",
        (json.dumps([e.entry_id for e in entries if e.kind != "status"]),))]
    school = school_info(session)
    known = profile(session, child.id, audit=False)
    facts = known.facts
    aliases = [a.strip() for a in (form.get("child_aliases") or "").split(",") if a.strip()]
    aliases += [n for _, n in known.previous_names if n not in aliases]
    pack_child = PackChild(
        legal_forename=child.legal_forename, legal_surname=child.legal_surname,
        preferred_forename=child.preferred_forename, aliases=aliases,
        date_of_birth=child.date_of_birth, gender=child.gender,
        # What the DSL wrote on this referral comes first; then the child's profile.
        ethnicity=form.get("child_ethnicity") or ethnicity_text(facts),
        religion=form.get("child_religion") or facts.religion,
        first_language=form.get("child_first_language") or facts.first_language
        or facts.first_language_code,
        interpreter_needed=_first(form.get("child_interpreter_needed"),
                                  facts.interpreter_needed),
        disability=form.get("child_disability") or facts.disability,
        address=form.get("child_address") or (known.home.text if known.home else None),
        phone=form.get("child_phone") or home_phone(known), gp=form.get("child_gp") or facts.gp,
        upn=child.upn, nhs_number=facts.nhs_number or child.nhs_number,
        year_group=child.year_group,
        flags=[FLAGS[f] for f in flags(session, child.id, audit=False)],
        ethnicity_code=facts.ethnicity_code, first_language_code=facts.first_language_code,
        sen=sen_text(facts), sen_status=facts.sen_status, sen_needs=list(facts.sen_needs),
        looked_after=facts.looked_after, previous_school=facts.previous_school)
    typed = [HouseholdMember(
        m["name"], m.get("relationship"),
        date.fromisoformat(m["date_of_birth"]) if m.get("date_of_birth") else None, None,
        m.get("parental_responsibility"), m.get("notes")) for m in form.get("household", [])]
    contacts = [pack_contact(c) for _, c in known.contacts]
    household = typed or household_rows(known)
    referrer = Referrer(referrer_name, form.get("referrer_role"), session.school_name,
                        form.get("referrer_phone") or school.dsl_phone or school.phone,
                        form.get("referrer_secure_email") or school.secure_email, referral_date)
    form_values: dict[str, Any] = {k: v for k, v in form.items() if k in _FORM_FIELDS}
    harm = form_values.pop("harm_types", None) or ""
    professionals = [Professional(p["name"], p.get("role"), p.get("organisation"),
                                  p.get("contact")) for p in form.get("professional", [])]
    named = {p.name.casefold() for p in professionals}
    professionals += [Professional(p.name, p.role, p.organisation,
                                   ", ".join(v for v in (p.phone, p.email) if v) or None)
                      for _, p in known.professionals if p.name.casefold() not in named]
    referral_form = ReferralForm(
        **form_values, harm_types=[h.strip() for h in harm.split(",") if h.strip()],
        professionals=professionals)
    return PackData(pack_id, school, pack_child, referrer, referral_form, household, entries,
                    attachments, contacts)


def school_info(session: Session) -> SchoolInfo:
    """The school's own details for section 5, from its settings."""
    def value(setting: Setting) -> str | None:
        return get(session, setting) or None

    return SchoolInfo(session.school_name, value(SCHOOL_ADDRESS), value(SCHOOL_PHONE),
                      value(SCHOOL_EMAIL), value(SCHOOL_DSL_NAME), value(SCHOOL_DSL_PHONE))


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def referral_pack_data(session: Session, referral: Referral) -> PackData:
    child = child_by_id(session, referral.child_id)
    row = session.conn.execute("SELECT u.display_name FROM referral_versions v JOIN users u ON "
                               "u.id = v.author_id WHERE v.id = ?", (referral.version_id,)
                               ).fetchone()
    data = build_pack_data(session, child, referral.form, referral.entry_ids,
                           referral.version_id, row[0], referral.updated_at.date())
    return in_profile_form(data, chosen_profile(session))  # the school's LA's order and words


def child_pack_data(session: Session, child: Child) -> PackData:
    """A chronology pack for a child with no referral form filled in (DSL only)."""
    items = chronology(session, child.id, audit=False)
    # Same content, same id: the id is derived from the versions it shows.
    pack_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "concerndesk:child-pack:" + child.id + ":"
                             + ",".join(i.version_id for i in items)))
    data = build_pack_data(session, child, {}, None, pack_id, session.user.display_name,
                           session.clock.now().date())
    return replace(data, title="Safeguarding chronology (no referral form)", has_form=False)


def store_released_pack(session: Session, referral: Referral) -> str:
    """Renders and keeps the pack; call inside the release transaction. The released pack's
    id is the one its PDF (title, every footer), its JSON twin, the print queue and the CLI
    show: a released pack is its own document, apart from any draft of the same referral."""
    from app.pack import render_pack  # reportlab only when a PDF is made

    pack_id = str(uuid.uuid4())
    data = replace(referral_pack_data(session, referral), pack_id=pack_id)
    now = session.clock.now()
    pdf = render_pack(data, generated_at=now)
    twin = pack_json(data, generated_at=now)
    session.conn.execute(
        "INSERT INTO referral_packs (id, referral_id, referral_version_id, created_by, "
        "created_at, sha256, pdf, twin) VALUES (?,?,?,?,?,?,?,?)",
        (pack_id, referral.id, referral.version_id, session.user.id, iso(now),
         hashlib.sha256(pdf).hexdigest(), pdf, json.dumps(twin, ensure_ascii=False)))
    return pack_id


def release_referral(session: Session, referral_id: str) -> str:
    """Renders the approved pack once and hands it to the office print queue; returns its id."""
    session.require(Perm.MANAGE_REFERRALS)
    current = get_referral(session, referral_id, audit=False)
    if current.status not in {"approved", "released"}:
        raise InputError("referral", "approve the referral before releasing it for print")
    with session.tx():
        pack_id = store_released_pack(session, current)
        set_status(session, current.id, "released", pack_id)
        session.audit("release", "referral", current.id, pack=pack_id)
        session.changed("referral", current.id)
        session.changed("pack", pack_id)  # to the office print queue (hub-sync.md)
    return pack_id


def released_packs(session: Session) -> list[ReleasedPack]:
    """The office print queue: packs released by the DSL team, newest first."""
    session.require(Perm.READ_RELEASED_PACKS)
    rows = session.conn.execute(
        "SELECT p.id, p.referral_id, c.legal_forename || ' ' || c.legal_surname, p.created_at,"
        " u.display_name, EXISTS (SELECT 1 FROM referral_status s WHERE s.referral_id = "
        "p.referral_id AND s.status = 'printed' AND s.note = p.id) FROM referral_packs p "
        "JOIN referrals r ON r.id = p.referral_id JOIN children c ON c.id = r.child_id "
        "JOIN users u ON u.id = p.created_by ORDER BY p.created_at DESC").fetchall()
    session.audited("view", "print-queue", None, count=len(rows))
    return [ReleasedPack(r[0], r[1], r[2], parse_iso(r[3]), r[4], bool(r[5])) for r in rows]


def released_pack_pdf(session: Session, pack_id: str, purpose: str = "print") -> bytes:
    """The released PDF, exactly as released; every print or export is audited."""
    session.require(Perm.PRINT_RELEASED_PACKS)
    if purpose not in {"print", "export", "view"}:
        raise InputError("purpose", "print, export or view")
    row = session.conn.execute("SELECT pdf, referral_id FROM referral_packs WHERE id = ?",
                               (pack_id.strip().lower(),)).fetchone()
    if row is None:
        raise NotFound("There is no released pack with that id.")
    session.audited(purpose, "pack", pack_id, referral=row[1])
    return bytes(row[0])


def latest_released_pack_id(session: Session, referral_id: str) -> str:
    row = session.conn.execute("SELECT id FROM referral_packs WHERE referral_id = ? ORDER BY "
                               "created_at DESC, rowid DESC LIMIT 1", (referral_id,)).fetchone()
    if row is None:
        raise NotFound("That referral has no released pack yet.")
    return str(row[0])


def mark_printed(session: Session, pack_id: str) -> None:
    session.require(Perm.PRINT_RELEASED_PACKS)
    row = session.conn.execute("SELECT referral_id FROM referral_packs WHERE id = ?",
                               (pack_id,)).fetchone()
    if row is None:
        raise NotFound("There is no released pack with that id.")
    with session.tx() as conn:
        conn.execute("INSERT INTO referral_status (id, referral_id, status, actor_id, at, note)"
                     " VALUES (?,?,?,?,?,?)", (str(uuid.uuid4()), row[0], "printed",
                                               session.user.id,
                                               next_event_at(conn, "referral_status", row[0],
                                                             session.clock.now()), pack_id))
        session.audit("print", "pack", pack_id, marked_printed=True)
        # Back to the DSL team (the office PC holds its public key): the referral's events as
        # this PC knows them, i.e. the printed marks; applied as a union there (hub-sync.md).
        session.changed("referral", row[0])


@dataclass(frozen=True)
class PrintedMark:
    pack_id: str
    printed_by: str  # the office user's display name
    printed_at: datetime

    @property
    def text(self) -> str:
        return f"printed by {self.printed_by} at {date_time_text(self.printed_at)}"


def printed_marks(session: Session, referral_id: str) -> list[PrintedMark]:
    """When and by whom the office printed a referral's released packs, oldest first; on a DSL
    PC these came back from the office PC through the hub."""
    if not session.can(Perm.MANAGE_REFERRALS):
        session.require(Perm.READ_RELEASED_PACKS)
    rows = session.conn.execute(
        "SELECT s.note, u.display_name, s.at FROM referral_status s JOIN users u ON u.id = "
        "s.actor_id WHERE s.referral_id = ? AND s.status = 'printed' ORDER BY s.at, s.id",
        (referral_id,)).fetchall()
    return [PrintedMark(r[0] or "", r[1], parse_iso(r[2])) for r in rows]


def write_pack(session: Session, data: PackData, out: Path, password: str | None = None) -> str:
    """Renders a pack and writes it (and its JSON twin beside it) atomically; audited export."""
    if out.suffix.lower() != ".pdf":
        raise InputError("out", "name a .pdf file")
    from app.pack import encrypt_pdf, render_pack  # reportlab only when a PDF is made

    now = session.clock.now()
    pdf = render_pack(data, generated_at=now)
    if password:
        pdf = encrypt_pdf(pdf, password)
    twin = json.dumps(pack_json(data, generated_at=now), indent=2, ensure_ascii=False)
    write_atomically(out, pdf)
    if not password:  # an encrypted pack's twin would undo the encryption; it stays out
        write_atomically(out.with_suffix(".json"), twin.encode("utf-8"))
    session.audited("export", "pack", data.pack_id, file=out.name, encrypted=bool(password))
    return data.pack_id
