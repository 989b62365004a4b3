"""What the desktop app shows about a school's PCs, answered by the core (the UI holds no SQL):
the PCs the admin approved (Admin → Services), setting the hub the way ``hub set`` does, and a
joined PC's own fingerprint and, in words, why it cannot go on yet (the first-run join page).

Approving and removing are ``app.hub.provision.approve_device`` / ``remove_device``; joining and
provisioning are ``app.hub.join.join_school`` / ``provision_from_hub``. This module only reads, or
strings those together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.clock import Clock, parse_iso
from app.delivery.identity import store_identity
from app.delivery.services import Service, get_service, set_service
from app.delivery.team_keys import ensure_team_keys
from app.errors import NotFound
from app.hub.backfill import backfill
from app.hub.join import provision_from_hub
from app.hub.provision import is_admin_pc
from app.hub.replicate import hub_is_set
from app.store.keyfile import KeyFile
from app.store.roles import Perm
from app.store.session import Session

PURPOSE_WORDS = {"dsl": "DSL team", "staff": "Staff", "office": "Office"}


@dataclass(frozen=True)
class ApprovedPc:
    fingerprint: str
    name: str  # as the hub's administrator enrolled it ("" if none)
    purpose: str  # dsl | staff | office
    approved_at: datetime
    approved_by: str  # the approving account's name
    removed_at: datetime | None
    delivered: bool  # the hub receipted its provisioning envelope

    @property
    def state(self) -> str:
        if self.removed_at is not None:
            return "Removed"
        return "Approved, accounts sent" if self.delivered else \
            "Approved, accounts waiting to be sent"


@dataclass(frozen=True)
class SchoolPcs:
    hub_set: bool
    admin_pc: bool  # approvals are made here (the PC where the hub was first set)
    pcs: list[ApprovedPc]


def school_pcs(session: Session) -> SchoolPcs:
    """The PCs this store's admin approved, newest first (removed ones too, said so)."""
    session.require(Perm.MANAGE_USERS)
    try:
        get_service(session, "hub")
    except NotFound:
        return SchoolPcs(False, False, [])
    rows = session.conn.execute(
        "SELECT d.fingerprint, d.name, d.purpose, d.approved_at, coalesce(u.display_name, "
        "u.username, d.approved_by), d.removed_at, o.state FROM hub_devices d LEFT JOIN users u "
        "ON u.id = d.approved_by LEFT JOIN outbox o ON o.id = d.envelope_id "
        "ORDER BY d.approved_at DESC, d.fingerprint").fetchall()
    pcs = [ApprovedPc(fp, name or "", purpose, parse_iso(at), by,
                      parse_iso(removed) if removed else None, state == "receipted")
           for fp, name, purpose, at, by, removed, state in rows]
    return SchoolPcs(True, is_admin_pc(session), pcs)


@dataclass(frozen=True)
class HubSet:
    service: Service
    made_team_keys: bool
    queued: int  # envelopes of existing records queued for the DSL team


def set_hub(session: Session, url: str, fingerprint: str) -> HubSet:
    """What ``concerndesk-cli hub set`` does: pin the hub by its fingerprint (nothing saved on a
    mismatch), and on an admin's first hub make the team keys and queue the backfill, so this
    PC can approve others."""
    first = not hub_is_set(session.conn)
    service = set_service(session, "hub", url, fingerprint)
    made = queued = 0
    if session.can(Perm.MANAGE_SETTINGS):
        made = ensure_team_keys(session)
        # On a store with a DSL store the team keys were made by its first DSL sign-in: the
        # first hub set queues the history all the same (a DSL's session: it holds it).
        if made or (first and session.held.dsl_store_open):
            queued = backfill(session)
    return HubSet(service, bool(made), queued)


def joined_pc_fingerprint(directory: Path) -> str:
    """This PC's fingerprint for the store in ``directory``, before anyone can sign in."""
    return store_identity(KeyFile.load(directory).store_id).fingerprint


@dataclass(frozen=True)
class JoinCheck:
    ready: bool  # provisioned: accounts can sign in here now
    waiting_for: str  # "" | "hub" (not enrolled yet) | "admin" (not approved yet) | "other"
    why: str  # in words, for whoever sits at the joined PC


def check_joined_pc(directory: Path, *, clock: Clock | None = None) -> JoinCheck:
    """One provisioning attempt (``provision_from_hub``), its outcome in words."""
    outcome = provision_from_hub(directory, clock=clock)
    if outcome.done:
        return JoinCheck(True, "", outcome.detail)
    if outcome.waiting_for == "hub":
        return JoinCheck(False, "hub", "The hub's administrator has not enrolled this PC yet. "
                         "Read them the fingerprint above; they enrol it, then your school's "
                         "admin approves it.")
    if outcome.waiting_for == "refused":
        return JoinCheck(False, "admin", "An approval reached this PC but it refused it: "
                         f"{'; '.join(outcome.refused)}. If the admin PC's fingerprint typed "
                         "when joining was not your school's admin PC's, this PC cannot be set "
                         "up: join again with a new store, and check that fingerprint with your "
                         "admin.")
    if outcome.waiting_for == "admin":
        return JoinCheck(False, "admin", "Your school's admin has not approved this PC yet, "
                         "or their PC has not synced since they did. Until then this PC holds "
                         "nothing of the school and no account can sign in here. They approve "
                         "it in Admin → Services → PCs of this school, after comparing the "
                         "fingerprint above with the one they type.")
    return JoinCheck(False, "other", f"This PC could not be set up yet: {outcome.detail}")
