"""Creating and unlocking a store: a directory holding ``store.db`` and ``keys.json``."""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from app.clock import Clock, SystemClock, iso
from app.errors import ConcernDeskError, InputError, StoreDamaged, UnlockError
from app.store import directory as account_directory
from app.store import dsl_store, highwater, rekey
from app.store.audit import RECOVERY_SIGNER, Signer
from app.store.authorship import ensure_certificate
from app.store.db import (
    DB_FILE,
    KEY_MODEL,
    SPLIT,
    Connection,
    connect,
    has_dsl_store,
    migrate,
    transaction,
)
from app.store.device import DeviceKeys, create_device_keys, load_device_keys
from app.store.held import HeldKeys, effective_roles
from app.store.joinfile import has_provisional_wrap
from app.store.keyfile import KEYFILE, RECOVERY, KeyFile, Unlocked, holder
from app.store.keys import (
    KdfParams,
    UnwrapFailed,
    b64e,
    format_recovery_key,
    key_id,
    new_data_key,
    new_recovery_key,
    parse_recovery_key,
    raw_public,
    recovery_signing_key,
)
from app.store.passphrase import check_passphrase_strength
from app.store.ratelimit import UnlockState, attempt_lock
from app.store.session import Session, User, attach_for
from app.store.verifier import ensure_verifier, set_verifier
from app.wording import plural

log = logging.getLogger(__name__)


def seconds(n: int) -> str:
    return plural(n, "second")


@contextmanager
def _attempt(directory: Path, clock: Clock, who: str, too_many: str) -> Iterator[UnlockState]:
    """One sign-in attempt at a time on this store (ratelimit.attempt_lock), refused at once,
    untried, while ``who`` must still wait; ``too_many`` is the refusal, before "try again in …"."""
    with attempt_lock(directory):
        state = UnlockState(directory, clock)
        wait = state.seconds_to_wait(who)
        if wait:
            raise UnlockError(f"{too_many}: try again in {seconds(wait)}.")
        yield state


def store_exists(directory: Path) -> bool:
    return (directory / KEYFILE).exists() or (directory / DB_FILE).exists()


def _require_store(directory: Path) -> KeyFile:
    if not directory.is_dir():
        raise InputError("data", f"there is no store at {directory} (create one with "
                         "'concerndesk-cli init')")
    try:
        return KeyFile.load(directory)
    except FileNotFoundError:
        if (directory / DB_FILE).exists():
            raise StoreDamaged(f"The key file {KEYFILE} is missing from {directory}: restore "
                               "the store from a backup.") from None
        raise InputError("data", f"there is no store at {directory} (create one with "
                         "'concerndesk-cli init')") from None


@dataclass(frozen=True)
class NewStore:
    session: Session
    recovery_key: str


