"""The envelope routes: ``PUT /v1/envelopes/{id}`` stores one sealed envelope (idempotent, and
answered with a signed receipt), ``GET /v1/envelopes/{id}`` gives one back to its sender or to a
holder of its recipient's key, and ``GET /v1/inbox`` pages through what a key may read, with the
opaque cursors this module gives out and checks. The service only checks an envelope's form, its
sender's signature and (in LA mode) its recipient: it cannot open the payload.
"""

from __future__ import annotations

import base64
import binascii
import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.clock import iso
from app.protocol.client import FrontDoorError, Refused
from app.protocol.cp_file import SCHOOL_TO_SCHOOL
from app.protocol.envelope import EnvelopeError, parse, verify_signature
from app.protocol.fingerprint import b64e
from app.protocol.receipt import make_receipt
from frontdoor.service import DIGITS, Refusal, Service, service, signed

ENVELOPE_TYPE = "application/vnd.concerndesk.envelope"
MAX_INBOX_LIMIT = 500
MAX_SEQ = 2**63 - 1
INBOX_MAX_BYTES = 16 * 1024 * 1024
PEER_RETRY_AFTER = 60  # a peer front door that cannot take a relayed envelope now
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"s1:{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        prefix, _, seq = text.partition(":")
        # Exactly as given out: digits, no leading zeros, within the database's integers.
        if prefix != "s1" or not DIGITS.fullmatch(seq) or len(seq) > 19 \
                or seq != str(int(seq)) or int(seq) > MAX_SEQ:
            raise ValueError
        return int(seq)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Refusal(400, "bad-cursor", "after= is not a cursor this service gave out") from None


async def put_envelope(request: Request) -> Response:
    svc = service(request)
    config, info = svc.config, svc.info
    path_id = request.path_params["id"]
    if not UUID_RE.fullmatch(path_id):
        raise Refusal(404, "bad-id", "envelope ids are lower-case UUIDs")
    key, body = await signed(request, config.max_body)
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
    if info.mode == "la" and env.header.recipient != info.fingerprint \
            and not await school_to_school(svc, env.header.kind, env.header.recipient):
        await _relay(svc, env.header.kind, env.header.recipient, body)
    return await store(svc, env.id, env.header.sender, env.header.recipient, env.header.kind,
                       env.sha256, body)


async def store(svc: Service, id: str, sender: str, recipient: str, kind: str, sha256: str,
                body: bytes) -> Response:
    """Stores a checked envelope once and answers with the signed receipt (201 when stored
    now, 200 with the same receipt when it was already)."""
    stored, created = await svc.db(svc.storage.put_envelope, id, sender, recipient, kind,
                                   sha256, body, svc.config.clock.now())
    if stored.sha256 != sha256:
        raise Refusal(409, "conflict", "another envelope is already stored under this id")
    receipt = make_receipt(stored.id, stored.sha256, stored.received_at, svc.info.fingerprint,
                           svc.config.signing_key)
    return JSONResponse(receipt.to_json(), status_code=201 if created else 200)


async def _relay(svc: Service, kind: str, recipient: str, body: bytes) -> None:
    """A school-to-school envelope for a school at a trusted peer front door goes there as it
    came (issue #19), before this front door gives its own receipt; anything else is refused."""
    peer = await svc.db(svc.federation.route, recipient) if kind in SCHOOL_TO_SCHOOL else None
    if peer is None:
        gone = await svc.db(svc.federation.untrusted_holder, recipient) \
            if kind in SCHOOL_TO_SCHOOL else None
        if gone is not None:
            raise Refusal(422, "wrong-recipient",
                          f"that school is at {gone.name}, an LA front door this one no longer "
                          "trusts: ask your LA, or make an encrypted pack (transfer pack)")
        raise Refusal(422, "wrong-recipient",
                      f"this front door only accepts envelopes sealed to {svc.info.fingerprint}, "
                      "or a CP file (its chunks and answers) sealed to the DSL team key of a "
                      "school it enrolled or one enrolled at an LA front door it trusts")
    try:
        await svc.db(svc.federation.relay, peer, body)
    except Refused as exc:
        if exc.status == 403:  # it no longer trusts this front door: its schools go too
            svc.federation.forget(peer)
        raise Refusal(422, "peer-refused", f"the front door of {peer.name} refused it: "
                      f"{exc.detail}") from None
    except FrontDoorError:
        raise Refusal(503, "peer-unavailable", f"the front door of {peer.name} cannot take it "
                      "now; it goes at a later sync", retry_after=PEER_RETRY_AFTER) from None


async def school_to_school(svc: Service, kind: str, recipient: str) -> bool:
    """A CP file, one of its chunks or its answer, sealed to a team key an enrolled school
    proved it holds: the one way a front door carries envelopes between schools (issue #19)."""
    if kind not in SCHOOL_TO_SCHOOL:
        return False
    for device in await svc.db(svc.storage.holders, recipient):
        record = await svc.db(svc.storage.get_key, device)
        if record is not None and record.status == "enrolled":
            return True
    return False


async def get_envelope(request: Request) -> Response:
    svc = service(request)
    if not UUID_RE.fullmatch(request.path_params["id"]):
        raise Refusal(404, "bad-id", "envelope ids are lower-case UUIDs")
    key, _ = await signed(request, 0)
    mine = {key.fingerprint, *await svc.db(svc.storage.held_keys, key.fingerprint)}
    stored = await svc.db(svc.storage.get_envelope, request.path_params["id"])
    if stored is None or (stored.recipient not in mine and stored.sender != key.fingerprint):
        raise Refusal(404, "not-found", "no such envelope for this key")
    return Response(stored.body, media_type=ENVELOPE_TYPE)


async def inbox(request: Request) -> Response:
    svc = service(request)
    key, _ = await signed(request, 0)
    after = decode_cursor(request.query_params.get("after"))
    limit_text = request.query_params.get("limit", "100")
    if not DIGITS.fullmatch(limit_text) or len(limit_text) > 3 \
            or not 1 <= int(limit_text) <= MAX_INBOX_LIMIT:
        raise Refusal(400, "bad-limit", f"limit must be 1-{MAX_INBOX_LIMIT}")
    mine = [key.fingerprint, *await svc.db(svc.storage.held_keys, key.fingerprint)]
    rows = await svc.db(svc.storage.inbox, mine, after, int(limit_text), INBOX_MAX_BYTES)
    items = [{"cursor": encode_cursor(r.seq), "id": r.id, "kind": r.kind,
              "sender": r.sender, "recipient": r.recipient, "received": iso(r.received_at),
              "sha256": r.sha256, "body": b64e(r.body)} for r in rows]
    next_cursor = items[-1]["cursor"] if items else request.query_params.get("after")
    return JSONResponse({"envelopes": items, "next": next_cursor})


# PUT before GET on the same path: a method neither allows is answered 405 with the PUT
# route's Allow header, as it always has been.
ROUTES = [
    Route("/v1/envelopes/{id}", put_envelope, methods=["PUT"]),
    Route("/v1/envelopes/{id}", get_envelope, methods=["GET"]),
    Route("/v1/inbox", inbox, methods=["GET"]),
]
