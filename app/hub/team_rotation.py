"""A new DSL team key pair for a hub school when a DSL PC or a DSL account leaves (issue #15).

Every DSL PC and the hub's inbox share the DSL team's pair; a removed DSL PC, or a removed DSL
with a copy of an old DSL store and its PC's keyring, still holds its private half. So the
admin's PC (the one root of trust, ``is_admin_pc``) makes a new pair, in a session holding its
DSL store: the private half goes only to the remaining approved DSL PCs, each in a "team-key"
envelope sealed to that PC's own device key (as provisioning does), and the public half to
every other approved PC the same way, without the private half. The old private halves stay in
each DSL store's ``held_team_keys``: what was sealed to them still opens, and a DSL PC approved
later gets them in its provisioning. Every PC then seals to the newest key (``team_keys``).

The rotation is owed (school store ``meta``) in the transaction that removed the PC or the
account, and done by the next session on the admin's PC that holds the DSL store (at once when
the removing session holds it). Three steps, each in one file, so a crash anywhere leaves a
working state that the next attempt finishes:

1. the DSL store alone: the new pair into ``held_team_keys`` and ``dsl.meta`` NEXT naming it
   (held, not yet current: nothing seals to it);
2. the school store alone: ``team_keys`` names the new public half, the "team-key" envelopes
   are queued, the debt is cleared;
3. the DSL store alone: NEXT dropped, the rotation audited (once).
"""

from __future__ import annotations

import json
from typing import Any

from app.clock import iso
from app.delivery.outbox import enqueue
from app.delivery.team_keys import (
    device_fingerprint,
    dsl_store_file_attached,
    is_admin_pc,
    replace_dsl_team_public,
    team_bundle,
)
from app.errors import ConcernDeskError
from app.hub.apply_checks import Applied, BadPayload
from app.hub.replicate import canonical
from app.protocol.envelope import new_header, seal
from app.protocol.fingerprint import KeyBundle, KeyPairs, b64d, b64e
from app.store.db import has_dsl_store
from app.store.session import Session
from app.store.users import active_dsl_accounts

KIND = "team-key"
OWED = "dsl_team_key_owed"  # school store meta, admin's PC: why a new pair is owed
NEXT = "dsl_team_key_next"  # DSL store meta, admin's PC: the new pair made, not yet sent
SEQ = "dsl_team_key_seq"  # school store meta: pairs made (admin's PC), last applied (others)
MEMBERS = "dsl_team_key_members"  # school store meta, admin's PC: the DSL accounts at the last pair


def _dsl_accounts(session: Session) -> set[str]:
    return {username for _, username in active_dsl_accounts(session.conn)}


def rotates_here(session: Session) -> bool:
    """The admin's PC of a hub school, keyed (its DSL store keeps every pair): a single-key
    store from before has one private half per team and is not rotated (split it first)."""
    return is_admin_pc(session) and has_dsl_store(session.conn) and \
        session.conn.execute("SELECT 1 FROM services WHERE role = 'hub'").fetchone() is not None


def owe(session: Session, why: str) -> None:
    """Inside the removal's own transaction (the school store's meta: the same file as the
    removal, so both commit or neither)."""
    if rotates_here(session):
        session.set_meta(OWED, why)


def owe_if_dsl_left(session: Session) -> None:
    """The admin's PC changed its accounts: a DSL account removed, disabled or no longer a DSL
    since the current pair was made owes a new one. Call inside the change's transaction."""
    if not rotates_here(session):
        return
    now = _dsl_accounts(session)
    listed = session.meta(MEMBERS)
    if listed is not None:
        before = set(json.loads(listed))
    else:  # none recorded yet: those who were DSLs when the current pair was made
        made = session.conn.execute("SELECT added_at FROM main.team_keys WHERE team = 'dsl'"
                                    ).fetchone()
        before = now | {r[0] for r in session.conn.execute(
            "SELECT username FROM users WHERE removed_at >= ? AND (',' || roles || ',') LIKE "
            "'%,dsl,%'", (made[0] if made else "",))}
    if before - now:
        owe(session, "a DSL account left")
    session.set_meta(MEMBERS, json.dumps(sorted(now)))


def removal_words(session: Session, before: str | None) -> str:
    """What the admin is told, after a removal, of the DSL team's key (``before``: its
    fingerprint before the removal); "" when it did not change and none is owed."""
    if session.meta(OWED) is not None:
        return ("A new DSL team key is owed: it is made, and sent to the DSL PCs that remain, "
                "at the next sign-in or sync of a DSL on this PC.")
    bundle = team_bundle(session.conn, "dsl")
    if before is not None and bundle is not None and bundle.fingerprint != before:
        return ("A new DSL team key was made: the next sync here sends it to the DSL PCs that "
                "remain, and its public half to every other PC.")
    return ""


