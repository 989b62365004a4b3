"""How a referral reached the LA when it did not go through our front door: the LA's portal
(portal assist), secure email (an AES-encrypted pack and a password given by phone) or a phone
call; then the LA's reference and the outcome, whichever route it took.

Each step is an event of the referral (``referral_status``, in the DSL store), so it is audited
and replicated to the other DSL PCs like the referral's other states (session.changed), and
the chronology gets an entry for what the DSL confirmed. Nothing is marked sent unless the DSL
confirms it here, or the front door's signed receipt arrives (app/delivery/outcomes.py).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from app.atomic import write_user_file
from app.clock import parse_iso
from app.delivery.outcomes import LA_EVENTS, LA_REFERENCE
from app.domain.chronology import add_entry
from app.domain.la_profiles import LaProfile, chosen_profile
from app.domain.referrals import Referral, get_referral, set_status
from app.errors import InputError
from app.pack.assembly import referral_pack_data
from app.pack.la_form import answered_sections
from app.pack.model import FormSection
from app.store.session import Session
from app.wording import date_time_text

ROUTES = ("frontdoor", "portal", "email", "phone")
ROUTE_WORDS = {"frontdoor": "the LA front door (ConcernDesk)", "portal": "the LA's portal",
               "email": "secure email", "phone": "phone"}
# Events of a referral, kept with its states (app/domain/referrals.py lists them as events).
SECTION_DONE, PACK_SAVED, OUTCOME = ("section-done", "pack-saved", "la-outcome")
REFERENCE = LA_REFERENCE  # typed by the DSL, or given in the LA's signed answer
_SENT_STATES = {"sent", "receipted"}
# A password read out over the phone: no letters that sound or look alike (0/O, 1/I/L, S/5).
_SPOKEN = "ABCDEFGHJKMNPQRTUVWXYZ2346789"


@dataclass(frozen=True)
class RouteState:
    route: str | None = None  # how it was sent, once it was
    to: str | None = None
    sent_at: datetime | None = None
    sent_by: str | None = None
    reference: str | None = None
    reference_at: datetime | None = None
    outcome: str | None = None
    outcome_note: str | None = None
    outcome_at: datetime | None = None
    sections_done: list[str] = field(default_factory=list)
    pack_saved_at: datetime | None = None

    @property
    def summary(self) -> str:
        """One line for the referral: how, when, the LA's reference, the outcome."""
        if self.route is None:
            return "Not sent to the LA yet."
        text = f"Sent by {ROUTE_WORDS[self.route]}"
        text += f" to {self.to}" if self.to else ""
        text += f" at {date_time_text(self.sent_at)}" if self.sent_at else ""
        text += f" by {self.sent_by}." if self.sent_by else "."
        text += f" LA reference: {self.reference}." if self.reference else \
            " No LA reference yet."
        text += f" Outcome: {self.outcome}." if self.outcome else " No outcome yet."
        return text


def route_state(session: Session, referral_id: str) -> RouteState:
    referral_id = get_referral(session, referral_id, audit=False).id  # or NotFound
    rows = session.conn.execute(
        "SELECT s.status, s.at, s.note, u.display_name FROM referral_status s JOIN users u ON "
        "u.id = s.actor_id WHERE s.referral_id = ? ORDER BY s.at, s.id",
        (referral_id,)).fetchall()
    state = RouteState()
    for status, at, note, who in rows:
        detail = _detail(note)
        when = parse_iso(at)
        if status == "sent" and detail.get("route") in ROUTES:  # the DSL confirmed it
            state = replace(state, route=detail["route"], to=detail.get("to"), sent_at=when,
                            sent_by=who)
        elif status in _SENT_STATES and state.route in (None, "frontdoor"):
            # The front door's delivery (app/delivery/outcomes.py): queued is not yet sent.
            state = replace(state, route="frontdoor", sent_at=state.sent_at or when)
        elif status == SECTION_DONE and detail.get("section") not in state.sections_done:
            state = replace(state, sections_done=[*state.sections_done,
                                                  str(detail.get("section"))])
        elif status == PACK_SAVED:
            state = replace(state, pack_saved_at=when)
        elif status == REFERENCE:
            state = replace(state, reference=detail.get("reference"), reference_at=when)
        elif status == OUTCOME:
            state = replace(state, outcome=detail.get("outcome"),
                            outcome_note=detail.get("note"), outcome_at=when)
        elif status == LA_EVENTS["decided"]:  # the LA's signed answer ends it the same way
            state = replace(state, outcome=f"{note} (signed by the LA's front door)",
                            outcome_at=when)
    return state


def _detail(note: str | None) -> dict[str, str]:
    if not note or not note.startswith("{"):
        return {}
    try:
        value = json.loads(note)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _event(session: Session, referral: Referral, status: str, **detail: str) -> None:
    set_status(session, referral.id, status, json.dumps(detail, sort_keys=True))
    session.changed("referral", referral.id)  # to the other DSL PCs (hub-sync.md)


def _ready(session: Session, referral_id: str) -> Referral:
    referral = get_referral(session, referral_id, audit=False)
    if referral.status in _SENT_STATES | {"queued"}:
        raise InputError("referral", f"it was already sent ({referral.status}); record the "
                         "LA's reference and decision, or start a new referral")
    if referral.status not in {"approved", "released"}:
        raise InputError("referral", f"approve the referral before sending it; this one is "
                         f"{referral.status}")
    return referral