def create_store(directory: Path, *, school_name: str, admin_username: str,
                 admin_display_name: str, passphrase: str, clock: Clock | None = None,
                 kdf: KdfParams | None = None, demo: bool = False,
                 split: bool = True) -> NewStore:
    """A new empty store with one admin; returns the admin's session and the recovery key.
    Roles are enforced by key: a DSL store of its own, granted only to DSL accounts
    (docs/keys.md). ``split=False`` makes the single-file store of before (tests of stores made
    before the key hierarchy; ``init`` no longer makes one)."""
    clock = clock or SystemClock()
    school_name = school_name.strip()
    if not school_name:
        raise InputError("school", "give the school's name")
    _check_username(admin_username)
    if not demo:
        check_passphrase_strength(passphrase)
    if store_exists(directory):
        raise InputError("data", f"a store already exists in {directory}")
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise InputError("data", f"{directory} is not an empty folder; choose a new one")
    directory.parent.mkdir(parents=True, exist_ok=True)
    # Built in a scratch folder and renamed into place when whole, so a crash part-way leaves
    # no half-made store where the real one belongs (and 'init' can simply be run again).
    scratch = Path(tempfile.mkdtemp(dir=directory.parent, prefix=".concerndesk-init-"))
    os.chmod(scratch, 0o700)

    store_id = str(uuid.uuid4())
    data_key, dsl_key, recovery = new_data_key(), new_data_key(), new_recovery_key()
    device = create_device_keys(store_id)
    keyfile = KeyFile(store_id)
    personal = keyfile.add_user(admin_username, passphrase, device.secret, kdf or KdfParams())
    recovery_public = keyfile.set_recovery(recovery, device.secret)
    # The school store's key for the admin and the recovery key; the DSL store's only for the
    # recovery key. The creating session holds both, so it can give the first DSL accounts
    # theirs; no later session of an account without the DSL role does (docs/keys.md).
    keyfile.grant("school", holder(admin_username), data_key, personal.public())
    keyfile.grant("school", RECOVERY, data_key, recovery_public)
    if split:
        keyfile.grant("dsl", RECOVERY, dsl_key, recovery_public)
        # Until the first DSL signs in, the store's maker holds the DSL store's key too, so the
        # first DSL accounts can be given it; that sign-in withdraws it and re-keys
        # (app/store/requests.py, ``end_bootstrap``).
        keyfile.grant("dsl", holder(admin_username), dsl_key, personal.public())
    held = HeldKeys(split=split, personal=personal, dsl_key=dsl_key if split else None,
                    owner=admin_username)
    admin = User(str(uuid.uuid4()), admin_username, admin_display_name.strip()
                 or admin_username, ("admin",))
    try:
        conn = connect(scratch / DB_FILE, data_key, create=True)
        try:
            migrate(conn)
            if split:
                dsl_store.attach_store(conn, scratch, dsl_key, create=True)
            now = iso(clock.now())
            with transaction(conn):
                model = ((KEY_MODEL, SPLIT),) if split else ()
                for key, value in (("store_id", store_id), ("school_name", school_name),
                                   ("created_at", now), ("demo", "1" if demo else "0"),
                                   ("kdf", "argon2id"), *model):
                    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
                if split:
                    dsl_store.move_tables(conn)
                    trusted = json.dumps({admin_username: b64e(personal.signing_public())})
                    conn.executemany("INSERT INTO dsl.meta (key, value) VALUES (?, ?)", (
                        ("recovery_public", b64e(recovery_public)),
                        ("trusted_admins", trusted), ("bootstrap_holder", admin_username)))
                conn.execute("INSERT INTO users (id, username, display_name, roles, "
                             "created_at) VALUES (?,?,?,?,?)",
                             (admin.id, admin.username, admin.display_name,
                              ",".join(admin.roles), now))
                # What a re-key grants to (app/store/rekey.py), pinned out of keys.json's reach.
                rekey.pin_account(conn, admin_username, personal.public(), now)
                rekey.pin_recovery(conn, recovery_public)
                if split:  # the directory's roots: the maker and the recovery key
                    maker = Signer.of(admin_username, personal.signing)
                    account_directory.add_root(conn, maker, dsl_store_open=True)
                    account_directory.add_root(conn, Signer.of(
                        RECOVERY_SIGNER, recovery_signing_key(recovery, store_id)),
                        dsl_store_open=True)
                    account_directory.sign(conn, store_id, maker, admin_username, keyfile, now)
                set_verifier(conn, admin.id, admin.username, passphrase, kdf or KdfParams(),
                             clock.now())  # lets the admin sign in on joined PCs (hub-sync.md)
            made = Session(scratch, store_id, conn, device, data_key, clock, admin, held)
            with made.tx():
                made.audit("create", "store", store_id)
                made.audit("user", "user", admin.id, change="added", roles=list(admin.roles))
        finally:
            conn.close()
        keyfile.key_ids[rekey.SCOPE] = key_id(data_key)
        if split:
            keyfile.key_ids["dsl"] = key_id(dsl_key)
        keyfile.save(scratch)
        if directory.exists():
            directory.rmdir()  # empty, checked above
        scratch.rename(directory)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    conn = connect(directory / DB_FILE, data_key)
    try:
        attach_for(conn, directory, held)
    except BaseException:
        conn.close()
        raise
    session = Session(directory, store_id, conn, device, data_key, clock, admin, held)
    session.opened()
    return NewStore(session, format_recovery_key(recovery))


def _check_username(username: str) -> None:
    if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise InputError("user", "a username is letters, digits, '.', '-' or '_', no spaces")


def _device_keys(keyfile: KeyFile) -> DeviceKeys:
    device = load_device_keys(keyfile.store_id)
    if device is None:
        raise ConcernDeskError(
            "This PC does not hold the device keys for this store (it was copied or restored "
            "from another PC). An admin can re-open it here with the recovery key: "
            "concerndesk-cli recover --data DIR.")
    return device


# Opens an account's provisional wrap at its first sign-in on a PC that joined a school
# (app/hub/provisional.py): (directory, keyfile, username, passphrase, device); it adds the
# account to the key file, which unlock then reads again.
Claim = Callable[[Path, KeyFile, str, str, DeviceKeys], object]


