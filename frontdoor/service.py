"""What every route of the front door shares: its configuration (``ServiceConfig``), the body
limits and hostile-input checks (Content-Length, JSON nesting), ``Refusal`` (a status, an error
code and a detail, answered before anything is written), and the running ``Service`` kept on
the Starlette app's state: storage, the enrolment rate limiter, and the one authentication
dependency, ``signed(request, limit)``. ``signed`` verifies the signature before anything
depends on the key's status or on the time, so an unknown key, a pending one and a bad
signature all get the same answer (``not_enrolled``). Every signed route calls it before it
reads the body or touches storage (only a check of the path, such as an envelope id, comes
first).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal, overload

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from app.clock import Clock, SystemClock
from app.protocol import httpsig
from app.protocol.envelope import MAX_ENVELOPE_LEN
from frontdoor.federation import Federation
from frontdoor.keys import ServiceInfo
from frontdoor.limits import ENROLMENT_RATE, ENROLMENT_RATE_TOTAL, SIGNIN_RATE, RateLimiter
from frontdoor.peer_storage import PeerRecord
from frontdoor.staff_auth import Sessions
from frontdoor.storage import MAX_PENDING, MAX_PENDING_PER_SOURCE, KeyRecord, Storage

MAX_JSON_BODY = 16 * 1024
MAX_JSON_DEPTH = 32
DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also takes '²' and '٣'
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")


class Refusal(Exception):
    """Answer with this status and ``{"error": code, "detail": detail}``; nothing is stored."""

    def __init__(self, status: int, code: str, detail: str, *,
                 retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.retry_after = retry_after


@dataclass
class ServiceConfig:
    info: ServiceInfo
    signing_key: Ed25519PrivateKey
    max_body: int = MAX_ENVELOPE_LEN
    window: int = httpsig.WINDOW_SECONDS
    clock: Clock = field(default_factory=SystemClock)
    # Unauthenticated enrolment requests (issue #16): per minute, per source and overall ...
    enrolment_rate: int = ENROLMENT_RATE
    enrolment_rate_total: int = ENROLMENT_RATE_TOTAL
    # ... and how many may wait for the administrator, per source and in all.
    max_pending: int = MAX_PENDING
    max_pending_per_source: int = MAX_PENDING_PER_SOURCE
    # The LA staff page (issue #18, frontdoor/routes/staff.py): served only when the HPKE key
    # that opens referrals is given (serve --staff-page); cookies marked Secure behind TLS.
    hpke_key: X25519PrivateKey | None = None
    secure_cookies: bool = False
    signin_rate: int = SIGNIN_RATE


def error_response(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status)


def not_enrolled(fingerprint: str) -> Refusal:
    """The one answer for a key that is unknown, pending, or whose signature does not verify:
    nobody learns a fingerprint's status without its private key."""
    return Refusal(403, "not-enrolled",
                   f"this service accepts no request signed as {fingerprint}: it is not "
                   "enrolled here, or the signature does not verify; ask its administrator "
                   "to enrol this fingerprint")


def json_nesting(body: bytes) -> int:
    """How deeply arrays and objects nest in ``body`` (brackets inside strings do not count)."""
    depth = deepest = 0
    for char in _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", body)):
        depth += 1 if char in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def parse_json_object(body: bytes) -> dict[str, Any]:
    """A JSON object, or 400 bad-json (also when nested too deeply for the parser)."""
    if json_nesting(body) > MAX_JSON_DEPTH:
        raise Refusal(400, "bad-json", f"the body nests more than {MAX_JSON_DEPTH} deep")
    try:
        obj = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Refusal(400, "bad-json", "the body is not JSON") from None
    if not isinstance(obj, dict):
        raise Refusal(400, "bad-json", "the body must be a JSON object")
    return obj


def declared_length(request: Request) -> int | None:
    """Content-Length as a number (None when absent); 400 when it is not digits."""
    declared = request.headers.get("content-length")
    if declared is None:
        return None
    if not DIGITS.fullmatch(declared):
        raise Refusal(400, "bad-length", "Content-Length is not a number")
    return int(declared) if len(declared) <= 18 else 10**18


