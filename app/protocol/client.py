"""A small HTTP client for a front door or school hub; the outbox worker calls it.

Every call either returns a checked result or raises one ``FrontDoorError`` subclass whose
``retryable`` says whether trying again later can help (network down, timeout, 5xx, busy) or a
person must act (refused: not enrolled, conflict, too large, bad clock). A 429 is ``RateLimited``:
not a refusal but "not now", with the seconds the service asked us to wait (its Retry-After).
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import math
import re
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.clock import parse_iso
from app.errors import ConcernDeskError, InputError
from app.protocol import httpsig
from app.protocol.enrolment import sign_enrolment, sign_holding
from app.protocol.envelope import parse
from app.protocol.fingerprint import KeyBundle, b64d, b64e, normalise_fingerprint
from app.protocol.receipt import Receipt, ReceiptError, verify_receipt
from app.wording import wait_text

if TYPE_CHECKING:
    # Imported where a client is made: the many modules that only name these errors (and the
    # app, before anyone signs in) do not pay for loading httpx.
    import httpx


class FrontDoorError(ConcernDeskError):
    """Anything that stopped a call to the service. ``retryable``: try again later."""

    retryable = False


class Unreachable(FrontDoorError):
    """No connection, or it dropped before an answer came."""

    retryable = True


class TimedOut(FrontDoorError):
    retryable = True


class ServerError(FrontDoorError):
    """The service failed (HTTP 5xx)."""

    retryable = True

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


RETRY_AFTER_MIN = 1  # seconds: a Retry-After of 0 (or a date gone by) still waits a second
RETRY_AFTER_MAX = 3600  # an hour, as the outbox's longest backoff: a larger one is taken as this
RETRY_AFTER_DEFAULT = 60  # when a 429 gives no Retry-After, or one that is not seconds or a date
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also takes '²' and '٣'


def retry_after_seconds(value: str | None, now: datetime | None = None) -> int:
    """A Retry-After header (RFC 9110 10.2.3: whole seconds, or an HTTP-date) as whole seconds
    from ``now``, within RETRY_AFTER_MIN..RETRY_AFTER_MAX; missing or malformed: the default."""
    text = (value or "").strip()
    if _DIGITS.fullmatch(text):
        seconds = int(text) if len(text) <= 10 else RETRY_AFTER_MAX
    else:
        try:
            when = email.utils.parsedate_to_datetime(text)
            if when.tzinfo is None:  # "-0000": a date with no zone said; HTTP-dates are GMT
                when = when.replace(tzinfo=UTC)
            seconds = math.ceil((when - (now or datetime.now(UTC))).total_seconds())
        except (TypeError, ValueError, IndexError, OverflowError):
            return RETRY_AFTER_DEFAULT
    return min(RETRY_AFTER_MAX, max(RETRY_AFTER_MIN, seconds))


class RateLimited(FrontDoorError):
    """429: the service is busy, or this device sent more than it takes in a while. Not a
    refusal: the same request after ``retry_after`` seconds (its Retry-After, clamped to
    1..3600, 60 when it gave none) should go through. ``service`` names it for people ("The
    hub"); the message names nothing else, and never what was being sent."""

    retryable = True
    status = 429

    def __init__(self, service: str, retry_after: int, code: str = "too-many-requests",
                 detail: str = "") -> None:
        self.service, self.retry_after = service, retry_after
        self.code, self.detail = code, detail
        super().__init__(f"{service} is busy: try again in {wait_text(retry_after)}")


class Refused(FrontDoorError):
    """The service refused the request (HTTP 4xx); retrying the same thing will not help."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        self.status = status
        self.code = code
        self.detail = detail
        super().__init__(f"refused by the service ({status} {code}): {detail}")


class NotEnrolled(Refused):
    """403: this device's key is not (or no longer) enrolled with the service."""


class Conflict(Refused):
    """409: the service holds a different envelope under this id."""


class TooLarge(Refused):
    """413: over the service's size limit."""


class BadResponse(FrontDoorError):
    """The service answered something that does not check out (e.g. a receipt that fails)."""


class CertificateError(FrontDoorError):
    """TLS failed: the service's certificate is not trusted here (a person must fix it)."""


class FingerprintMismatch(FrontDoorError):
    """The service's key is not the one whose fingerprint was given: nothing is trusted."""


@dataclass(frozen=True)
class ServiceKey:
    name: str
    mode: str  # "la" or "school"
    fingerprint: str
    bundle: KeyBundle
    max_body: int


@dataclass(frozen=True)
class InboxItem:
    cursor: str  # opaque: pass the last one seen as ``after``
    id: str
    kind: str
    sender: str
    recipient: str
    received: datetime
    body: bytes  # the envelope as uploaded: parse, verify_signature, open_payload


def _tls_failure(exc: BaseException) -> str | None:
    """The TLS verification error behind a transport error, if that is what it was."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or "certificate not trusted"
        if isinstance(seen, ssl.SSLError):
            return seen.reason or "TLS error"
        seen = seen.__cause__ or seen.__context__
    return None


@dataclass(frozen=True)
class AuditHead:
    """The latest event of one of a PC's audit chains ("school" or "dsl"), with its signed
    head as the PC holds it (the hub keeps that text without reading it)."""

    chain: str
    seq: int
    hash: str
    head: str

    def to_json(self) -> dict[str, Any]:
        return {"chain": self.chain, "seq": self.seq, "hash": self.hash, "head": self.head}

    @classmethod
    def from_json(cls, obj: Any) -> AuditHead:
        seq = obj["seq"]
        if type(seq) is not int:
            raise ValueError("seq is not a whole number")
        return cls(str(obj["chain"]), seq, str(obj["hash"]), str(obj["head"]))


class HeadRolledBack(Refused):
    """409 rolled-back: the hub keeps a newer head of this chain (``kept``) than the one sent,
    or another one at the same event; it kept nothing of what was sent."""

    def __init__(self, kept: AuditHead, detail: str) -> None:
        self.kept = kept
        super().__init__(409, "rolled-back", detail)


@dataclass(frozen=True)
class DirectoryEntry:
    fingerprint: str
    name: str
    status: str  # "enrolled" or "removed"
    bundle: KeyBundle
    # LA front door only: the DSL team keys this school proved it holds, newest first.
    team_keys: tuple[KeyBundle, ...] = ()
    # A school at a peer LA front door (issue #19): that LA's name, and its front door's key.
    at: str = ""
    via: str = ""


_REFUSALS: dict[int, type[Refused]] = {403: NotEnrolled, 409: Conflict, 413: TooLarge}


class FrontDoorClient:
    """Signed calls to one service as one device.

    ``service_bundle`` is the service key pinned by ``frontdoor set`` / ``hub set``; receipts
    are verified with it. Without it, ``check_service`` must be called before ``put_envelope``.
    ``name`` is how messages for people name the service ("The hub", "The LA front door").
    Envelopes from ``inbox``/``fetch`` are returned as stored: the caller parses them, verifies
    the sender's signature with a key it trusts, then opens the payload.
    """

    def __init__(self, base_url: str, device_signing_key: Ed25519PrivateKey,
                 device_fingerprint: str, *, service_bundle: KeyBundle | None = None,
                 timeout: float = 30.0, verify: bool | str | ssl.SSLContext = True,
                 transport: httpx.BaseTransport | None = None,
                 name: str = "The service") -> None:
        self._key = device_signing_key
        self.name = name
        self.device_fingerprint = normalise_fingerprint(device_fingerprint)
        self.service_bundle = service_bundle
        # A str is a CA file (e.g. an LA's own CA or a hub's self-signed certificate).
        tls: bool | ssl.SSLContext
        if not isinstance(verify, str):
            tls = verify
        else:
            try:
                tls = ssl.create_default_context(cafile=verify)
            except (OSError, ssl.SSLError):
                raise InputError("CA file", f"cannot read certificates from {verify}") from None
        import httpx

        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, verify=tls,
                                  transport=transport, follow_redirects=False)

    @property
    def service_id(self) -> str:
        """Which service this is, to remember things about it by: the pinned key's
        fingerprint, or the address before one is pinned."""
        return self.service_bundle.fingerprint if self.service_bundle else str(self._http.base_url)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> FrontDoorClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- the calls -------------------------------------------------------------------------

    def service_key(self) -> ServiceKey:
        """The service's public keys (unauthenticated; check the fingerprint out of band)."""
        obj = self._json(self._send("GET", "/v1/service-key", signed=False))
        try:
            bundle = KeyBundle.from_json(obj["bundle"])
            key = ServiceKey(name=str(obj["name"]), mode=str(obj["mode"]),
                             fingerprint=normalise_fingerprint(obj["fingerprint"]),
                             bundle=bundle, max_body=int(obj["max_body"]))
        except (KeyError, TypeError, ValueError, InputError) as exc:
            raise BadResponse(f"service key answer is malformed: {exc}") from None
        if key.fingerprint != bundle.fingerprint:
            raise BadResponse("service key answer: fingerprint does not match its keys")
        return key

    def check_service(self, expected_fingerprint: str) -> ServiceKey:
        """Fetch the service key and pin it if its fingerprint is the expected one."""
        expected = normalise_fingerprint(expected_fingerprint)
        key = self.service_key()
        if key.fingerprint != expected:
            raise FingerprintMismatch(
                f"the service at {self._http.base_url} has fingerprint {key.fingerprint}, "
                f"not {expected}: nothing was saved; check the URL and the fingerprint")
        self.service_bundle = key.bundle
        return key

    def request_enrolment(self, bundle: KeyBundle, name: str) -> str:
        """Register this device's public bundle as pending; returns "pending" or "enrolled"."""
        body = json.dumps({"bundle": bundle.to_json(), "name": name,
                           "proof": b64e(sign_enrolment(bundle, name, self._key))}).encode()
        obj = self._json(self._send("POST", "/v1/enrolment-requests", body=body, signed=False))
        return str(obj.get("status"))

    def register_holding(self, held: KeyBundle, held_signing_private: Ed25519PrivateKey) -> None:
        """Tell the hub this device also holds ``held`` (e.g. the DSL team key)."""
        proof = sign_holding(held, self.device_fingerprint, held_signing_private)
        body = json.dumps({"bundle": held.to_json(), "proof": b64e(proof)}).encode()
        self._json(self._send("POST", "/v1/holdings", body=body))

    def put_envelope(self, env_bytes: bytes) -> Receipt:
        """Upload once; the same bytes again get the same receipt. The receipt is verified."""
        return self._put(env_bytes, "/v1/envelopes/")

    def relay_envelope(self, env_bytes: bytes) -> Receipt:
        """Front door to a peer front door (issue #19): a school's envelope, as it came, to
        the peer whose school holds its recipient; idempotent as ``put_envelope``."""
        return self._put(env_bytes, "/v1/relay/")

    def _put(self, env_bytes: bytes, prefix: str) -> Receipt:
        env = parse(env_bytes, max_size=max(len(env_bytes), 1))
        response = self._send("PUT", f"{prefix}{env.id}", body=env_bytes,
                              content_type="application/vnd.concerndesk.envelope")
        try:
            receipt = Receipt.from_json(self._json(response))
        except ReceiptError as exc:
            raise BadResponse(f"the service's receipt is malformed: {exc}") from None
        if receipt.envelope_id != env.id or receipt.sha256 != hashlib.sha256(env_bytes).hexdigest():
            raise BadResponse("the receipt names another envelope or other bytes")
        service = self.service_bundle
        if service is None:
            raise FrontDoorError("no pinned service key to check the receipt with: "
                                 "pass service_bundle or call check_service(fingerprint) first")
        if receipt.service != service.fingerprint:
            raise BadResponse("the receipt was signed by another service")
        try:
            verify_receipt(receipt, service.signing_key())
        except ReceiptError as exc:
            raise BadResponse(str(exc)) from None
        return receipt

    def inbox(self, after: str | None = None, limit: int = 100) -> list[InboxItem]:
        """Envelopes for this device's keys after ``after``, oldest first; [] when none."""
        params = {"limit": str(limit)}
        if after:
            params["after"] = after
        obj = self._json(self._send("GET", "/v1/inbox", params=params))
        try:
            return [InboxItem(cursor=str(e["cursor"]), id=str(e["id"]), kind=str(e["kind"]),
                              sender=str(e["sender"]), recipient=str(e["recipient"]),
                              received=parse_iso(e["received"]),
                              body=b64d(e["body"], "inbox body"))
                    for e in obj["envelopes"]]
        except (KeyError, TypeError, ValueError, InputError) as exc:
            raise BadResponse(f"inbox answer is malformed: {exc}") from None

    def directory(self) -> list[DirectoryEntry]:
        """A hub's devices, or an LA front door's schools with their DSL team keys, each with
        its own keys, enrolled or removed."""
        obj = self._json(self._send("GET", "/v1/directory"))
        try:
            entries = [DirectoryEntry(fingerprint=normalise_fingerprint(k["fingerprint"]),
                                      name=str(k["name"]), status=str(k["status"]),
                                      bundle=KeyBundle.from_json(k["bundle"]),
                                      team_keys=tuple(KeyBundle.from_json(t)
                                                      for t in k.get("team_keys", [])),
                                      at=str((k.get("at") or {}).get("name", "")),
                                      via=str((k.get("at") or {}).get("fingerprint", "")))
                       for k in obj["keys"]]
        except (KeyError, TypeError, AttributeError, InputError) as exc:
            raise BadResponse(f"directory answer is malformed: {exc}") from None
        if any(e.bundle.fingerprint != e.fingerprint for e in entries):
            raise BadResponse("directory answer: a fingerprint does not match its keys")
        return entries

    def audit_heads(self) -> list[AuditHead]:
        """School hub only: the audit heads it keeps for this device (none at first)."""
        return self._heads(self._json(self._send("GET", "/v1/audit-heads")))

    def report_audit_heads(self, heads: list[AuditHead]) -> list[AuditHead]:
        """School hub only: tells it this device's latest heads; returns those it now keeps.
        ``HeadRolledBack`` when it keeps a newer one (nothing sent is kept)."""
        body = json.dumps({"v": 1, "heads": [h.to_json() for h in heads]}).encode()
        response = self._send("POST", "/v1/audit-heads", body=body, passing=(409,))
        obj = self._json(response)
        if response.status_code == 409:
            if obj.get("error") != "rolled-back":
                raise Conflict(409, str(obj.get("error")), str(obj.get("detail")))
            try:
                kept = AuditHead.from_json(obj["kept"])
            except (KeyError, TypeError, ValueError) as exc:
                raise BadResponse(f"the hub's rolled-back answer is malformed: {exc}") from None
            raise HeadRolledBack(kept, str(obj.get("detail")))
        return self._heads(obj)

    @staticmethod
    def _heads(obj: dict[str, Any]) -> list[AuditHead]:
        try:
            return [AuditHead.from_json(h) for h in obj["heads"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise BadResponse(f"the hub's audit heads answer is malformed: {exc}") from None

    def fetch(self, envelope_id: str) -> bytes:
        """One envelope addressed to (or sent by) this device's keys, as uploaded."""
        return self._send("GET", f"/v1/envelopes/{envelope_id}").content

    # -- plumbing --------------------------------------------------------------------------

    def _send(self, method: str, path: str, *, body: bytes = b"", signed: bool = True,
              params: dict[str, str] | None = None,
              content_type: str = "application/json",
              passing: tuple[int, ...] = ()) -> httpx.Response:
        import httpx  # loaded already: the client was made with it

        request = self._http.build_request(method, path, params=params, content=body,
                                           headers={"Content-Type": content_type} if body else {})
        if signed:
            if self.service_bundle is None:
                raise FrontDoorError("no pinned service key: pass service_bundle or call "
                                     "check_service(fingerprint) first")
            raw_path, _, query = request.url.raw_path.decode("ascii").partition("?")
            request.headers.update(httpsig.sign_request(
                method, raw_path, query, body, self.device_fingerprint, self._key,
                service=self.service_bundle.fingerprint))
        try:
            response = self._http.send(request)
        except httpx.TimeoutException:
            raise TimedOut(f"no answer from {self._http.base_url} in time; will retry") from None
        except httpx.TransportError as exc:
            tls = _tls_failure(exc)
            if tls is not None:
                raise CertificateError(f"TLS with {self._http.base_url} failed: {tls}") from None
            raise Unreachable(f"cannot reach {self._http.base_url} "
                              f"({type(exc).__name__}); will retry") from None
        if response.status_code >= 500:
            code, detail = self._problem(response, "failed")
            if code == "peer-unavailable":  # an LA front door's peer, not the service itself
                raise ServerError(response.status_code, f"{detail} (will retry)")
            raise ServerError(response.status_code,
                              f"the service failed (HTTP {response.status_code}); will retry")
        if response.status_code == 429:
            code, detail = self._problem(response, "too-many-requests")
            raise RateLimited(self.name, retry_after_seconds(response.headers.get("Retry-After")),
                              code, detail)
        if response.status_code >= 400 and response.status_code not in passing:
            code, detail = self._problem(response, "refused")
            cls = _REFUSALS.get(response.status_code, Refused)
            raise cls(response.status_code, code, detail)
        return response

    @staticmethod
    def _problem(response: httpx.Response, code: str) -> tuple[str, str]:
        """A refusal's ``{"error", "detail"}``, or ``code`` and the reason phrase when the
        answer is not one (a proxy's HTML page, say)."""
        try:
            err = response.json()
            return str(err["error"]), str(err["detail"])
        except (ValueError, KeyError, TypeError):
            return code, response.reason_phrase

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        """The answer's JSON object. Its values are Any, as JSON from the network is: each
        caller reads the fields it needs inside a ``try`` that turns a missing or wrong-typed
        one (KeyError, TypeError, ValueError) into BadResponse."""
        try:
            obj = response.json()
        except ValueError:
            raise BadResponse("the service did not answer JSON") from None
        if not isinstance(obj, dict):
            raise BadResponse("the service did not answer a JSON object")
        return obj
