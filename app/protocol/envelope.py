"""Envelopes: whatever leaves a machine. A signed header plus a payload sealed with HPKE.

Wire format (version 1, all integers big-endian; docs/protocol.md is the reference)::

    "CDE1" | u32 H | header (H bytes, canonical JSON) | u64 P | HPKE enc||ct (P bytes) | sig (64)

The payload is sealed with HPKE base mode (RFC 9180: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
AES-256-GCM) to the recipient's X25519 key, with ``info = "concerndesk-envelope-v1" 0x00 header``
so a header cannot be moved onto another payload. The Ed25519 signature of the sending device
covers ``"concerndesk-envelope-v1" 0x00`` followed by every byte before the signature.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import uuid
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from app.canonical import canonical_json
from app.clock import SystemClock, iso, parse_iso
from app.errors import InputError
from app.protocol.fingerprint import normalise_fingerprint

VERSION = 1
MAGIC = b"CDE1"
DOMAIN = b"concerndesk-envelope-v1\x00"
SIGNATURE_LEN = 64
MAX_HEADER_LEN = 1024
# The service's default body limit; large attachments travel as "chunk" envelopes below it.
MAX_ENVELOPE_LEN = 8 * 1024 * 1024
HPKE_ENC_LEN = 32
AEAD_TAG_LEN = 16
_FIXED_LEN = len(MAGIC) + 4 + 8 + SIGNATURE_LEN
KNOWN_KINDS = ("referral", "concern", "record", "roster", "pack-release", "chunk", "provision",
               "accounts", "cp-file", "cp-file-answer")
_KIND_RE = re.compile(r"[a-z][a-z0-9-]{0,31}")
_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ISO_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_HEADER_KEYS = {"v", "id", "sender", "recipient", "kind", "created"}

_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


class EnvelopeError(InputError):
    """A malformed, forged or unreadable envelope; ``reason`` says which check failed."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__("envelope", reason)


@dataclass(frozen=True)
class EnvelopeHeader:
    id: str
    sender: str
    recipient: str
    kind: str
    created: datetime
    version: int = VERSION

    def to_json(self) -> dict[str, object]:
        return {"v": self.version, "id": self.id, "sender": self.sender,
                "recipient": self.recipient, "kind": self.kind, "created": iso(self.created)}

    def to_bytes(self) -> bytes:
        """Canonical JSON: sorted keys, no spaces, ASCII. The only accepted encoding."""
        return canonical_json(self.to_json())


@dataclass(frozen=True)
class Envelope:
    header: EnvelopeHeader
    header_bytes: bytes
    ciphertext: bytes
    signature: bytes
    raw: bytes

    @property
    def id(self) -> str:
        return self.header.id

    @property
    def signed_bytes(self) -> bytes:
        return DOMAIN + self.raw[: len(self.raw) - SIGNATURE_LEN]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


def new_header(sender: str, recipient: str, kind: str, *, id: str | None = None,
               created: datetime | None = None) -> EnvelopeHeader:
    """A header with a fresh random id and the current time unless given; inputs validated."""
    header = EnvelopeHeader(
        id=_check_id(id or str(uuid.uuid4())),
        sender=normalise_fingerprint(sender),
        recipient=normalise_fingerprint(recipient),
        kind=_check_kind(kind),
        created=created or SystemClock().now(),
    )
    return header


def _check_id(value: str) -> str:
    if not isinstance(value, str) or not _UUID_RE.fullmatch(value):
        raise EnvelopeError("header id must be a lower-case UUID")
    return value


def _check_kind(value: str) -> str:
    if not isinstance(value, str) or not _KIND_RE.fullmatch(value):
        raise EnvelopeError("header kind must be 1-32 of a-z, 0-9 and '-', starting with a letter")
    return value


def seal(header: EnvelopeHeader, payload: bytes, recipient_hpke_public: X25519PublicKey,
         sender_signing_private: Ed25519PrivateKey, *, max_size: int = MAX_ENVELOPE_LEN) -> bytes:
    """Encrypt ``payload`` to the recipient and sign the whole with the sender's device key."""
    header_bytes = header.to_bytes()
    if len(header_bytes) > MAX_HEADER_LEN:
        raise EnvelopeError("header too long")
    ciphertext = _SUITE.encrypt(payload, recipient_hpke_public, DOMAIN + header_bytes)
    body = (MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes
            + struct.pack(">Q", len(ciphertext)) + ciphertext)
    sealed = body + sender_signing_private.sign(DOMAIN + body)
    if len(sealed) > max_size:
        raise EnvelopeError(f"envelope of {len(sealed)} bytes is over the {max_size}-byte limit; "
                            "send large attachments in chunks")
    return sealed