def unlock(directory: Path, username: str, passphrase: str, *,
           clock: Clock | None = None, claim: Claim | None = None) -> Session:
    """Signs ``username`` in. With ``claim`` (as the sign-in operation, ``sign_in`` in
    app/hub/provisional.py, passes it), an account the hub provisioned is claimed at its first
    sign-in on this PC."""
    clock = clock or SystemClock()
    _require_store(directory)
    with _attempt(directory, clock, username,
                  f"Too many wrong passphrases for '{username}'") as state:
        # Read under the lock: a sign-in before this one may have re-keyed (docs/keys.md).
        keyfile = _require_store(directory)
        joining = (claim is not None and username not in keyfile.users
                   and has_provisional_wrap(directory, username))
        if username not in keyfile.users and not joining:
            state.record_failure(username, "unknown user")
            raise UnlockError(f"There is no account '{username}' on this PC's store.")
        withdrawn = rekey.withdrawn_words(keyfile, username)
        if withdrawn:
            raise UnlockError(withdrawn)
        device = _device_keys(keyfile)
        attempt = state.begin_attempt(username)
        try:
            if joining and claim is not None:
                claim(directory, keyfile, username, passphrase, device)
                keyfile = KeyFile.load(directory)
            unlocked = keyfile.unlock_user(username, passphrase, device.secret)
        except UnwrapFailed:
            state.attempt_failed(attempt, "wrong passphrase")
            wait = state.seconds_to_wait(username)
            hint = f" Wait {seconds(wait)} before the next try." if wait else ""
            raise UnlockError(f"The passphrase for '{username}' is wrong.{hint}") from None
        try:
            data_key, held = _open_grants(directory, keyfile, username, passphrase, device,
                                          unlocked)
            session = _open_session(directory, keyfile, device, data_key, held, username,
                                    clock, state, attempt)
        except UnlockError:
            state.attempt_failed(attempt, "account removed")
            raise
        except BaseException:
            state.take_back(username, attempt)
            raise
        try:  # an account from before the hub gets its verifier now (hub-sync.md)
            ensure_verifier(session, passphrase)
            # and one claimed on a joined PC before verifiers could vouch for its personal
            # key is certified now (app/store/authorship.py)
            ensure_certificate(session, passphrase)
            # Still under the lock: what a sign-in opens may re-key the DSL store, and the
            # next sign-in must find the new grants.
            session.opened()
        except BaseException:
            session.close()
            raise
    return session


def _open_grants(directory: Path, keyfile: KeyFile, username: str, passphrase: str,
                 device: DeviceKeys, unlocked: Unlocked) -> tuple[bytes, HeldKeys]:
    """The school store's key and whatever else the account was granted (docs/keys.md). An
    account still in key file format 1 gets its personal keys now, while the passphrase is in
    hand, and its format-1 wrap goes."""
    if unlocked.personal is None:
        data_key = unlocked.legacy_data_key
        assert data_key is not None
        params = KdfParams.from_json(keyfile.users[username]["params"])
        personal = keyfile.add_user(username, passphrase, device.secret, params)
        keyfile.grant("school", holder(username), data_key, personal.public())
        keyfile.save(directory)
    else:
        personal = unlocked.personal
        opened = keyfile.open("school", holder(username), personal.hpke)
        if opened is None:
            raise UnlockError(f"The account '{username}' holds no key to this store: it was "
                              "removed, or its access was withdrawn.")
        data_key = opened
    return data_key, HeldKeys(personal=personal, owner=username,
                              dsl_key=keyfile.open("dsl", holder(username), personal.hpke),
                              office_private=keyfile.open("office", holder(username),
                                                          personal.hpke),
                              dsl_key_next=keyfile.open("dsl-next", holder(username),
                                                        personal.hpke),
                              school_key_next=keyfile.open(rekey.STAGED, holder(username),
                                                           personal.hpke))


def unlock_any(directory: Path, passphrase: str, *, clock: Clock | None = None) -> Session:
    """Signs in as whichever account this passphrase belongs to (for ``verify``)."""
    clock = clock or SystemClock()
    keyfile = _require_store(directory)
    device = _device_keys(keyfile)
    with _attempt(directory, clock, "*", "Too many wrong passphrases") as state:
        attempt = state.begin_attempt("*")
        for username in sorted(keyfile.users):
            if state.seconds_to_wait(username) or rekey.withdrawn_words(keyfile, username):
                continue
            try:
                unlocked = keyfile.unlock_user(username, passphrase, device.secret)
            except UnwrapFailed:
                continue
            state.record_success("*", attempt)
            data_key, held = _open_grants(directory, keyfile, username, passphrase, device,
                                          unlocked)
            session = _open_session(directory, keyfile, device, data_key, held, username,
                                    clock, state)
            session.opened()
            return session
        state.attempt_failed(attempt, "passphrase matched no account")
    raise UnlockError("That passphrase does not open this store for any account.")


