"""Provisioning a PC that joined the school: the admin approves it, for the DSL team, for a
member of staff or for the office, and a "provision" envelope sealed to that one device's key
brings it the school's name, the accounts (with passphrase verifiers), the roster, the team
public keys — and the DSL team's private key only for a DSL PC, the office's only for an office
PC. The hub relays it and cannot read it.

Trust (docs/hub-sync.md, "Trust"): the school's admin PC — the store where the hub was first
set, which made the team keys — is the one root. Its approvals (``hub_devices``) are the list
of PCs every other PC accepts envelopes from: each approval or removal sends the list, signed
by the admin PC, to every approved PC ("devices" envelopes; provisioning carries it too), and
each keeps it in ``trusted_devices``. A joined PC accepts provisioning, accounts and lists only
from the admin PC it pinned at ``join``. The hub's directory never adds trust.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.clock import iso, parse_iso
from app.delivery.outbox import enqueue
from app.delivery.services import get_service
from app.delivery.team_keys import (
    KEYS_BEFORE,
    TEAMS,
    device_fingerprint,
    held_team_pairs,
    is_admin_pc,
    save_team_key,
    team_bundle,
    team_pairs,
)
from app.errors import ConcernDeskError, InputError, NotFound
from app.hub import team_rotation
from app.hub.apply import apply_children
from app.hub.apply_checks import Applied, BadPayload, apply_users
from app.hub.keyed_dsl_pc import grant_after_accounts
from app.hub.link import hub_client
from app.hub.provisional import grant_by_verifier, refresh_accounts
from app.hub.replicate import canonical, child_rows, user_rows
from app.protocol.envelope import new_header, seal
from app.protocol.fingerprint import KeyBundle, KeyPairs, b64d, b64e, normalise_fingerprint
from app.store.dsl_store import keep_school_store_only
from app.store.roles import Perm
from app.store.session import Session
from app.store.verifier import check_verifier, load_verifiers, save_verifier

PURPOSES = ("dsl", "staff", "office")
# PCs whose store is keyed at provisioning: a school store with no DSL store (an office PC's
# packs sealed to the office key). A DSL PC gets a DSL store of its own once provisioning has
# committed (app/hub/keyed_dsl_pc.py: ATTACH cannot run inside the receiving transaction).
KEYED_PURPOSES = ("staff", "office")
ADMIN = "admin"  # the purpose of the admin's PC in a list: it is also a DSL PC
ADMIN_META = "admin_device"  # on a joined PC: the admin PC's fingerprint, pinned at join
DEVICES_SEQ = "devices_seq"  # the admin PC's count of lists made; on a joined PC, the last applied


@dataclass(frozen=True)
class TrustedDevice:
    fingerprint: str
    purpose: str  # admin | dsl | staff | office
    bundle: KeyBundle | None  # None only for an admin PC pinned by fingerprint alone (below)
    removed_at: datetime | None  # what it signed as made from then on is refused


def admin_device(session: Session) -> str | None:
    """On a joined PC, the admin PC it trusts: pinned at ``join`` (``--admin-fingerprint``), or
    for a store provisioned before pinning existed, the PC that provisioned it."""
    return session.meta(ADMIN_META) or session.meta("provisioned_by_device")


def trusted_devices(session: Session) -> dict[str, TrustedDevice]:
    """fingerprint → device this PC accepts envelopes from (removed ones too: what they signed
    before their removal stays part of the history). On the admin's PC, its own approvals; on a
    joined PC, the admin PC's last list and the admin PC itself. An admin PC known only by its
    fingerprint (pinned at join before provisioning, or a store from before lists) has no
    bundle here: the caller may take the hub's copy only if it hashes to that fingerprint."""
    conn, me = session.conn, device_fingerprint(session)
    own = KeyBundle(session.device.signing_public(), session.device.hpke_public())
    if is_admin_pc(session):
        rows = conn.execute("SELECT fingerprint, purpose, bundle, removed_at FROM hub_devices"
                            ).fetchall()
        out = {fp: TrustedDevice(fp, purpose, KeyBundle.from_json(json.loads(bundle)),
                                 parse_iso(removed) if removed else None)
               for fp, purpose, bundle, removed in rows}
        out[me] = TrustedDevice(me, ADMIN, own, None)
        return out
    out = {fp: TrustedDevice(fp, purpose, KeyBundle.from_json(json.loads(bundle)),
                             parse_iso(removed) if removed else None)
           for fp, purpose, bundle, removed in conn.execute(
               "SELECT fingerprint, purpose, bundle, removed_at FROM trusted_devices")}
    admin = admin_device(session)
    if admin is not None and admin not in out:
        out[admin] = TrustedDevice(admin, ADMIN, None, None)
    if me not in out:  # our own envelopes, back from the hub
        out[me] = TrustedDevice(me, session.meta("device_purpose") or "staff", own, None)
    return out


