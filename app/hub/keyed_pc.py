"""A staff PC provisioned before staff PCs were keyed becomes one at the next sign-in there
(docs/keys.md, "What is where"; issue #15).

Such a PC keeps one store that every account on it opens, with each teacher's concerns in the
clear. At the first sign-in of an account with personal keys, in one transaction: each concern
(and attachment) is sealed to its author's personal key, so My concerns still shows it to them;
the DSL team's tables are dropped; the store is marked keyed. Then the store is vacuumed, so no
freed page keeps a dropped row, and the session goes on with a workspace like every later one.
The DSL team already has these concerns: they went to the hub, in envelopes sealed to its key,
when they were written (the outbox does not depend on the dropped tables).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from app.hub import sealing
from app.hub.replicate import Snapshot
from app.store import dsl_store
from app.store.db import OperationalError, has_dsl_store
from app.store.held import effective_roles
from app.store.keyfile import KeyFile
from app.store.session import Session

log = logging.getLogger(__name__)
VACUUM_OWED = "keyed_vacuum_owed"  # meta: dropped rows may still sit in freed pages
# Keyed in place at a sign-in (an older office PC keeps its single store: its office key sits
# in the school store, and nothing here moves it).
KEYED_IN_PLACE = ("staff",)


def needs_keying(session: Session) -> bool:
    return (not session.held.split and session.meta("provisioned_by_device") is not None
            and session.meta("device_purpose") in KEYED_IN_PLACE
            and not has_dsl_store(session.conn))


def key_staff_pc(session: Session) -> None:
    """Sign-in hook: keys this PC's store when it is a staff PC from before. Needs a session of
    an account with personal keys (it signs the sealed copies): a recovery session leaves it."""
    if session.meta(VACUUM_OWED) is not None:
        _vacuum(session)
    if not needs_keying(session) or session.held.personal is None:
        return
    conn = session.conn
    keyfile = KeyFile.load(session.directory)
    sealed = skipped = 0
    with session.tx():
        concerns = conn.execute("SELECT r.id, r.created_by, u.username FROM main.records r JOIN "
                                "users u ON u.id = r.created_by WHERE r.kind = 'concern' ORDER "
                                "BY r.created_at, r.id").fetchall()
        for record_id, author_id, username in concerns:
            public = keyfile.public_of(username)
            snap = Snapshot(conn, session.user.id)
            snap.add_record(record_id)
            # A copy naming only its author's records (further information on another's
            # concern would show that concern to them): else the DSL team's copy is the one.
            if public is None or any(r["created_by"] != author_id for r in snap.records):
                skipped += 1
                continue
            sealing.seal_to_account(session, "record", snap.payload(), username, public,
                                    record_id)
            sealed += 1
        for attachment_id, username in conn.execute(
                "SELECT a.id, u.username FROM main.attachments a JOIN main.records r ON r.id = "
                "a.record_id JOIN users u ON u.id = r.created_by WHERE a.added_by = "
                "r.created_by ORDER BY a.added_at, a.id").fetchall():
            public = keyfile.public_of(username)
            if public is not None:
                sealing.seal_to_account(session, "attachment",
                                        sealing.attachment_payload(session, attachment_id),
                                        username, public)
        dsl_store.drop_school_copies(conn)
        session.set_meta(VACUUM_OWED, "1")
        session.audit("settings", "store", session.store_id, keyed=True, sealed=sealed,
                      not_sealed=skipped)
    _vacuum(session)
    session.held = replace(session.held, split=True)
    # The roles honoured from now on are the keyed store's: a DSL role needs the DSL store.
    session.user = replace(session.user, roles=effective_roles(session.user.roles,
                                                               session.held))
    dsl_store.attach_workspace(conn)
    sealing.on_sign_in(session)  # this account's own concerns, into its workspace
    log.info("staff PC store keyed: %d concerns sealed to their authors", sealed)


def _vacuum(session: Session) -> None:
    vacuum_owed(session, VACUUM_OWED, "staff PC store keyed")


def vacuum_owed(session: Session, owed: str, what: str) -> None:
    """Rewrites the school store so no freed page keeps a row dropped or moved out of it, then
    clears the meta flag ``owed``. Another program with the store open (a sync worker) can hold
    it off: the flag stays and the next sign-in here tries again. (VACUUM without a schema is
    the school store's alone; an attached DSL store or workspace is left as it is.)"""
    conn = session.conn
    try:
        conn.execute("PRAGMA main.wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM main")
        conn.execute("PRAGMA main.wal_checkpoint(TRUNCATE)")
    except OperationalError:
        log.warning("%s; its vacuum waits for the next sign-in", what)
        return
    with session.tx():
        conn.execute("DELETE FROM main.meta WHERE key = ?", (owed,))
