"""Splitting a store made before roles were enforced by key (docs/keys.md, "Upgrading").

A DSL runs it once, with the recovery key: the DSL team's tables move into a new DSL store
whose key is granted to the recovery key, to that DSL and to every other DSL account that
already has personal keys (the others get it at a DSL's sign-in after their own first one). The
school store is then vacuumed, so no freed page keeps a moved row. In place and forward-only;
a crash before the final commit leaves the single-file store as it was (and a stray ``dsl.db``,
which the next attempt replaces).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from app.clock import iso
from app.errors import InputError
from app.store import directory as account_directory
from app.store import dsl_store
from app.store.audit import RECOVERY_SIGNER, Signer
from app.store.db import KEY_MODEL, SPLIT, Connection, has_dsl_store
from app.store.keyfile import RECOVERY, KeyFile, holder
from app.store.keys import (
    UnwrapFailed,
    b64d,
    b64e,
    key_id,
    new_data_key,
    parse_recovery_key,
    raw_public,
    recovery_signing_key,
)
from app.store.rekey import pin_recovery
from app.store.session import Session

AWAITING = "awaiting_members"


def split_store(session: Session, recovery_key_text: str, *,
                keep_team_keys: Callable[[Connection], object] | None = None) -> list[str]:
    """Splits the store; returns the DSL accounts still waiting for the DSL store's key.
    ``keep_team_keys`` (``app.delivery.team_keys.move_private_halves``, which the hub school's
    command passes) moves the team keys' private halves into the DSL store in the split's
    transaction; without it they are dropped (a school without a hub makes new ones)."""
    conn, directory = session.conn, session.directory
    if has_dsl_store(conn) and not (directory / dsl_store.DSL_FILE).exists():
        raise InputError("store", "this is a staff PC of a school hub: its store is keyed "
                         "already and keeps no DSL team records at all")
    if has_dsl_store(conn):
        raise InputError("store", "this store already keeps the DSL team's records apart")
    if "dsl" not in session.user.roles:
        raise InputError("user", "a DSL splits the store (the DSL store's key is theirs)")
    keyfile = KeyFile.load(directory)
    try:
        recovered = keyfile.unwrap_recovery(parse_recovery_key(recovery_key_text))
    except UnwrapFailed:
        raise InputError("recovery key", "does not open this store") from None
    recovery_public = raw_public(recovered.private)
    me = session.held.personal
    assert me is not None
    dsl_accounts = [r[0] for r in conn.execute(
        "SELECT username FROM users WHERE removed_at IS NULL AND (',' || roles || ',') LIKE "
        "'%,dsl,%' ORDER BY username")]
    admins = {r[0] for r in conn.execute(
        "SELECT username FROM users WHERE removed_at IS NULL AND (',' || roles || ',') LIKE "
        "'%,admin,%'")}
    ready = [u for u in dsl_accounts if "public" in keyfile.users.get(u, {})]
    waiting = [u for u in dsl_accounts if u not in ready]

    (directory / dsl_store.DSL_FILE).unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        (directory / (dsl_store.DSL_FILE + suffix)).unlink(missing_ok=True)
    dsl_key = new_data_key()
    dsl_store.attach_store(conn, directory, dsl_key, create=True)
    try:
        # Grants first: once the school store commits, the DSL store must already open.
        if keyfile.recovery_public() is None:
            keyfile.recovery["public"] = b64e(recovery_public)
            keyfile.grant("school", RECOVERY, session.data_key, recovery_public)
            keyfile.recovery.pop("data_key", None)
        keyfile.grant("dsl", RECOVERY, dsl_key, recovery_public)
        keyfile.key_ids["dsl"] = key_id(dsl_key)  # a session open on an older key is told so
        for username in ready:
            keyfile.grant("dsl", holder(username), dsl_key, b64d(keyfile.users[username]["public"]))
        keyfile.save(directory)
        trusted = {u: keyfile.users[u]["signing_public"] for u in sorted(admins)
                   if "signing_public" in keyfile.users.get(u, {})}
        with session.tx():
            dsl_store.move_tables(conn)
            for username in ready:
                conn.execute("INSERT INTO dsl.dsl_members (username, public, added_at) VALUES "
                             "(?,?,datetime('now'))", (username, keyfile.users[username]["public"]))
            conn.executemany("INSERT INTO dsl.meta (key, value) VALUES (?, ?)", (
                ("recovery_public", b64e(recovery_public)), ("trusted_admins", json.dumps(trusted)),
                (AWAITING, json.dumps(waiting))))
            if keep_team_keys is not None:  # a hub school's, shared with its other PCs
                keep_team_keys(conn)
            conn.execute("UPDATE main.team_keys SET private = NULL")
            session.set_meta(KEY_MODEL, SPLIT)
            pin_recovery(conn, recovery_public)  # what a school store re-key grants to
            # The account directory, signed as it stands by the recovery key just typed.
            account_directory.sign_everyone(
                conn, session.store_id,
                Signer.of(RECOVERY_SIGNER, recovery_signing_key(
                    parse_recovery_key(recovery_key_text), session.store_id)),
                keyfile, iso(session.clock.now()), dsl_store_open=True)
            session.audit("settings", "store", session.store_id, split=True,
                          dsl_members=len(ready), waiting=len(waiting))
    finally:
        dsl_store.detach(conn)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")  # no freed page of the school store keeps a moved row
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    session.close()
    return waiting
