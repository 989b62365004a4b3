"""Staff accounts: added, changed and removed by an admin; each holds a wrap of the data key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from app.clock import iso, parse_iso
from app.errors import InputError, NotFound
from app.store import directory as account_directory
from app.store import rekey
from app.store.access import _check_username, load_user
from app.store.db import Connection
from app.store.keyfile import KeyFile, holder
from app.store.keys import KdfParams
from app.store.passphrase import check_passphrase_strength
from app.store.ratelimit import UnlockState, attempt_lock
from app.store.requests import pin_dsl_member, sign_request
from app.store.roles import Perm, parse_roles
from app.store.session import Session, User, audit_signer
from app.store.verifier import set_verifier


def active_dsl_accounts(conn: Connection) -> list[tuple[str, str]]:
    """(id, username) of every account still here with the DSL role, by username: who should
    hold the DSL store's and the DSL team's keys (their grants are checked elsewhere)."""
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT id, username FROM users WHERE removed_at IS NULL AND (',' || roles || ',') "
        "LIKE '%,dsl,%' ORDER BY username")]


def list_users(session: Session) -> list[User]:
    session.require(Perm.MANAGE_USERS)
    rows = session.conn.execute("SELECT id, username, display_name, roles FROM users WHERE "
                                "removed_at IS NULL ORDER BY username").fetchall()
    return [User(r[0], r[1], r[2], tuple(r[3].split(","))) for r in rows]


@dataclass(frozen=True)
class Account:
    """An account as the admin's list shows it: a disabled one stays, marked, for the record."""

    username: str
    display_name: str
    roles: tuple[str, ...]
    disabled_at: datetime | None = None


def list_accounts(session: Session) -> list[Account]:
    """Every account that can sign in, and every disabled one (removed ones are left out)."""
    session.require(Perm.MANAGE_USERS)
    rows = session.conn.execute("SELECT username, display_name, roles, disabled_at FROM users "
                                "WHERE removed_at IS NULL OR disabled_at IS NOT NULL ORDER BY "
                                "disabled_at IS NOT NULL, username").fetchall()
    return [Account(r[0], r[1], tuple(r[2].split(",")), parse_iso(r[3]) if r[3] else None)
            for r in rows]


def _is_last_admin(conn: Connection, user: User) -> bool:
    others = conn.execute("SELECT count(*) FROM users WHERE removed_at IS NULL AND id != ? AND "
                          "(',' || roles || ',') LIKE '%,admin,%'", (user.id,)).fetchone()[0]
    return "admin" in user.roles and others == 0


def _account(session: Session, username: str) -> User:
    user = load_user(session.conn, username)
    if user is None:
        disabled = session.conn.execute("SELECT 1 FROM users WHERE username = ? AND "
                                        "disabled_at IS NOT NULL", (username,)).fetchone()
        if disabled:
            raise InputError("name", f"the account '{username}' is disabled")
        raise NotFound(f"There is no account '{username}'.")
    return user


def change_role(session: Session, username: str, roles: str | list[str]) -> User:
    """An admin gives an account other roles (audited; reaches the PCs that joined)."""
    session.require(Perm.MANAGE_USERS)
    parsed = parse_roles(roles)
    user = _account(session, username)
    if parsed == user.roles:
        raise InputError("role", f"'{username}' already has the role{'s' * (len(parsed) > 1)} "
                         f"{', '.join(parsed)}")
    if "admin" not in parsed and _is_last_admin(session.conn, user):
        raise InputError("role", f"'{username}' is the last admin account: make another "
                         "account admin first")
    keyfile = KeyFile.load(session.directory)
    # The key the signed directory vouches for, not one planted in keys.json since.
    public = account_directory.vouched_public(session.conn, session.store_id, username) \
        or keyfile.public_of(username)
    if public is None and ({"dsl", "office"} & (set(parsed) - set(user.roles))):
        raise InputError("role", f"'{username}' must sign in once before it can be given the "
                         "DSL or office role (their keys are made then)")
    if public is not None:
        _grant_role_keys(session, keyfile, username, public, parsed, was=user.roles)
    with session.tx() as conn:
        conn.execute("UPDATE users SET roles = ? WHERE id = ?", (",".join(parsed), user.id))
        _pin_member(session, username, public, parsed)
        _vouch(session, username, keyfile)
        keyfile.save(session.directory)
        session.audit("user", "user", user.id, change="roles changed", roles=list(parsed),
                      was=list(user.roles))
        session.changed("accounts")  # names and roles come from the admin's PC (hub-sync.md)
    return User(user.id, user.username, user.display_name, parsed)


