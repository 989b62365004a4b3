"""Re-keying the school store when an account goes (docs/keys.md, "Rotation"; issue #15).

Every account holds the school store's key, so a removed or disabled account keeps it in any copy
of keys.json it took. The session that removes it holds the key too: it makes a new random one,
grants it to every remaining account and to the recovery key — by the public keys pinned inside
the school store (``account_keys``, ``meta.recovery_public``) rather than keys.json's alone, which
anyone with a shell can edit — staged as ``school-next`` and saved with the removal's own
transaction; then it ``PRAGMA rekey``s store.db and promotes the staged grants. At every instant
keys.json holds a key that opens store.db (the current one until the rekey, the staged one from
then on), and the next sign-in after a crash finishes whatever was left (``open_school``).

Not re-keyed: a school that syncs through a hub, or a PC that joined one — their key travels
between PCs in the join flow (docs/hub-sync.md) — and a store whose recovery key is still in
key file format 1 (it could not be granted the new key: ``concerndesk-cli recover`` upgrades it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.errors import StoreDamaged, StoreRekeyed
from app.store.db import DB_FILE, Connection, connect, transaction
from app.store.joinfile import JOIN_FILE
from app.store.keyfile import RECOVERY, KeyFile, holder
from app.store.keys import b64d, b64e, key_id, new_data_key
from app.store.session import Session

SCOPE, STAGED = "school", "school-next"
RECOVERY_PIN = "recovery_public"  # main.meta: the recovery key's X25519 public key
RESET_NEEDED = "reset_needed"  # in a format-1 key file entry the re-key could not reach


@dataclass(frozen=True)
class Staged:
    """A re-key staged in the removal's key file: the new key, and what the admin is told."""

    key: bytes
    reset_needed: tuple[str, ...]  # format-1 accounts: locked out until an admin resets them
    from_key_file: int  # accounts whose public key nothing in the store pinned yet
    overridden: int  # keys.json named another public key than the pinned one (pinned used)


def why_not(conn: Connection, directory: Path, keyfile: KeyFile) -> str | None:
    """Why this store is not re-keyed when an account goes, or None when it is."""
    if (directory / JOIN_FILE).exists() or conn.execute(
            "SELECT 1 FROM main.services WHERE role = 'hub'").fetchone():
        return ("this school syncs through a hub, whose PCs share the school store's key "
                "(not yet re-keyed there)")
    if keyfile.recovery_public() is None:
        return ("the recovery key is still in its older form: run 'concerndesk-cli recover' "
                "once, then the next removal re-keys")
    return None


# -- pinned public keys ----------------------------------------------------------------------

def pin_account(conn: Connection, username: str, public: bytes, now: str) -> None:
    conn.execute("INSERT INTO main.account_keys (username, public, pinned_at) VALUES (?,?,?) "
                 "ON CONFLICT (username) DO UPDATE SET public = excluded.public, "
                 "pinned_at = excluded.pinned_at", (username, b64e(public), now))