def device_list(session: Session, seq: int) -> dict[str, Any]:
    """The admin PC's approvals as it sends them: every device approved (and when removed, if
    it was), with its purpose and keys, and the admin PC's own keys; ``seq`` orders lists."""
    rows = session.conn.execute("SELECT fingerprint, purpose, name, bundle, removed_at FROM "
                                "hub_devices ORDER BY fingerprint").fetchall()
    own = KeyBundle(session.device.signing_public(), session.device.hpke_public())
    return {"seq": seq, "admin": {"fingerprint": device_fingerprint(session),
                                  "bundle": own.to_json()},
            "devices": [{"fingerprint": fp, "purpose": purpose, "name": name,
                         "bundle": json.loads(bundle), "removed_at": removed}
                        for fp, purpose, name, bundle, removed in rows]}


def _next_list(session: Session) -> dict[str, Any]:
    seq = int(session.meta(DEVICES_SEQ) or "0") + 1
    session.set_meta(DEVICES_SEQ, str(seq))
    return device_list(session, seq)


def replicate_devices(session: Session, *, skip: str | None = None,
                      listed: dict[str, Any] | None = None) -> int:
    """On the admin's PC, inside the transaction that approved or removed a device: the new
    list, in a "devices" envelope sealed to each approved PC alone (not to removed ones, nor to
    ``skip``, whose provisioning carries it). Returns envelopes queued."""
    conn = session.conn
    listed = listed or _next_list(session)
    payload = {"v": 1, "type": "devices", "by": session.user.id, "devices": listed}
    me, queued = device_fingerprint(session), 0
    for fp, bundle_json in conn.execute("SELECT fingerprint, bundle FROM hub_devices WHERE "
                                        "removed_at IS NULL ORDER BY fingerprint").fetchall():
        if fp == skip:
            continue
        bundle = KeyBundle.from_json(json.loads(bundle_json))
        header = new_header(me, fp, "devices", created=session.clock.now())
        raw = seal(header, canonical(payload), bundle.hpke_key(), session.device.signing_key)
        enqueue(session, [raw], fp, "devices", fp)
        queued += 1
    return queued


def ensure_device_lists(session: Session) -> int:
    """Before a sync on the admin's PC of a store from before lists: its approved PCs have
    never had one, so each gets the list now (once). Returns envelopes queued."""
    if not is_admin_pc(session) or session.meta(DEVICES_SEQ) is not None:
        return 0
    if session.conn.execute("SELECT 1 FROM hub_devices LIMIT 1").fetchone() is None:
        return 0
    with session.tx():
        queued = replicate_devices(session)
        session.audit("settings", "device", None, list_sent=queued)
    return queued


