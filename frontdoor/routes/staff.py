"""The LA staff page (issue #18): sign in, see the referrals that arrived, open one (its PDF
shown in the browser), acknowledge it and send the decision to the school. Server-rendered HTML
(``frontdoor.staff_pages``); sign-in, sessions and CSRF tokens in ``frontdoor.staff_auth``.

Only an LA front door started with ``serve --staff-page`` serves it: reading a referral needs the
front door's HPKE key, which a plain ``serve`` never unseals. Every page is sent with
``Cache-Control: no-store`` and a Content-Security-Policy that allows nothing from elsewhere;
every POST needs the session's CSRF token; sign-in attempts are rate-limited per address. What
staff open and send is logged by envelope id and staff name only (never a child's details).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from app.clock import iso
from app.errors import ConcernDeskError, InputError, NotFound
from app.protocol.envelope import EnvelopeError
from frontdoor.answers import answer_referral
from frontdoor.inbox import Inbox, Incomplete
from frontdoor.la_storage import StaffAccount
from frontdoor.limits import source_key
from frontdoor.routes.envelopes import UUID_RE
from frontdoor.service import Refusal, Service, service
from frontdoor.staff_auth import (
    SESSION_HOURS,
    StaffSession,
    check_staff_name,
    new_pre_session,
    verify_password,
)
from frontdoor.staff_pages import (
    STYLE,
    AnswerLine,
    Row,
    inbox_page,
    message_page,
    referral_page,
    sign_in_page,
)

log = logging.getLogger(__name__)
SESSION_COOKIE = "cd_staff"
PRE_COOKIE = "cd_pre"
MAX_FORM = 16 * 1024
INBOX_ROWS = 200
_CSP = ("default-src 'none'; style-src 'self'; frame-src 'self'; object-src 'self'; "
        "img-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'")


def _private(response: Response, *, csp: str = _CSP) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = csp
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _html(text: str, status: int = 200) -> Response:
    return _private(HTMLResponse(text, status_code=status))


def _enabled(svc: Service) -> Inbox | None:
    """A fresh view of the inbox (so schools enrolled since are known), or None when this
    service does not serve the staff page."""
    if svc.info.mode != "la" or svc.config.hpke_key is None:
        return None
    return Inbox(svc.storage, svc.info, svc.config.hpke_key)


def _not_served(svc: Service) -> Response:
    """Answered like every other refusal of the API ({"error", "detail"}): this is not a page."""
    raise Refusal(404, "not-found", "this front door does not serve the staff page: it is "
                  "started with 'concerndesk-frontdoor serve --staff-page' in LA mode")


def _cookie(svc: Service, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/staff", httponly=True,
                        samesite="strict", secure=svc.config.secure_cookies)


async def _form(svc: Service, request: Request) -> dict[str, str]:
    body = await svc.read_body(request, MAX_FORM)
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {k: v[0] for k, v in parsed.items()}


async def _signed_in(request: Request) -> tuple[StaffSession, StaffAccount] | None:
    svc = service(request)
    session = svc.sessions.check(request.cookies.get(SESSION_COOKIE),
                                 svc.config.clock.now().timestamp())
    if session is None:
        return None
    account = await svc.db(svc.storage.get_staff, session.name)
    if account is None or account.disabled:
        return None
    return session, account


def _to_sign_in() -> Response:
    return _private(RedirectResponse("/staff/sign-in", status_code=303))


async def style(request: Request) -> Response:
    return Response(STYLE, media_type="text/css", headers={"Cache-Control": "no-cache"})


async def home(request: Request) -> Response:
    return _private(RedirectResponse("/staff/inbox", status_code=303))


async def sign_in_form(request: Request) -> Response:
    svc = service(request)
    if _enabled(svc) is None:
        return _not_served(svc)
    if await _signed_in(request) is not None:
        return _private(RedirectResponse("/staff/inbox", status_code=303))
    pre = request.cookies.get(PRE_COOKIE) or new_pre_session()
    response = _html(sign_in_page(svc.info.name, svc.sessions.csrf("pre:" + pre)))
    _cookie(svc, response, PRE_COOKIE, pre, 3600)
    return response


async def sign_in(request: Request) -> Response:
    svc = service(request)
    if _enabled(svc) is None:
        return _not_served(svc)
    wait = svc.signin_limiter.take(source_key(request.client.host if request.client else None))
    if wait is not None:
        response = _html(message_page(svc.info.name, "Too many attempts",
                                      f"Too many sign-in attempts from this address: wait "
                                      f"{wait} seconds and try again."), 429)
        response.headers["Retry-After"] = str(wait)
        return response
    form = await _form(svc, request)
    pre = request.cookies.get(PRE_COOKIE) or new_pre_session()
    if not svc.sessions.csrf_ok("pre:" + pre, form.get("csrf")):
        response = _html(sign_in_page(svc.info.name, svc.sessions.csrf("pre:" + pre),
                                      "The form had expired: please sign in again."), 400)
        _cookie(svc, response, PRE_COOKIE, pre, 3600)
        return response
    try:
        name = check_staff_name(form.get("name", ""))
    except InputError:
        name = ""
    account = await svc.db(svc.storage.get_staff, name) if name else None
    stored = account.password_hash if account is not None and not account.disabled else None
    if not await svc.db(verify_password, form.get("password", ""), stored):
        log.info("staff sign-in refused for %r", name)
        response = _html(sign_in_page(svc.info.name, svc.sessions.csrf("pre:" + pre),
                                      "Name or password not recognised."), 401)
        _cookie(svc, response, PRE_COOKIE, pre, 3600)
        return response
    session = svc.sessions.issue(name, svc.config.clock.now().timestamp())
    log.info("staff %s signed in", name)
    response = _private(RedirectResponse("/staff/inbox", status_code=303))
    _cookie(svc, response, SESSION_COOKIE, session.cookie, SESSION_HOURS * 3600)
    response.delete_cookie(PRE_COOKIE, path="/staff")
    return response


async def sign_out(request: Request) -> Response:
    svc = service(request)
    who = await _signed_in(request)
    form = await _form(svc, request)
    if who is not None and svc.sessions.csrf_ok(who[0].cookie, form.get("csrf")):
        log.info("staff %s signed out", who[0].name)
    response = _to_sign_in()
    response.delete_cookie(SESSION_COOKIE, path="/staff")
    return response


def _rows(inbox: Inbox) -> list[Row]:
    answered: dict[str, str] = {}
    for a in inbox.storage.answers():
        if a.answer == "decided":
            answered[a.referral_id] = f"Decided: {a.outcome}"
        else:
            answered.setdefault(a.referral_id, "Acknowledged")
    rows = []
    for entry in reversed(inbox.entries()):
        if entry.kind != "referral":
            continue
        child = "(cannot be read)"
        if entry.status == "ok" or entry.status.startswith("incomplete"):
            _, referral = inbox.referral(entry.id)
            child = _child_name(referral.pack)
        status = answered.get(entry.id, "New" if entry.status == "ok" else entry.status)
        rows.append(Row(entry.id, entry.received[:16].replace("T", " "), entry.sender_name,
                        child, status, entry.id not in answered))
        if len(rows) == INBOX_ROWS:
            break
    return rows


def _child_name(pack: dict[str, Any]) -> str:
    child = pack.get("child") if isinstance(pack.get("child"), dict) else {}
    assert isinstance(child, dict)
    name = " ".join(str(child.get(k) or "") for k in ("legal_forename", "legal_surname"))
    born = child.get("date_of_birth")
    return (name.strip() or "(no name given)") + (f" (born {born})" if born else "")


_Signed = tuple[Service, Inbox, tuple[StaffSession, StaffAccount]]


async def _staff_gate(request: Request) -> _Signed | Response:
    """The service, its inbox and the signed-in staff member, or the response that stops the
    page (the staff page is not served, or nobody is signed in)."""
    svc = service(request)
    reader = _enabled(svc)
    if reader is None:
        return _not_served(svc)
    who = await _signed_in(request)
    if who is None:
        return _to_sign_in()
    return svc, reader, who


async def inbox(request: Request) -> Response:
    gate = await _staff_gate(request)
    if isinstance(gate, Response):
        return gate
    svc, reader, who = gate
    rows = await svc.db(_rows, reader)
    log.info("staff %s viewed the inbox", who[0].name)
    return _html(inbox_page(svc.info.name, who[1].display_name, svc.sessions.csrf(who[0].cookie),
                            rows))


def _one(inbox: Inbox, envelope_id: str) -> tuple[Row, list[AnswerLine]]:
    row, referral = inbox.referral(envelope_id)
    sender = inbox.storage.get_key(row.sender)
    answers = [AnswerLine("Acknowledged" if a.answer == "acknowledged"
                          else f"Decided: {a.outcome}", a.staff,
                          iso(a.made_at)[:16].replace("T", " "))
               for a in inbox.storage.answers(envelope_id)]
    return Row(row.id, iso(row.received_at)[:16].replace("T", " "),
               sender.name if sender else row.sender, _child_name(referral.pack), "",
               not answers), answers


_Gate = tuple[Service, Inbox, tuple[StaffSession, StaffAccount], str]


async def _referral_gate(request: Request) -> _Gate | Response:
    """What every page about one referral needs — the service, its inbox, the signed-in
    staff member and the referral's id — or the response that stops it (not served, sign in,
    no such id)."""
    gate = await _staff_gate(request)
    if isinstance(gate, Response):
        return gate
    svc, reader, who = gate
    envelope_id = request.path_params["id"]
    if not UUID_RE.fullmatch(envelope_id):
        return _html(message_page(svc.info.name, "Not found", "No such referral."), 404)
    return svc, reader, who, envelope_id


async def _referral_view(request: Request, *, notice: str | None = None,
                         error: str | None = None, status: int = 200) -> Response:
    gate = await _referral_gate(request)
    if isinstance(gate, Response):
        return gate
    svc, reader, who, envelope_id = gate
    try:
        row, answers = await svc.db(_one, reader, envelope_id)
    except (NotFound, InputError, EnvelopeError) as exc:
        return _html(message_page(svc.info.name, "Cannot open it", str(exc)), 404)
    log.info("staff %s opened referral %s", who[0].name, envelope_id)
    sent = request.query_params.get("sent")
    if notice is None and sent in ("acknowledged", "decided"):
        notice = ("The acknowledgement was sent to the school." if sent == "acknowledged"
                  else "The decision was sent to the school.")
    return _html(referral_page(svc.info.name, who[1].display_name,
                               svc.sessions.csrf(who[0].cookie), row, answers, notice=notice,
                               error=error), status)


async def referral(request: Request) -> Response:
    return await _referral_view(request)


async def referral_pdf(request: Request) -> Response:
    gate = await _referral_gate(request)
    if isinstance(gate, Response):
        return gate
    svc, reader, who, envelope_id = gate
    try:
        files = await svc.db(reader.pack_files, envelope_id)
    except Incomplete as exc:
        return _html(message_page(svc.info.name, "Not complete yet", str(exc)), 409)
    except (NotFound, InputError, EnvelopeError) as exc:
        return _html(message_page(svc.info.name, "Cannot open it", str(exc)), 404)
    log.info("staff %s viewed the PDF of referral %s", who[0].name, envelope_id)
    response = Response(files[0][1], media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="referral-{envelope_id}.pdf"'})
    return _private(response, csp="frame-ancestors 'self'")


async def _answer(request: Request, answer: str) -> Response:
    gate = await _referral_gate(request)
    if isinstance(gate, Response):
        return gate
    svc, reader, who, envelope_id = gate
    form = await _form(svc, request)
    if not svc.sessions.csrf_ok(who[0].cookie, form.get("csrf")):
        return await _referral_view(request, error="The form had expired: nothing was sent. "
                                    "Please try again.", status=403)
    try:
        await svc.db(lambda: answer_referral(
            reader, svc.config.signing_key, svc.config.clock, envelope_id, answer,
            outcome=form.get("outcome") if answer == "decided" else None,
            note=form.get("note", ""), reference=form.get("reference"),
            by=who[1].display_name))
    except InputError as exc:
        return await _referral_view(request, error=f"Nothing was sent: {exc}", status=400)
    except ConcernDeskError as exc:
        return await _referral_view(request, error=str(exc), status=409)
    log.info("staff %s sent %s for referral %s", who[0].name, answer, envelope_id)
    return _private(RedirectResponse(f"/staff/referrals/{envelope_id}?sent={answer}",
                                     status_code=303))


async def acknowledge(request: Request) -> Response:
    return await _answer(request, "acknowledged")


async def decide(request: Request) -> Response:
    return await _answer(request, "decided")


ROUTES = [
    Route("/staff", home, methods=["GET"]),
    Route("/staff/style.css", style, methods=["GET"]),
    Route("/staff/sign-in", sign_in_form, methods=["GET"]),
    Route("/staff/sign-in", sign_in, methods=["POST"]),
    Route("/staff/sign-out", sign_out, methods=["POST"]),
    Route("/staff/inbox", inbox, methods=["GET"]),
    Route("/staff/referrals/{id}", referral, methods=["GET"]),
    Route("/staff/referrals/{id}/pdf", referral_pdf, methods=["GET"]),
    Route("/staff/referrals/{id}/acknowledge", acknowledge, methods=["POST"]),
    Route("/staff/referrals/{id}/decide", decide, methods=["POST"]),
]