def pin_recovery(conn: Connection, public: bytes) -> None:
    conn.execute("INSERT INTO main.meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                 "SET value = excluded.value", (RECOVERY_PIN, b64e(public)))


def pin_at_sign_in(conn: Connection, username: str, public: bytes, now: str,
                   dsl_store_open: bool) -> None:
    """An account pins its own public key (it just derived it from its passphrase, so it is
    authentic); a session holding the DSL store copies the recovery key's pinned there, which
    no account without the DSL key can alter. Writes only what changed."""
    row = conn.execute("SELECT public FROM main.account_keys WHERE username = ?",
                       (username,)).fetchone()
    recovery = None
    if dsl_store_open:
        found = conn.execute("SELECT value FROM dsl.meta WHERE key = ?", (RECOVERY_PIN,)
                             ).fetchone()
        here = conn.execute("SELECT value FROM main.meta WHERE key = ?", (RECOVERY_PIN,)
                            ).fetchone()
        if found is not None and (here is None or here[0] != found[0]):
            recovery = b64d(found[0])
    if (row is not None and row[0] == b64e(public)) and recovery is None:
        return
    with transaction(conn):
        pin_account(conn, username, public, now)
        if recovery is not None:
            pin_recovery(conn, recovery)


def _recovery_public(session: Session, keyfile: KeyFile) -> tuple[bytes, bool]:
    """(the recovery key's public key, whether keys.json named another). The DSL store's copy
    when this session holds it, else the school store's, else keys.json's (then pinned)."""
    conn, listed = session.conn, keyfile.recovery_public()
    assert listed is not None  # why_not said so
    for schema in (("dsl",) if session.held.dsl_store_open else ()) + ("main",):
        row = conn.execute(f"SELECT value FROM {schema}.meta WHERE key = ?", (RECOVERY_PIN,)
                           ).fetchone()
        if row is not None:
            return b64d(row[0]), b64d(row[0]) != listed
    pin_recovery(conn, listed)
    return listed, False


# -- the re-key --------------------------------------------------------------------------------

def stage(session: Session, keyfile: KeyFile) -> Staged | None:
    """Call inside the removal's transaction, after ``keyfile.remove_user``: stages the new
    key's grants in ``keyfile`` (which the caller saves in that transaction) and returns it, or
    None when this store is not re-keyed (``why_not``). The account being removed must already
    be marked removed in the users table."""
    conn = session.conn
    if why_not(conn, session.directory, keyfile) is not None:
        return None
    key = new_data_key()
    pins = {r[0]: b64d(r[1]) for r in conn.execute("SELECT username, public FROM "
                                                   "main.account_keys")}
    active = {r[0] for r in conn.execute("SELECT username FROM main.users WHERE removed_at IS "
                                         "NULL")}
    own = session.held.personal
    keyfile.grants.pop(STAGED, None)
    reset, unpinned, overridden = [], 0, 0
    for username, entry in sorted(keyfile.users.items()):
        if username not in active:
            continue  # removed in the users table: it gets nothing new
        if own is not None and username == session.held.owner:
            public = own.public()
        elif "public" not in entry:
            # Format 1: its wrap is of the key this re-key retires, and nobody but its owner
            # can make it personal keys. It would open nothing: the admin resets it.
            if not entry.get(RESET_NEEDED):
                keyfile.users[username] = {k: v for k, v in entry.items()
                                           if k not in ("nonce", "wrapped")}
                keyfile.users[username][RESET_NEEDED] = True
                reset.append(username)
            continue
        else:
            listed = b64d(entry["public"])
            public = pins.get(username, listed)
            unpinned += username not in pins
            overridden += public != listed
        keyfile.grant(STAGED, holder(username), key, public)
    recovery, mismatch = _recovery_public(session, keyfile)
    keyfile.grant(STAGED, RECOVERY, key, recovery)
    staged = Staged(key, tuple(reset), unpinned, overridden + mismatch)
    session.audit("settings", "school-store", None, rekey="staged",
                  accounts=len(keyfile.grants[STAGED]) - 1, reset_needed=list(reset),
                  unpinned=unpinned, key_file_overridden=staged.overridden)
    return staged


def _rekey(conn: Connection, key: bytes) -> None:
    # The main database only: an attached DSL store (or workspace) keeps its own key.
    conn.execute(f"PRAGMA main.rekey = \"x'{key.hex()}'\"")
    # Best effort: the file itself, not only its write-ahead log, then holds new-key pages.
    conn.execute("PRAGMA main.wal_checkpoint(TRUNCATE)").fetchone()


def _promote(directory: Path, key: bytes) -> None:
    keyfile = KeyFile.load(directory)
    keyfile.promote(STAGED, SCOPE, key)
    keyfile.save(directory)


def finish(session: Session, staged: Staged | None) -> None:
    """After the removal has committed: the re-key, then the staged grants become the school
    store's. A crash at any point is finished by the next sign-in (``open_school``)."""
    if staged is None:
        return
    _rekey(session.conn, staged.key)
    session.rekeyed(staged.key)
    _promote(session.directory, staged.key)
    with session.tx():
        session.audit("settings", "school-store", None, rekeyed=True)


def open_school(directory: Path, key: bytes, staged: bytes | None) -> tuple[Connection, bytes]:
    """Opens store.db at sign-in, finishing a re-key a crash cut short: if the current key
    fails and the staged one opens, the rekey ran (its grants are promoted now); if the
    current key opens and a staged key is waiting, the removal committed but its rekey did not
    run, and it runs now. Returns the connection and the key it opened with."""
    path = directory / DB_FILE
    try:
        conn = connect(path, key)
    except (StoreDamaged, StoreRekeyed):
        if staged is None:
            raise
        conn = connect(path, staged)  # StoreDamaged, as before, if this fails too
        _promote(directory, staged)
        return conn, staged
    if staged is None:
        return conn, key
    try:
        _rekey(conn, staged)
        _promote(directory, staged)
    except BaseException:
        conn.close()
        raise
    conn.key_id = key_id(staged)  # type: ignore[attr-defined]
    return conn, staged


def withdrawn_words(keyfile: KeyFile, username: str) -> str | None:
    """What an account locked out by a re-key is told at sign-in, or None."""
    if not keyfile.users.get(username, {}).get(RESET_NEEDED):
        return None
    return (f"The account '{username}' needs its passphrase reset by an admin: the school "
            "store's key was changed (an account was removed) before this account had signed "
            "in since the store was upgraded.")


def outcome_words(session: Session, staged: Staged | None) -> str:
    """What the admin is told after a removal or a disable."""
    if staged is None:
        reason = why_not(session.conn, session.directory, KeyFile.load(session.directory))
        return f" The school store was not re-keyed: {reason}." if reason else ""
    words = " The school store was re-keyed: a copy of the old key file opens nothing " \
            "written from now on."
    if staged.reset_needed:
        words += (" These accounts had not signed in since the store was upgraded and need "
                  f"their passphrases reset before they can sign in: "
                  f"{', '.join(staged.reset_needed)}.")
    return words

