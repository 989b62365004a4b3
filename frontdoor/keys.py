"""The service's keys and identity, kept in the store directory.

``service.json`` holds the public part (mode, name, key bundle, fingerprint). The two private
keys are in separate files, each sealed with AES-256-GCM under a key derived from the
passphrase with Argon2id, so ``serve`` can unseal the signing key (for receipts) without ever
unsealing the HPKE key that decrypts what arrives (only ``inbox list/export`` do that).
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from app.clock import SystemClock, iso
from app.errors import ConcernDeskError, InputError, UnlockError
from app.protocol.fingerprint import KEY_LEN, KeyBundle, KeyPairs, b64d, b64e

PASSPHRASE_ENV = "CONCERNDESK_FRONTDOOR_PASSPHRASE"
INFO_FILE = "service.json"
SIGNING_FILE = "signing.key"
HPKE_FILE = "hpke.key"
MODES = ("la", "school")
MIN_PASSPHRASE = 8
# Argon2id: about 0.15 s on the reference machine (ENVIRONMENT.md).
_KDF = {"iterations": 3, "lanes": 4, "memory_cost": 65536}


@dataclass(frozen=True)
class ServiceInfo:
    mode: str
    name: str
    bundle: KeyBundle
    created: str

    @property
    def fingerprint(self) -> str:
        return self.bundle.fingerprint

    def to_json(self) -> dict[str, object]:
        return {"v": 1, "mode": self.mode, "name": self.name, "bundle": self.bundle.to_json(),
                "fingerprint": self.fingerprint, "created": self.created}


def get_passphrase(*, confirm: bool = False) -> str:
    """From the environment, else a hidden prompt; never from an argument."""
    value = os.environ.get(PASSPHRASE_ENV)
    if value is None:
        if not sys.stdin.isatty():
            raise InputError("passphrase", f"set {PASSPHRASE_ENV} or run from a terminal")
        value = getpass.getpass("Service passphrase: ")
        if confirm and getpass.getpass("Again: ") != value:
            raise InputError("passphrase", "the two entries differ")
    if confirm and len(value) < MIN_PASSPHRASE:
        raise InputError("passphrase", f"must be at least {MIN_PASSPHRASE} characters")
    return value


def _seal(secret: bytes, passphrase: str, purpose: str, fingerprint: str) -> dict[str, object]:
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    key = Argon2id(salt=salt, length=32, iterations=_KDF["iterations"], lanes=_KDF["lanes"],
                   memory_cost=_KDF["memory_cost"]).derive(passphrase.encode())
    aad = f"concerndesk-frontdoor-{purpose}:{fingerprint}".encode()
    return {"v": 1, "kdf": "argon2id", **_KDF, "salt": b64e(salt), "nonce": b64e(nonce),
            "purpose": purpose, "fingerprint": fingerprint,
            "ciphertext": b64e(AESGCM(key).encrypt(nonce, secret, aad))}


def _unseal(path: Path, passphrase: str, purpose: str, fingerprint: str) -> bytes:
    try:
        obj = json.loads(path.read_text("utf-8"))
        kdf = Argon2id(salt=b64d(obj["salt"], "salt"), length=32, iterations=int(obj["iterations"]),
                       lanes=int(obj["lanes"]), memory_cost=int(obj["memory_cost"]))
        nonce, ct = b64d(obj["nonce"], "nonce"), b64d(obj["ciphertext"], "ciphertext")
    except FileNotFoundError:
        raise ConcernDeskError(f"{path.name} is missing from the store directory") from None
    except (OSError, ValueError, KeyError, TypeError, InputError):
        raise ConcernDeskError(f"{path.name} is damaged; restore the store from a backup") from None
    aad = f"concerndesk-frontdoor-{purpose}:{fingerprint}".encode()
    try:
        secret = AESGCM(kdf.derive(passphrase.encode())).decrypt(nonce, ct, aad)
    except InvalidTag:
        raise UnlockError("wrong passphrase for the service keys") from None
    if len(secret) != KEY_LEN:
        raise ConcernDeskError(f"{path.name} is damaged")
    return secret


def _write_private(path: Path, obj: dict[str, object]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())


def init_store(store: Path, mode: str, name: str, passphrase: str) -> ServiceInfo:
    """New keys in ``store`` (created, or empty); refuses to overwrite an existing service."""
    if mode not in MODES:
        raise InputError("mode", "must be 'la' or 'school'")
    if (store / INFO_FILE).exists():
        raise InputError("store", f"{store} already holds a service; use another directory")
    store.mkdir(parents=True, exist_ok=True, mode=0o700)
    pairs = KeyPairs.generate()
    info = ServiceInfo(mode=mode, name=name, bundle=pairs.bundle, created=iso(SystemClock().now()))
    raw = pairs.private_bytes()
    fp = info.fingerprint
    _write_private(store / SIGNING_FILE, _seal(raw[:KEY_LEN], passphrase, "signing", fp))
    _write_private(store / HPKE_FILE, _seal(raw[KEY_LEN:], passphrase, "hpke", fp))
    # service.json last: its presence means the store is complete.
    tmp = store / (INFO_FILE + ".tmp")
    tmp.write_text(json.dumps(info.to_json(), indent=1), "utf-8")
    os.replace(tmp, store / INFO_FILE)
    return info


def load_info(store: Path) -> ServiceInfo:
    try:
        obj = json.loads((store / INFO_FILE).read_text("utf-8"))
    except FileNotFoundError:
        raise InputError("store", f"{store} holds no service; run 'init' first") from None
    except (OSError, ValueError):
        raise ConcernDeskError(f"{store / INFO_FILE} is unreadable or damaged") from None
    try:
        info = ServiceInfo(mode=obj["mode"], name=obj["name"],
                           bundle=KeyBundle.from_json(obj["bundle"]), created=obj["created"])
    except (KeyError, TypeError, InputError):
        raise ConcernDeskError(f"{store / INFO_FILE} is damaged") from None
    if info.mode not in MODES or obj.get("fingerprint") != info.fingerprint:
        raise ConcernDeskError(f"{store / INFO_FILE} is damaged (mode or fingerprint)")
    return info


def load_signing_key(store: Path, info: ServiceInfo, passphrase: str) -> Ed25519PrivateKey:
    raw = _unseal(store / SIGNING_FILE, passphrase, "signing", info.fingerprint)
    key = Ed25519PrivateKey.from_private_bytes(raw)
    if KeyPairs(key, X25519PrivateKey.generate()).bundle.signing != info.bundle.signing:
        raise ConcernDeskError("signing.key does not belong to this service")
    return key


def load_hpke_key(store: Path, info: ServiceInfo, passphrase: str) -> X25519PrivateKey:
    """The key that decrypts what arrives. Only the inbox commands call this, never ``serve``."""
    raw = _unseal(store / HPKE_FILE, passphrase, "hpke", info.fingerprint)
    key = X25519PrivateKey.from_private_bytes(raw)
    if KeyPairs(Ed25519PrivateKey.generate(), key).bundle.hpke != info.bundle.hpke:
        raise ConcernDeskError("hpke.key does not belong to this service")
    return key