def apply_device_list(session: Session, listed: object, sender: str, applied: Applied) -> None:
    """On a joined PC, inside the receiving transaction: the admin PC's list replaces the one
    held here, unless it is older than it (lists may arrive in any order)."""
    obj = listed if isinstance(listed, dict) else None
    if obj is None or type(obj.get("seq")) is not int or obj["seq"] < 0 \
            or not isinstance(obj.get("devices"), list) or not isinstance(obj.get("admin"), dict):
        raise BadPayload("the list of approved PCs is malformed")
    try:
        admin = KeyBundle.from_json(obj["admin"].get("bundle"))
        named = normalise_fingerprint(str(obj["admin"].get("fingerprint")))
    except (ConcernDeskError, ValueError, TypeError):
        raise BadPayload("the list names the admin PC's keys wrongly") from None
    if admin.fingerprint != sender or named != sender:
        raise BadPayload("the list is not the sending PC's own")
    held = session.meta(DEVICES_SEQ)
    if held is not None and obj["seq"] <= int(held):
        return  # an older (or the same) list: the one here stands
    rows = [(sender, ADMIN, "the school's admin PC", json.dumps(admin.to_json()), None)]
    for i, raw in enumerate(obj["devices"]):
        if not isinstance(raw, dict):
            raise BadPayload(f"approved PC {i + 1} is malformed")
        try:
            fp = normalise_fingerprint(str(raw.get("fingerprint")))
            bundle = KeyBundle.from_json(raw.get("bundle"))
            removed = raw.get("removed_at")
            if removed is not None:
                parse_iso(str(removed))
        except (ConcernDeskError, ValueError, TypeError):
            raise BadPayload(f"approved PC {i + 1} is malformed") from None
        name = raw.get("name")
        if bundle.fingerprint != fp or raw.get("purpose") not in PURPOSES \
                or not isinstance(name, str) or fp == sender:
            raise BadPayload(f"approved PC {i + 1} is malformed")
        rows.append((fp, str(raw["purpose"]), name[:200], json.dumps(bundle.to_json()),
                     removed))
    conn = session.conn
    conn.execute("DELETE FROM trusted_devices")
    conn.executemany("INSERT INTO trusted_devices (fingerprint, purpose, name, bundle, "
                     "removed_at) VALUES (?,?,?,?,?)", rows)
    session.set_meta(DEVICES_SEQ, str(obj["seq"]))
    session.set_meta(ADMIN_META, sender)
    applied.add("approved PCs", len(rows) - 1)


def apply_devices(session: Session, payload: dict[str, Any], sender: str) -> Applied:
    """A "devices" envelope: only from the admin PC this one trusts."""
    if is_admin_pc(session):
        raise BadPayload("this is the admin's PC: it keeps its own list")
    if admin_device(session) != sender:
        raise BadPayload("lists of approved PCs are taken only from the school's admin PC")
    if payload.get("type") != "devices":
        raise BadPayload("not a list of approved PCs")
    applied = Applied()
    apply_device_list(session, payload.get("devices"), sender, applied)
    return applied


def provision_payload(session: Session, purpose: str, listed: dict[str, Any]
                      ) -> dict[str, Any]:
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
    # The DSL team's pairs from before a rotation: a DSL PC opens the history sealed to them.
    teams["dsl"]["seq"] = int(session.meta(team_rotation.SEQ) or "0")
    if purpose == "dsl":
        teams["dsl"]["before"] = [b64e(pairs.private_bytes()) for team, pairs
                                  in held_team_pairs(conn) if team == "dsl"
                                  and pairs.bundle != team_bundle(conn, "dsl")]
    roster = child_rows(conn, "1 = 1 ORDER BY upn", ()) if purpose in {"dsl", "staff"} else []
    return {"v": 1, "type": "provision", "purpose": purpose, "by": session.user.id,
            "school": {"name": session.school_name, "store_id": session.store_id},
            "users": users, "verifiers": {u["id"]: verifiers[u["id"]] for u in users
                                          if u["id"] in verifiers},
            "children": roster, "teams": teams, "devices": listed}


