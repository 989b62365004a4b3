"""Signed HTTP requests: a fixed profile of RFC 9421 HTTP Message Signatures with Ed25519.

Every request to the service carries (docs/protocol.md has the byte-exact rules)::

    Content-Digest: sha-256=:<base64 SHA-256 of the body>:          (RFC 9530)
    Signature-Input: cd=("@method" "@path" "@query" "content-digest");created=<unix>;\
nonce="<base64url>";keyid="<device fingerprint>";tag="<service fingerprint>";alg="ed25519"
    Signature: cd=:<base64 Ed25519 signature over the RFC 9421 signature base>:

Shared by the client (``sign_request``) and the server (``parse_signature`` + ``verify``).
The server also keeps each (keyid, nonce) for the time window so a request cannot be replayed,
and ``tag`` names the service the request is for, so it cannot be replayed to another one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.errors import ConcernDeskError
from app.protocol.fingerprint import normalise_fingerprint

LABEL = "cd"
COMPONENTS = '("@method" "@path" "@query" "content-digest")'
WINDOW_SECONDS = 300
_FP = r"[0-9A-F]{4}(?:-[0-9A-F]{4}){9}"
_SIG_INPUT_RE = re.compile(
    r'cd=\("@method" "@path" "@query" "content-digest"\)'
    r';created=(?P<created>\d{1,12});nonce="(?P<nonce>[A-Za-z0-9_-]{16,64})"'
    r';keyid="(?P<keyid>' + _FP + r')";tag="(?P<tag>' + _FP + r')";alg="ed25519"'
)
_SIG_RE = re.compile(r"cd=:(?P<sig>[A-Za-z0-9+/]{86}==):")
_DIGEST_RE = re.compile(r"sha-256=:(?P<digest>[A-Za-z0-9+/]{43}=):")


class SignatureError(ConcernDeskError):
    """A request the service must refuse; ``status`` is the HTTP status, ``code`` a short word."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        self.status = status
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}")


@dataclass(frozen=True)
class SignatureParams:
    keyid: str
    tag: str  # the fingerprint of the service the request was signed for
    created: int
    nonce: str
    content_digest: str  # the header value as sent
    signature: bytes
    params: str  # the Signature-Input member value after "cd="


def content_digest(body: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def signature_base(method: str, path: str, query: str, digest_header: str, params: str) -> bytes:
    """The RFC 9421 signature base for our fixed component list. ``query`` excludes the '?'."""
    lines = [
        f'"@method": {method.upper()}',
        f'"@path": {path}',
        f'"@query": ?{query}',
        f'"content-digest": {digest_header}',
        f'"@signature-params": {params}',
    ]
    return "\n".join(lines).encode("utf-8")


def sign_request(method: str, path: str, query: str, body: bytes, key_id: str,
                 signing_key: Ed25519PrivateKey, *, service: str, created: int | None = None,
                 nonce: str | None = None) -> dict[str, str]:
    """The three headers to add to a request. ``path`` and ``query`` exactly as sent (raw);
    ``service`` is the fingerprint of the service it is for."""
    digest = content_digest(body)
    params = (f"{COMPONENTS};created={int(time.time()) if created is None else created}"
              f';nonce="{nonce or secrets.token_urlsafe(18)}"'
              f';keyid="{normalise_fingerprint(key_id)}"'
              f';tag="{normalise_fingerprint(service)}";alg="ed25519"')
    sig = signing_key.sign(signature_base(method, path, query, digest, params))
    return {
        "Content-Digest": digest,
        "Signature-Input": f"{LABEL}={params}",
        "Signature": f"{LABEL}=:{base64.b64encode(sig).decode()}:",
    }


def parse_signature(headers: Mapping[str, str]) -> SignatureParams:
    """Read the signature headers (any mapping: a dict, Starlette's or httpx's headers); 401
    when missing or malformed."""
    get = headers.get
    sig_input, sig, digest = get("signature-input"), get("signature"), get("content-digest")
    if not sig_input or not sig or not digest:
        raise SignatureError(401, "unsigned",
                             "Signature-Input, Signature and Content-Digest are required")
    m_input = _SIG_INPUT_RE.fullmatch(sig_input.strip())
    m_sig = _SIG_RE.fullmatch(sig.strip())
    if not m_input or not m_sig:
        raise SignatureError(401, "bad-signature", "signature headers are malformed")
    if not _DIGEST_RE.fullmatch(digest.strip()):
        raise SignatureError(400, "bad-digest", "Content-Digest must be sha-256=:base64:")
    try:
        raw_sig = base64.b64decode(m_sig["sig"], validate=True)
    except binascii.Error:
        raise SignatureError(401, "bad-signature", "signature is not base64") from None
    return SignatureParams(
        keyid=m_input["keyid"], tag=m_input["tag"], created=int(m_input["created"]),
        nonce=m_input["nonce"],
        content_digest=digest.strip(), signature=raw_sig,
        params=sig_input.strip()[len(LABEL) + 1 :],
    )


def check_service(params: SignatureParams, service_fingerprint: str) -> None:
    """401 when the request was signed for another service (a replay across services)."""
    if params.tag != service_fingerprint:
        raise SignatureError(401, "wrong-service", "the request was signed for another service")


def check_time(params: SignatureParams, now: float, window: int = WINDOW_SECONDS) -> None:
    """401 "replayed" when ``created`` is outside ±window of the server's clock."""
    if abs(now - params.created) > window:
        raise SignatureError(401, "replayed",
                             f"request time is outside the {window}-second window "
                             "(check this computer's clock)")


def verify(params: SignatureParams, method: str, path: str, query: str,
           signing_public: Ed25519PublicKey) -> None:
    """401 unless the enrolled key signed this method, path, query and digest."""
    base = signature_base(method, path, query, params.content_digest, params.params)
    try:
        signing_public.verify(params.signature, base)
    except InvalidSignature:
        raise SignatureError(401, "bad-signature",
                             "signature does not verify with the enrolled key") from None


def check_digest(params: SignatureParams, body: bytes) -> None:
    """400 when the body is not the one the signature covers."""
    if not hmac.compare_digest(params.content_digest, content_digest(body)):
        raise SignatureError(400, "bad-digest", "Content-Digest does not match the body")
