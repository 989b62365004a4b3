"""Issue #16: hostile requests never reach an unhandled error (a 500 and a traceback).

Sent as raw bytes over a socket to a real service on 127.0.0.1 (SQLite, and PostgreSQL where
provided), so nothing on the client side tidies them up: every parameter — the envelope id in
the path, ``after``, ``limit``, Content-Length, JSON bodies (deeply nested too) and the three
signature headers — is drawn by hypothesis, alone and together. Whatever arrives, the answer is
below 500 and, when refused, has the documented shape ``{"error": …, "detail": …}`` (the only
exception is a request the HTTP parser itself rejects before the application sees it: uvicorn
answers that with its own plain-text 400).
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import time
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.protocol import httpsig
from app.protocol.enrolment import sign_enrolment, sign_holding
from app.protocol.envelope import new_header, seal
from app.protocol.fingerprint import KeyPairs, b64e
from frontdoor import keys
from tests.frontdoor.conftest import PASSPHRASE, Service

PARSER_REFUSAL = b"Invalid HTTP request received."


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def problem(self) -> dict[str, object]:
        return json.loads(self.body)


def _dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out, data = out + data[:size], data[size + 2:]
    return out


def raw_request(service: Service, method: str, target: str,
                headers: list[tuple[bytes, bytes]], body: bytes = b"",
                source: str = "127.0.0.1") -> Answer:
    """One HTTP/1.1 request exactly as given (no client library to correct it)."""
    with socket.create_connection(("127.0.0.1", service.port), timeout=30,
                                  source_address=(source, 0)) as conn:
        head = [f"{method} {target} HTTP/1.1".encode("latin-1"), b"Host: 127.0.0.1",
                b"Connection: close", *(name + b": " + value for name, value in headers)]
        # (The service may answer, and close, before the whole body was sent.)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.sendall(b"\r\n".join(head) + b"\r\n\r\n" + body)
        chunks = []
        try:
            while data := conn.recv(65536):
                chunks.append(data)
        except ConnectionResetError:
            pass
    raw = b"".join(chunks)
    assert raw, f"no answer to {method} {target}"
    head_text, _, rest = raw.partition(b"\r\n\r\n")
    status_line, *lines = head_text.decode("latin-1").split("\r\n")
    fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    if fields.get("transfer-encoding") == "chunked":
        rest = _dechunk(rest)
    elif "content-length" in fields:
        rest = rest[: int(fields["content-length"])]
    return Answer(int(status_line.split()[1]), fields, rest)


def assert_handled(answer: Answer, what: object = "") -> None:
    assert answer.status < 500, (answer.status, answer.body[:300], what)
    if answer.status < 400 or answer.body == PARSER_REFUSAL:
        return
    problem = answer.problem()
    assert isinstance(problem, dict), answer.body[:300]
    assert isinstance(problem.get("error"), str) and problem["error"], answer.body[:300]
    assert isinstance(problem.get("detail"), str) and problem["detail"], answer.body[:300]


@pytest.fixture(scope="module")
def device(la_service: Service) -> KeyPairs:
    with pytest.MonkeyPatch.context() as patch:  # module-scoped: before the autouse fixture
        patch.setenv(keys.PASSPHRASE_ENV, PASSPHRASE)
        pairs, _client = la_service.enrolled_device("Synthetic Hostile-Test School")
    return pairs


def signed(service: Service, pairs: KeyPairs, method: str, path: str, query: str = "",
           body: bytes = b"") -> list[tuple[bytes, bytes]]:
    headers = httpsig.sign_request(method, path, query, body, pairs.fingerprint, pairs.signing,
                                   service=service.info.fingerprint)
    return [(k.encode(), v.encode()) for k, v in headers.items()]


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# -- the reported ones, each on its own --------------------------------------------------------

def test_deeply_nested_enrolment_request(la_service: Service) -> None:
    """No credentials needed: ``[`` × 8000 was a RecursionError in the JSON parser."""
    for body in (b"[" * 8000, b'{"a":' * 3000, b"[" * 8000 + b"]" * 8000):
        answer = raw_request(la_service, "POST", "/v1/enrolment-requests",
                             [(b"Content-Length", str(len(body)).encode())], body,
                             source="127.0.0.5")
        assert_handled(answer)
        assert (answer.status, answer.problem()["error"]) == (400, "bad-json")


def test_deeply_nested_holding(la_service: Service, device: KeyPairs) -> None:
    body = b"[" * 8000
    answer = raw_request(la_service, "POST", "/v1/holdings",
                         [(b"Content-Length", str(len(body)).encode()),
                          *signed(la_service, device, "POST", "/v1/holdings", "", body)], body)
    assert_handled(answer)
    assert (answer.status, answer.problem()["error"]) == (400, "bad-json")


@pytest.mark.parametrize("seq", ["1" * 30, str(2**63), "9" * 5000, "00000000000000000000001"])
def test_cursor_out_of_range(la_service: Service, device: KeyPairs, seq: str) -> None:
    """A 30-digit cursor was an OverflowError in SQLite."""
    query = "after=" + cursor(f"s1:{seq}")
    answer = raw_request(la_service, "GET", "/v1/inbox?" + query,
                         signed(la_service, device, "GET", "/v1/inbox", query))
    assert_handled(answer)
    assert (answer.status, answer.problem()["error"]) == (400, "bad-cursor")


@pytest.mark.parametrize("limit", ["²", "٣", "1²", "-1", "0", "501", "1e2", " 5", "9" * 5000])
def test_limit_that_is_not_a_small_number(la_service: Service, device: KeyPairs,
                                          limit: str) -> None:
    """'²' passes str.isdigit() and then int() rejects it: that was a ValueError."""
    query = "limit=" + quote(limit, safe="")
    answer = raw_request(la_service, "GET", "/v1/inbox?" + query,
                         signed(la_service, device, "GET", "/v1/inbox", query))
    assert_handled(answer)
    assert (answer.status, answer.problem()["error"]) == (400, "bad-limit")


@pytest.mark.parametrize("env_id", ["nul\x00here", "a/b", "%", "\udcff", "x" * 5000])
def test_envelope_id_that_is_not_an_id(la_service: Service, device: KeyPairs,
                                       env_id: str) -> None:
    path = "/v1/envelopes/" + quote(env_id, safe="", errors="surrogatepass")
    for method in ("GET", "PUT"):
        answer = raw_request(la_service, method, path,
                             [(b"Content-Length", b"0"), *signed(la_service, device, method, path)])
        assert_handled(answer, env_id)
        assert answer.status == 404


# -- everything at once, drawn by hypothesis -------------------------------------------------

OPERATIONS = ["PUT /v1/envelopes/{id}", "GET /v1/envelopes/{id}", "GET /v1/inbox",
              "POST /v1/enrolment-requests", "POST /v1/holdings", "GET /v1/directory",
              "GET /v1/service-key", "GET /openapi.json"]
UNICODE_DIGITS = ["²", "٣", "۵", "߂", "१", "Ⅻ", "①", "𝟗"]

ids = st.one_of(st.uuids().map(str), st.text(max_size=60),
                st.text(alphabet="0123456789abcdef-", max_size=40))
numbers = st.one_of(st.integers(-10, 10**40).map(str), st.sampled_from(UNICODE_DIGITS),
                    st.lists(st.sampled_from(["1", "²", "٣", "0"]), min_size=1, max_size=5)
                    .map("".join))
cursors = st.one_of(st.none(), st.text(max_size=40), numbers.map(lambda n: cursor(f"s1:{n}")),
                    st.binary(max_size=30).map(
                        lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")))
limits = st.one_of(st.none(), numbers, st.text(max_size=10))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20)
nested = st.tuples(st.integers(1, 12000), st.sampled_from([b"[", b'{"a":', b'[{"b":'])).map(
    lambda t: t[1] * t[0])
SIG_MODES = ["valid", "none", "forged", "unknown-key", "stale", "garbage", "other-service"]
LENGTH_MODES = ["exact", "absent", "huge", "garbage", "unicode", "shorter"]


def _json_body(kind: str, value: object, pairs: KeyPairs, device: KeyPairs) -> bytes:
    if kind == "enrolment":
        name = "Synthetic Drawn School"
        obj = {"bundle": pairs.bundle.to_json(), "name": name,
               "proof": b64e(sign_enrolment(pairs.bundle, name, pairs.signing))}
    elif kind == "holding":
        obj = {"bundle": pairs.bundle.to_json(),
               "proof": b64e(sign_holding(pairs.bundle, device.fingerprint, pairs.signing))}
    else:
        return json.dumps(value).encode()
    if isinstance(value, dict):  # some fields replaced by drawn values
        for field_name, replacement in list(value.items())[:2]:
            obj[field_name if field_name in obj or not obj else next(iter(obj))] = replacement
    return json.dumps(obj).encode()


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str, object]:
    return draw(st.one_of(
        st.tuples(st.just("value"), json_values),
        st.tuples(st.sampled_from(["enrolment", "holding"]),
                  st.one_of(st.none(), st.dictionaries(
                      st.sampled_from(["bundle", "name", "proof"]), json_values, max_size=2))),
        st.tuples(st.just("raw"), st.one_of(nested, st.binary(max_size=300))),
        st.tuples(st.just("envelope"), st.integers(0, 3))))


@pytest.fixture(scope="module")
def a_valid_envelope(la_service: Service, device: KeyPairs) -> tuple[str, bytes]:
    header = new_header(device.fingerprint, la_service.info.fingerprint, "referral")
    return header.id, seal(header, b'{"synthetic": true}', la_service.info.bundle.hpke_key(),
                           device.signing)


@given(operation=st.sampled_from(OPERATIONS), env_id=ids, after=cursors, limit=limits,
       body=bodies(), length=st.sampled_from(LENGTH_MODES), sig=st.sampled_from(SIG_MODES),
       source=st.integers(1, 250))
@settings(max_examples=250, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@example(operation="POST /v1/enrolment-requests", env_id="", after=None, limit=None,
         body=("raw", b"[" * 8000), length="exact", sig="none", source=1)
@example(operation="POST /v1/holdings", env_id="", after=None, limit=None,
         body=("raw", b"[" * 8000), length="exact", sig="valid", source=1)
@example(operation="GET /v1/inbox", env_id="", after=cursor("s1:" + "9" * 30), limit=None,
         body=("raw", b""), length="exact", sig="valid", source=1)
@example(operation="GET /v1/inbox", env_id="", after=None, limit="²",
         body=("raw", b""), length="exact", sig="valid", source=1)
@example(operation="GET /v1/envelopes/{id}", env_id="\x00", after=None, limit=None,
         body=("raw", b""), length="exact", sig="valid", source=1)
def test_no_hostile_request_reaches_a_server_error(
        la_service: Service, device: KeyPairs, a_valid_envelope: tuple[str, bytes],
        operation: str, env_id: str, after: str | None, limit: str | None,
        body: tuple[str, object], length: str, sig: str, source: int) -> None:
    method, _, template = operation.partition(" ")
    if "{id}" in template and body[0] == "envelope" and body[1]:
        env_id = a_valid_envelope[0]
    path = template.replace("{id}", quote(env_id, safe="", errors="surrogatepass"))
    query = "&".join(f"{name}={quote(value, safe='')}" for name, value in
                     (("after", after), ("limit", limit)) if value is not None)
    kind, value = body
    if kind == "raw":
        payload = value if isinstance(value, bytes) else b""
    elif kind == "envelope":
        payload = a_valid_envelope[1][: len(a_valid_envelope[1]) - int(value or 0)]
    else:
        payload = _json_body(kind, value, KeyPairs.generate(), device)
    headers: list[tuple[bytes, bytes]] = []
    content_length = {"exact": str(len(payload)).encode(), "absent": None,
                      "huge": str(10**12).encode(), "garbage": b"12abc",
                      "unicode": "²".encode("latin-1"),
                      "shorter": str(len(payload) // 2).encode()}[length]
    if content_length is not None:
        headers.append((b"Content-Length", content_length))
    signer, keyid, service_fp, created = device, device.fingerprint, la_service.info.fingerprint, \
        None
    if sig == "forged":
        signer = KeyPairs.generate()
    elif sig == "unknown-key":
        signer = KeyPairs.generate()
        keyid = signer.fingerprint
    elif sig == "stale":
        created = int(time.time()) - 3600
    elif sig == "other-service":
        service_fp = KeyPairs.generate().fingerprint
    if sig != "none":
        sig_headers = httpsig.sign_request(method, path, query, payload, keyid, signer.signing,
                                           service=service_fp, created=created)
        if sig == "garbage":
            sig_headers["Signature"] = "cd=:" + "A" * 86 + "==:"
            sig_headers["Signature-Input"] = sig_headers["Signature-Input"].replace(
                "created=", "created=9")
        headers += [(k.encode(), v.encode()) for k, v in sig_headers.items()]
    target = path + (f"?{query}" if query else "")
    answer = raw_request(la_service, method, target, headers, payload,
                         source=f"127.0.4.{source}")
    assert_handled(answer, (operation, target[:120], length, sig, payload[:60]))


@st.composite
def header_values(draw: st.DrawFn) -> bytes:
    text = draw(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255,
                                               exclude_characters="\x7f"), max_size=200))
    return text.encode("latin-1")


@given(which=st.sampled_from(["signature-input", "signature", "content-digest"]),
       value=st.one_of(header_values(), st.sampled_from([
           b'cd=("@method" "@path" "@query" "content-digest");created=' + b"9" * 12
           + b';nonce="AAAAAAAAAAAAAAAAAAAA";keyid="0000-0000-0000-0000-0000-0000-0000-0000'
             b'-0000-0000";tag="0000-0000-0000-0000-0000-0000-0000-0000-0000-0000";'
             b'alg="ed25519"',
           b"cd=:" + b"A" * 86 + b"==:", b"sha-256=:" + b"A" * 43 + b"=:", b""])),
       operation=st.sampled_from(["GET /v1/inbox", "GET /v1/directory",
                                  "POST /v1/holdings"]))
@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_signature_header_reaches_a_server_error(la_service: Service, device: KeyPairs,
                                                    which: str, value: bytes,
                                                    operation: str) -> None:
    method, _, path = operation.partition(" ")
    body = b"{}" if method == "POST" else b""
    headers = dict(signed(la_service, device, method, path, "", body))
    headers[which.title().encode()] = value
    answer = raw_request(la_service, method, path,
                         [(b"Content-Length", str(len(body)).encode()), *headers.items()], body)
    assert_handled(answer, (which, value[:80]))