def approve_device(session: Session, fingerprint: str, purpose: str, *,
                   client_factory: Any = None) -> str:
    """Queues the provisioning envelope for an enrolled device; returns its envelope id. The
    device must have asked to enrol (``join``) and the hub's administrator enrolled it."""
    session.require(Perm.MANAGE_USERS)
    if purpose not in PURPOSES:
        raise InputError("for", "one of " + ", ".join(PURPOSES))
    fp = normalise_fingerprint(fingerprint)
    if not is_admin_pc(session):
        raise ConcernDeskError("Approve devices on the PC where the school hub was first set "
                               "(it holds the team keys; every PC trusts its list).")
    if session.conn.execute("SELECT 1 FROM hub_devices WHERE fingerprint = ? AND removed_at IS "
                            "NOT NULL", (fp,)).fetchone():
        raise InputError("fingerprint", "that PC was removed: it joins again, as a new store")
    service = get_service(session, "hub")
    with (client_factory or hub_client)(service.url, session, service.bundle) as client:
        entry = next((e for e in client.directory() if e.fingerprint == fp), None)
    if entry is None or entry.status != "enrolled":
        raise NotFound(f"fingerprint: {fp} is not enrolled with the hub: its administrator "
                       "runs 'concerndesk-frontdoor enrol' for it first")
    if fp == device_fingerprint(session):
        raise InputError("fingerprint", "that is this PC")
    if purpose in TEAMS and team_pairs(session.conn, purpose) is None:
        # Provisioning hands the PC the team's private key, which on a store with a DSL
        # store only a session holding it has (docs/keys.md).
        raise InputError("for", f"approving a PC for the {purpose} team hands it that "
                         "team's key, which this sign-in does not hold: an admin who is "
                         "also a DSL approves it")
    with session.tx() as conn:
        conn.execute("INSERT INTO hub_devices (fingerprint, purpose, name, approved_by, "
                     "approved_at, bundle, envelope_id) VALUES (?,?,?,?,?,?,'') ON CONFLICT "
                     "(fingerprint) DO UPDATE SET purpose = excluded.purpose, approved_by = "
                     "excluded.approved_by, approved_at = excluded.approved_at",
                     (fp, purpose, entry.name, session.user.id, iso(session.clock.now()),
                      json.dumps(entry.bundle.to_json())))
        listed = _next_list(session)  # with this PC in it: it goes to every approved PC
        payload = provision_payload(session, purpose, listed)
        header = new_header(device_fingerprint(session), fp, "provision",
                            created=session.clock.now())
        raw = seal(header, canonical(payload), entry.bundle.hpke_key(),
                   session.device.signing_key)
        envelope_id = enqueue(session, [raw], fp, "device", fp)[0]
        conn.execute("UPDATE hub_devices SET envelope_id = ? WHERE fingerprint = ?",
                     (envelope_id, fp))
        others = replicate_devices(session, skip=fp, listed=listed)
        session.audit("settings", "device", fp, approved_for=purpose, envelope=envelope_id,
                      accounts=len(payload["users"]), roster=len(payload["children"]),
                      list_sent=others)
    return envelope_id


def remove_device(session: Session, fingerprint: str) -> int:
    """The admin's PC stops trusting an approved PC and tells every other approved PC: what the
    removed PC signs as made from now on is refused everywhere (what it sent before stays).
    The hub's administrator unenrols it too (``concerndesk-frontdoor unenrol``), so the hub
    takes nothing more from it. Returns the envelopes queued."""
    session.require(Perm.MANAGE_USERS)
    fp = normalise_fingerprint(fingerprint)
    if not is_admin_pc(session):
        raise ConcernDeskError("Remove devices on the PC where the school hub was first set.")
    with session.tx() as conn:
        cur = conn.execute("UPDATE hub_devices SET removed_at = ? WHERE fingerprint = ? AND "
                           "removed_at IS NULL", (iso(session.clock.now()), fp))
        if not cur.rowcount:
            raise NotFound(f"fingerprint: {fp} is not an approved PC here")
        queued = replicate_devices(session)
        purpose = conn.execute("SELECT purpose FROM hub_devices WHERE fingerprint = ?",
                               (fp,)).fetchone()[0]
        if purpose == "dsl":  # it holds the DSL team's key: a new pair (app/hub/team_rotation.py)
            team_rotation.owe(session, "a DSL PC was removed")
        session.audit("settings", "device", fp, removed=True, list_sent=queued)
    # Made now when this session holds the DSL store, else at the next one that does here.
    team_rotation.finish(session)
    return queued


