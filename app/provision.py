"""Provisioning a PC that joined the school: the admin approves it, for the DSL team, for a
member of staff or for the office, and a "provision" envelope sealed to that one device's key
brings it the school's name, the accounts (with passphrase verifiers), the roster, the team
public keys — and the DSL team's private key only for a DSL PC, the office's only for an office
PC. The hub relays it and cannot read it.
"""

from __future__ import annotations

import json
from typing import Any

from app.apply import Applied, BadPayload, apply_children, apply_users
from app.clock import iso
from app.errors import ConcernDeskError, InputError, NotFound
from app.outbox import enqueue
from app.replicate import canonical, child_rows, user_rows
from app.roles import Perm
from app.services import get_service
from app.session import Session
from app.sync.envelope import new_header, seal
from app.sync.fingerprint import KeyBundle, b64d, b64e, normalise_fingerprint
from app.team_keys import TEAMS, device_fingerprint, save_team_key, team_bundle, team_pairs
from app.verifier import check_verifier, load_verifiers, save_verifier

PURPOSES = ("dsl", "staff", "office")


def provision_payload(session: Session, purpose: str) -> dict[str, Any]:
    conn = session.conn
    users = user_rows(conn, [r[0] for r in conn.execute(
        "SELECT id FROM users WHERE removed_at IS NULL")])
    verifiers = load_verifiers(conn)
    teams: dict[str, Any] = {}
    for team in TEAMS:
        bundle, pairs = team_bundle(conn, team), team_pairs(conn, team)
        if bundle is None:
            continue
        give = pairs is not None and purpose == team
        teams[team] = {"bundle": bundle.to_json(),
                       "private": b64e(pairs.private_bytes()) if give and pairs else None}
    roster = child_rows(conn, "1 = 1 ORDER BY upn", ()) if purpose in {"dsl", "staff"} else []
    return {"v": 1, "type": "provision", "purpose": purpose, "by": session.user.id,
            "school": {"name": session.school_name, "store_id": session.store_id},
            "users": users, "verifiers": {u["id"]: verifiers[u["id"]] for u in users
                                          if u["id"] in verifiers},
            "children": roster, "teams": teams}


def approve_device(session: Session, fingerprint: str, purpose: str, *,
                   client_factory: Any = None) -> str:
    """Queues the provisioning envelope for an enrolled device; returns its envelope id. The
    device must have asked to enrol (``join``) and the hub's administrator enrolled it."""
    session.require(Perm.MANAGE_USERS)
    if purpose not in PURPOSES:
        raise InputError("for", "one of " + ", ".join(PURPOSES))
    fp = normalise_fingerprint(fingerprint)
    if team_pairs(session.conn, "dsl") is None:
        raise ConcernDeskError("Approve devices on the PC where the school hub was first set "
                               "(it holds the team keys).")
    from app.hub_sync import hub_client

    service = get_service(session, "hub")
    with (client_factory or hub_client)(service.url, session, service.bundle) as client:
        entry = next((e for e in client.directory() if e.fingerprint == fp), None)
    if entry is None or entry.status != "enrolled":
        raise NotFound(f"fingerprint: {fp} is not enrolled with the hub: its administrator "
                       "runs 'concerndesk-frontdoor enrol' for it first")
    if fp == device_fingerprint(session):
        raise InputError("fingerprint", "that is this PC")
    payload = provision_payload(session, purpose)
    header = new_header(device_fingerprint(session), fp, "provision",
                        created=session.clock.now())
    raw = seal(header, canonical(payload), entry.bundle.hpke_key(), session.device.signing_key)
    with session.tx() as conn:
        envelope_id = enqueue(session, [raw], fp, "device", fp)[0]
        conn.execute("INSERT INTO hub_devices (fingerprint, purpose, name, approved_by, "
                     "approved_at, bundle, envelope_id) VALUES (?,?,?,?,?,?,?) ON CONFLICT "
                     "(fingerprint) DO UPDATE SET purpose = excluded.purpose, approved_by = "
                     "excluded.approved_by, approved_at = excluded.approved_at, envelope_id = "
                     "excluded.envelope_id", (fp, purpose, entry.name, session.user.id,
                                              iso(session.clock.now()),
                                              json.dumps(entry.bundle.to_json()), envelope_id))
        session.audit("settings", "device", fp, approved_for=purpose, envelope=envelope_id,
                      accounts=len(payload["users"]), roster=len(payload["children"]))
    return envelope_id


