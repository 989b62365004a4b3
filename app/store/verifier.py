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

Since format 2 a verifier also publishes ``signing``: an Ed25519 public key derived from the same
Argon2id output (another HKDF label). A joined PC that derives the verifier's keys anyway (the
account's claim) signs an *author certificate* with it for the account's personal signing key
there, so the DSL PCs can tell which account on a staff PC wrote a concern (app/store/authorship.py,
docs/keys.md "Author certificates"). A verifier without ``signing`` still opens sign-ins.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.clock import iso
from app.store.db import Connection
from app.store.joinfile import load as load_join
from app.store.keyfile import KeyFile
from app.store.keys import KdfParams, b64d, b64e
from app.store.session import Session

FORMAT = "x25519-argon2id-v1"  # the name stays: format 2 only adds ``signing``


@dataclass(frozen=True)
class VerifierKeys:
    """What one Argon2id run over the passphrase gives: the verifier's X25519 private key (opens
    what was sealed to the verifier) and its Ed25519 signing key (signs author certificates)."""

    private: X25519PrivateKey
    signing: Ed25519PrivateKey


def _keys(passphrase: str, username: str, salt: bytes, params: KdfParams) -> VerifierKeys:
    stretched = Argon2id(salt=salt, length=32, iterations=params.iterations, lanes=params.lanes,
                         memory_cost=params.memory_kib).derive(passphrase.encode("utf-8"))

    def derive(label: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt,
                    info=label + username.encode()).derive(stretched)

    return VerifierKeys(X25519PrivateKey.from_private_bytes(derive(b"concerndesk/verifier/v1|")),
                        Ed25519PrivateKey.from_private_bytes(
                            derive(b"concerndesk/verifier-sign/v1|")))


def make_verifier(passphrase: str, username: str, params: KdfParams) -> dict[str, Any]:
    salt = secrets.token_bytes(16)
    keys = _keys(passphrase, username, salt, params)
    return {"format": FORMAT, "params": params.to_json(), "salt": b64e(salt),
            "public": b64e(keys.private.public_key().public_bytes(Encoding.Raw,
                                                                  PublicFormat.Raw)),
            "signing": b64e(keys.signing.public_key().public_bytes(Encoding.Raw,
                                                                   PublicFormat.Raw))}


def verifier_public(verifier: dict[str, Any]) -> X25519PublicKey:
    return X25519PublicKey.from_public_bytes(b64d(verifier["public"]))


def verifier_params(verifier: dict[str, Any]) -> KdfParams:
    return KdfParams.from_json(verifier["params"])


def keys_from_passphrase(verifier: dict[str, Any], username: str,
                         passphrase: str) -> VerifierKeys:
    """The keys a passphrase gives; they match the verifier only if the passphrase does."""
    return _keys(passphrase, username, b64d(verifier["salt"]), verifier_params(verifier))


def opens(verifier: dict[str, Any], keys: VerifierKeys) -> bool:
    """Whether ``keys`` are this verifier's (the passphrase was right)."""
    return b64e(keys.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)) \
        == verifier.get("public")


def check_verifier(obj: object) -> dict[str, Any]:
    """A verifier from another PC, checked for shape; ValueError when it is not one."""
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise ValueError("unknown verifier format")
    KdfParams.from_json(obj["params"])
    if len(b64d(obj["salt"])) != 16 or len(b64d(obj["public"])) != 32:
        raise ValueError("verifier salt or key has the wrong length")
    if "signing" in obj and len(b64d(obj["signing"])) != 32:
        raise ValueError("verifier signing key has the wrong length")
    return {k: obj[k] for k in ("format", "params", "salt", "public", "signing") if k in obj}


def save_verifier(conn: Connection, user_id: str, verifier: dict[str, Any], now: Any) -> None:
    """Call inside the transaction that sets the passphrase (or applies the admin's accounts).
    Every signing key a verifier of the account ever published is remembered: an author
    certificate made on a joined PC under an earlier verifier stays good, since that PC keeps
    the passphrase it was claimed with (docs/keys.md, "Author certificates")."""
    conn.execute("INSERT INTO user_verifiers (user_id, verifier, updated_at) VALUES (?,?,?) "
                 "ON CONFLICT (user_id) DO UPDATE SET verifier = excluded.verifier, "
                 "updated_at = excluded.updated_at",
                 (user_id, json.dumps(verifier, sort_keys=True), iso(now)))
    if "signing" in verifier:
        conn.execute("INSERT OR IGNORE INTO verifier_signing_keys (user_id, signing, seen_at) "
                     "VALUES (?,?,?)", (user_id, verifier["signing"], iso(now)))


def verifier_signing_keys(conn: Connection, user_id: str) -> set[str]:
    """Every verifier signing key (base64) the account has had here."""
    return {r[0] for r in conn.execute("SELECT signing FROM verifier_signing_keys WHERE "
                                       "user_id = ?", (user_id,))}


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
    row = conn.execute("SELECT verifier FROM user_verifiers WHERE user_id = ?",
                       (user.id,)).fetchone()
    # A verifier from before format 2 is made again where verifiers travel from (a PC that
    # did not join: the admin's), so the account's later claims can certify their keys.
    upgrade = row is not None and "signing" not in json.loads(row[0])
    if row is not None and (not upgrade or load_join(session.directory) is not None):
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
        session.audit("user", "user", user.id, change="passphrase verifier " + (
            "upgraded to format 2" if upgrade else "made") + " at sign-in")
        session.changed("accounts")
    return True