def finish(session: Session) -> bool:
    """Makes and sends the new pair owed, if this session can (the admin's PC, its DSL store
    open); finishes one a crash cut short. True when a new pair became current."""
    conn = session.conn
    if not rotates_here(session) or not dsl_store_file_attached(conn):
        return False
    row = conn.execute("SELECT value FROM dsl.meta WHERE key = ?", (NEXT,)).fetchone()
    if session.meta(OWED) is None:
        if row is not None:  # step 2 committed, step 3 did not
            _close(session, row[0], None)
        return False
    pairs = None
    if row is not None:
        held = conn.execute("SELECT private FROM dsl.held_team_keys WHERE fingerprint = ?",
                            (row[0],)).fetchone()
        pairs = KeyPairs.from_private_bytes(bytes(held[0])) if held else None
    if pairs is None:  # step 1
        pairs = KeyPairs.generate()
        with session.tx():
            conn.execute("INSERT INTO dsl.held_team_keys (fingerprint, team, bundle, private, "
                         "added_at) VALUES (?,'dsl',?,?,?)",
                         (pairs.fingerprint, json.dumps(pairs.bundle.to_json()),
                          pairs.private_bytes(), iso(session.clock.now())))
            conn.execute("INSERT INTO dsl.meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO "
                         "UPDATE SET value = excluded.value", (NEXT, pairs.fingerprint))
    with session.tx():  # step 2
        replace_dsl_team_public(conn, pairs.bundle, session.clock.now())
        seq = int(session.meta(SEQ) or "0") + 1
        session.set_meta(SEQ, str(seq))
        sent = _send(session, pairs, seq)
        session.set_meta(MEMBERS, json.dumps(sorted(_dsl_accounts(session))))
        conn.execute("DELETE FROM main.meta WHERE key = ?", (OWED,))
    _close(session, pairs.fingerprint, sent)
    return True


def _close(session: Session, fingerprint: str, sent: int | None) -> None:
    """Step 3: audited once (a crash between its commits may run it again)."""
    conn = session.conn
    with session.tx():
        if not conn.execute(f"SELECT 1 FROM {session.audit_schema}.audit WHERE object_type = "
                            "'team-key' AND object_id = 'dsl' AND detail LIKE ?",
                            (f'%"{fingerprint}"%',)).fetchone():
            session.audit("settings", "team-key", "dsl", fingerprint=fingerprint, rotated=True,
                          sent_to=sent)
        conn.execute("DELETE FROM dsl.meta WHERE key = ?", (NEXT,))


def _send(session: Session, pairs: KeyPairs, seq: int) -> int:
    """A "team-key" envelope to each approved PC (never a removed one), sealed to that PC's
    own key; only a DSL PC's carries the private half."""
    me, queued = device_fingerprint(session), 0
    for fp, purpose, bundle_json in session.conn.execute(
            "SELECT fingerprint, purpose, bundle FROM hub_devices WHERE removed_at IS NULL "
            "ORDER BY fingerprint").fetchall():
        payload = {"v": 1, "type": KIND, "by": session.user.id, "team": "dsl", "seq": seq,
                   "bundle": pairs.bundle.to_json(),
                   "private": b64e(pairs.private_bytes()) if purpose == "dsl" else None}
        header = new_header(me, fp, KIND, created=session.clock.now())
        device = KeyBundle.from_json(json.loads(bundle_json))
        raw = seal(header, canonical(payload), device.hpke_key(), session.device.signing_key)
        enqueue(session, [raw], fp, KIND, fp)
        queued += 1
    return queued


def apply_team_key(session: Session, payload: dict[str, Any], sender: str,
                   admin: str | None) -> Applied:
    """On a joined PC, inside the receiving transaction: the admin PC's new DSL team key. A
    DSL PC keeps the private half in its DSL store beside the earlier ones; every PC seals to
    the newest key from now on (an older envelope arriving late changes only what it holds)."""
    conn = session.conn
    if is_admin_pc(session) or admin is None or admin != sender:
        raise BadPayload("team keys are taken only from the school's admin PC")
    if payload.get("type") != KIND or payload.get("team") != "dsl":
        raise BadPayload("not a DSL team key")
    seq = payload.get("seq")
    if type(seq) is not int or seq < 1:
        raise BadPayload("the team key is not numbered")
    try:
        bundle = KeyBundle.from_json(payload.get("bundle"))
        private = payload.get("private")
        secret = b64d(private, "team private key") if private is not None else None
        if secret is not None and KeyPairs.from_private_bytes(secret).bundle != bundle:
            raise ValueError("mismatch")
    except (ConcernDeskError, ValueError, TypeError, KeyError):
        raise BadPayload("the team key is malformed or does not match its public half") \
            from None
    applied = Applied()
    if secret is not None:
        if not dsl_store_file_attached(conn):
            raise BadPayload("the DSL team's private key is kept only in a DSL store")
        cur = conn.execute("INSERT INTO dsl.held_team_keys (fingerprint, team, bundle, private, "
                           "added_at) VALUES (?,'dsl',?,?,?) ON CONFLICT (fingerprint) DO "
                           "NOTHING", (bundle.fingerprint, json.dumps(bundle.to_json()), secret,
                                       iso(session.clock.now())))
        applied.add("team keys held", cur.rowcount or 0)
    elif session.meta("device_purpose") == "dsl":
        raise BadPayload("a DSL PC's team key comes with its private half")
    held = int(session.meta(SEQ) or "0")
    current = team_bundle(conn, "dsl")
    if seq > held:
        if current is None or current != bundle:
            replace_dsl_team_public(conn, bundle, session.clock.now())
            applied.add("team keys")
        session.set_meta(SEQ, str(seq))
    return applied
