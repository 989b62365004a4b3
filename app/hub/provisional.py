"""Provisional wraps: how an account provisioned through the hub signs in on a PC that joined.

When provisioning is applied, ``join.json`` gets one *provisional* wrap per account — the data
key sealed first under this PC's device secret, then (HPKE) to the account's passphrase
verifier (app/store/verifier.py). The account's first sign-in here (``sign_in``) opens it with
the passphrase and turns it into an ordinary wrap in keys.json: claiming the account is the last
step of joining. Light on purpose: the sign-in page imports it (no HTTP client).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.clock import Clock
from app.store.access import unlock
from app.store.authorship import certify
from app.store.device import DeviceKeys
from app.store.joinfile import load as load_join
from app.store.joinfile import save as save_join
from app.store.keyfile import KeyFile, holder
from app.store.keys import UnwrapFailed, b64d, b64e, unwrap, wrap
from app.store.session import Session
from app.store.verifier import (
    keys_from_passphrase,
    load_verifiers,
    verifier_params,
    verifier_public,
)

_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def sign_in(directory: Path, username: str, passphrase: str, *,
            clock: Clock | None = None) -> Session:
    """The sign-in operation: the store's ``unlock``, where an account the hub provisioned is
    claimed at its first sign-in on this PC."""
    return unlock(directory, username, passphrase, clock=clock,
                  claim=claim_provisioned_account)


def device_kek(device_secret: bytes, store_id: str, what: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=store_id.encode(),
                info=b"concerndesk/join/v1|" + what.encode()).derive(device_secret)


def refresh_accounts(session: Session) -> None:
    """After an ``accounts`` update: a provisional wrap for each account that cannot sign in
    here yet, and none (neither wrap) for a removed one. Call inside the applying transaction:
    if a file cannot be written, the update rolls back."""
    directory, store_id = session.directory, session.store_id
    keyfile = KeyFile.load(directory)
    removed = {r[0] for r in session.conn.execute("SELECT username FROM users WHERE "
                                                  "removed_at IS NOT NULL")}
    for username in removed & set(keyfile.users):
        keyfile.remove_user(username)
    for username in removed:
        for scope in list(keyfile.grants):
            keyfile.revoke(scope, verifier_holder(username))
    keyfile.save(directory)
    data = load_join(directory) or {"format": 1, "store_id": store_id}
    data["pending"] = provisional_wraps(session.conn, store_id, session.data_key,
                                         session.device, skip=set(keyfile.users))
    save_join(directory, data)


def verifier_holder(username: str) -> str:
    return "verifier:" + username


def grant_by_verifier(session: Session, scope: str, secret: bytes, user_ids: list[str]) -> None:
    """Grants ``secret`` (the office key, on a keyed office PC) to each of these accounts'
    passphrase verifiers in keys.json, wrapped first under this PC's device secret as a
    provisional wrap is (so keys.json alone allows no guessing); its first sign-in here moves
    the grant to its personal key (``claim_provisioned_account``). Call inside the
    provisioning transaction, after the verifiers are saved."""
    names = dict(session.conn.execute("SELECT id, username FROM users WHERE removed_at IS NULL"
                                      ).fetchall())
    keyfile, store_id = KeyFile.load(session.directory), session.store_id
    for user_id, verifier in load_verifiers(session.conn).items():
        if user_id in user_ids and user_id in names:
            username = names[user_id]
            inner = wrap(device_kek(session.device.secret, store_id, f"{scope}|{username}"),
                         secret, f"{store_id}|{scope}|{username}".encode())
            keyfile.grant(scope, verifier_holder(username), json.dumps(inner).encode(),
                          b64d(verifier["public"]))
    keyfile.save(session.directory)


def provisional_wraps(conn: Any, store_id: str, data_key: bytes, device: DeviceKeys, *,
                       skip: set[str]) -> dict[str, Any]:
    names = dict(conn.execute("SELECT id, username FROM users WHERE removed_at IS NULL"
                              ).fetchall())
    pending = {}
    for user_id, verifier in load_verifiers(conn).items():
        username = names.get(user_id)
        if username is None or username in skip:
            continue
        inner = wrap(device_kek(device.secret, store_id, "provisional|" + username), data_key,
                     f"{store_id}|provisional|{username}".encode())
        sealed = _SUITE.encrypt(json.dumps(inner).encode(), verifier_public(verifier),
                                _info(store_id, username))
        pending[username] = {"verifier": verifier, "sealed": b64e(sealed)}
    return pending


def _info(store_id: str, username: str) -> bytes:
    return b"concerndesk-provisional-v1\x00" + f"{store_id}|{username}".encode()


def claim_provisioned_account(directory: Path, keyfile: KeyFile, username: str,
                              passphrase: str, device: DeviceKeys) -> bytes:
    """An account's first sign-in on this PC: the passphrase opens its provisional wrap, and
    the data key is wrapped for it the ordinary way (passphrase + this PC's device secret).
    ``UnwrapFailed`` for a wrong passphrase."""
    data = load_join(directory) or {}
    entry = data.get("pending", {}).get(username)
    if entry is None:
        raise UnwrapFailed
    verifier = entry["verifier"]
    try:
        keys = keys_from_passphrase(verifier, username, passphrase)
        private = keys.private
        inner = json.loads(_SUITE.decrypt(b64d(entry["sealed"]), private,
                                          _info(keyfile.store_id, username)))
    except (InvalidTag, ValueError, KeyError):
        raise UnwrapFailed from None
    data_key = unwrap(device_kek(device.secret, keyfile.store_id, "provisional|" + username),
                      inner, f"{keyfile.store_id}|provisional|{username}".encode())
    personal = keyfile.add_user(username, passphrase, device.secret, verifier_params(verifier))
    if "signing" in verifier:  # the passphrase's verifier key vouches for the personal key
        certify(keyfile, username, personal, keys)
    keyfile.grant("school", holder(username), data_key, personal.public())
    for scope in list(keyfile.grants):  # the office key a keyed office PC granted by verifier
        sealed = keyfile.open(scope, verifier_holder(username), private)
        keyfile.revoke(scope, verifier_holder(username))
        if sealed is not None:
            secret = unwrap(device_kek(device.secret, keyfile.store_id, f"{scope}|{username}"),
                            json.loads(sealed), f"{keyfile.store_id}|{scope}|{username}".encode())
            keyfile.grant(scope, holder(username), secret, personal.public())
    keyfile.save(directory)
    data["pending"] = {k: v for k, v in data["pending"].items() if k != username}
    save_join(directory, data)
    return data_key