def parse(envelope_bytes: bytes, *, max_size: int = MAX_ENVELOPE_LEN) -> Envelope:
    """Check structure and size; ``EnvelopeError`` naming the first problem. No crypto here."""
    data = bytes(envelope_bytes)
    if len(data) > max_size:
        raise EnvelopeError(f"envelope of {len(data)} bytes is over the {max_size}-byte limit")
    if len(data) < _FIXED_LEN:
        raise EnvelopeError("truncated: shorter than the fixed fields")
    if data[:4] != MAGIC:
        raise EnvelopeError("not a ConcernDesk envelope (bad magic) or an unknown version")
    (header_len,) = struct.unpack_from(">I", data, 4)
    if header_len == 0 or header_len > MAX_HEADER_LEN:
        raise EnvelopeError(f"header length {header_len} out of range 1..{MAX_HEADER_LEN}")
    if 8 + header_len + 8 > len(data):
        raise EnvelopeError("truncated inside the header")
    header_bytes = data[8 : 8 + header_len]
    (payload_len,) = struct.unpack_from(">Q", data, 8 + header_len)
    start = 16 + header_len
    if payload_len < HPKE_ENC_LEN + AEAD_TAG_LEN:
        raise EnvelopeError("payload too short to be an HPKE ciphertext")
    expected = start + payload_len + SIGNATURE_LEN
    if expected != len(data):
        kind = "truncated" if expected > len(data) else "trailing bytes after the signature"
        raise EnvelopeError(f"{kind}: lengths say {expected} bytes, found {len(data)}")
    header = _parse_header(header_bytes)
    return Envelope(header=header, header_bytes=header_bytes,
                    ciphertext=data[start : start + payload_len],
                    signature=data[start + payload_len :], raw=data)


def _parse_header(header_bytes: bytes) -> EnvelopeHeader:
    try:
        obj = json.loads(header_bytes.decode("ascii"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise EnvelopeError("header is not ASCII JSON") from None
    if not isinstance(obj, dict) or set(obj) != _HEADER_KEYS:
        raise EnvelopeError("header must have exactly: " + ", ".join(sorted(_HEADER_KEYS)))
    if obj["v"] != VERSION or type(obj["v"]) is not int:
        raise EnvelopeError(f"header version must be {VERSION}")
    for key in ("sender", "recipient", "created"):
        if not isinstance(obj[key], str):
            raise EnvelopeError(f"header {key} must be a string")
    try:
        sender = normalise_fingerprint(obj["sender"])
        recipient = normalise_fingerprint(obj["recipient"])
    except InputError:
        raise EnvelopeError("header sender and recipient must be key fingerprints") from None
    if not _ISO_RE.fullmatch(obj["created"]):
        raise EnvelopeError("header created must be UTC like 2026-03-02T09:00:00.000000Z")
    try:
        created = parse_iso(obj["created"])
    except ValueError:
        raise EnvelopeError("header created is not a real time") from None
    header = EnvelopeHeader(id=_check_id(obj["id"]), sender=sender, recipient=recipient,
                            kind=_check_kind(obj["kind"]), created=created)
    if header.to_bytes() != header_bytes:
        raise EnvelopeError("header is not in canonical form")
    return header


def verify_signature(env: Envelope, sender_signing_public: Ed25519PublicKey) -> None:
    """``EnvelopeError`` unless the sender's key signed exactly these bytes."""
    try:
        sender_signing_public.verify(env.signature, env.signed_bytes)
    except InvalidSignature:
        raise EnvelopeError("signature does not verify with the sender's key") from None


def open_payload(env: Envelope, recipient_hpke_private: X25519PrivateKey) -> bytes:
    """Decrypt the payload; ``EnvelopeError`` if it was not sealed to this key or was altered.

    Verify the signature first: HPKE base mode proves nothing about who sealed it.
    """
    try:
        return _SUITE.decrypt(env.ciphertext, recipient_hpke_private, DOMAIN + env.header_bytes)
    except (InvalidTag, ValueError):
        raise EnvelopeError("payload cannot be opened with this key, or was altered") from None


def envelope_id(envelope_bytes: bytes) -> str:
    """The id of a well-formed envelope (structure checked, signature not)."""
    return parse(envelope_bytes, max_size=max(len(envelope_bytes), 1)).id