def tick_section(session: Session, referral_id: str, section: str) -> RouteState:
    """Portal assist: the DSL has filled in this section of the LA's portal form."""
    referral = _ready(session, referral_id)
    titles = [s.title for s in chosen_profile(session).sections]
    if section not in titles:
        raise InputError("section", "not a section of the LA's form; sections are: "
                         + "; ".join(titles))
    with session.tx():
        _event(session, referral, SECTION_DONE, section=section)
        session.audit("status", "referral", referral.id, portal_section=section)
    return route_state(session, referral.id)


def portal_form(session: Session, referral_id: str) -> tuple[LaProfile, list[FormSection]]:
    """Portal assist: the LA's portal form, its sections and questions in its order, each with
    the answer to copy (the same words the pack prints). Reading it is audited."""
    referral = _ready(session, referral_id)
    profile = chosen_profile(session)
    if profile.route != "portal":
        raise InputError("route", f"{profile.name} takes referrals by "
                         f"{profile.route_words}, not through a portal")
    data = referral_pack_data(session, referral)
    session.audited("view", "referral", referral.id, purpose="portal assist")
    return profile, answered_sections(data, profile)


def one_time_password() -> str:
    """Twelve characters in three groups, easy to read out (about 58 bits)."""
    chars = "".join(secrets.choice(_SPOKEN) for _ in range(12))
    return "-".join(chars[i:i + 4] for i in range(0, 12, 4))


def save_email_pack(session: Session, referral_id: str, out: Path) -> str:
    """Writes the approved pack AES-256 encrypted for the school's secure email and returns
    the one-time password for the DSL to give the LA by phone. The password is kept nowhere:
    not in the store, the audit trail or the chronology."""
    referral = _ready(session, referral_id)
    profile = chosen_profile(session)
    if profile.route != "email":
        raise InputError("route", f"{profile.name} does not take referrals by email "
                         f"({profile.route_words})")
    if out.suffix.lower() != ".pdf":
        raise InputError("out", "name a .pdf file")
    from app.pack import encrypt_pdf, render_pack  # reportlab only when a PDF is made

    data = referral_pack_data(session, referral)
    password = one_time_password()
    pdf = encrypt_pdf(render_pack(data, generated_at=session.clock.now()), password)
    write_user_file(out, pdf, "the encrypted pack")
    with session.tx():
        _event(session, referral, PACK_SAVED, pack=data.pack_id)
        session.audit("export", "pack", data.pack_id, referral=referral.id, encrypted=True,
                      purpose="secure email")
    return password


def confirm_sent(session: Session, referral_id: str, route: str, to: str | None = None, *,
                 reference: str | None = None) -> RouteState:
    """The DSL confirms the referral went to the LA by portal, secure email or phone; the
    chronology says so. The front door's route is confirmed by its signed receipt instead.
    ``reference``: the LA's, when the DSL already has it (recorded as ``record_reference``)."""
    if route not in ("portal", "email", "phone"):
        raise InputError("route", "portal, email or phone (the front door is 'referral "
                         "queue')")
    referral = _ready(session, referral_id)
    profile = chosen_profile(session)
    if route == "portal" and profile.route != "portal":
        raise InputError("route", f"{profile.name} has no portal in its profile "
                         f"({profile.route_words})")
    if route == "email":
        if profile.route != "email":
            raise InputError("route", f"{profile.name} does not take referrals by email")
        to = profile.secure_email
    elif route == "portal":
        to = profile.portal_url
    else:
        to = (to or "").strip() or profile.phone_in_hours
    now = session.clock.now()
    with session.tx():
        set_status(session, referral.id, "sent", json.dumps({"route": route, "to": to}))
        session.changed("referral", referral.id)
        add_entry(session, [referral.child_id], "referral",
                  f"Referral sent to {profile.name} by {ROUTE_WORDS[route]} to {to} at "
                  f"{date_time_text(now)} (confirmed by {session.user.display_name}).", now,
                  significant=True)
        session.audit("status", "referral", referral.id, sent_by=route)
    if reference and reference.strip():
        return record_reference(session, referral.id, reference)
    return route_state(session, referral.id)


def record_reference(session: Session, referral_id: str, reference: str) -> RouteState:
    """The LA's reference for a referral that was sent, whichever route it took."""
    reference = reference.strip()
    if not reference or len(reference) > 100:
        raise InputError("reference", "give the LA's reference (100 characters at most)")
    referral = _sent(session, referral_id)
    now = session.clock.now()
    with session.tx():
        _event(session, referral, REFERENCE, reference=reference)
        add_entry(session, [referral.child_id], "referral",
                  f"The LA's reference for the referral: {reference}.", now)
        session.audit("status", "referral", referral.id, la_reference=True)
    return route_state(session, referral.id)


def record_outcome(session: Session, referral_id: str, outcome: str, note: str | None = None
                   ) -> RouteState:
    """What the LA decided (no further action, early help, section 17, section 47 …)."""
    outcome, note = outcome.strip(), (note or "").strip() or None
    if not outcome or len(outcome) > 200:
        raise InputError("outcome", "say what the LA decided (200 characters at most)")
    referral = _sent(session, referral_id)
    now = session.clock.now()
    with session.tx():
        _event(session, referral, OUTCOME, outcome=outcome, **({"note": note} if note else {}))
        add_entry(session, [referral.child_id], "outcome",
                  f"The LA's decision on the referral: {outcome}." + (f" {note}" if note
                                                                       else ""), now,
                  significant=True)
        session.audit("status", "referral", referral.id, la_outcome=True)
    return route_state(session, referral.id)


def _sent(session: Session, referral_id: str) -> Referral:
    referral = get_referral(session, referral_id, audit=False)
    if referral.status not in _SENT_STATES:
        raise InputError("referral", "record the LA's reference and outcome once the referral "
                         f"was sent; this one is {referral.status}")
    return referral