def remove_pc(session: Session, fingerprint: str) -> tuple[int, str]:
    """``remove_device``, for a person: the envelopes queued, and what to tell the admin of the
    DSL team's key ("" when the removal did not touch it; team_rotation.removal_words)."""
    before = team_bundle(session.conn, "dsl")
    queued = remove_device(session, fingerprint)
    return queued, team_rotation.removal_words(session, before.fingerprint if before else None)


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
    keyed = payload.get("purpose") in KEYED_PURPOSES
    _keys_before(session, teams.get("dsl"), str(payload.get("purpose")))
    for team, value in teams.items():
        if team not in TEAMS or not isinstance(value, dict):
            raise BadPayload("unknown team")
        try:
            private = value.get("private")
            bundle = KeyBundle.from_json(value.get("bundle"))
            secret = b64d(private, "team private key") if private else None
            if keyed and team == "office" and secret is not None:
                # A keyed office PC keeps the office key only as grants to its office
                # accounts (their verifiers now, their personal keys at first sign-in).
                if KeyPairs.from_private_bytes(secret).bundle != bundle:
                    raise ConcernDeskError("The team key received does not match its public "
                                           "half.")
                grant_by_verifier(session, "office", secret, [
                    str(u["id"]) for u in users if isinstance(u, dict)
                    and "office" in (u.get("roles") or [])])
                secret = None
            save_team_key(conn, team, bundle, secret, session.clock.now())
        except (InputError, ConcernDeskError, ValueError) as exc:
            raise BadPayload(f"{team} team key: {exc}") from None
        applied.add("team keys")
    school = payload.get("school")
    if not isinstance(school, dict) or not isinstance(school.get("name"), str):
        raise BadPayload("provisioning carries no school name")
    session.set_meta("school_name", school["name"])
    session.set_meta("device_purpose", str(payload["purpose"]))
    if payload["purpose"] in KEYED_PURPOSES:
        try:  # roles by key (docs/keys.md): no DSL table on this PC, concerns sealed on write
            keep_school_store_only(conn)
        except ConcernDeskError as exc:
            raise BadPayload(str(exc)) from None
    session.set_meta("provisioned_at", iso(session.clock.now()))
    pinned = admin_device(session)
    if pinned is not None and pinned != sender:  # open_envelope refuses it first; kept here too
        raise BadPayload("provisioning came from another PC than the admin PC given at join")
    if payload.get("devices") is not None:  # none from an admin PC from before lists: its
        apply_device_list(session, payload["devices"], sender, applied)  # first sync sends one
    session.set_meta("provisioned_by_device", sender)  # the only source of account updates
    conn.execute("INSERT INTO services (role, url, fingerprint, key_bundle, set_by, set_at) "
                 "VALUES ('hub',?,?,?,?,?) ON CONFLICT (role) DO NOTHING",
                 (hub["url"], hub["fingerprint"], json.dumps(hub["bundle"]), by,
                  iso(session.clock.now())))
    return applied


def _keys_before(session: Session, dsl: object, purpose: str) -> None:
    """The DSL team's number of rotations, and for a DSL PC its earlier private keys: parked
    in the school store's meta, like the current one in ``team_keys``, only until the DSL
    store is made moments later (``move_private_halves``), before any account exists here."""
    if not isinstance(dsl, dict):
        return
    seq, before = dsl.get("seq", 0), dsl.get("before") or []
    if type(seq) is not int or seq < 0 or not isinstance(before, list):
        raise BadPayload("the DSL team's earlier keys are malformed")
    if before and purpose != "dsl":
        raise BadPayload("only a DSL PC receives the DSL team's earlier keys")
    try:
        for private in before:
            KeyPairs.from_private_bytes(b64d(private, "team private key"))
    except (ConcernDeskError, ValueError, TypeError):
        raise BadPayload("the DSL team's earlier keys are malformed") from None
    session.set_meta(team_rotation.SEQ, str(seq))
    if before:
        session.set_meta(KEYS_BEFORE, json.dumps(before))


def replicate_accounts(session: Session) -> None:
    """Hook: an account was added, removed or had its passphrase set on the admin's PC. Every
    device it approved gets the current accounts (with verifiers) in an ``accounts`` envelope
    sealed to that device alone (not to one it removed). Call inside the transaction that made
    the change."""
    conn = session.conn
    devices = conn.execute("SELECT fingerprint, bundle FROM hub_devices WHERE removed_at IS "
                           "NULL ORDER BY fingerprint").fetchall()  # never to a removed PC
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
    if is_admin_pc(session) or admin_device(session) != sender:
        raise BadPayload("account updates are taken only from the school's admin PC")
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
    # A keyed DSL PC: the DSL store's key follows the DSL role the update gives.
    grant_after_accounts(session, users, verifiers)
    return applied


def _user_id(conn: Any, user_id: object) -> str:
    if not isinstance(user_id, str) or not conn.execute("SELECT 1 FROM users WHERE id = ?",
                                                        (user_id,)).fetchone():
        raise BadPayload("a verifier names an account it does not carry")
    return user_id
