"""Key derivation and key wrapping: passphrase and recovery key → the store's data key.

The store is encrypted with one random 256-bit data key. Each user holds their own copy of it,
wrapped (AES-256-GCM) under a key derived from their passphrase with Argon2id *and* the device
secret from the OS keyring, so a copied store plus a guessed passphrase is not enough elsewhere.
The recovery key is 256 random bits shown once; it wraps the data key and the device secret, so
it alone re-opens the store on a replacement PC.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import asdict, dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.errors import InputError

KEY_BYTES = 32


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. Defaults cost ~0.21 s and 96 MiB on a 2-core school PC (see README)."""

    iterations: int = 3
    memory_kib: int = 96 * 1024
    lanes: int = 4

    def to_json(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, int]) -> KdfParams:
        return cls(int(data["iterations"]), int(data["memory_kib"]), int(data["lanes"]))


# Used only by tests that create many accounts; the same code path with a cheaper cost.
TEST_KDF = KdfParams(iterations=1, memory_kib=8 * 1024, lanes=1)


class UnwrapFailed(Exception):
    """The wrapping key was wrong (a wrong passphrase or recovery key) or the wrap was altered."""


def b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64d(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def new_data_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=info).derive(ikm)


def key_id(key: bytes) -> str:
    """Names a store key without revealing it (``key_ids`` in keys.json): a connection opened
    with another key can tell that the store was re-keyed under it, rather than damaged."""
    return _hkdf(key, b"", b"concerndesk/key-id/v1")[:8].hex()


def passphrase_kek(passphrase: str, salt: bytes, device_secret: bytes, params: KdfParams,
                   context: bytes) -> bytes:
    """Key-encryption key for one user on one device."""
    stretched = Argon2id(salt=salt, length=KEY_BYTES, iterations=params.iterations,
                         lanes=params.lanes, memory_cost=params.memory_kib
                         ).derive(passphrase.encode("utf-8"))
    return _hkdf(stretched + device_secret, salt, b"concerndesk/user-wrap/v1|" + context)


def recovery_kek(recovery_key: bytes, salt: bytes, context: bytes) -> bytes:
    # 256 random bits need no stretching; HKDF only separates this use from any other.
    return _hkdf(recovery_key, salt, b"concerndesk/recovery-wrap/v1|" + context)


def wrap(kek: bytes, secret: bytes, aad: bytes) -> dict[str, str]:
    nonce = secrets.token_bytes(12)
    return {"nonce": b64e(nonce), "wrapped": b64e(AESGCM(kek).encrypt(nonce, secret, aad))}


def unwrap(kek: bytes, blob: dict[str, str], aad: bytes) -> bytes:
    try:
        return AESGCM(kek).decrypt(b64d(blob["nonce"]), b64d(blob["wrapped"]), aad)
    except (InvalidTag, KeyError, ValueError) as exc:
        raise UnwrapFailed from exc


# Crockford base32: no I, L, O, U, so a key read aloud or copied by hand is unambiguous.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_recovery_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def format_recovery_key(key: bytes) -> str:
    """52 characters in 13 groups of four, e.g. ``7K3Q-…``."""
    number = int.from_bytes(key, "big")
    chars = []
    for _ in range(52):
        number, digit = divmod(number, 32)
        chars.append(_ALPHABET[digit])
    text = "".join(reversed(chars))
    return "-".join(text[i:i + 4] for i in range(0, 52, 4))


def parse_recovery_key(text: str) -> bytes:
    cleaned = text.strip().upper().replace("-", "").replace(" ", "")
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    if len(cleaned) != 52:
        raise InputError("recovery key", f"has {len(cleaned)} characters; it needs 52 "
                         "(13 groups of four)")
    number = 0
    for ch in cleaned:
        digit = _ALPHABET.find(ch)
        if digit < 0:
            raise InputError("recovery key", f"contains '{ch}', which is not a recovery key "
                             "character")
        number = number * 32 + digit
    if number >= 1 << (KEY_BYTES * 8):
        raise InputError("recovery key", "is not a valid recovery key")
    return number.to_bytes(KEY_BYTES, "big")


# -- the key hierarchy (docs/keys.md) -----------------------------------------------------------
# Each account has a 32-byte personal seed, wrapped under its passphrase key (above). From it
# come an X25519 key, to which the store keys are sealed ("grants"), and an Ed25519 key that
# signs what the account writes. Sealing needs only the public half, so an account can be given
# a key (or a re-keyed store) without anyone knowing its passphrase.

GRANT_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


@dataclass(frozen=True)
class PersonalKeys:
    seed: bytes

    @property
    def hpke(self) -> X25519PrivateKey:
        return X25519PrivateKey.from_private_bytes(
            _hkdf(self.seed, b"", b"concerndesk/personal-x25519/v1"))

    @property
    def signing(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(
            _hkdf(self.seed, b"", b"concerndesk/personal-ed25519/v1"))

    def public(self) -> bytes:
        return self.hpke.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def signing_public(self) -> bytes:
        return self.signing.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @classmethod
    def generate(cls) -> PersonalKeys:
        return cls(secrets.token_bytes(KEY_BYTES))


def recovery_hpke_key(recovery_key: bytes, store_id: str) -> X25519PrivateKey:
    """The recovery key's own X25519 key: grants are sealed to its public half, kept in the
    key file and pinned inside the DSL store, so a store re-keyed later stays recoverable."""
    return X25519PrivateKey.from_private_bytes(
        _hkdf(recovery_key, store_id.encode(), b"concerndesk/recovery-x25519/v1"))


def recovery_signing_key(recovery_key: bytes, store_id: str) -> Ed25519PrivateKey:
    """What signs the audit events of a session opened with the recovery key, which has no
    personal key of its own (docs/keys.md, "The audit trails")."""
    return Ed25519PrivateKey.from_private_bytes(
        _hkdf(recovery_key, store_id.encode(), b"concerndesk/recovery-ed25519/v1"))


def raw_public(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def grant_info(store_id: str, scope: str, holder: str) -> bytes:
    return f"concerndesk/grant/v1|{store_id}|{scope}|{holder}".encode()


def seal_grant(secret: bytes, public: bytes, info: bytes) -> str:
    return b64e(GRANT_SUITE.encrypt(secret, X25519PublicKey.from_public_bytes(public), info))


def open_grant(sealed: str, private: X25519PrivateKey, info: bytes) -> bytes:
    try:
        return GRANT_SUITE.decrypt(b64d(sealed), private, info)
    except (InvalidTag, ValueError, TypeError) as exc:
        raise UnwrapFailed from exc