def _attach(conn: Connection, directory: Path, held: HeldKeys) -> HeldKeys:
    """Attaches what ``held`` opens. A re-key cut short after its ``PRAGMA rekey`` left the
    DSL store under the staged key: it is used, and its grants become the DSL store's."""
    try:
        attach_for(conn, directory, held)
        return held
    except StoreDamaged:
        if held.dsl_key_next is None:
            raise
    held = replace(held, dsl_key=held.dsl_key_next, dsl_key_next=None)
    attach_for(conn, directory, held)
    keyfile = KeyFile.load(directory)
    keyfile.promote("dsl-next", "dsl", held.dsl_key)
    keyfile.save(directory)
    return held


def _open_session(directory: Path, keyfile: KeyFile, device: DeviceKeys, data_key: bytes,
                  held: HeldKeys, username: str, clock: Clock, state: UnlockState,
                  attempt: dict[str, str] | None = None) -> Session:
    staged = held.school_key_next
    # A re-key of the school store that a crash cut short is finished here (app/store/rekey.py).
    conn, data_key = rekey.open_school(directory, data_key, staged)
    held = replace(held, school_key_next=None)
    try:
        highwater.check(conn, directory, data_key)  # committed work lost? (before any write)
        migrate(conn)
        held = _attach(conn, directory, replace(held, split=has_dsl_store(conn)))
        stored = load_user(conn, username)
        if stored is None:
            raise UnlockError(f"The account '{username}' has been removed.")
        if held.personal is not None:
            rekey.pin_at_sign_in(conn, username, held.personal.public(), iso(clock.now()),
                                 held.dsl_store_open)
        # What the users table says counts only as far as the keys this account opened, and
        # the admin role only as far as the signed account directory vouches for it.
        roles, first_signing, tampered = _vouched(conn, keyfile, username,
                                                  effective_roles(stored.roles, held), held,
                                                  clock)
        user = replace(stored, roles=roles)
        session = Session(directory, keyfile.store_id, conn, device, data_key, clock, user,
                          held)
        session.roles_awaiting_keys = tuple(r for r in stored.roles if r not in user.roles
                                            and r != "admin")
        if "admin" in stored.roles and "admin" not in roles:
            session.notices.append(
                "Your account is marked admin, but no trusted admin signed that in the "
                "account directory, so you see what your other roles allow. Ask an admin to "
                "give you the admin role again.")
        if first_signing:
            with session.tx():
                session.audit("user", "directory", None, change="signed as it stood",
                              accounts=first_signing)
        if tampered:  # a DSL's sign-in: the school store's roots were edited outside the app
            session.directory_tampered = True
            session.notices.append(
                "The list of admins trusted to sign accounts was changed outside "
                "ConcernDesk (someone edited the school store by hand). This sign-in trusts "
                "the copy kept in the DSL store; run Verify and tell your IT support.")
            with session.tx():
                session.audit("user", "directory", None, change="roots edited outside the app",
                              outcome="the DSL store's copy used")
        if staged is not None and data_key == staged:
            with session.tx():
                session.audit("settings", "school-store", None, rekeyed=True,
                              finished_at_sign_in=True)
        pending = state.record_success(username, attempt)
        if pending:
            with session.tx():
                for failure in pending:
                    session.audit("failed-login", "user", None, username=failure["user"],
                                  at=failure["at"], reason=failure["reason"])
        # The login itself is audited with the session's first audited act, so a command that
        # stops on bad input writes nothing at all (CONTRACT.md).
        session.defer_login()
        return session
    except BaseException:
        conn.close()
        raise


def _vouched(conn: Connection, keyfile: KeyFile, username: str, roles: tuple[str, ...],
             held: HeldKeys, clock: Clock) -> tuple[tuple[str, ...], int, bool]:
    """The roles honoured; how many entries a first signing of the directory signed; whether
    a DSL's sign-in found the school store's roots edited (it then trusts its own copy)."""
    roots, tampered = None, False
    if held.dsl_store_open:
        with transaction(conn):
            tampered = account_directory.roots_tampered(conn)
        roots = account_directory.dsl_roots(conn) or None
    vouched = account_directory.vouched_roles(conn, keyfile.store_id, username, roots)
    signed = 0
    if vouched is None and held.split and held.personal is not None and "admin" in roles:
        # A store from before the directory: its first admin sign-in signs it as it stands.
        with transaction(conn):
            signed = account_directory.sign_everyone(
                conn, keyfile.store_id, Signer.of(username, held.personal.signing), keyfile,
                iso(clock.now()), dsl_store_open=held.dsl_store_open)
        vouched = account_directory.vouched_roles(conn, keyfile.store_id, username)
    if vouched is None or "admin" in vouched:
        return roles, signed, tampered
    return tuple(r for r in roles if r != "admin") or ("staff",), signed, tampered


