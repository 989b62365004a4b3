"""Receipts: the service's signed word that it stored an envelope, and exactly which bytes.

A receipt is JSON; its signature is Ed25519 by the service's signing key over
``"concerndesk-receipt-v1" 0x00`` followed by the canonical JSON (sorted keys, no spaces, ASCII)
of every field except ``signature``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.canonical import canonical_json
from app.clock import iso, parse_iso
from app.errors import InputError
from app.protocol.fingerprint import b64d, b64e, normalise_fingerprint

DOMAIN = b"concerndesk-receipt-v1\x00"
_FIELDS = {"v", "envelope_id", "sha256", "received", "service", "signature"}


class ReceiptError(InputError):
    """A receipt that is malformed or whose signature does not verify."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__("receipt", reason)


@dataclass(frozen=True)
class Receipt:
    envelope_id: str
    sha256: str  # hex of SHA-256 over the whole envelope body as stored
    received: datetime
    service: str  # the service's key fingerprint
    signature: bytes

    def signed_fields(self) -> dict[str, object]:
        return {"v": 1, "envelope_id": self.envelope_id, "sha256": self.sha256,
                "received": iso(self.received), "service": self.service}

    def signed_bytes(self) -> bytes:
        return DOMAIN + canonical_json(self.signed_fields())

    def to_json(self) -> dict[str, object]:
        return {**self.signed_fields(), "signature": b64e(self.signature)}

    def to_bytes(self) -> bytes:
        """Canonical JSON of the whole receipt: what the client keeps as proof."""
        return canonical_json(self.to_json())

    @classmethod
    def from_json(cls, obj: object) -> Receipt:
        if not isinstance(obj, dict) or set(obj) != _FIELDS:
            raise ReceiptError("must have exactly: " + ", ".join(sorted(_FIELDS)))
        if obj["v"] != 1 or type(obj["v"]) is not int:
            raise ReceiptError("unknown version")
        if not all(isinstance(obj[k], str) for k in _FIELDS - {"v"}):
            raise ReceiptError("fields must be strings")
        sha = obj["sha256"]
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise ReceiptError("sha256 must be 64 lower-case hex digits")
        try:
            received = parse_iso(obj["received"])
            service = normalise_fingerprint(obj["service"])
            signature = b64d(obj["signature"], "receipt signature")
        except (ValueError, InputError) as exc:
            raise ReceiptError(f"bad field: {exc}") from None
        return cls(obj["envelope_id"], sha, received, service, signature)

    @classmethod
    def from_bytes(cls, data: bytes) -> Receipt:
        try:
            return cls.from_json(json.loads(data))
        except (ValueError, UnicodeDecodeError):
            raise ReceiptError("not JSON") from None


def make_receipt(envelope_id: str, sha256_hex: str, received: datetime, service_fingerprint: str,
                 service_signing_private: Ed25519PrivateKey) -> Receipt:
    """Sign a receipt. Ed25519 is deterministic, so the same stored row gives the same bytes."""
    unsigned = Receipt(envelope_id, sha256_hex, received, service_fingerprint, b"")
    return Receipt(envelope_id, sha256_hex, received, service_fingerprint,
                   service_signing_private.sign(unsigned.signed_bytes()))


def verify_receipt(receipt: Receipt, service_signing_public: Ed25519PublicKey) -> None:
    """``ReceiptError`` unless the service's key signed exactly these fields."""
    try:
        service_signing_public.verify(receipt.signature, receipt.signed_bytes())
    except InvalidSignature:
        raise ReceiptError("signature does not verify with the service's key") from None