def disable_user(session: Session, username: str) -> str:
    """The account can no longer sign in on any PC (its key wrap goes, as on removal) but stays
    listed as disabled, and its name stays on everything it recorded. The school store is
    re-keyed (app/store/rekey.py); returns what the admin is told about that."""
    session.require(Perm.MANAGE_USERS)
    user = _account(session, username)
    if user.id == session.user.id:
        raise InputError("name", "you cannot disable your own account")
    if _is_last_admin(session.conn, user):
        raise InputError("name", f"'{username}' is the last admin account")
    now = iso(session.clock.now())
    # Under the sign-in lock: no sign-in reads keys.json half-way through the re-key.
    with attempt_lock(session.directory):
        keyfile = KeyFile.load(session.directory)
        keyfile.remove_user(username)
        with session.tx() as conn:
            conn.execute("UPDATE users SET removed_at = ?, disabled_at = ? WHERE id = ?",
                         (now, now, user.id))
            session.audit("user", "user", user.id, change="disabled")
            _vouch(session, username, keyfile)
            staged = rekey.stage(session, keyfile)  # its old key file opens nothing new
            session.changed("accounts")  # joined PCs refuse it too (as a removed account)
            keyfile.save(session.directory)
        rekey.finish(session, staged)
    return rekey.outcome_words(session, staged)


def add_user(session: Session, username: str, display_name: str, roles: str | list[str],
             passphrase: str, *, kdf: KdfParams | None = None, weak_ok: bool = False) -> User:
    session.require(Perm.MANAGE_USERS)
    _check_username(username)
    parsed = parse_roles(roles)
    if not weak_ok:
        check_passphrase_strength(passphrase)
    if session.conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
        # (a removed or disabled account keeps its name on the record: it is never reused)
        raise InputError("name", f"an account '{username}' already exists or existed")
    user = User(str(uuid.uuid4()), username, display_name.strip() or username, parsed)
    keyfile = KeyFile.load(session.directory)
    personal = keyfile.add_user(username, passphrase, session.device.secret, kdf or KdfParams())
    keyfile.grant("school", holder(username), session.data_key, personal.public())
    _grant_role_keys(session, keyfile, username, personal.public(), parsed)
    with session.tx() as conn:
        conn.execute("INSERT INTO users (id, username, display_name, roles, created_at) "
                     "VALUES (?,?,?,?,?)", (user.id, user.username, user.display_name,
                                            ",".join(user.roles), iso(session.clock.now())))
        _pin_member(session, username, personal.public(), parsed)
        rekey.pin_account(conn, username, personal.public(), iso(session.clock.now()))
        _vouch(session, username, keyfile)
        session.audit("user", "user", user.id, change="added", roles=list(parsed))
        set_verifier(conn, user.id, username, passphrase, kdf or KdfParams(),  # (hub-sync.md)
                     session.clock.now())
        session.changed("accounts")
        # Saved inside the transaction: if the key file cannot be written, the row rolls back.
        keyfile.save(session.directory)
    return user


def change_passphrase(session: Session, old: str, new: str) -> None:
    """Rewraps the signed-in user's own copy of the data key."""
    check_passphrase_strength(new, "new passphrase")
    keyfile = KeyFile.load(session.directory)
    from app.store.keys import UnwrapFailed

    try:
        keyfile.unlock_user(session.user.username, old, session.device.secret)
    except UnwrapFailed:
        raise InputError("current passphrase", "is not right") from None
    # The same personal keys under the new passphrase: every grant stays valid.
    if session.held.personal is None:
        raise InputError("passphrase", "sign in with your own passphrase to change it")
    keyfile.add_user(session.user.username, new, session.device.secret, KdfParams(),
                     personal=session.held.personal)
    with session.tx() as conn:
        session.audit("user", "user", session.user.id, change="passphrase changed")
        set_verifier(conn, session.user.id, session.user.username, new, KdfParams(),
                     session.clock.now())
        session.changed("accounts")
        keyfile.save(session.directory)


def reset_passphrase(session: Session, username: str, new: str) -> None:
    """An admin sets a new passphrase for someone who forgot theirs (or was locked out)."""
    session.require(Perm.MANAGE_USERS)
    check_passphrase_strength(new, "new passphrase")
    user = load_user(session.conn, username)
    if user is None:
        raise NotFound(f"There is no account '{username}'.")
    keyfile = KeyFile.load(session.directory)
    stored = _stored_roles(session, username)
    # New personal keys (the admin cannot know the old ones): every grant is made again, so
    # the admin must hold each key the account needs.
    had = {scope for scope, grants in keyfile.grants.items() if holder(username) in grants}
    for scope in had:  # sealed to the keys the account no longer has
        keyfile.revoke(scope, holder(username))
    personal = keyfile.add_user(username, new, session.device.secret, KdfParams())
    keyfile.grant("school", holder(username), session.data_key, personal.public())
    held = {"dsl": session.held.dsl_key, "office": session.held.office_private}
    for scope in had & set(held):  # what it held and the acting session can give again
        secret = held[scope]
        if secret is not None:
            keyfile.grant(scope, holder(username), secret, personal.public())
    _grant_role_keys(session, keyfile, username, personal.public(), stored, was=(),
                     resetting=True)
    # A reset is for a passphrase someone else may know: the old one, with a copy of the old
    # key file, must open nothing written from now on. So the school store is re-keyed, as
    # for a removal, and a DSL's reset re-keys the DSL store at the next DSL sign-in.
    with attempt_lock(session.directory), session.tx() as conn:
        _pin_member(session, username, personal.public(), stored)
        rekey.pin_account(conn, username, personal.public(), iso(session.clock.now()))
        _vouch(session, username, keyfile)  # its new signing key
        session.audit("user", "user", user.id, change="passphrase reset by admin")
        set_verifier(conn, user.id, username, new, KdfParams(), session.clock.now())
        staged = rekey.stage(session, keyfile)
        session.changed("accounts")
        keyfile.save(session.directory)
    rekey.finish(session, staged)
    # The new passphrase must work at once: a reset also ends the account's lockout.
    UnlockState(session.directory, session.clock).clear(username)


