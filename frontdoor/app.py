"""The HTTP service: a Starlette app that stores opaque envelopes and signs receipts.

It verifies who sent a request and that an envelope is well formed and signed by that sender,
but it holds no key that can open a payload: ``serve`` unseals only the service's signing key.
Every refusal happens before anything is written (a used nonce is the only trace).

This module only assembles the service: the routes of ``frontdoor.routes`` (a module per
resource), the exception handlers that turn every refusal into ``{"error", "detail"}`` with its
status (and Retry-After where there is one), and ``create_app``, which puts the running
``frontdoor.service.Service`` on the app's state. What the routes share, including the one
authentication dependency (``signed``), is in ``frontdoor.service``.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.protocol import httpsig
from frontdoor.routes import envelopes, heads, keys, peers, staff
from frontdoor.service import Refusal, Service, ServiceConfig, error_response
from frontdoor.storage import Storage, StorageError

ROUTES = [*envelopes.ROUTES, *keys.ROUTES, *heads.ROUTES, *peers.ROUTES, *staff.ROUTES]


async def refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refusal)
    response = error_response(exc.status, exc.code, exc.detail)
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def http_refused(request: Request, exc: Exception) -> Response:
    """The router's own refusals (no such path, method not allowed), in the same shape."""
    assert isinstance(exc, HTTPException)
    code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "refused")
    response = error_response(exc.status_code, code, str(exc.detail))
    response.headers.update(exc.headers or {})
    return response


async def signature_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, httpsig.SignatureError)
    return error_response(exc.status, exc.code, exc.detail)


async def storage_failed(request: Request, exc: Exception) -> Response:
    response = error_response(503, "unavailable", "the service's database is unavailable; retry")
    response.headers["Retry-After"] = "30"
    return response


def create_app(config: ServiceConfig, storage: Storage) -> Starlette:
    handlers: dict[Any, Any] = {Refusal: refused, httpsig.SignatureError: signature_refused,
                                HTTPException: http_refused, StorageError: storage_failed}
    for error_type in storage.errors:
        handlers[error_type] = storage_failed
    app = Starlette(routes=ROUTES, exception_handlers=handlers)
    app.state.service = Service(config, storage)
    return app
