"""The route a trusted peer LA front door calls (issue #19): ``PUT /v1/relay/{id}`` hands over
an envelope one of its schools sent to a school enrolled here, unchanged, as the school signed
it. (The peer also reads ``GET /v1/directory``, frontdoor/routes/keys.py.)

A peer is held to what a school sending here directly would be, and less: only a CP file, one
of its chunks or its answer; only to a DSL team key a school enrolled here holds; only from a
school the peer's own directory lists as enrolled, whose signature on the envelope verifies.
A peer's key opens nothing else here: it reads no inbox and no envelope, and enrols nobody.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.protocol.cp_file import SCHOOL_TO_SCHOOL
from app.protocol.envelope import EnvelopeError, parse, verify_signature
from frontdoor.peer_storage import PeerRecord
from frontdoor.routes.envelopes import UUID_RE, school_to_school, store
from frontdoor.service import Refusal, service, signed


async def relay(request: Request) -> Response:
    svc = service(request)
    path_id = request.path_params["id"]
    if not UUID_RE.fullmatch(path_id):
        raise Refusal(404, "bad-id", "envelope ids are lower-case UUIDs")
    caller, body = await signed(request, svc.config.max_body, peers=True)
    if not isinstance(caller, PeerRecord):
        raise Refusal(403, "not-a-peer", "only an LA front door this one trusts relays "
                      "envelopes here; a school sends its own with PUT /v1/envelopes/{id}")
    try:
        env = parse(body, max_size=svc.config.max_body)
    except EnvelopeError as exc:
        raise Refusal(422, "bad-envelope", exc.reason) from None
    if env.id != path_id:
        raise Refusal(422, "bad-envelope", "the envelope id is not the one in the URL")
    if env.header.kind not in SCHOOL_TO_SCHOOL \
            or not await school_to_school(svc, env.header.kind, env.header.recipient):
        raise Refusal(422, "wrong-recipient", "a peer front door may relay here only a CP "
                      "file, its chunks or its answer, sealed to the DSL team key of a school "
                      "enrolled at this front door")
    sender = await svc.db(svc.federation.sender, caller, env.header.sender)
    if sender is None:
        raise Refusal(422, "wrong-sender", f"the envelope's sender is not a school enrolled at "
                      f"{caller.name} (its front door's directory does not list it)")
    try:
        verify_signature(env, sender.signing_key())
    except EnvelopeError as exc:
        raise Refusal(422, "bad-envelope", f"{exc.reason} (the sending school's key, as "
                      f"{caller.name}'s directory lists it)") from None
    return await store(svc, env.id, env.header.sender, env.header.recipient, env.header.kind,
                       env.sha256, body)


ROUTES = [Route("/v1/relay/{id}", relay, methods=["PUT"])]
