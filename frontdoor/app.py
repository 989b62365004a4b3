"""The HTTP service: a Starlette app that stores opaque envelopes and signs receipts.

It verifies who sent a request and that an envelope is well formed and signed by that sender,
but it holds no key that can open a payload: ``serve`` unseals only the service's signing key.
Every refusal happens before anything is written (a used nonce is the only trace).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.clock import Clock, SystemClock, iso
from app.errors import InputError
from app.protocol import httpsig
from app.protocol.enrolment import check_name, verify_enrolment, verify_holding
from app.protocol.envelope import MAX_ENVELOPE_LEN, EnvelopeError, parse, verify_signature
from app.protocol.fingerprint import KeyBundle, b64d, b64e
from app.protocol.receipt import make_receipt
from frontdoor.keys import ServiceInfo
from frontdoor.limits import ENROLMENT_RATE, ENROLMENT_RATE_TOTAL, RateLimiter, source_key
from frontdoor.openapi import openapi_document
from frontdoor.storage import (
    MAX_PENDING,
    MAX_PENDING_PER_SOURCE,
    KeyRecord,
    Storage,
    StorageError,
    TooManyPending,
)

ENVELOPE_TYPE = "application/vnd.concerndesk.envelope"
MAX_JSON_BODY = 16 * 1024
MAX_JSON_DEPTH = 32
MAX_INBOX_LIMIT = 500
MAX_SEQ = 2**63 - 1
PENDING_RETRY_AFTER = 3600  # when requests wait for the administrator: an hour is a guess
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also takes '²' and '٣'
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")
INBOX_MAX_BYTES = 16 * 1024 * 1024
_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


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


def _error(status: int, code: str, detail: str) -> JSONResponse:
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
    if not _DIGITS.fullmatch(declared):
        raise Refusal(400, "bad-length", "Content-Length is not a number")
    return int(declared) if len(declared) <= 18 else 10**18


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"s1:{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        prefix, _, seq = text.partition(":")
        # Exactly as given out: digits, no leading zeros, within the database's integers.
        if prefix != "s1" or not _DIGITS.fullmatch(seq) or len(seq) > 19 \
                or seq != str(int(seq)) or int(seq) > MAX_SEQ:
            raise ValueError
        return int(seq)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Refusal(400, "bad-cursor", "after= is not a cursor this service gave out") from None


def create_app(config: ServiceConfig, storage: Storage) -> Starlette:
    info = config.info
    limiter = RateLimiter(config.enrolment_rate, config.enrolment_rate_total)
    decoy = Ed25519PrivateKey.generate().public_key()

    async def db(fn: Any, *args: Any) -> Any:
        return await run_in_threadpool(fn, *args)

    async def read_body(request: Request, limit: int) -> bytes:
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

    async def authenticate(request: Request, limit: int) -> tuple[KeyRecord, bytes]:
        """The enrolled key that signed this request, and the body it signed.

        The signature is verified, with whatever key the service holds for the key id, before
        anything depends on that key's status or on the time: an unknown key, a pending one,
        and any key whose signature does not verify get the same answer (``not_enrolled``), so
        only the holder of a key learns whether it was removed (issue #16)."""
        declared = declared_length(request)
        if declared is not None and declared > limit:
            raise Refusal(413, "too-large", f"body over the {limit}-byte limit")
        params = httpsig.parse_signature(request.headers)
        httpsig.check_service(params, info.fingerprint)
        key = await db(storage.get_key, params.keyid)
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        query = request.scope.get("query_string", b"").decode("latin-1")
        try:  # an unknown key is checked against a decoy, so both take the same time
            httpsig.verify(params, request.method, raw_path.decode("latin-1"), query,
                           key.bundle.signing_key() if key else decoy)
        except httpsig.SignatureError:
            raise not_enrolled(params.keyid) from None
        if key is None or key.status == "pending":
            raise not_enrolled(params.keyid)
        if key.status != "enrolled":
            raise Refusal(403, "removed", f"key {params.keyid} has been removed from this service")
        now = config.clock.now().timestamp()
        httpsig.check_time(params, now, config.window)
        body = await read_body(request, limit)
        httpsig.check_digest(params, body)
        if not await db(storage.use_nonce, params.keyid, params.nonce, now, config.window):
            raise Refusal(401, "replayed", "this request was already received (nonce reused)")
        return key, body

    async def service_key(request: Request) -> Response:
        return JSONResponse({"v": 1, "name": info.name, "mode": info.mode,
                             "fingerprint": info.fingerprint, "bundle": info.bundle.to_json(),
                             "max_body": config.max_body})

    async def put_envelope(request: Request) -> Response:
        path_id = request.path_params["id"]
        if not _UUID_RE.fullmatch(path_id):
            raise Refusal(404, "bad-id", "envelope ids are lower-case UUIDs")
        key, body = await authenticate(request, config.max_body)
        try:
            env = parse(body, max_size=config.max_body)
        except EnvelopeError as exc:
            raise Refusal(422, "bad-envelope", exc.reason) from None
        if env.id != path_id:
            raise Refusal(422, "bad-envelope", "the envelope id is not the one in the URL")
        if env.header.sender != key.fingerprint:
            raise Refusal(422, "wrong-sender", "the envelope's sender is not the signing key")
        try:
            verify_signature(env, key.bundle.signing_key())
        except EnvelopeError as exc:
            raise Refusal(422, "bad-envelope", exc.reason) from None
        if info.mode == "la" and env.header.recipient != info.fingerprint:
            raise Refusal(422, "wrong-recipient",
                          f"this front door only accepts envelopes sealed to {info.fingerprint}")
        stored, created = await db(storage.put_envelope, env.id, env.header.sender,
                                   env.header.recipient, env.header.kind, env.sha256, body,
                                   config.clock.now())
        if stored.sha256 != env.sha256:
            raise Refusal(409, "conflict", "another envelope is already stored under this id")
        receipt = make_receipt(stored.id, stored.sha256, stored.received_at, info.fingerprint,
                               config.signing_key)
        return JSONResponse(receipt.to_json(), status_code=201 if created else 200)

    async def get_envelope(request: Request) -> Response:
        if not _UUID_RE.fullmatch(request.path_params["id"]):
            raise Refusal(404, "bad-id", "envelope ids are lower-case UUIDs")
        key, _ = await authenticate(request, 0)
        mine = {key.fingerprint, *await db(storage.held_keys, key.fingerprint)}
        stored = await db(storage.get_envelope, request.path_params["id"])
        if stored is None or (stored.recipient not in mine and stored.sender != key.fingerprint):
            raise Refusal(404, "not-found", "no such envelope for this key")
        return Response(stored.body, media_type=ENVELOPE_TYPE)

    async def inbox(request: Request) -> Response:
        key, _ = await authenticate(request, 0)
        after = decode_cursor(request.query_params.get("after"))
        limit_text = request.query_params.get("limit", "100")
        if not _DIGITS.fullmatch(limit_text) or len(limit_text) > 3 \
                or not 1 <= int(limit_text) <= MAX_INBOX_LIMIT:
            raise Refusal(400, "bad-limit", f"limit must be 1-{MAX_INBOX_LIMIT}")
        mine = [key.fingerprint, *await db(storage.held_keys, key.fingerprint)]
        rows = await db(storage.inbox, mine, after, int(limit_text), INBOX_MAX_BYTES)
        items = [{"cursor": encode_cursor(r.seq), "id": r.id, "kind": r.kind,
                  "sender": r.sender, "recipient": r.recipient, "received": iso(r.received_at),
                  "sha256": r.sha256, "body": b64e(r.body)} for r in rows]
        next_cursor = items[-1]["cursor"] if items else request.query_params.get("after")
        return JSONResponse({"envelopes": items, "next": next_cursor})

    async def directory(request: Request) -> Response:
        """School mode: the hub's enrolled (and removed) devices, so a device can check the
        sender of what it receives. Not in LA mode: schools need not see each other."""
        await authenticate(request, 0)
        if info.mode != "school":
            raise Refusal(404, "not-found", "a front door publishes no directory")
        records = await db(storage.list_keys)
        return JSONResponse({"keys": [
            {"fingerprint": r.fingerprint, "name": r.name, "status": r.status,
             "bundle": r.bundle.to_json(), "updated": iso(r.updated_at)}
            for r in records if r.status != "pending"]})

    async def enrolment_request(request: Request) -> Response:
        """Unauthenticated: limited per source and overall before anything is read, and the
        requests that wait for the administrator are capped per source and in all."""
        source = source_key(request.client.host if request.client else None)
        wait = limiter.take(source)
        if wait is not None:
            raise Refusal(429, "too-many-requests",
                          "too many enrolment requests from your network, or to this service, "
                          f"in the last minute: try again in {wait} s", retry_after=wait)
        obj = parse_json_object(await read_body(request, MAX_JSON_BODY))
        try:
            bundle = KeyBundle.from_json(obj.get("bundle"))
            name = check_name(obj.get("name"))
            verify_enrolment(bundle, obj.get("name"), b64d(obj.get("proof"), "proof"))
        except InputError as exc:
            raise Refusal(400, "bad-request", str(exc)) from None
        if bundle.fingerprint == info.fingerprint:
            raise Refusal(400, "bad-request", "that is this service's own key")
        try:
            record = await db(partial(
                storage.add_request, bundle, name, config.clock.now(), source,
                max_pending=config.max_pending, max_per_source=config.max_pending_per_source))
        except TooManyPending as exc:
            where = "from your network" if exc.per_source else "in all"
            raise Refusal(429, "too-many-pending",
                          f"too many enrolment requests {where} are waiting for this service's "
                          "administrator: ask them to enrol or purge the ones waiting, or try "
                          "again later", retry_after=PENDING_RETRY_AFTER) from None
        if record.status == "removed":
            raise Refusal(403, "removed", "this key has been removed from this service")
        status = 200 if record.status == "enrolled" else 202
        return JSONResponse({"status": record.status, "fingerprint": record.fingerprint},
                            status_code=status)

    async def holdings(request: Request) -> Response:
        key, body = await authenticate(request, MAX_JSON_BODY)
        obj = parse_json_object(body)
        try:
            held = KeyBundle.from_json(obj.get("bundle"))
            verify_holding(held, key.fingerprint, b64d(obj.get("proof"), "proof"))
        except InputError as exc:
            raise Refusal(400, "bad-request", str(exc)) from None
        await db(storage.add_holding, key.fingerprint, held, config.clock.now())
        return JSONResponse({"status": "ok", "fingerprint": held.fingerprint})

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document(info.mode, config.max_body))

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refusal)
        response = _error(exc.status, exc.code, exc.detail)
        if exc.retry_after is not None:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    async def http_refused(request: Request, exc: Exception) -> Response:
        """The router's own refusals (no such path, method not allowed), in the same shape."""
        assert isinstance(exc, HTTPException)
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "refused")
        response = _error(exc.status_code, code, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    async def signature_refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, httpsig.SignatureError)
        return _error(exc.status, exc.code, exc.detail)

    async def storage_failed(request: Request, exc: Exception) -> Response:
        response = _error(503, "unavailable", "the service's database is unavailable; retry")
        response.headers["Retry-After"] = "30"
        return response

    routes = [
        Route("/v1/service-key", service_key, methods=["GET"]),
        Route("/v1/envelopes/{id}", put_envelope, methods=["PUT"]),
        Route("/v1/envelopes/{id}", get_envelope, methods=["GET"]),
        Route("/v1/inbox", inbox, methods=["GET"]),
        Route("/v1/enrolment-requests", enrolment_request, methods=["POST"]),
        Route("/v1/holdings", holdings, methods=["POST"]),
        Route("/v1/directory", directory, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]
    handlers: dict[Any, Any] = {Refusal: refused, httpsig.SignatureError: signature_refused,
                                HTTPException: http_refused, StorageError: storage_failed}
    for error_type in storage.errors:
        handlers[error_type] = storage_failed
    return Starlette(routes=routes, exception_handlers=handlers)
