"""The OpenAPI 3.1 description served at /openapi.json (written by hand to stay exact)."""

from __future__ import annotations

from typing import Any

_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_SIGNED: list[dict[str, list[str]]] = [{"httpMessageSignature": []}]
# What each refusal means; "error" in the body says which (the codes are listed per status).
_MEANING = {
    400: "Malformed: bad-json, bad-request, bad-cursor, bad-limit, bad-length, bad-digest",
    401: "Signature missing or unusable, before any key is looked at: unsigned, bad-signature "
         "(malformed headers), wrong-service; or, once the signature verifies, replayed",
    403: "not-enrolled: the key is unknown here, waits for enrolment, or the signature does "
         "not verify with the key the service holds (one answer for all three); removed: a "
         "valid signature by a key the administrator removed; untrusted: a peer front door "
         "this one no longer trusts; not-a-peer: a school's key on a peer's route",
    404: "not-found, bad-id (envelope ids are lower-case UUIDs)",
    405: "method-not-allowed",
    409: "conflict: another envelope is stored under this id",
    413: "too-large",
    422: "bad-envelope, wrong-sender, wrong-recipient, peer-refused (the peer front door of "
         "the recipient's school refused the relayed envelope; detail says why)",
    429: "too-many-requests: over the enrolment requests allowed a minute from one source "
         "address or in all; too-many-pending: too many requests wait for the administrator "
         "from that source or in all. Retry-After gives the seconds to wait",
    503: "unavailable: the database failed; peer-unavailable: the peer front door of the "
         "recipient's school cannot take the envelope now; Retry-After",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again",
                                "schema": {"type": "integer", "minimum": 1}}}


def _refusals(*codes: int) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for code in codes:
        answers[str(code)] = {"description": _MEANING[code], "content": _CONTENT}
        if code in (429, 503):
            answers[str(code)]["headers"] = _RETRY_AFTER
    return answers


_HTML = {"text/html": {"schema": {"type": "string"}}}
_ID = [{"name": "id", "in": "path", "required": True,
        "schema": {"type": "string", "format": "uuid"}}]
_FORM = {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "properties": {"csrf": {"type": "string"}}}}}


def _page(summary: str, *, post: bool = False, path_id: bool = False,
          media: dict[str, Any] | None = None) -> dict[str, Any]:
    """One operation of the LA staff page: HTML for a browser (a session cookie, not a signed
    request); 303 to the sign-in page without a session; 404 where it is not served."""
    operation: dict[str, Any] = {
        "summary": summary, "tags": ["LA staff page"],
        "responses": {"200": {"description": "The page", "content": media or _HTML},
                      "303": {"description": "To the next page, or to sign in"},
                      "404": {"description": "Not served here (serve --staff-page, LA mode: "
                                             "answered as JSON, not-found), or no such "
                                             "referral (a page)",
                              "content": {**_HTML, **_CONTENT}}}}
    if post:
        operation["requestBody"] = {"required": True, "content": _FORM}
        operation["responses"]["400"] = {"description": "Refused: the page says why",
                                         "content": _HTML}
    if path_id:
        operation["parameters"] = _ID
    return operation


def _staff_paths() -> dict[str, Any]:
    """The LA staff page (docs/frontdoor-la.md), served by ``serve --staff-page``."""
    return {
        "/staff": {"get": _page("Goes to the inbox")},
        "/staff/style.css": {"get": _page("The page's stylesheet",
                                          media={"text/css": {"schema": {"type": "string"}}})},
        "/staff/sign-in": {"get": _page("The sign-in form"),
                           "post": _page("Sign in (rate-limited per address; 429 when over)",
                                         post=True)},
        "/staff/sign-out": {"post": _page("Sign out", post=True)},
        "/staff/inbox": {"get": _page("The referrals received, newest first")},
        "/staff/referrals/{id}": {"get": _page("One referral, its PDF and the answers sent",
                                               path_id=True)},
        "/staff/referrals/{id}/pdf": {"get": _page(
            "The referral's PDF, inline and never cached", path_id=True,
            media={"application/pdf": {"schema": {"type": "string", "format": "binary"}}})},
        "/staff/referrals/{id}/acknowledge": {"post": _page(
            "Acknowledge the referral to the school (a signed envelope to its DSL team)",
            post=True, path_id=True)},
        "/staff/referrals/{id}/decide": {"post": _page(
            "Send the LA's decision to the school (a signed envelope to its DSL team)",
            post=True, path_id=True)},
    }


