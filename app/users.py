"""Staff accounts: added, changed and removed by an admin; each holds a wrap of the data key."""

from __future__ import annotations

import uuid

from app.clock import iso
from app.errors import InputError, NotFound
from app.keyfile import KeyFile
from app.keys import KdfParams
from app.passphrase import check_passphrase_strength
from app.provision import replicate_accounts
from app.ratelimit import UnlockState
from app.roles import Perm, parse_roles
from app.session import Session, User
from app.store import _check_username, load_user
from app.verifier import set_verifier


def list_users(session: Session) -> list[User]:
    session.require(Perm.MANAGE_USERS)
    rows = session.conn.execute("SELECT id, username, display_name, roles FROM users WHERE "
                                "removed_at IS NULL ORDER BY username").fetchall()
    return [User(r[0], r[1], r[2], tuple(r[3].split(","))) for r in rows]


def add_user(session: Session, username: str, display_name: str, roles: str | list[str],
             passphrase: str, *, kdf: KdfParams | None = None, weak_ok: bool = False) -> User:
    session.require(Perm.MANAGE_USERS)
    _check_username(username)
    parsed = parse_roles(roles)
    if not weak_ok:
        check_passphrase_strength(passphrase)
    if load_user(session.conn, username) is not None:
        raise InputError("name", f"an account '{username}' already exists")
    user = User(str(uuid.uuid4()), username, display_name.strip() or username, parsed)
    keyfile = KeyFile.load(session.directory)
    keyfile.add_user(username, passphrase, session.data_key, session.device.secret,
                     kdf or KdfParams())
    with session.tx() as conn:
        conn.execute("INSERT INTO users (id, username, display_name, roles, created_at) "
                     "VALUES (?,?,?,?,?)", (user.id, user.username, user.display_name,
                                            ",".join(user.roles), iso(session.clock.now())))
        session.audit("user", "user", user.id, change="added", roles=list(parsed))
        set_verifier(conn, user.id, username, passphrase, kdf or KdfParams(),  # (hub-sync.md)
                     session.clock.now())
        replicate_accounts(session)
        # Saved inside the transaction: if the key file cannot be written, the row rolls back.
        keyfile.save(session.directory)
    return user


def change_passphrase(session: Session, old: str, new: str) -> None:
    """Rewraps the signed-in user's own copy of the data key."""
    check_passphrase_strength(new, "new passphrase")
    keyfile = KeyFile.load(session.directory)
    from app.keys import UnwrapFailed

    try:
        keyfile.unwrap_user(session.user.username, old, session.device.secret)
    except UnwrapFailed:
        raise InputError("current passphrase", "is not right") from None
    keyfile.add_user(session.user.username, new, session.data_key, session.device.secret,
                     KdfParams())
    with session.tx() as conn:
        session.audit("user", "user", session.user.id, change="passphrase changed")
        set_verifier(conn, session.user.id, session.user.username, new, KdfParams(),
                     session.clock.now())
        replicate_accounts(session)
        keyfile.save(session.directory)


def reset_passphrase(session: Session, username: str, new: str) -> None:
    """An admin sets a new passphrase for someone who forgot theirs (or was locked out)."""
    session.require(Perm.MANAGE_USERS)
    check_passphrase_strength(new, "new passphrase")
    user = load_user(session.conn, username)
    if user is None:
        raise NotFound(f"There is no account '{username}'.")
    keyfile = KeyFile.load(session.directory)
    keyfile.add_user(username, new, session.data_key, session.device.secret, KdfParams())
    with session.tx() as conn:
        session.audit("user", "user", user.id, change="passphrase reset by admin")
        set_verifier(conn, user.id, username, new, KdfParams(), session.clock.now())
        replicate_accounts(session)
        keyfile.save(session.directory)
    # The new passphrase must work at once: a reset also ends the account's lockout.
    UnlockState(session.directory, session.clock).clear(username)


def remove_user(session: Session, username: str) -> None:
    session.require(Perm.MANAGE_USERS)
    user = load_user(session.conn, username)
    if user is None:
        raise NotFound(f"There is no account '{username}'.")
    if user.id == session.user.id:
        raise InputError("name", "you cannot remove your own account")
    keyfile = KeyFile.load(session.directory)
    keyfile.remove_user(username)
    with session.tx() as conn:
        conn.execute("UPDATE users SET removed_at = ? WHERE id = ?",
                     (iso(session.clock.now()), user.id))
        session.audit("user", "user", user.id, change="removed")
        replicate_accounts(session)  # to the PCs that joined (hub-sync.md)
        keyfile.save(session.directory)
