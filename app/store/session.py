"""An unlocked store with a signed-in user: the object every core operation takes first."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.clock import Clock, iso
from app.errors import AccessDenied, ConcernDeskError
from app.store import highwater
from app.store.audit import RECOVERY_SIGNER, AuditLog, Signer
from app.store.db import Connection, transaction
from app.store.device import DeviceKeys
from app.store.held import LEGACY, HeldKeys
from app.store.keys import PersonalKeys, key_id
from app.store.roles import Perm, permissions, require

log = logging.getLogger(__name__)

# What an operation changed, reported while its transaction is open (Anki's ``OpChanges``): the
# domain says what it changed, and whoever cares reacts in the same transaction — the hub
# queues replication (app/hub/reactions.py). The domain never calls the code that reacts.
ChangeHook = Callable[["Session", str, tuple[str, ...]], None]
_change_hooks: list[ChangeHook] = []


OpenHook = Callable[["Session"], None]
_open_hooks: list[OpenHook] = []


def on_open(hook: OpenHook) -> None:
    """Calls ``hook(session)`` once a sign-in has opened a session (the hub opens the sealed
    items the account's keys can read: app/hub/sealing.py)."""
    if hook not in _open_hooks:
        _open_hooks.append(hook)


_sealing_hooks: list[ChangeHook] = []


def on_change(hook: ChangeHook, *, seals: bool = False) -> None:
    """Calls ``hook(session, kind, ids)`` for every change reported with ``Session.changed``,
    inside the transaction that made it. Registering a hook twice registers it once.
    ``seals``: the hook seals what a session without the DSL store writes (docs/keys.md);
    without one, such a session's changes are refused rather than kept only in memory."""
    if hook not in _change_hooks:
        _change_hooks.append(hook)
    if seals and hook not in _sealing_hooks:
        _sealing_hooks.append(hook)


@dataclass(frozen=True)
class User:
    id: str
    username: str
    display_name: str
    roles: tuple[str, ...]

    def has_role(self, role: str) -> bool:
        return role in self.roles


class Session:
    def __init__(self, directory: Path, store_id: str, conn: Connection, device: DeviceKeys,
                 data_key: bytes, clock: Clock, user: User, held: HeldKeys = LEGACY) -> None:
        self.directory = directory
        self.held = held
        # Roles the users table gives but no key backs yet (a key request waiting for a DSL).
        self.roles_awaiting_keys: tuple[str, ...] = ()
        # A DSL's sign-in found the account directory's roots edited outside the app.
        self.directory_tampered = False
        self.notices: list[str] = []  # what the sign-in tells the user, in words
        self.store_id = store_id
        self.device = device
        self.clock = clock
        self.user = user
        self._conn: Connection | None = conn
        self._data_key: bytes | None = data_key
        # The DSL team's views and changes go to the DSL store's own chain, out of sight of
        # every other account; everything else to the school store's.
        self.audit_schema = "dsl" if held.dsl_store_open and user.has_role("dsl") else "main"
        self._audit = AuditLog.for_device(conn, clock, device, store_id, self.audit_schema,
                                          audit_signer(user, held))
        self._savepoints = 0
        self._login_at: str | None = None

    def follow_held_keys(self) -> None:
        """After a sign-in hook gave this session the DSL store (a DSL PC split at a DSL's
        sign-in: app/hub/keyed_dsl_pc.py): the DSL team's chain takes its events from now."""
        schema = "dsl" if self.held.dsl_store_open and self.user.has_role("dsl") else "main"
        if schema != self.audit_schema:
            self.audit_schema = schema
            self._audit = AuditLog.for_device(self.conn, self.clock, self.device,
                                              self.store_id, schema,
                                              audit_signer(self.user, self.held))

    def clone(self) -> Session:
        """The same user on a second connection to the same store, for one other thread (e.g.
        a background sync worker); WAL lets the two read and write side by side."""
        from app.store.db import DB_FILE, connect

        conn = connect(self.directory / DB_FILE, self.data_key)
        try:
            attach_for(conn, self.directory, self.held)
        except BaseException:
            conn.close()
            raise
        twin = Session(self.directory, self.store_id, conn, self.device, self.data_key,
                       self.clock, self.user, self.held)
        twin._login_at = None
        return twin

    def as_user(self, user: User, personal: PersonalKeys | None = None) -> Session:
        """Another user's session over the same open connection (demo and bulk loading). Its
        audit events are signed with ``personal``, that user's own keys; without them they
        carry no signature, and ``verify`` names them: this session's keys are not theirs."""
        twin = Session(self.directory, self.store_id, self.conn, self.device, self.data_key,
                       self.clock, user, self.held)
        signer = Signer.of(user.username, personal.signing) if personal else None
        twin._audit = AuditLog.for_device(self.conn, self.clock, self.device, self.store_id,
                                          twin.audit_schema, signer)
        return twin

    # -- state ---------------------------------------------------------------------------------
    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise ConcernDeskError("The store is locked: sign in again.")
        return self._conn

    @property
    def data_key(self) -> bytes:
        if self._data_key is None:
            raise ConcernDeskError("The store is locked: sign in again.")
        return self._data_key

    def rekeyed(self, key: bytes) -> None:
        """This session's connection now opens the school store with ``key`` (it re-keyed it:
        app/store/rekey.py); its clones and high-water marks use that from now on."""
        self.conn.key_id = key_id(key)  # type: ignore[attr-defined]
        self._data_key = key

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    # -- roles ---------------------------------------------------------------------------------
    def can(self, perm: Perm) -> bool:
        return perm in permissions(self.user.roles)

    def require(self, perm: Perm) -> None:
        """Raises AccessDenied (auditing the attempt) unless the user's roles grant ``perm``."""
        try:
            require(self.user.roles, perm)
        except AccessDenied:
            self.audited("view", "permission", None, denied=perm.name)
            raise

    # -- writing -------------------------------------------------------------------------------
    @contextmanager
    def tx(self) -> Iterator[Connection]:
        """A transaction; nested inside another one it is a savepoint, so a bulk load can wrap
        many operations in one commit and a failing one still undoes only itself."""
        conn = self.conn
        if not conn.in_transaction:
            with transaction(conn):
                yield conn
                # Read inside the transaction, written outside the store only once it has
                # committed: the high-water mark may lag the store, never lead it.
                mark = highwater.pending(conn)
            highwater.record(self.directory, self.data_key, mark)
            return
        self._savepoints += 1
        name = f"sp{self._savepoints}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
        except BaseException:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
            raise
        conn.execute(f"RELEASE {name}")

    def opened(self) -> None:
        """Runs the sign-in hooks (``on_open``): call once, when the session is handed out."""
        for hook in _open_hooks:
            hook(self)

    @property
    def holds_dsl_store(self) -> bool:
        """The DSL store itself is attached (a DSL's session of a split store, or any session
        of a store from before the key hierarchy)."""
        return self.held.dsl_store_open or not self.held.split

    def changed(self, kind: str, *ids: str) -> None:
        """Reports what this operation changed: ``record``, ``flags``, ``referral``, ``pack``,
        ``attachment`` (one id each), ``roster`` (UPNs) or ``accounts`` (no id). Call inside the
        transaction that made the change: what reacts (``on_change``) writes in it too."""
        if self.held.split and not self.held.dsl_store_open and not _sealing_hooks:
            # Its workspace is memory only: unsealed, the change would be lost at sign-out.
            raise ConcernDeskError("Nothing was saved: this program did not start sealing "
                                   "what you write for the DSL team (a bug; please report "
                                   "it).")
        for hook in _change_hooks:
            hook(self, kind, ids)

    def defer_login(self) -> None:
        self._login_at = iso(self.clock.now())

    def audit(self, action: str, object_type: str | None = None, object_id: str | None = None,
              **detail: Any) -> str:
        """Appends an audit event as this user (inside the caller's transaction if any)."""
        if self._login_at is not None:
            self._audit.append(self.user.username, "login", "user", self.user.id,
                               signed_in_at=self._login_at)
            self._login_at = None
        return self._audit.append(self.user.username, action, object_type, object_id, **detail)

    def audited(self, action: str, object_type: str | None = None, object_id: str | None = None,
                **detail: Any) -> str:
        """An audit event in a transaction of its own (views, searches, exports)."""
        with self.tx():
            return self.audit(action, object_type, object_id, **detail)

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO "
                          "UPDATE SET value = excluded.value", (key, value))

    @property
    def school_name(self) -> str:
        return self.meta("school_name") or ""

    @property
    def is_demo(self) -> bool:
        return self.meta("demo") == "1"

    # -- ending --------------------------------------------------------------------------------
    def lock(self) -> None:
        """Audits the lock, closes the connection and drops the key from this object."""
        if self._conn is None:
            return
        try:
            self.audited("lock")
        except Exception:  # a damaged or busy store must still lock
            log.warning("could not audit the lock")
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
                self._data_key = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def audit_signer(user: User, held: HeldKeys) -> Signer | None:
    """Who signs this session's audit events: the account, with its own personal key; a
    recovery session, with the recovery key's; nobody for a system session (provisioning)."""
    if held.personal is not None and held.owner == user.username:
        return Signer.of(user.username, held.personal.signing)
    if held.recovery_signing is not None:
        return Signer.of(RECOVERY_SIGNER, held.recovery_signing)
    return None


def attach_for(conn: Connection, directory: Path, held: HeldKeys) -> None:
    """Attaches what ``held`` opens: the DSL store, or a private in-memory workspace."""
    from app.store import dsl_store

    if not held.split:
        return
    if held.dsl_key is not None:
        dsl_store.attach_store(conn, directory, held.dsl_key)
    else:
        dsl_store.attach_workspace(conn)