def apply_provision(session: Session, payload: dict[str, Any], hub: dict[str, Any],
                    sender: str) -> Applied:
    """On the joined PC, inside the receiving transaction: accounts, verifiers, roster, team
    keys, the school's name and the hub it was pinned to at ``join``."""
    conn = session.conn
    if payload.get("type") != "provision" or payload.get("purpose") not in PURPOSES:
        raise BadPayload("not a provisioning payload")
    applied = Applied()
    users = payload.get("users")
    if not isinstance(users, list) or not users:
        raise BadPayload("provisioning carries no accounts")
    apply_users(conn, users, applied)
    verifiers = payload.get("verifiers")
    if not isinstance(verifiers, dict):
        raise BadPayload("verifiers must be an object")
    known = {u.get("id") for u in users if isinstance(u, dict)}
    for user_id, verifier in verifiers.items():
        if user_id not in known:
            raise BadPayload("a verifier names an account it does not carry")
        try:
            save_verifier(conn, user_id, check_verifier(verifier), session.clock.now())
        except (ValueError, KeyError, TypeError, InputError):
            raise BadPayload("a passphrase verifier is malformed") from None
        applied.add("verifiers")
    by = payload.get("by")
    if by not in known:
        raise BadPayload("provisioning names no approving account")
    children = payload.get("children")
    apply_children(conn, children if isinstance(children, list) else [], str(by), applied)
    teams = payload.get("teams")
    if not isinstance(teams, dict) or "dsl" not in teams:
        raise BadPayload("provisioning carries no DSL team key")
    for team, value in teams.items():
        if team not in TEAMS or not isinstance(value, dict):
            raise BadPayload("unknown team")
        try:
            private = value.get("private")
            save_team_key(conn, team, KeyBundle.from_json(value.get("bundle")),
                          b64d(private, "team private key") if private else None,
                          session.clock.now())
        except (InputError, ConcernDeskError) as exc:
            raise BadPayload(f"{team} team key: {exc}") from None
        applied.add("team keys")
    school = payload.get("school")
    if not isinstance(school, dict) or not isinstance(school.get("name"), str):
        raise BadPayload("provisioning carries no school name")
    session.set_meta("school_name", school["name"])
    session.set_meta("device_purpose", str(payload["purpose"]))
    session.set_meta("provisioned_at", iso(session.clock.now()))
    session.set_meta("provisioned_by_device", sender)  # the only source of account updates
    conn.execute("INSERT INTO services (role, url, fingerprint, key_bundle, set_by, set_at) "
                 "VALUES ('hub',?,?,?,?,?) ON CONFLICT (role) DO NOTHING",
                 (hub["url"], hub["fingerprint"], json.dumps(hub["bundle"]), by,
                  iso(session.clock.now())))
    return applied


def replicate_accounts(session: Session) -> None:
    """Hook: an account was added, removed or had its passphrase set on the admin's PC. Every
    device it approved gets the current accounts (with verifiers) in an ``accounts`` envelope
    sealed to that device alone. Call inside the transaction that made the change."""
    conn = session.conn
    devices = conn.execute("SELECT fingerprint, bundle FROM hub_devices ORDER BY fingerprint"
                           ).fetchall()
    if not devices:
        return
    verifiers = load_verifiers(conn)
    users = user_rows(conn, [r[0] for r in conn.execute(
        "SELECT id FROM users WHERE removed_at IS NULL")])
    removed = [r[0] for r in conn.execute("SELECT id FROM users WHERE removed_at IS NOT NULL")]
    payload = {"v": 1, "type": "accounts", "by": session.user.id, "users": users,
               "removed": removed, "verifiers": {u["id"]: verifiers[u["id"]] for u in users
                                                 if u["id"] in verifiers}}
    me = device_fingerprint(session)
    for fp, bundle_json in devices:
        bundle = KeyBundle.from_json(json.loads(bundle_json))
        header = new_header(me, fp, "accounts", created=session.clock.now())
        raw = seal(header, canonical(payload), bundle.hpke_key(), session.device.signing_key)
        enqueue(session, [raw], fp, "accounts", fp)


def apply_accounts(session: Session, payload: dict[str, Any], sender: str) -> Applied:
    """On a joined PC: accounts from the PC that provisioned it, and nobody else."""
    from app.join import refresh_accounts

    if session.meta("provisioned_by_device") != sender:
        raise BadPayload("account updates are taken only from the PC that set this one up")
    if payload.get("type") != "accounts":
        raise BadPayload("not an accounts update")
    conn = session.conn
    applied = Applied()
    users = payload.get("users")
    if not isinstance(users, list):
        raise BadPayload("users must be a list")
    apply_users(conn, users, applied)
    for u in users:  # the admin's PC is the one source of names and roles
        conn.execute("UPDATE users SET display_name = ?, roles = ? WHERE id = ?",
                     (u["display_name"], ",".join(u["roles"]), u["id"]))
    removed = payload.get("removed")
    if not isinstance(removed, list):
        raise BadPayload("removed must be a list")
    for user_id in removed:
        cur = conn.execute("UPDATE users SET removed_at = ? WHERE id = ? AND removed_at IS NULL",
                           (iso(session.clock.now()), user_id))
        applied.add("accounts removed", cur.rowcount or 0)
    verifiers = payload.get("verifiers")
    if not isinstance(verifiers, dict):
        raise BadPayload("verifiers must be an object")
    for user_id, verifier in verifiers.items():
        try:
            save_verifier(conn, _user_id(conn, user_id), check_verifier(verifier),
                          session.clock.now())
        except (ValueError, KeyError, TypeError, InputError):
            raise BadPayload("a passphrase verifier is malformed") from None
    refresh_accounts(session)
    return applied


def _user_id(conn: Any, user_id: object) -> str:
    if not isinstance(user_id, str) or not conn.execute("SELECT 1 FROM users WHERE id = ?",
                                                        (user_id,)).fetchone():
        raise BadPayload("a verifier names an account it does not carry")
    return user_id
