"""Request signatures, referral payloads and chunks, and the client's typed errors against
real (misbehaving) servers on 127.0.0.1."""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.protocol import httpsig
from app.protocol.client import FrontDoorClient, ServerError, TimedOut, Unreachable
from app.protocol.envelope import EnvelopeError, open_payload, parse, verify_signature
from app.protocol.fingerprint import KeyPairs
from app.protocol.payload import (
    Attachment,
    assemble,
    inlined,
    read_chunk,
    read_referral,
    seal_referral,
)

DEVICE, SERVICE = KeyPairs.generate(), KeyPairs.generate()


def _headers(method: str = "PUT", path: str = "/v1/envelopes/x", query: str = "",
             body: bytes = b"body", **kw: object) -> dict[str, str]:
    return httpsig.sign_request(method, path, query, body, DEVICE.fingerprint, DEVICE.signing,
                                service=SERVICE.fingerprint, **kw)  # type: ignore[arg-type]


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def test_signed_request_verifies() -> None:
    headers = _lower(_headers(query="after=abc"))
    params = httpsig.parse_signature(headers)
    assert params.keyid == DEVICE.fingerprint
    httpsig.check_service(params, SERVICE.fingerprint)
    with pytest.raises(httpsig.SignatureError, match="another service"):
        httpsig.check_service(params, DEVICE.fingerprint)
    httpsig.check_time(params, time.time())
    httpsig.verify(params, "PUT", "/v1/envelopes/x", "after=abc", DEVICE.signing.public_key())
    httpsig.check_digest(params, b"body")


@pytest.mark.parametrize(("method", "path", "query"), [
    ("GET", "/v1/envelopes/x", "after=abc"),
    ("PUT", "/v1/envelopes/y", "after=abc"),
    ("PUT", "/v1/envelopes/x", "after=abd"),
    ("PUT", "/v1/envelopes/x", ""),
])
def test_any_changed_component_fails(method: str, path: str, query: str) -> None:
    params = httpsig.parse_signature(_lower(_headers(query="after=abc")))
    with pytest.raises(httpsig.SignatureError) as error:
        httpsig.verify(params, method, path, query, DEVICE.signing.public_key())
    assert error.value.status == 401


def test_digest_time_and_malformed_headers() -> None:
    params = httpsig.parse_signature(_lower(_headers()))
    with pytest.raises(httpsig.SignatureError) as error:
        httpsig.check_digest(params, b"other")
    assert error.value.status == 400
    old = httpsig.parse_signature(_lower(_headers(created=int(time.time()) - 301)))
    with pytest.raises(httpsig.SignatureError, match="window"):
        httpsig.check_time(old, time.time())
    headers = _lower(_headers())
    headers["signature-input"] = headers["signature-input"].replace('"@query" ', "")
    with pytest.raises(httpsig.SignatureError) as error:
        httpsig.parse_signature(headers)
    assert error.value.code == "bad-signature"
    with pytest.raises(httpsig.SignatureError) as error:
        httpsig.parse_signature({})
    assert error.value.code == "unsigned"


def test_referral_with_chunks_round_trips() -> None:
    la = KeyPairs.generate()
    big = bytes(range(256)) * 1000
    envelopes = seal_referral({"summary": "synthetic"}, b"%PDF-1.7 synthetic",
                              [Attachment("big.bin", "application/octet-stream", big),
                               Attachment("small.txt", "text/plain", b"hi")],
                              DEVICE.fingerprint, DEVICE.signing, la.bundle,
                              chunk_size=100_000, inline_limit=10_000)
    assert len(envelopes) == 4
    opened = []
    for data in envelopes:
        env = parse(data)
        verify_signature(env, DEVICE.signing.public_key())
        opened.append((env, open_payload(env, la.hpke)))
    assert [e.header.kind for e, _ in opened] == ["chunk", "chunk", "chunk", "referral"]
    referral = read_referral(opened[-1][1])
    chunks = {e.id: read_chunk(p) for e, p in opened[:-1]}
    assert assemble(referral.attachments[0], chunks) == big
    assert assemble(referral.attachments[1], {}) == b"hi"
    assert assemble(referral.pdf, {}) == b"%PDF-1.7 synthetic"
    assert referral.attachments[0].sha256 == hashlib.sha256(big).hexdigest()
    missing = dict(list(chunks.items())[:2])
    with pytest.raises(EnvelopeError, match="not arrived"):
        assemble(referral.attachments[0], missing)
    with pytest.raises(EnvelopeError):
        read_referral(b'{"v": 1}')



def test_a_chunked_payload_is_kept_with_its_bytes_inline() -> None:
    """What a receiving school keeps of a chunked CP file: the same payload, every file's
    bytes inline and checked, other fields as sent; a chunk of another file is refused."""
    team = KeyPairs.generate()
    big, other = bytes(range(256)) * 900, b"x" * 50_000
    envelopes = seal_referral({"child": {"upn": "A123"}}, b"%PDF-1.7 synthetic",
                              [Attachment("scan.pdf", "application/pdf", big)],
                              DEVICE.fingerprint, DEVICE.signing, team.bundle, kind="cp-file",
                              chunk_size=100_000, inline_limit=10_000,
                              extra={"transfer": {"id": "t"}})
    *pieces, main = [(e, open_payload(e, team.hpke)) for e in map(parse, envelopes)]
    chunks = {e.id: read_chunk(p) for e, p in pieces}
    kept = inlined(main[1], chunks)
    parsed = read_referral(kept)
    assert parsed.chunk_ids == [] and parsed.attachments[0].data == big
    assert json.loads(kept)["transfer"] == {"id": "t"}
    (stranger,) = seal_referral({}, b"%PDF", [Attachment("o", "text/plain", other)],
                                DEVICE.fingerprint, DEVICE.signing, team.bundle,
                                chunk_size=100_000, inline_limit=10_000)[:1]
    foreign = read_chunk(open_payload(parse(stranger), team.hpke))
    first = next(iter(chunks))
    with pytest.raises(EnvelopeError, match="chunk 1 belongs elsewhere"):
        inlined(main[1], {**chunks, first: foreign})

@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=200),
                 st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                              lambda inner: st.lists(inner, max_size=3)
                              | st.dictionaries(st.sampled_from(
                                  ["v", "pack", "pdf", "attachments", "name", "media_type",
                                   "size", "sha256", "data", "chunks", "index", "count",
                                   "file_sha256"]), inner, max_size=6),
                              max_leaves=20).map(lambda o: json.dumps(o).encode())))
def test_fuzz_payload_readers(data: bytes) -> None:
    """A signed but nonsensical payload is refused with EnvelopeError, never a crash."""
    for reader in (read_referral, read_chunk):
        with contextlib.suppress(EnvelopeError):
            reader(data)


# --- the client's errors, against real servers that misbehave --------------------------------

def _client(url: str, timeout: float = 5.0) -> FrontDoorClient:
    return FrontDoorClient(url, DEVICE.signing, DEVICE.fingerprint, timeout=timeout,
                           service_bundle=SERVICE.bundle)


def test_nothing_listening_is_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(Unreachable) as error:
        _client(f"http://127.0.0.1:{port}").inbox()
    assert error.value.retryable


@pytest.fixture()
def failing_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(502)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_server_failure_is_retryable(failing_server: str) -> None:
    with pytest.raises(ServerError) as error:
        _client(failing_server).inbox()
    assert error.value.status == 502 and error.value.retryable


def test_a_silent_server_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the connection, never answers
        with pytest.raises(TimedOut) as error:
            _client(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=0.3).service_key()
    assert error.value.retryable
