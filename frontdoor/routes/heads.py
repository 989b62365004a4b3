"""The audit head routes (school hub only): ``POST /v1/audit-heads`` takes the latest audit head
of each chain a PC holds, and ``GET /v1/audit-heads`` gives a PC back the heads kept for it.

The hub keeps, per enrolled device and chain, the newest head it was told of (the highest
sequence number) and refuses, ``409 rolled-back``, a head with a lower one, or the same one with
another hash: that PC's store is older than it was, restored from an old file or cut short.
The signature on the request is the device's (every signed route checks it); the head itself
is stored as an opaque value, since the key that signs it never leaves the PC.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.clock import iso
from frontdoor.service import MAX_JSON_BODY, Refusal, parse_json_object, service, signed
from frontdoor.storage import AuditHead, RolledBack

CHAINS = ("school", "dsl")
MAX_HEAD_TEXT = 4096  # a signed head is a few hundred bytes, plus its recorded breaks
MAX_SEQ = 2**63 - 1
HASH_RE = re.compile(r"[0-9a-f]{64}")


def _school_only(request: Request) -> None:
    if service(request).info.mode != "school":
        raise Refusal(404, "not-found", "only a school hub keeps audit heads")


def _head_json(head: AuditHead) -> dict[str, Any]:
    return {"chain": head.chain, "seq": head.seq, "hash": head.hash, "head": head.head,
            "reported": iso(head.reported_at)}


def _parse_heads(obj: dict[str, Any], now: Any) -> list[AuditHead]:
    if obj.get("v") != 1 or not isinstance(obj.get("heads"), list):
        raise Refusal(400, "bad-request", "expected {\"v\": 1, \"heads\": [...]}")
    heads: list[AuditHead] = []
    for item in obj["heads"]:
        if not isinstance(item, dict):
            raise Refusal(400, "bad-request", "each head is an object")
        chain, seq, digest, text = (item.get(k) for k in ("chain", "seq", "hash", "head"))
        if chain not in CHAINS or any(h.chain == chain for h in heads):
            raise Refusal(400, "bad-request", f"chain: one each of {', '.join(CHAINS)}")
        if type(seq) is not int or not 0 <= seq <= MAX_SEQ:
            raise Refusal(400, "bad-request", "seq: a whole number, 0 or more")
        if not isinstance(digest, str) or not HASH_RE.fullmatch(digest):
            raise Refusal(400, "bad-request", "hash: 64 lower-case hex digits")
        if not isinstance(text, str) or len(text) > MAX_HEAD_TEXT:
            raise Refusal(400, "bad-request", f"head: text of at most {MAX_HEAD_TEXT} characters")
        heads.append(AuditHead(str(chain), seq, digest, text, now))
    if not heads:
        raise Refusal(400, "bad-request", "heads: at least one")
    return heads


async def report_heads(request: Request) -> Response:
    svc = service(request)
    key, body = await signed(request, MAX_JSON_BODY)
    _school_only(request)
    heads = _parse_heads(parse_json_object(body), svc.config.clock.now())
    try:
        await svc.db(svc.storage.report_heads, key.fingerprint, heads)
    except RolledBack as exc:
        kept = exc.kept
        return JSONResponse({
            "error": "rolled-back",
            "detail": f"this device's {kept.chain} audit trail was seen at event {kept.seq}: "
                      "what it reports now is older, or not the same trail; nothing was kept",
            "kept": _head_json(kept)}, status_code=409)
    kept_now = await svc.db(svc.storage.audit_heads, key.fingerprint)
    return JSONResponse({"v": 1, "heads": [_head_json(h) for h in kept_now]})


async def kept_heads(request: Request) -> Response:
    svc = service(request)
    key, _ = await signed(request, 0)
    _school_only(request)
    kept = await svc.db(svc.storage.audit_heads, key.fingerprint)
    return JSONResponse({"v": 1, "heads": [_head_json(h) for h in kept]})


ROUTES = [
    Route("/v1/audit-heads", report_heads, methods=["POST"]),
    Route("/v1/audit-heads", kept_heads, methods=["GET"]),
]
