"""``join``: a store on another PC of an existing school, made through the school's hub.

The new store has its own data key, device keys in this PC's keyring and a recovery key (shown
once), but no accounts until the admin approves the device and the first ``sync`` brings them
(app/hub/provision.py). Until then ``join.json`` beside the store holds the pinned hub and the data
key wrapped under the device secret alone: the store holds nothing of any child yet. The moment
provisioning is applied that wrap is replaced by one *provisional* wrap per account — the data
key sealed first under the device secret, then (HPKE) to the account's passphrase verifier — so
from then on opening the store needs a passphrase *and* this PC's keyring, as everywhere else.
An account's first sign-in here turns its provisional wrap into an ordinary one in keys.json.

The person joining also gives the fingerprint of the school's admin PC (its ``identity``, read
out by the admin like the hub's): ``join.json`` keeps it, and provisioning — the accounts, the
team keys and the list of approved PCs this PC will trust — is taken only from that PC, the
hub's word about who sent it counting for nothing (docs/hub-sync.md, "Trust").
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.clock import Clock, SystemClock, iso
from app.delivery.services import SERVICE_NAMES, check_url
from app.errors import ConcernDeskError, InputError
from app.hub.keyed_dsl_pc import key_at_provisioning
from app.hub.link import tls_context
from app.hub.provision import ADMIN_META, apply_provision
from app.hub.provisional import device_kek, provisional_wraps
from app.hub.sync import pull
from app.protocol.client import FrontDoorClient, FrontDoorError, NotEnrolled, RateLimited
from app.protocol.enrolment import check_name
from app.protocol.fingerprint import KeyBundle, KeyPairs, fingerprint, normalise_fingerprint
from app.store.db import DB_FILE, connect, migrate, transaction
from app.store.device import DeviceKeys, create_device_keys, forget_device_keys, load_device_keys
from app.store.joinfile import load as load_join
from app.store.joinfile import save as save_join
from app.store.keyfile import RECOVERY, KeyFile
from app.store.keys import (
    UnwrapFailed,
    format_recovery_key,
    new_data_key,
    new_recovery_key,
    unwrap,
    wrap,
)
from app.store.session import Session, User

SYSTEM = User("system", "system:provisioning", "Provisioning", ())


@dataclass(frozen=True)
class Joined:
    fingerprint: str
    recovery_key: str
    enrolment: str  # "pending" or "enrolled"


def _fingerprint(device: DeviceKeys) -> str:
    return fingerprint(device.signing_public() + device.hpke_public())


def join_school(directory: Path, url: str, service_fingerprint: str, *,
                admin_fingerprint: str | None = None, require_admin: bool = False,
                name: str | None = None, clock: Clock | None = None) -> Joined:
    """Makes the store, pins the hub (its key must match the fingerprint) and the admin PC
    (provisioning is taken only from it), and asks to enrol. Without ``admin_fingerprint`` the
    first provisioning from a PC the hub lists is taken and its sender pinned — trust on first
    use, which a hostile hub can abuse: the CLI always asks for it (``require_admin``: refused
    without it, once the hub is known to answer, nothing made)."""
    clock = clock or SystemClock()
    if (directory / "keys.json").exists() or (directory / DB_FILE).exists():
        raise InputError("data", f"a store already exists in {directory}")
    url, expected = check_url(url), normalise_fingerprint(service_fingerprint)
    admin = None
    if admin_fingerprint is not None:
        try:
            admin = normalise_fingerprint(admin_fingerprint)
        except InputError as exc:
            raise InputError("admin-fingerprint", exc.problem) from None
    device_name = check_name(name or f"ConcernDesk PC {socket.gethostname()}")[:200]
    probe = KeyPairs.generate()  # the service-key call is unsigned; this key signs nothing
    try:
        with FrontDoorClient(url, probe.signing, probe.fingerprint, timeout=20.0,
                             verify=tls_context(), name=SERVICE_NAMES["hub"]) as client:
            key = client.check_service(expected)
    except FrontDoorError as exc:
        if not exc.retryable or isinstance(exc, RateLimited):  # it answered: say what it said
            raise
        raise ConcernDeskError(f"Cannot reach the hub at {url}: nothing was made. Check the "
                               "address and the network, then join again.") from None
    if key.mode != "school":
        raise InputError("url", "that service is an LA front door, not a school hub")
    if admin is None and require_admin:
        raise InputError("admin-fingerprint", "give the school's admin PC's fingerprint, as its "
                         "admin reads it out: this PC trusts only that PC to set it up")
    store_id = str(uuid.uuid4())
    device = create_device_keys(store_id)
    me = _fingerprint(device)
    try:
        with FrontDoorClient(url, device.signing_key, me, service_bundle=key.bundle,
                             timeout=20.0, verify=tls_context(),
                             name=SERVICE_NAMES["hub"]) as client:
            status = client.request_enrolment(KeyBundle(device.signing_public(),
                                                        device.hpke_public()), device_name)
        data_key, recovery = new_data_key(), new_recovery_key()
        directory.mkdir(parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
        conn = connect(directory / DB_FILE, data_key, create=True)
        try:
            migrate(conn)
            with transaction(conn):
                for k, value in (("store_id", store_id), ("school_name", ""),
                                 ("created_at", iso(clock.now())), ("demo", "0"),
                                 ("kdf", "argon2id"), ("joined_hub", key.fingerprint),
                                 ("hub_max_body", str(key.max_body))):  # chunk sizes
                    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (k, value))
        finally:
            conn.close()
        save_join(directory, {"format": 1, "store_id": store_id,
                          "hub": {"url": url, "fingerprint": key.fingerprint,
                                  "bundle": key.bundle.to_json()}, "admin": admin,
                          "device_wrap": wrap(device_kek(device.secret, store_id, "device"),
                                              data_key, f"{store_id}|join".encode()),
                          "pending": {}})
        keyfile = KeyFile(store_id)
        recovery_public = keyfile.set_recovery(recovery, device.secret)
        keyfile.grant("school", RECOVERY, data_key, recovery_public)
        keyfile.save(directory)  # last: until it exists, the directory is not a store
    except BaseException:
        forget_device_keys(store_id)
        raise
    return Joined(me, format_recovery_key(recovery), status)


@dataclass(frozen=True)
class Provisioning:
    done: bool
    detail: str
    # Why not done, for a screen to explain: "hub" (not enrolled there yet), "admin" (no
    # approval has arrived), "refused" (one arrived and was refused: ``refused`` says why),
    # "other" (the hub could not be reached, …).
    waiting_for: str = ""
    refused: tuple[str, ...] = ()


def provision_from_hub(directory: Path, *, clock: Clock | None = None) -> Provisioning:
    """The first sync of a joined PC: fetch and apply the admin's provisioning envelope."""
    clock = clock or SystemClock()
    data = load_join(directory)
    if not data or not data.get("device_wrap"):
        return Provisioning(True, "this PC was provisioned already")
    keyfile = KeyFile.load(directory)
    device = load_device_keys(keyfile.store_id)
    if device is None:
        raise ConcernDeskError("This PC does not hold the device keys of the store it joined "
                               "with: join again in a new directory.")
    try:
        data_key = unwrap(device_kek(device.secret, keyfile.store_id, "device"),
                          data["device_wrap"], f"{keyfile.store_id}|join".encode())
    except UnwrapFailed:
        raise ConcernDeskError("This PC's keyring does not open the store it joined with: join "
                               "again in a new directory.") from None
    hub = data["hub"]
    pinned = KeyBundle.from_json(hub["bundle"])
    conn = connect(directory / DB_FILE, data_key)
    try:
        migrate(conn)
        session = Session(directory, keyfile.store_id, conn, device, data_key, clock, SYSTEM)
        admin = data.get("admin")
        if admin and session.meta(ADMIN_META) is None:  # only this PC may provision it
            with session.tx():
                session.set_meta(ADMIN_META, admin)
        if session.meta("provisioned_at") is None:
            try:
                with FrontDoorClient(hub["url"], device.signing_key, _fingerprint(device),
                                     service_bundle=pinned, timeout=20.0,
                                     verify=tls_context(), name=SERVICE_NAMES["hub"]) as client:
                    received = pull(session, client,
                                    on_provision=lambda s, p, sender: apply_provision(
                                        s, p, hub, sender))
            except NotEnrolled:
                return Provisioning(False, "this PC is not enrolled with the hub yet: its "
                                    "administrator enrols fingerprint " + _fingerprint(device),
                                    "hub")
            except FrontDoorError as exc:
                return Provisioning(False, str(exc), "other")
            refused = [r.detail for r in received if r.outcome == "refused"]
            if session.meta("provisioned_at") is None:
                why = f" (refused: {'; '.join(refused)})" if refused else ""
                return Provisioning(False, "no accounts have arrived for this PC yet: the "
                                    "school's admin approves it with 'concerndesk-cli hub "
                                    f"approve-device --fingerprint {_fingerprint(device)}'{why}",
                                    "refused" if refused else "admin", tuple(refused))
        # A DSL PC gets its DSL store before any account can sign in (docs/keys.md).
        key_at_provisioning(session)
        _finish(directory, conn, keyfile.store_id, data_key, device, data)
        by = session.meta("provisioned_by_device")
        checked = "" if admin else (" — no admin PC fingerprint was given at join: check this "
                                     "one with the school's admin")
        return Provisioning(True, f"this PC is now set up for {session.school_name} by the "
                            f"admin PC {by}{checked}")
    finally:
        conn.close()


def _finish(directory: Path, conn: Any, store_id: str, data_key: bytes, device: DeviceKeys,
            data: dict[str, Any]) -> None:
    """Replaces the device-only wrap with one provisional wrap per account that has a
    verifier. Idempotent: run again after a crash, it writes the same kind of file."""
    pending = provisional_wraps(conn, store_id, data_key, device, skip=set())
    save_join(directory, {**{k: v for k, v in data.items() if k != "device_wrap"},
                      "pending": pending})
