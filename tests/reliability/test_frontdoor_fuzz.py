"""The front door's HTTP API, fuzzed from its own /openapi.json by schemathesis against a real
service process on 127.0.0.1 — in both deployments, the LA front door and the school hub (the
same program in school mode, which also relays envelopes between a school's PCs and publishes
its directory): no 5xx, answers as documented, and nothing stored from a bad request — also when
the fuzzed request is properly signed by an enrolled device, so the fuzzed bodies reach the
envelope parser instead of stopping at the signature check."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet

from app.protocol import httpsig
from tests.reliability.conftest import FrontDoorProcess

# Envelopes travel as opaque bytes: fuzz them as schemathesis fuzzes any binary body.
schemathesis.serializer.alias("application/vnd.concerndesk.envelope",
                              "application/octet-stream")


@pytest.fixture(scope="module", params=["la", "school"])
def service(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrontDoorProcess]:
    mode = str(request.param)
    process = FrontDoorProcess(tmp_path_factory.mktemp("frontdoor") / f"{mode}-store", mode)
    process.school = process.enrol()  # type: ignore[attr-defined]
    yield process
    process.log = process.stop()  # type: ignore[attr-defined]


def _signed_call(service: FrontDoorProcess, case: schemathesis.Case) -> httpx.Response:
    """The fuzzed request, signed (RFC 9421) by the enrolled school's device key."""
    pairs, _client = service.school  # type: ignore[attr-defined]
    path = case.formatted_path
    query = urlencode(case.query or {}, doseq=True)
    if isinstance(case.body, bytes):
        body = case.body
    elif case.body is None or isinstance(case.body, NotSet):
        body = b""
    else:
        body = httpx.Request("POST", "http://x", json=case.body).content
    headers = httpsig.sign_request(case.method.upper(), path, query, body, pairs.fingerprint,
                                   pairs.signing, service=service.info.fingerprint)
    if case.media_type:
        headers["Content-Type"] = case.media_type
    return httpx.request(case.method.upper(), service.url + path + (f"?{query}" if query else ""),
                         content=body, headers=headers, timeout=30)


def _check(service: FrontDoorProcess, case: schemathesis.Case, seen: Counter[str]) -> None:
    unsigned = case.call(base_url=service.url, timeout=30)
    case.validate_response(unsigned, checks=[not_a_server_error])
    signed = _signed_call(service, case)
    seen[f"{case.method.upper()} {case.path} {signed.status_code}"] += 1
    assert signed.status_code < 500, (case.method, case.formatted_path, signed.text[:300])
    if signed.status_code >= 400:
        problem = signed.json()
        assert problem.get("error") and problem.get("detail"), signed.text[:300]


def test_fuzzed_requests_never_get_a_server_error(service: FrontDoorProcess) -> None:
    """Every operation in /openapi.json, with valid-looking and with invalid data."""
    api = schemathesis.openapi.from_url(service.url + "/openapi.json")
    operations = [result.ok() for result in api.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/envelopes/{id}", "/v1/inbox",
                                               "/v1/enrolment-requests"}
    seen: Counter[str] = Counter()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=3, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def fuzz(case: schemathesis.Case) -> None:
                _check(service, case, seen)

            try:
                fuzz()
            except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
                assert mode is GenerationMode.NEGATIVE, operation.path
    # The signed requests got past the signature check to the parsers behind it.
    past_auth = [k for k in seen if k.startswith("PUT") and not k.endswith((" 401", " 403"))]
    assert past_auth, sorted(seen)
    # Both show their directory to an enrolled key: the hub its devices, an LA front door
    # its schools and their DSL team keys (CP files between schools, issue #19).
    assert seen["GET /v1/directory 200"], sorted(seen)
    print(sorted(seen.items()))


def test_nothing_was_stored_from_fuzzed_requests(service: FrontDoorProcess) -> None:
    """Random bytes cannot carry a valid envelope signature and HPKE seal, nor an enrolment
    proof: whatever the fuzzer sent, the database holds no envelope and no new key."""
    storage = service.storage()
    try:
        assert storage.count_envelopes() == 0
        pairs, _client = service.school  # type: ignore[attr-defined]
        assert [k.fingerprint for k in storage.list_keys()] == [pairs.fingerprint]
    finally:
        storage.close()


def test_the_service_still_works_after_the_fuzzing(service: FrontDoorProcess,
                                                   tmp_path: Path) -> None:
    from app.protocol.envelope import new_header, seal

    pairs, client = service.school  # type: ignore[attr-defined]
    if service.info.mode == "la":
        header = new_header(pairs.fingerprint, service.info.fingerprint, "referral")
        receipt = client.put_envelope(seal(header, b'{"synthetic": true}',
                                           service.info.bundle.hpke_key(), pairs.signing))
        assert receipt.envelope_id == header.id
        return
    # A hub relays: an envelope sealed to another enrolled PC reaches that PC's inbox.
    other_pairs, other = service.enrol("Synthetic DSL PC")
    header = new_header(pairs.fingerprint, other_pairs.fingerprint, "record")
    receipt = client.put_envelope(seal(header, b'{"synthetic": true}',
                                       other_pairs.bundle.hpke_key(), pairs.signing))
    assert receipt.envelope_id == header.id
    assert [item.id for item in other.inbox()] == [header.id]
    assert client.inbox() == []  # nothing for the sender's own key