def remove_user(session: Session, username: str) -> str:
    """The account goes (its name stays on the record) and the school store is re-keyed, as
    for ``disable_user``; returns what the admin is told about the re-key."""
    session.require(Perm.MANAGE_USERS)
    user = load_user(session.conn, username)
    if user is None:
        raise NotFound(f"There is no account '{username}'.")
    if user.id == session.user.id:
        raise InputError("name", "you cannot remove your own account")
    if _is_last_admin(session.conn, user):
        raise InputError("name", f"'{username}' is the last admin account")
    with attempt_lock(session.directory):  # as in disable_user
        keyfile = KeyFile.load(session.directory)
        keyfile.remove_user(username)
        with session.tx() as conn:
            conn.execute("UPDATE users SET removed_at = ? WHERE id = ?",
                         (iso(session.clock.now()), user.id))
            session.audit("user", "user", user.id, change="removed")
            _vouch(session, username, keyfile)
            staged = rekey.stage(session, keyfile)
            session.changed("accounts")  # to the PCs that joined (hub-sync.md)
            keyfile.save(session.directory)
        rekey.finish(session, staged)
    return rekey.outcome_words(session, staged)


def _vouch(session: Session, username: str, keyfile: KeyFile) -> None:
    """The acting admin signs the account's directory entry as the row now stands."""
    account_directory.sign(session.conn, session.store_id,
                           audit_signer(session.user, session.held), username, keyfile,
                           iso(session.clock.now()))


# -- keys that come with a role (docs/keys.md) ---------------------------------------------------

NEEDS_KEY = {"dsl": "the DSL store's key", "office": "the office team's key"}


def _stored_roles(session: Session, username: str) -> tuple[str, ...]:
    row = session.conn.execute("SELECT roles FROM users WHERE username = ?",
                               (username,)).fetchone()
    return tuple(row[0].split(",")) if row else ()


def _grant_role_keys(session: Session, keyfile: KeyFile, username: str, public: bytes,
                     roles: tuple[str, ...], *, was: tuple[str, ...] = (),
                     resetting: bool = False) -> None:
    """Grants the keys ``roles`` need and ``was`` did not have; withdraws those no role needs
    any more. On a split store only a session holding a key can grant it: an admin without
    the DSL role cannot give anyone the DSL store (nor themselves)."""
    held = session.held
    if not held.split:
        return
    keys = {"dsl": held.dsl_key, "office": held.office_private}
    for role, what in NEEDS_KEY.items():  # each role's key scope is named after the role
        # A DSL opens the office queue too (it released the packs).
        wanted = role in roles or (role == "office" and "dsl" in roles)
        had = role in was or (role == "office" and "dsl" in was)
        if wanted and (not had or resetting):
            secret = keys[role]
            if secret is not None:
                keyfile.grant(role, holder(username), secret, public)
            elif not sign_request(session, keyfile, role, username):
                raise InputError("role", f"giving '{username}' the {role} role needs {what}, "
                                 "which your account does not hold: ask a DSL who is also an "
                                 "admin, or use the recovery key (concerndesk-cli recover)")
        elif not wanted and had:
            keyfile.revoke(role, holder(username))
    if "admin" in roles and "admin" not in was and session.user.has_role("admin"):
        # Its signature on key requests is trusted once a DSL has seen this one's.
        sign_request(session, keyfile, "admin", username)


def _pin_member(session: Session, username: str, public: bytes | None,
                roles: tuple[str, ...]) -> None:
    """Inside the DSL store, the DSL team's members and their public keys: what a re-key
    seals the new key to, out of reach of anyone who can only edit the school store."""
    if not session.held.dsl_store_open or public is None:
        return
    if "dsl" in roles:
        pin_dsl_member(session.conn, username, public, iso(session.clock.now()))
    else:
        session.conn.execute("DELETE FROM dsl.dsl_members WHERE username = ?", (username,))

