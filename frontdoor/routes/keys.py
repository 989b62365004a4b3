"""The key routes: ``GET /v1/service-key`` (the service's own public keys), ``POST
/v1/enrolment-requests`` (the one unauthenticated write: rate-limited per source address and
overall before its body is read, with the requests waiting for the administrator capped per
source and in all), ``POST /v1/holdings`` (a device proves it holds a team key), ``GET
/v1/directory`` (school mode: the hub's devices; LA mode: the schools it enrolled and their DSL
team keys) and ``GET /openapi.json``, the document that
describes all of the routes.
"""

from __future__ import annotations

import json
from functools import partial

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.clock import iso
from app.errors import InputError
from app.protocol import httpsig
from app.protocol.enrolment import check_name, verify_enrolment, verify_holding
from app.protocol.fingerprint import KeyBundle, b64d
from frontdoor.federation import ANSWER_SIGNATURE, sign_answer
from frontdoor.limits import source_key
from frontdoor.openapi import openapi_document
from frontdoor.peer_storage import PeerRecord
from frontdoor.service import MAX_JSON_BODY, Refusal, parse_json_object, service, signed
from frontdoor.storage import TooManyPending

PENDING_RETRY_AFTER = 3600  # when requests wait for the administrator: an hour is a guess


async def service_key(request: Request) -> Response:
    svc = service(request)
    info = svc.info
    return JSONResponse({"v": 1, "name": info.name, "mode": info.mode,
                         "fingerprint": info.fingerprint, "bundle": info.bundle.to_json(),
                         "max_body": svc.config.max_body})


async def enrolment_request(request: Request) -> Response:
    """Unauthenticated: limited per source and overall before anything is read, and the
    requests that wait for the administrator are capped per source and in all."""
    svc = service(request)
    config = svc.config
    source = source_key(request.client.host if request.client else None)
    wait = svc.limiter.take(source)
    if wait is not None:
        raise Refusal(429, "too-many-requests",
                      "too many enrolment requests from your network, or to this service, "
                      f"in the last minute: try again in {wait} s", retry_after=wait)
    obj = parse_json_object(await svc.read_body(request, MAX_JSON_BODY))
    try:
        bundle = KeyBundle.from_json(obj.get("bundle"))
        name = check_name(obj.get("name"))
        # The proof signs the name as sent (check_name strips it for display); it is a str now.
        verify_enrolment(bundle, str(obj["name"]), b64d(obj.get("proof"), "proof"))
    except InputError as exc:
        raise Refusal(400, "bad-request", str(exc)) from None
    if bundle.fingerprint == svc.info.fingerprint:
        raise Refusal(400, "bad-request", "that is this service's own key")
    try:
        record = await svc.db(partial(
            svc.storage.add_request, bundle, name, config.clock.now(), source,
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
    svc = service(request)
    key, body = await signed(request, MAX_JSON_BODY)
    obj = parse_json_object(body)
    try:
        held = KeyBundle.from_json(obj.get("bundle"))
        verify_holding(held, key.fingerprint, b64d(obj.get("proof"), "proof"))
    except InputError as exc:
        raise Refusal(400, "bad-request", str(exc)) from None
    await svc.db(svc.storage.add_holding, key.fingerprint, held, svc.config.clock.now())
    return JSONResponse({"status": "ok", "fingerprint": held.fingerprint})


async def directory(request: Request) -> Response:
    """School mode: the hub's enrolled (and removed) devices, so a device can check the
    sender of what it receives. LA mode (issue #19): the schools it enrolled, each with the
    DSL team keys it proved it holds, so one school can seal a CP file to another and check
    the sender of one it receives: names and public keys only. Asked by a school, the schools
    of the LA front doors this one trusts follow, each saying where it is (``at``); asked by
    such a front door, only this one's own, signed over the request's nonce."""
    svc = service(request)
    caller, _ = await signed(request, 0, peers=True)
    records = await svc.db(svc.storage.list_keys)
    held = await svc.db(svc.storage.team_keys) if svc.info.mode == "la" else {}
    entries = []
    for r in records:
        if r.status == "pending":
            continue
        entry = {"fingerprint": r.fingerprint, "name": r.name, "status": r.status,
                 "bundle": r.bundle.to_json(), "updated": iso(r.updated_at)}
        if svc.info.mode == "la":
            entry["team_keys"] = [b.to_json() for b in held.get(r.fingerprint, [])]
        entries.append(entry)
    if isinstance(caller, PeerRecord):
        body = json.dumps({"keys": entries}).encode()
        nonce = httpsig.parse_signature(request.headers).nonce
        return Response(body, media_type="application/json", headers={
            ANSWER_SIGNATURE: sign_answer(svc.config.signing_key, nonce, body)})
    if svc.info.mode == "la":
        entries += await svc.db(svc.federation.directory_entries)
    return JSONResponse({"keys": entries})


async def openapi(request: Request) -> Response:
    svc = service(request)
    return JSONResponse(openapi_document(svc.info.mode, svc.config.max_body))


ROUTES = [
    Route("/v1/service-key", service_key, methods=["GET"]),
    Route("/v1/enrolment-requests", enrolment_request, methods=["POST"]),
    Route("/v1/holdings", holdings, methods=["POST"]),
    Route("/v1/directory", directory, methods=["GET"]),
    Route("/openapi.json", openapi, methods=["GET"]),
]
