"""Passphrase verifiers: what lets an account sign in on a PC that joined the school later.

A verifier is an X25519 *public* key whose private key is derived from the passphrase alone
(Argon2id with the account's own cost and a fresh salt, then HKDF bound to the username). It is
made where the passphrase is known (account added, passphrase changed or reset, or the
first sign-in of an account made before verifiers: ``ensure_verifier``) and kept inside
the encrypted store; it travels only inside a provisioning envelope, HPKE-sealed to one enrolled
device. Like any verifier it allows offline guessing at Argon2id cost per guess, no more.

We chose a public key over an AES-GCM check value because the joined PC can then *seal* its data
key to the account without knowing the passphrase: no unwrapped copy of the data key waits on
disk for the first sign-in (docs/hub-sync.md, "Security argument").
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.clock import iso
from app.store.db import Connection
from app.store.keyfile import KeyFile
from app.store.keys import KdfParams, b64d, b64e
from app.store.session import Session

FORMAT = "x25519-argon2id-v1"


def _private(passphrase: str, username: str, salt: bytes, params: KdfParams) -> X25519PrivateKey:
    stretched = Argon2id(salt=salt, length=32, iterations=params.iterations, lanes=params.lanes,
                         memory_cost=params.memory_kib).derive(passphrase.encode("utf-8"))
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt,
                info=b"concerndesk/verifier/v1|" + username.encode()).derive(stretched)
    return X25519PrivateKey.from_private_bytes(seed)


def make_verifier(passphrase: str, username: str, params: KdfParams) -> dict[str, Any]:
    salt = secrets.token_bytes(16)
    public = _private(passphrase, username, salt, params).public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)
    return {"format": FORMAT, "params": params.to_json(), "salt": b64e(salt),
            "public": b64e(public)}


def verifier_public(verifier: dict[str, Any]) -> X25519PublicKey:
    return X25519PublicKey.from_public_bytes(b64d(verifier["public"]))


def verifier_params(verifier: dict[str, Any]) -> KdfParams:
    return KdfParams.from_json(verifier["params"])


def private_from_passphrase(verifier: dict[str, Any], username: str,
                            passphrase: str) -> X25519PrivateKey:
    """The private key a passphrase gives; it matches the verifier only if the passphrase does."""
    return _private(passphrase, username, b64d(verifier["salt"]), verifier_params(verifier))


def check_verifier(obj: object) -> dict[str, Any]:
    """A verifier from another PC, checked for shape; ValueError when it is not one."""
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise ValueError("unknown verifier format")
    KdfParams.from_json(obj["params"])
    if len(b64d(obj["salt"])) != 16 or len(b64d(obj["public"])) != 32:
        raise ValueError("verifier salt or key has the wrong length")
    return {k: obj[k] for k in ("format", "params", "salt", "public")}


def save_verifier(conn: Connection, user_id: str, verifier: dict[str, Any], now: Any) -> None:
    """Call inside the transaction that sets the passphrase."""
    conn.execute("INSERT INTO user_verifiers (user_id, verifier, updated_at) VALUES (?,?,?) "
                 "ON CONFLICT (user_id) DO UPDATE SET verifier = excluded.verifier, "
                 "updated_at = excluded.updated_at",
                 (user_id, json.dumps(verifier, sort_keys=True), iso(now)))


def set_verifier(conn: Connection, user_id: str, username: str, passphrase: str,
                 params: KdfParams, now: Any) -> None:
    save_verifier(conn, user_id, make_verifier(passphrase, username, params), now)


def load_verifiers(conn: Connection) -> dict[str, dict[str, Any]]:
    """user id → verifier, for every account that has one."""
    return {r[0]: json.loads(r[1]) for r in conn.execute(
        "SELECT user_id, verifier FROM user_verifiers")}


def ensure_verifier(session: Session, passphrase: str) -> bool:
    """At a successful sign-in: an account made before verifiers existed (or before the hub was
    set) gets one now, while its passphrase is in hand — only once the store has a school hub
    or team keys, since a single-PC school needs none. On the admin's PC it then travels to
    every PC it approved (the hub reacts to ``changed("accounts")``); PCs approved later get
    it at provisioning. True when one was made."""
    conn, user = session.conn, session.user
    if conn.execute("SELECT 1 FROM user_verifiers WHERE user_id = ?", (user.id,)).fetchone():
        return False
    hub = conn.execute("SELECT 1 FROM services WHERE role = 'hub'").fetchone()
    # A keyed store has team keys from the start; only a hub (or a single-key store's team
    # keys, made when its hub was first set) means another PC may need the verifier.
    made_for_hub = not session.held.split and conn.execute(
        "SELECT 1 FROM team_keys LIMIT 1").fetchone()
    if not hub and not made_for_hub:
        return False
    entry = KeyFile.load(session.directory).users.get(user.username)
    if entry is None:
        return False
    with session.tx():
        # The account's own cost, as for its wrap: a guess at the verifier costs no less.
        set_verifier(conn, user.id, user.username, passphrase,
                     KdfParams.from_json(entry["params"]), session.clock.now())
        session.audit("user", "user", user.id, change="passphrase verifier made at sign-in")
        session.changed("accounts")
    return True
