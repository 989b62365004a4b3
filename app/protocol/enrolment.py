"""Proofs of key possession used when a key is registered with a service.

An enrolment request proves the sender holds the bundle's signing key, so nobody can park
someone else's public key under their own name. A holding proof lets an enrolled device say
"I also hold this key" (the DSL team key, the office key) so the hub lists envelopes for it.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.errors import InputError
from app.protocol.fingerprint import KeyBundle, normalise_fingerprint

ENROLMENT_DOMAIN = b"concerndesk-enrolment-v1\x00"
HOLDING_DOMAIN = b"concerndesk-holding-v1\x00"
MAX_NAME_LEN = 200


def check_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LEN:
        raise InputError("name", f"must be 1-{MAX_NAME_LEN} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise InputError("name", "must not contain control characters")
    return name.strip()


def enrolment_message(bundle: KeyBundle, name: str) -> bytes:
    return ENROLMENT_DOMAIN + bundle.to_bytes() + name.encode("utf-8")


def sign_enrolment(bundle: KeyBundle, name: str, signing_private: Ed25519PrivateKey) -> bytes:
    return signing_private.sign(enrolment_message(bundle, name))


def verify_enrolment(bundle: KeyBundle, name: str, proof: bytes) -> None:
    try:
        bundle.signing_key().verify(proof, enrolment_message(bundle, name))
    except InvalidSignature:
        raise InputError("proof", "does not verify with the bundle's signing key") from None


def holding_message(held: KeyBundle, device_fingerprint: str) -> bytes:
    return HOLDING_DOMAIN + held.to_bytes() + normalise_fingerprint(device_fingerprint).encode()


def sign_holding(held: KeyBundle, device_fingerprint: str,
                 held_signing_private: Ed25519PrivateKey) -> bytes:
    return held_signing_private.sign(holding_message(held, device_fingerprint))


def verify_holding(held: KeyBundle, device_fingerprint: str, proof: bytes) -> None:
    try:
        held.signing_key().verify(proof, holding_message(held, device_fingerprint))
    except InvalidSignature:
        raise InputError("proof", "does not verify with the held key's signing key") from None
