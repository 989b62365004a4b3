"""A referral's life: draft → approved (DSL) → released for print → queued → sent → receipted.

Every change to the form is a new version; editing an approved referral sends it back to draft,
so what the office prints and the LA receives is always what a DSL approved.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.clock import iso, parse_iso
from app.domain.chronology import chronology
from app.domain.event_order import ORDER_DESC, next_event_at
from app.domain.pupils import Child, child_by_id
from app.domain.referral_form import check_ready_for_approval, set_field
from app.errors import InputError, NotFound
from app.store.roles import Perm
from app.store.session import Session

STATES = ("draft", "approved", "released", "queued", "sent", "receipted", "rejected")
# Recorded with the states but not a state themselves: the office's printed mark, the steps
# of a route to the LA (app/delivery/la_routes.py: a portal section done, the encrypted pack
# saved, the LA's reference, its outcome), and the LA's signed answers through the front door
# (acknowledged, decided: app/delivery/outcomes.py), which follow whatever state it is in.
_EVENTS = ("printed", "section-done", "pack-saved", "la-reference", "la-outcome",
           "la-acknowledged", "la-decided")


@dataclass(frozen=True)
class Referral:
    id: str
    child_id: str
    version_id: str
    version: int
    status: str
    form: dict[str, Any]
    entry_ids: list[str]
    created_by: str
    updated_at: datetime
    created_at: datetime | None = None


def _current(session: Session, referral_id: str) -> Referral:
    row = session.conn.execute(
        "SELECT r.id, r.child_id, v.id, v.version, v.form, v.entry_ids, u.display_name, "
        "v.written_at, r.created_at FROM referrals r JOIN referral_versions v ON "
        "v.referral_id = r.id JOIN users u ON u.id = r.created_by WHERE r.id = ? "
        "ORDER BY v.version DESC LIMIT 1",
        (referral_id,)).fetchone()
    if row is None:
        raise NotFound("There is no referral with that id.")
    return Referral(row[0], row[1], row[2], row[3], status_of(session, referral_id),
                    json.loads(row[4]), json.loads(row[5]), row[6], parse_iso(row[7]),
                    parse_iso(row[8]))


def status_of(session: Session, referral_id: str) -> str:
    row = session.conn.execute(
        "SELECT status FROM referral_status WHERE referral_id = ? AND status NOT IN "
        f"({', '.join('?' * len(_EVENTS))}) ORDER BY " + ORDER_DESC + " LIMIT 1",
        (referral_id, *_EVENTS)).fetchone()
    return row[0] if row else "draft"


def set_status(session: Session, referral_id: str, status: str, note: str | None = None
               ) -> None:
    """Appends a status event (inside the caller's transaction); the caller checks the step is
    allowed. Delivery states are recorded by the delivery package (app/delivery/outcomes.py)."""
    session.conn.execute("INSERT INTO referral_status (id, referral_id, status, actor_id, at, "
                         "note) VALUES (?,?,?,?,?,?)", (str(uuid.uuid4()), referral_id, status,
                                                        session.user.id,
                                                        next_event_at(session.conn,
                                                                      "referral_status",
                                                                      referral_id,
                                                                      session.clock.now()),
                                                        note))


def prefill(session: Session, child: Child) -> tuple[dict[str, Any], list[str]]:
    """A form filled from what the store knows, and every chronology entry selected."""
    from app.domain.categories import load_categories

    items = chronology(session, child.id, audit=False)
    labels = {c.code: c.label for c in load_categories()}
    harm = list(dict.fromkeys(labels.get(code, code) for i in items for code in i.categories))
    voices = [f"{i.occurred_at:%d/%m/%Y}: “{i.child_words}”" for i in items if i.child_words]
    earlier = session.conn.execute("SELECT count(*) FROM referrals WHERE child_id = ?",
                                   (child.id,)).fetchone()[0]
    form: dict[str, Any] = {"referrer_role": "Designated Safeguarding Lead",
                            "harm_types": ", ".join(harm[:6]) or None,
                            "child_voice": "\n".join(voices[-5:]) or None}
    if earlier:
        form["history"] = f"{earlier} earlier referral(s) from this school are on record."
    # A concern's status changes share its id: each record once.
    return {k: v for k, v in form.items() if v}, list(dict.fromkeys(i.record_id for i in items))


def create_referral(session: Session, child_id: str, fields: Sequence[tuple[str, str]] = ()
                    ) -> Referral:
    session.require(Perm.MANAGE_REFERRALS)
    child = child_by_id(session, child_id)
    form, entry_ids = prefill(session, child)
    for name, value in fields:
        set_field(form, name, value)
    referral_id = str(uuid.uuid4())
    now = iso(session.clock.now())
    with session.tx() as conn:
        conn.execute("INSERT INTO referrals (id, child_id, created_by, created_at) VALUES "
                     "(?,?,?,?)", (referral_id, child.id, session.user.id, now))
        _insert_version(session, referral_id, 1, form, entry_ids)
        set_status(session, referral_id, "draft")
        session.audit("create", "referral", referral_id)
        session.changed("referral", referral_id)  # to the DSL team (hub-sync.md)
    return _current(session, referral_id)


def _insert_version(session: Session, referral_id: str, number: int, form: dict[str, Any],
                    entry_ids: list[str]) -> None:
    session.conn.execute("INSERT INTO referral_versions (id, referral_id, version, author_id, "
                         "written_at, form, entry_ids) VALUES (?,?,?,?,?,?,?)",
                         (str(uuid.uuid4()), referral_id, number, session.user.id,
                          iso(session.clock.now()), json.dumps(form, sort_keys=True),
                          json.dumps(entry_ids)))


def update_referral(session: Session, referral_id: str, fields: Sequence[tuple[str, str]] = (),
                    entry_ids: list[str] | None = None, *, replace: dict[str, Any] | None = None
                    ) -> Referral:
    """A new version of the form; an approved or released referral goes back to draft."""
    session.require(Perm.MANAGE_REFERRALS)
    current = get_referral(session, referral_id, audit=False)
    if current.status in {"queued", "sent", "receipted"}:
        raise InputError("referral", f"it is already {current.status}; start a new referral")
    form = dict(replace) if replace is not None else dict(current.form)
    for name, value in fields:
        set_field(form, name, value)
    chosen = current.entry_ids if entry_ids is None else entry_ids
    if entry_ids is not None:
        allowed = {i.record_id for i in chronology(session, current.child_id, audit=False)}
        if not set(chosen) <= allowed:
            raise InputError("entries", "choose entries from this child's chronology")
    if form == current.form and chosen == current.entry_ids:
        return current
    with session.tx():
        _insert_version(session, referral_id, current.version + 1, form, chosen)
        if current.status != "draft":
            set_status(session, referral_id, "draft", "edited after " + current.status)
        session.audit("amend", "referral", referral_id, version=current.version + 1)
        session.changed("referral", referral_id)
    return _current(session, referral_id)


def get_referral(session: Session, referral_id: str, *, audit: bool = True) -> Referral:
    session.require(Perm.MANAGE_REFERRALS)
    referral = _current(session, referral_id.strip().lower())
    if audit:
        session.audited("view", "referral", referral.id)
    return referral


def list_referrals(session: Session, child_id: str | None = None) -> list[Referral]:
    session.require(Perm.MANAGE_REFERRALS)
    sql = "SELECT id FROM referrals" + (" WHERE child_id = ?" if child_id else "") + \
        " ORDER BY created_at DESC"
    ids = [r[0] for r in session.conn.execute(sql, (child_id,) if child_id else ())]
    session.audited("view", "referral-list", child_id, count=len(ids))
    return [_current(session, i) for i in ids]


def approve_referral(session: Session, referral_id: str) -> Referral:
    session.require(Perm.MANAGE_REFERRALS)
    current = get_referral(session, referral_id, audit=False)
    if current.status != "draft":
        raise InputError("referral", f"only a draft can be approved; this one is "
                         f"{current.status}")
    check_ready_for_approval(current.form)
    with session.tx():
        set_status(session, current.id, "approved", current.version_id)
        session.audit("approve", "referral", current.id, version=current.version)
        session.changed("referral", current.id)
    return _current(session, current.id)