def openapi_document(mode: str, max_body: int) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ConcernDesk front door",
            "version": "1",
            "description": (
                f"A {'local authority front door' if mode == 'la' else 'school hub'} that stores "
                "end-to-end encrypted envelopes. Signed requests use RFC 9421 HTTP Message "
                "Signatures with Ed25519 over (\"@method\" \"@path\" \"@query\" "
                "\"content-digest\") plus created, nonce, keyid and tag (this service's "
                "fingerprint); see docs/protocol.md."),
        },
        "paths": {
            "/v1/service-key": {"get": {
                "summary": "The service's public keys and fingerprint (unauthenticated)",
                "responses": {"200": {"description": "Service key", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ServiceKey"}}}}},
            }},
            "/v1/envelopes/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "string", "format": "uuid"}}],
                "put": {
                    "summary": "Store an envelope once; idempotent",
                    "security": _SIGNED,
                    "requestBody": {"required": True, "content": {
                        "application/vnd.concerndesk.envelope": {
                            "schema": {"type": "string", "format": "binary",
                                       "maxLength": max_body}}}},
                    "responses": {
                        "201": {"description": "Stored now", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Receipt"}}}},
                        "200": {"description": "Already stored with these bytes: same receipt",
                                "content": {"application/json": {
                                    "schema": {"$ref": "#/components/schemas/Receipt"}}}},
                        **_refusals(400, 401, 403, 404, 409, 413, 422, 503),
                    },
                },
                "get": {
                    "summary": "Fetch one envelope addressed to (or sent by) the caller's keys",
                    "security": _SIGNED,
                    "responses": {"200": {"description": "The envelope as uploaded", "content": {
                        "application/vnd.concerndesk.envelope": {
                            "schema": {"type": "string", "format": "binary"}}}},
                        **_refusals(400, 401, 403, 404, 413, 503)},
                },
            },
            "/v1/relay/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "string", "format": "uuid"}}],
                "put": {
                    "summary": "LA front door, from a trusted peer front door only (issue "
                               "#19): a CP file, chunk or answer one of its schools sent to a "
                               "school enrolled here, unchanged; idempotent",
                    "description": (
                        "Signed with the peer front door's service key. Refused unless the "
                        "recipient is a DSL team key a school enrolled here holds (422 "
                        "wrong-recipient) and the sender is a school the peer's directory "
                        "lists as enrolled, whose signature verifies (422 wrong-sender, "
                        "bad-envelope); 403 not-a-peer for a school's key, untrusted for a "
                        "peer removed here."),
                    "security": _SIGNED,
                    "requestBody": {"required": True, "content": {
                        "application/vnd.concerndesk.envelope": {
                            "schema": {"type": "string", "format": "binary",
                                       "maxLength": max_body}}}},
                    "responses": {
                        "201": {"description": "Stored now", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Receipt"}}}},
                        "200": {"description": "Already stored with these bytes: same receipt",
                                "content": {"application/json": {
                                    "schema": {"$ref": "#/components/schemas/Receipt"}}}},
                        **_refusals(400, 401, 403, 404, 409, 413, 422, 503),
                    },
                },
            },
            "/v1/inbox": {"get": {
                "summary": "Envelopes for the caller's keys, in a stable order",
                "security": _SIGNED,
                "parameters": [
                    {"name": "after", "in": "query", "required": False,
                     "description": "An opaque cursor from an earlier answer",
                     "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}},
                ],
                "responses": {"200": {"description": "A page (empty when up to date)", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/InboxPage"}}}},
                    **_refusals(400, 401, 403, 413, 503)},
            }},
            "/v1/enrolment-requests": {"post": {
                "summary": "Register a public key bundle as pending (unauthenticated)",
                "description": (
                    "Limited per source address and overall (429 too-many-requests), and the "
                    "requests waiting for the administrator are capped per source and in all "
                    "(429 too-many-pending); a request nobody enrols expires after 14 days. "
                    "A key already known gets its status (enrolled: 200; removed: 403)."),
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/EnrolmentRequest"}}}},
                "responses": {
                    "202": {"description": "Pending until an administrator enrols the fingerprint",
                            "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/EnrolmentStatus"}}}},
                    "200": {"description": "Already enrolled", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/EnrolmentStatus"}}}},
                    **_refusals(400, 403, 413, 429, 503)},
            }},
            "/v1/directory": {"get": {
                "summary": "School hub: enrolled and removed devices with their key bundles; "
                           "LA front door: enrolled schools, each with the DSL team keys it "
                           "holds (team_keys), for CP files between schools, then those of "
                           "the LA front doors it trusts (each with at: that LA). A trusted "
                           "peer front door may ask too: it gets this front door's schools "
                           "only, signed (ConcernDesk-Answer-Signature)",
                "security": _SIGNED,
                "responses": {"200": {"description": "The directory", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "keys": {"type": "array", "items": {"type": "object", "properties": {
                            "fingerprint": {"type": "string"}, "name": {"type": "string"},
                            "status": {"enum": ["enrolled", "removed"]},
                            "bundle": {"$ref": "#/components/schemas/KeyBundle"},
                            "team_keys": {"type": "array", "items": {
                                "$ref": "#/components/schemas/KeyBundle"}},
                            "at": {"type": "object", "properties": {
                                "name": {"type": "string"},
                                "fingerprint": {"type": "string"}}},
                            "updated": {"type": "string"}}}}}}}}},
                    **_refusals(400, 401, 403, 413, 503)},
            }},
            "/v1/audit-heads": {
                "post": {
                    "summary": "School hub: report the latest audit head of each chain this "
                               "device holds",
                    "description": (
                        "Kept per device and chain when its seq is higher than the one kept "
                        "(the same head again changes nothing). A lower seq, or the same seq "
                        "with another hash, is refused with 409 rolled-back and nothing is "
                        "kept: the device's store is older than the hub last saw. The head "
                        "text is stored as sent, unread. 404 on an LA front door."),
                    "security": _SIGNED,
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/AuditHeads"}}}},
                    "responses": {
                        "200": {"description": "Kept; the heads the hub now keeps", "content": {
                            "application/json": {"schema": {
                                "$ref": "#/components/schemas/AuditHeads"}}}},
                        "409": {"description": "rolled-back: the head the hub keeps is newer, "
                                               "or another trail's; nothing was kept",
                                "content": {"application/json": {"schema": {
                                    "$ref": "#/components/schemas/RolledBack"}}}},
                        **_refusals(400, 401, 403, 404, 413, 503)},
                },
                "get": {
                    "summary": "School hub: the audit heads kept for the calling device",
                    "security": _SIGNED,
                    "responses": {
                        "200": {"description": "The kept heads (none before its first report, "
                                               "or after a restore was acknowledged)",
                                "content": {"application/json": {"schema": {
                                    "$ref": "#/components/schemas/AuditHeads"}}}},
                        **_refusals(400, 401, 403, 404, 413, 503)},
                },
            },
            "/v1/holdings": {"post": {
                "summary": "Declare that the calling device also holds a key (e.g. the DSL team)",
                "security": _SIGNED,
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Holding"}}}},
                "responses": {"200": {"description": "Recorded"},
                              **_refusals(400, 401, 403, 413, 503)},
            }},
            **_staff_paths(),
        },
        "components": {
            "securitySchemes": {"httpMessageSignature": {
                "type": "apiKey", "in": "header", "name": "Signature",
                "description": "RFC 9421 with Signature-Input and Content-Digest (RFC 9530)"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error", "detail"], "properties": {
                    "error": {"type": "string", "description": "A short code; each response "
                              "lists those it can carry"},
                    "detail": {"type": "string", "description": "For a person to read"}}},
                "KeyBundle": {"type": "object", "required": ["signing", "hpke"], "properties": {
                    "signing": {"type": "string", "contentEncoding": "base64",
                                "description": "Ed25519 public key, 32 raw bytes"},
                    "hpke": {"type": "string", "contentEncoding": "base64",
                             "description": "X25519 public key, 32 raw bytes"}}},
                "ServiceKey": {"type": "object", "properties": {
                    "v": {"const": 1}, "name": {"type": "string"},
                    "mode": {"enum": ["la", "school"]}, "fingerprint": {"type": "string"},
                    "bundle": {"$ref": "#/components/schemas/KeyBundle"},
                    "max_body": {"type": "integer"}}},
                "Receipt": {"type": "object", "properties": {
                    "v": {"const": 1}, "envelope_id": {"type": "string"},
                    "sha256": {"type": "string"}, "received": {"type": "string"},
                    "service": {"type": "string"},
                    "signature": {"type": "string", "contentEncoding": "base64"}}},
                "InboxPage": {"type": "object", "properties": {
                    "next": {"type": ["string", "null"]},
                    "envelopes": {"type": "array", "items": {"type": "object", "properties": {
                        "cursor": {"type": "string"}, "id": {"type": "string"},
                        "kind": {"type": "string"}, "sender": {"type": "string"},
                        "recipient": {"type": "string"}, "received": {"type": "string"},
                        "sha256": {"type": "string"},
                        "body": {"type": "string", "contentEncoding": "base64"}}}}}},
                "EnrolmentRequest": {"type": "object", "required": ["bundle", "name", "proof"],
                                     "properties": {
                    "bundle": {"$ref": "#/components/schemas/KeyBundle"},
                    "name": {"type": "string", "maxLength": 200},
                    "proof": {"type": "string", "contentEncoding": "base64"}}},
                "EnrolmentStatus": {"type": "object", "properties": {
                    "status": {"enum": ["pending", "enrolled"]},
                    "fingerprint": {"type": "string"}}},
                "AuditHead": {"type": "object", "required": ["chain", "seq", "hash", "head"],
                              "properties": {
                    "chain": {"enum": ["school", "dsl"]},
                    "seq": {"type": "integer", "minimum": 0},
                    "hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "head": {"type": "string", "maxLength": 4096,
                             "description": "The signed head as the PC holds it (opaque here)"},
                    "reported": {"type": "string", "description": "In answers: when it was "
                                 "kept"}}},
                "AuditHeads": {"type": "object", "required": ["v", "heads"], "properties": {
                    "v": {"const": 1},
                    "heads": {"type": "array", "maxItems": 2,
                              "items": {"$ref": "#/components/schemas/AuditHead"}}}},
                "RolledBack": {"type": "object", "required": ["error", "detail", "kept"],
                               "properties": {
                    "error": {"const": "rolled-back"}, "detail": {"type": "string"},
                    "kept": {"$ref": "#/components/schemas/AuditHead"}}},
                "Holding": {"type": "object", "required": ["bundle", "proof"], "properties": {
                    "bundle": {"$ref": "#/components/schemas/KeyBundle"},
                    "proof": {"type": "string", "contentEncoding": "base64"}}},
            },
        },
    }