class Service:
    """The running service, kept on the Starlette app's state for the routes: one per app, so
    each app has its own enrolment buckets and its own decoy key."""

    def __init__(self, config: ServiceConfig, storage: Storage) -> None:
        self.config, self.storage, self.info = config, storage, config.info
        self.limiter = RateLimiter(config.enrolment_rate, config.enrolment_rate_total)
        self.decoy = Ed25519PrivateKey.generate().public_key()
        self.sessions = Sessions.for_service(config.signing_key)  # the staff page's cookies
        self.signin_limiter = RateLimiter(config.signin_rate, config.signin_rate * 10)
        self.federation = Federation(config.info, config.signing_key, storage)  # issue #19

    async def db(self, fn: Any, *args: Any) -> Any:
        return await run_in_threadpool(fn, *args)

    async def read_body(self, request: Request, limit: int) -> bytes:
        """Refuse by Content-Length before reading, and count while streaming (chunked)."""
        declared = declared_length(request)
        if declared is not None and declared > limit:
            raise Refusal(413, "too-large", f"body over the {limit}-byte limit")
        parts, total = [], 0
        async for part in request.stream():
            total += len(part)
            if total > limit:
                raise Refusal(413, "too-large", f"body over the {limit}-byte limit")
            parts.append(part)
        return b"".join(parts)

    async def authenticate(self, request: Request, limit: int, *, peers: bool = False
                           ) -> tuple[KeyRecord | PeerRecord, bytes]:
        """The enrolled key that signed this request, and the body it signed; with ``peers``,
        a trusted peer front door's service key is a caller too (issue #19, federation).

        The signature is verified, with whatever key the service holds for the key id, before
        anything depends on that key's status or on the time: an unknown key, a pending one,
        and any key whose signature does not verify get the same answer (``not_enrolled``), so
        only the holder of a key learns whether it was removed (issue #16)."""
        config, storage = self.config, self.storage
        declared = declared_length(request)
        if declared is not None and declared > limit:
            raise Refusal(413, "too-large", f"body over the {limit}-byte limit")
        params = httpsig.parse_signature(request.headers)
        httpsig.check_service(params, self.info.fingerprint)
        key = await self.db(storage.get_key, params.keyid)
        peer = await self.db(storage.get_peer, params.keyid) if key is None and peers else None
        bundle = key.bundle if key else peer.bundle if peer else None
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        query = request.scope.get("query_string", b"").decode("latin-1")
        try:  # an unknown key is checked against a decoy, so both take the same time
            httpsig.verify(params, request.method, raw_path.decode("latin-1"), query,
                           bundle.signing_key() if bundle else self.decoy)
        except httpsig.SignatureError:
            raise not_enrolled(params.keyid) from None
        caller: KeyRecord | PeerRecord
        if peer is not None:
            if peer.status != "trusted":
                raise Refusal(403, "untrusted", f"this front door no longer trusts the front "
                              f"door {params.keyid}: ask its operator to add it again "
                              "(peers add)")
            caller = peer
        else:
            if key is None or key.status == "pending":
                raise not_enrolled(params.keyid)
            if key.status != "enrolled":
                raise Refusal(403, "removed",
                              f"key {params.keyid} has been removed from this service")
            caller = key
        now = config.clock.now().timestamp()
        httpsig.check_time(params, now, config.window)
        body = await self.read_body(request, limit)
        httpsig.check_digest(params, body)
        if not await self.db(storage.use_nonce, params.keyid, params.nonce, now, config.window):
            raise Refusal(401, "replayed", "this request was already received (nonce reused)")
        return caller, body


def service(request: Request) -> Service:
    """The ``Service`` of the app that received ``request``."""
    svc = request.app.state.service
    assert isinstance(svc, Service)
    return svc


@overload
async def signed(request: Request, limit: int) -> tuple[KeyRecord, bytes]: ...


@overload
async def signed(request: Request, limit: int, *, peers: Literal[True]
                 ) -> tuple[KeyRecord | PeerRecord, bytes]: ...


async def signed(request: Request, limit: int, *, peers: bool = False
                 ) -> tuple[KeyRecord | PeerRecord, bytes]:
    """The authentication dependency: the enrolled key that signed this request, and the body
    it signed (at most ``limit`` bytes). Every signed route calls it before using the key. The
    routes a trusted peer front door may call (the directory, the relay) pass ``peers=True``
    and get its ``PeerRecord`` when it is the caller."""
    caller, body = await service(request).authenticate(request, limit, peers=peers)
    if not peers:
        assert isinstance(caller, KeyRecord)
    return caller, body