def load_user(conn: Connection, username: str) -> User | None:
    row = conn.execute(
        "SELECT id, username, display_name, roles FROM users WHERE username = ? AND "
        "removed_at IS NULL", (username,)).fetchone()
    if row is None:
        return None
    return User(row[0], row[1], row[2], tuple(row[3].split(",")))


def recover(directory: Path, recovery_key_text: str, *, clock: Clock | None = None) -> Session:
    """Opens the store with the recovery key, on this PC or a replacement one.

    The session acts as the first admin account, holding every key granted to the recovery key
    (the DSL store's too); on a PC without the device keys they are re-created from the
    recovered device secret, so everyone's passphrase works again here.
    """
    clock = clock or SystemClock()
    keyfile = _require_store(directory)
    key = parse_recovery_key(recovery_key_text)
    with _attempt(directory, clock, "recovery", "Too many wrong recovery keys") as state:
        attempt = state.begin_attempt("recovery")
        try:
            recovered = keyfile.unwrap_recovery(key)
        except UnwrapFailed:
            state.attempt_failed(attempt, "wrong recovery key")
            raise UnlockError("That recovery key does not open this store.") from None
        state.record_success("recovery", attempt)
    data_key = recovered.legacy_data_key or keyfile.open("school", RECOVERY, recovered.private)
    if data_key is None:
        raise StoreDamaged(f"The key file {KEYFILE} holds no recovery grant of the school "
                           "store's key: restore the store from a backup.")
    if keyfile.recovery_public() is None:  # key file format 1: grants from now on
        keyfile.recovery["public"] = b64e(raw_public(recovered.private))
        keyfile.grant("school", RECOVERY, data_key, raw_public(recovered.private))
        keyfile.recovery.pop("data_key", None)
        keyfile.save(directory)
    device = load_device_keys(keyfile.store_id)
    new_device = device is None or device.secret != recovered.device_secret
    if new_device:
        device = create_device_keys(keyfile.store_id, recovered.device_secret)
    assert device is not None
    held = HeldKeys(dsl_key=keyfile.open("dsl", RECOVERY, recovered.private),
                    office_private=keyfile.open("office", RECOVERY, recovered.private),
                    dsl_key_next=keyfile.open("dsl-next", RECOVERY, recovered.private),
                    recovery_signing=recovery_signing_key(key, keyfile.store_id))
    conn, data_key = rekey.open_school(directory, data_key,
                                       keyfile.open(rekey.STAGED, RECOVERY, recovered.private))
    try:
        highwater.check(conn, directory, data_key)
        migrate(conn)
        held = _attach(conn, directory, replace(held, split=has_dsl_store(conn)))
        row = conn.execute("SELECT username FROM users WHERE removed_at IS NULL AND "
                           "(',' || roles || ',') LIKE '%,admin,%' ORDER BY created_at"
                           ).fetchone()
        if row is None:
            raise ConcernDeskError("This store has no admin account left to recover as.")
        user = load_user(conn, row[0])
        assert user is not None
        session = Session(directory, keyfile.store_id, conn, device, data_key, clock, user,
                          held)
        with session.tx():
            session.audit("recovery", "store", keyfile.store_id, new_device=new_device)
            # Derived from the recovery key just typed: the one copy nobody could have forged.
            rekey.pin_recovery(conn, raw_public(recovered.private))
            if has_dsl_store(conn):  # and the directory's root it always is
                signer = Signer.of(RECOVERY_SIGNER, recovery_signing_key(key, keyfile.store_id))
                if account_directory.in_force(conn):
                    account_directory.add_root(conn, signer,
                                               dsl_store_open=held.dsl_store_open)
                else:
                    account_directory.sign_everyone(conn, keyfile.store_id, signer, keyfile,
                                                    iso(clock.now()),
                                                    dsl_store_open=held.dsl_store_open)
    except BaseException:
        conn.close()
        raise
    session.opened()
    return session
