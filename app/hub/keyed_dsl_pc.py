"""A DSL PC of a hub school keeps a DSL store of its own (docs/keys.md, "What is where"; issue
#15): a school store every account on it opens, and ``dsl.db``, whose key is granted only to
the DSL accounts and the recovery key, holding the DSL team's records and the hub DSL team's
private keys (``held_team_keys``). So a teacher or office account signing in there gets a
workspace, as on a staff PC, and opens nothing of the DSL team's.

Two ways in. A PC provisioned for the DSL team is keyed as soon as its provisioning is applied,
before any account can sign in: the DSL store's key is granted to each DSL account's passphrase
verifier (moved to its personal key at its first sign-in there, as a keyed office PC does with
the office key). A DSL PC provisioned before this (one store every account opened) is keyed at
the next sign-in of a DSL there: the DSL store's key is granted to that DSL, to every DSL
account that already signed in there, and by verifier to those that have not. Either way in one
transaction, then the school store is vacuumed (so no freed page keeps a moved row), audited.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from app.clock import iso
from app.delivery.team_keys import move_private_halves
from app.errors import ConcernDeskError
from app.hub import sealing
from app.hub.keyed_pc import vacuum_owed
from app.hub.provisional import grant_by_verifier
from app.store import dsl_store
from app.store.db import KEY_MODEL, SPLIT, has_dsl_store
from app.store.held import effective_roles
from app.store.keyfile import RECOVERY, KeyFile, holder
from app.store.keys import b64e, key_id, new_data_key
from app.store.rekey import pin_recovery
from app.store.session import Session
from app.store.users import active_dsl_accounts

log = logging.getLogger(__name__)
VACUUM_OWED = "dsl_split_vacuum_owed"  # meta: moved rows may still sit in freed pages


def needs_keying(session: Session) -> bool:
    """A joined DSL PC still on one store every account opens."""
    return (session.meta("provisioned_by_device") is not None
            and session.meta("device_purpose") == "dsl" and not has_dsl_store(session.conn))


def key_at_provisioning(session: Session) -> None:
    """Right after a DSL PC's provisioning commits, before any account exists here: the DSL
    store, granted to the DSL accounts' verifiers. Idempotent (a crash before it ran is
    finished by the next ``provision_from_hub``)."""
    if not needs_keying(session):
        return
    _split(session, {}, [user_id for user_id, _ in active_dsl_accounts(session.conn)])


def key_dsl_pc(session: Session) -> None:
    """Sign-in hook: a DSL PC provisioned before DSL PCs were keyed is keyed now, by the first
    DSL who signs in there (who must hold personal keys: a recovery session leaves it); and a
    DSL's session pins its own key among the DSL store's members."""
    if session.meta(VACUUM_OWED) is not None:
        _vacuum(session)
    held = session.held
    if held.dsl_store_open and session.user.has_role("dsl") and held.personal is not None:
        if session.meta("device_purpose") == "dsl":  # its grant came by verifier
            _pin_member(session)
        return
    if not needs_keying(session) or held.personal is None \
            or not session.user.has_role("dsl"):
        return
    keyfile = KeyFile.load(session.directory)
    members: dict[str, bytes] = {session.user.username: held.personal.public()}
    by_verifier = []
    for user_id, username in active_dsl_accounts(session.conn):
        public = keyfile.public_of(username)
        if username == session.user.username:
            continue
        if public is not None:
            members[username] = public
        else:
            by_verifier.append(user_id)  # not signed in here yet: its verifier's grant
    dsl_key = _split(session, members, by_verifier)
    dsl_store.attach_store(session.conn, session.directory, dsl_key)
    session.held = replace(held, split=True, dsl_key=dsl_key)
    session.user = replace(session.user, roles=effective_roles(session.user.roles,
                                                               session.held))
    session.follow_held_keys()  # the split itself is in the school store's trail, as audited
    sealing.on_sign_in(session)  # the team's keys, the sealed items waiting
    log.info("DSL PC store split: a DSL store of its own")


def grant_after_accounts(session: Session, users: list[Any], verifiers: dict[str, Any]
                         ) -> None:
    """After an ``accounts`` update from the admin's PC, applied by a DSL's session on a keyed
    DSL PC (only such a session takes this PC's inbox): a DSL account that has not signed in
    here yet gets the DSL store's key by its verifier, and an unclaimed verifier's grant of an
    account that is no longer a DSL is withdrawn. Only what the update itself says counts —
    the accounts, their roles and verifiers — never the school store's tables, which any
    account here could edit. An account that already signed in here and is given the DSL role
    later gets no key here yet (docs/keys.md). Call inside the applying transaction, after the
    verifiers are saved."""
    dsl_key = session.held.dsl_key
    if not session.held.dsl_store_open or dsl_key is None:
        return
    keyfile = KeyFile.load(session.directory)
    dsl = {str(u["id"]): str(u["username"]) for u in users if isinstance(u, dict)
           and "dsl" in (u.get("roles") or [])}
    granted = keyfile.holders("dsl")
    stale = [h for h in granted if h.startswith("verifier:")
             and h.removeprefix("verifier:") not in dsl.values()]
    for name in stale:
        keyfile.revoke("dsl", name)
    if stale:
        keyfile.save(session.directory)
    new = [user_id for user_id, username in dsl.items() if user_id in verifiers
           and username not in keyfile.users and f"verifier:{username}" not in granted]
    if new:
        grant_by_verifier(session, "dsl", dsl_key, new)
    if new or stale:
        session.audit("user", "key-request", None, scope="dsl", granted_by_verifier=len(new),
                      withdrawn=len(stale), requested_by="accounts update")


def _pin_member(session: Session) -> None:
    """A DSL who opened the DSL store (by a grant moved from its verifier) is pinned as a
    member, with the key its passphrase just derived: a re-key grants to the members."""
    personal, conn = session.held.personal, session.conn
    assert personal is not None
    if conn.execute("SELECT 1 FROM dsl.dsl_members WHERE username = ?",
                    (session.user.username,)).fetchone():
        return
    with session.tx():
        conn.execute("INSERT INTO dsl.dsl_members (username, public, added_at) VALUES (?,?,?)",
                     (session.user.username, b64e(personal.public()),
                      iso(session.clock.now())))


def _split(session: Session, members: dict[str, bytes], by_verifier: list[str]) -> bytes:
    """Makes the DSL store, moves the DSL team's tables and the team keys' private halves into
    it, grants its key; returns the key. The DSL store is detached again when it returns."""
    conn, directory = session.conn, session.directory
    keyfile = KeyFile.load(directory)
    recovery_public = keyfile.recovery_public()
    if recovery_public is None:
        raise ConcernDeskError("This PC's recovery key is from before grants: run "
                                       "'concerndesk-cli recover' once first.")
    for suffix in ("", "-wal", "-shm"):  # a stray file from an attempt a crash cut short
        (directory / (dsl_store.DSL_FILE + suffix)).unlink(missing_ok=True)
    dsl_key = new_data_key()
    dsl_store.attach_store(conn, directory, dsl_key, create=True)
    try:
        # Grants first: once the school store commits, the DSL store must already open.
        keyfile.grant("dsl", RECOVERY, dsl_key, recovery_public)
        keyfile.key_ids["dsl"] = key_id(dsl_key)
        for username, public in members.items():
            keyfile.grant("dsl", holder(username), dsl_key, public)
        keyfile.save(directory)
        grant_by_verifier(session, "dsl", dsl_key, by_verifier)
        now = iso(session.clock.now())
        with session.tx():
            dsl_store.move_tables(conn)
            moved = move_private_halves(conn)
            conn.executemany("INSERT INTO dsl.dsl_members (username, public, added_at) VALUES "
                             "(?,?,?)", [(u, b64e(p), now) for u, p in members.items()])
            conn.executemany("INSERT INTO dsl.meta (key, value) VALUES (?, ?)", (
                ("recovery_public", b64e(recovery_public)), ("trusted_admins", "{}"),
                ("awaiting_members", "[]")))
            session.set_meta(KEY_MODEL, SPLIT)
            session.set_meta(VACUUM_OWED, "1")
            pin_recovery(conn, recovery_public)
            session.audit("settings", "store", session.store_id, split=True, dsl_pc=True,
                          dsl_members=len(members), by_verifier=len(by_verifier),
                          team_keys_moved=moved)
    finally:
        dsl_store.detach(conn)
    _vacuum(session)
    return dsl_key


def _vacuum(session: Session) -> None:
    vacuum_owed(session, VACUUM_OWED, "DSL PC store split")

