"""Public key bundles and their fingerprints: how a person checks a key out of band.

A key bundle is what a device, a team or a service publishes: its Ed25519 signing public key
and its X25519 HPKE public key. The fingerprint is what people read aloud or print to enrol it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from app.errors import InputError

KEY_LEN = 32
BUNDLE_LEN = 2 * KEY_LEN
FINGERPRINT_BYTES = 20
_FP_HEX_LEN = 2 * FINGERPRINT_BYTES
_FP_RE = re.compile(r"[0-9A-F]{40}")


def b64e(data: bytes) -> str:
    """Standard base64 with padding: the one text form of bytes on the wire."""
    return base64.b64encode(data).decode("ascii")


def b64d(text: object, field: str) -> bytes:
    """Strict standard base64; ``InputError(field, …)`` for anything else, a value that is not
    a string included (so it takes a JSON field as it came)."""
    if not isinstance(text, str):
        raise InputError(field, "must be a base64 string")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise InputError(field, "is not valid base64") from None


def _raw(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class KeyBundle:
    """The public half of a key pair set: 32 raw Ed25519 bytes + 32 raw X25519 bytes."""

    signing: bytes
    hpke: bytes

    def __post_init__(self) -> None:
        if len(self.signing) != KEY_LEN or len(self.hpke) != KEY_LEN:
            raise InputError("key bundle", "each key must be 32 bytes")

    def to_bytes(self) -> bytes:
        """The canonical form hashed for the fingerprint: signing key then HPKE key."""
        return self.signing + self.hpke

    @classmethod
    def from_bytes(cls, data: bytes) -> KeyBundle:
        if len(data) != BUNDLE_LEN:
            raise InputError("key bundle", f"must be {BUNDLE_LEN} bytes, not {len(data)}")
        return cls(bytes(data[:KEY_LEN]), bytes(data[KEY_LEN:]))

    def to_json(self) -> dict[str, str]:
        return {"signing": b64e(self.signing), "hpke": b64e(self.hpke)}

    @classmethod
    def from_json(cls, obj: object) -> KeyBundle:
        if not isinstance(obj, dict) or set(obj) != {"signing", "hpke"}:
            raise InputError("key bundle", "must be an object with 'signing' and 'hpke'")
        return cls(b64d(obj["signing"], "key bundle signing"), b64d(obj["hpke"], "key bundle hpke"))

    def to_text(self) -> str:
        """One line to paste or e-mail: base64 of the canonical 64 bytes."""
        return b64e(self.to_bytes())

    @classmethod
    def from_text(cls, text: str) -> KeyBundle:
        return cls.from_bytes(b64d(text.strip(), "key bundle"))

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.to_bytes())

    def signing_key(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.signing)

    def hpke_key(self) -> X25519PublicKey:
        return X25519PublicKey.from_public_bytes(self.hpke)


@dataclass(frozen=True)
class KeyPairs:
    """The private keys behind a bundle (a device, a team, a service)."""

    signing: Ed25519PrivateKey
    hpke: X25519PrivateKey

    @classmethod
    def generate(cls) -> KeyPairs:
        return cls(Ed25519PrivateKey.generate(), X25519PrivateKey.generate())

    @property
    def bundle(self) -> KeyBundle:
        return KeyBundle(_raw(self.signing.public_key()), _raw(self.hpke.public_key()))

    @property
    def fingerprint(self) -> str:
        return self.bundle.fingerprint

    def private_bytes(self) -> bytes:
        """64 raw private bytes (signing seed + X25519 scalar): keep them encrypted."""
        raw = (serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
               serialization.NoEncryption())
        return self.signing.private_bytes(*raw) + self.hpke.private_bytes(*raw)

    @classmethod
    def from_private_bytes(cls, data: bytes) -> KeyPairs:
        if len(data) != BUNDLE_LEN:
            raise InputError("private keys", f"must be {BUNDLE_LEN} bytes")
        return cls(Ed25519PrivateKey.from_private_bytes(data[:KEY_LEN]),
                   X25519PrivateKey.from_private_bytes(data[KEY_LEN:]))


def fingerprint(public_bundle: bytes) -> str:
    """First 20 bytes of SHA-256 over the canonical bundle, as 10 dash-joined groups of 4 hex."""
    if len(public_bundle) != BUNDLE_LEN:
        raise InputError("key bundle", f"must be {BUNDLE_LEN} bytes, not {len(public_bundle)}")
    digest = hashlib.sha256(public_bundle).hexdigest().upper()[:_FP_HEX_LEN]
    return "-".join(digest[i : i + 4] for i in range(0, _FP_HEX_LEN, 4))


def normalise_fingerprint(text: str) -> str:
    """Any case, spaces or dashes in, the canonical form out; ``InputError`` when malformed."""
    if not isinstance(text, str):
        raise InputError("fingerprint", "must be text")
    compact = re.sub(r"[\s\-:]", "", text).upper()
    if len(compact) != _FP_HEX_LEN:
        raise InputError("fingerprint", f"must be {_FP_HEX_LEN} hex digits, found {len(compact)}")
    if not _FP_RE.fullmatch(compact):
        raise InputError("fingerprint", "must contain only hex digits 0-9 and A-F")
    return "-".join(compact[i : i + 4] for i in range(0, _FP_HEX_LEN, 4))


def fingerprint_bytes(fp: str) -> bytes:
    """The 20 raw bytes of a canonical fingerprint (for compact binary use)."""
    return bytes.fromhex(normalise_fingerprint(fp).replace("-", ""))
