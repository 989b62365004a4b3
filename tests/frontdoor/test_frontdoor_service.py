"""The front door over real HTTP: delivery, receipts, and every refusal storing nothing."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest

from app.protocol import httpsig
from app.protocol.client import (
    Conflict,
    FingerprintMismatch,
    FrontDoorClient,
    NotEnrolled,
    TooLarge,
)
from app.protocol.envelope import new_header, parse, seal
from app.protocol.fingerprint import KeyPairs
from app.protocol.receipt import Receipt, verify_receipt


def referral_envelope(school: KeyPairs, service, payload: bytes = b'{"synthetic": true}',
                      id: str | None = None) -> bytes:
    header = new_header(school.fingerprint, service.info.fingerprint, "referral", id=id)
    return seal(header, payload, service.info.bundle.hpke_key(), school.signing)


def signed_put(service, pairs: KeyPairs, env_id: str, body: bytes) -> httpx.Response:
    path = f"/v1/envelopes/{env_id}"
    headers = httpsig.sign_request("PUT", path, "", body, pairs.fingerprint, pairs.signing,
                                   service=service.info.fingerprint)
    return httpx.put(service.url + path, content=body, headers=headers)


def test_service_key_and_openapi(la_service) -> None:
    school = KeyPairs.generate()
    client = FrontDoorClient(la_service.url, school.signing, school.fingerprint)
    key = client.check_service(la_service.info.fingerprint.lower().replace("-", " "))
    assert key.mode == "la" and key.bundle == la_service.info.bundle
    with pytest.raises(FingerprintMismatch):
        client.check_service(KeyPairs.generate().fingerprint)
    doc = httpx.get(la_service.url + "/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    assert {"/v1/envelopes/{id}", "/v1/inbox", "/v1/service-key",
            "/v1/enrolment-requests"} <= set(doc["paths"])


def test_delivery_receipt_and_duplicate(la_service) -> None:
    school, client = la_service.enrolled_device()
    env = referral_envelope(school, la_service)
    receipt = client.put_envelope(env)
    env_id = parse(env).id
    verify_receipt(receipt, la_service.info.bundle.signing_key())
    assert receipt.envelope_id == env_id and receipt.service == la_service.info.fingerprint

    again = client.put_envelope(env)
    assert again.to_bytes() == receipt.to_bytes()
    raw = signed_put(la_service, school, env_id, env)
    assert raw.status_code == 200 and Receipt.from_json(raw.json()) == receipt

    other = referral_envelope(school, la_service, b"other bytes", id=env_id)
    with pytest.raises(Conflict) as refused:
        client.put_envelope(other)
    assert refused.value.status == 409
    assert la_service.stored_ids().count(env_id) == 1
    storage = la_service.storage()
    assert storage.get_envelope(env_id).body == env
    storage.close()


def _refused(service, response: httpx.Response, status: int, code: str, before: list) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert response.json()["detail"]
    assert service.stored_ids() == before


def test_tampered_envelope_is_refused(la_service) -> None:
    school, _ = la_service.enrolled_device()
    env = bytearray(referral_envelope(school, la_service))
    env_id = parse(bytes(env)).id
    env[-100] ^= 0x01  # inside the ciphertext: the signature no longer matches
    before = la_service.stored_ids()
    response = signed_put(la_service, school, env_id, bytes(env))
    _refused(la_service, response, 422, "bad-envelope", before)
    assert "signature" in response.json()["detail"]

    truncated = bytes(env[:-10])
    _refused(la_service, signed_put(la_service, school, env_id, truncated), 422,
             "bad-envelope", before)


def test_envelope_must_come_from_the_signer_and_to_this_front_door(la_service) -> None:
    school, _ = la_service.enrolled_device()
    other, _ = la_service.enrolled_device("Synthetic Second School")
    before = la_service.stored_ids()
    from_other = referral_envelope(other, la_service)
    _refused(la_service, signed_put(la_service, school, parse(from_other).id, from_other),
             422, "wrong-sender", before)
    elsewhere = KeyPairs.generate()
    header = new_header(school.fingerprint, elsewhere.fingerprint, "referral")
    env = seal(header, b"x", elsewhere.hpke.public_key(), school.signing)
    _refused(la_service, signed_put(la_service, school, header.id, env), 422,
             "wrong-recipient", before)


def test_bad_request_signature_is_refused(la_service) -> None:
    school, _ = la_service.enrolled_device()
    env = referral_envelope(school, la_service)
    env_id = parse(env).id
    before = la_service.stored_ids()
    path = f"/v1/envelopes/{env_id}"
    impostor = KeyPairs.generate()  # signs, but claims the school's key id
    headers = httpsig.sign_request("PUT", path, "", env, school.fingerprint, impostor.signing,
                                   service=la_service.info.fingerprint)
    # The same answer as for a key the service never saw (issue #16): an impostor learns
    # nothing about the key it names.
    _refused(la_service, httpx.put(la_service.url + path, content=env, headers=headers), 403,
             "not-enrolled", before)
    _refused(la_service, httpx.put(la_service.url + path, content=env), 401, "unsigned", before)
    # Signed for another path: the signature does not cover this request.
    headers = httpsig.sign_request("PUT", "/v1/envelopes/other", "", env, school.fingerprint,
                                   school.signing, service=la_service.info.fingerprint)
    _refused(la_service, httpx.put(la_service.url + path, content=env, headers=headers), 403,
             "not-enrolled", before)


def test_a_keys_status_is_told_only_to_its_holder(la_service) -> None:
    """Issue #16: a garbage signature got 403 not-enrolled for an unknown key but 401
    bad-signature for an enrolled one, so anyone could learn a fingerprint's status. Now the
    signature is checked first, with the key the service holds: unknown, pending, enrolled and
    removed keys all get one answer unless the request is really signed by that key."""
    enrolled, _ = la_service.enrolled_device("Synthetic Enrolled School")
    pending = KeyPairs.generate()
    assert FrontDoorClient(la_service.url, pending.signing, pending.fingerprint).\
        request_enrolment(pending.bundle, "Synthetic Pending School") == "pending"
    removed, _ = la_service.enrolled_device("Synthetic Removed School")
    assert la_service.cli("unenrol", "--fingerprint", removed.fingerprint) == 0
    unknown = KeyPairs.generate()
    forger = KeyPairs.generate()
    answers = set()
    for victim in (enrolled, pending, removed, unknown):
        for created in (None, int(time.time()) - 3600):  # the window is checked after, too
            for method, path, body in (("GET", "/v1/inbox", b""),
                                       ("POST", "/v1/holdings", b"{}")):
                headers = httpsig.sign_request(method, path, "", body, victim.fingerprint,
                                               forger.signing, created=created,
                                               service=la_service.info.fingerprint)
                answer = httpx.request(method, la_service.url + path, content=body,
                                       headers=headers)
                problem = answer.json()
                answers.add((answer.status_code, problem["error"],
                             problem["detail"].replace(victim.fingerprint, "<fp>")))
    assert len(answers) == 1, answers
    status, code, detail = answers.pop()
    assert (status, code) == (403, "not-enrolled")
    assert "not enrolled" in detail and "does not verify" in detail
    # A pending key's own valid signature: still that same answer.
    headers = httpsig.sign_request("GET", "/v1/inbox", "", b"", pending.fingerprint,
                                   pending.signing, service=la_service.info.fingerprint)
    answer = httpx.get(la_service.url + "/v1/inbox", headers=headers)
    assert (answer.status_code, answer.json()["error"]) == (403, "not-enrolled")
    assert answer.json()["detail"].replace(pending.fingerprint, "<fp>") == detail
    # Only the removed key itself, signing validly, learns that it was removed.
    headers = httpsig.sign_request("GET", "/v1/inbox", "", b"", removed.fingerprint,
                                   removed.signing, service=la_service.info.fingerprint)
    answer = httpx.get(la_service.url + "/v1/inbox", headers=headers)
    assert (answer.status_code, answer.json()["error"]) == (403, "removed")


def test_wrong_digest_is_refused(la_service) -> None:
    school, _ = la_service.enrolled_device()
    env = referral_envelope(school, la_service)
    env_id = parse(env).id
    path = f"/v1/envelopes/{env_id}"
    before = la_service.stored_ids()
    headers = httpsig.sign_request("PUT", path, "", env, school.fingerprint, school.signing,
                                   service=la_service.info.fingerprint)
    # The signature covers the digest header; a body swapped underneath it is caught.
    swapped = referral_envelope(school, la_service, id=env_id)
    _refused(la_service, httpx.put(la_service.url + path, content=swapped, headers=headers), 400,
             "bad-digest", before)


def test_replayed_and_stale_requests_are_refused(la_service) -> None:
    school, _ = la_service.enrolled_device()
    env = referral_envelope(school, la_service)
    env_id = parse(env).id
    path = f"/v1/envelopes/{env_id}"
    before = la_service.stored_ids()
    stale = httpsig.sign_request("PUT", path, "", env, school.fingerprint, school.signing,
                                 service=la_service.info.fingerprint,
                                 created=int(time.time()) - 3600)
    response = httpx.put(la_service.url + path, content=env, headers=stale)
    _refused(la_service, response, 401, "replayed", before)
    assert "window" in response.json()["detail"]

    headers = httpsig.sign_request("PUT", path, "", env, school.fingerprint, school.signing,
                                   service=la_service.info.fingerprint)
    assert httpx.put(la_service.url + path, content=env, headers=headers).status_code == 201
    stored = la_service.stored_ids()
    response = httpx.put(la_service.url + path, content=env, headers=headers)
    _refused(la_service, response, 401, "replayed", stored)
    assert "already received" in response.json()["detail"]


def test_request_signed_for_another_service_is_refused(la_service) -> None:
    school, _ = la_service.enrolled_device()
    env = referral_envelope(school, la_service)
    path = f"/v1/envelopes/{parse(env).id}"
    before = la_service.stored_ids()
    headers = httpsig.sign_request("PUT", path, "", env, school.fingerprint, school.signing,
                                   service=KeyPairs.generate().fingerprint)
    _refused(la_service, httpx.put(la_service.url + path, content=env, headers=headers), 401,
             "wrong-service", before)


def test_unenrolled_pending_and_removed_keys_are_refused(la_service) -> None:
    before = la_service.stored_ids()
    stranger = KeyPairs.generate()
    env = referral_envelope(stranger, la_service)
    client = FrontDoorClient(la_service.url, stranger.signing, stranger.fingerprint,
                             service_bundle=la_service.info.bundle)
    with pytest.raises(NotEnrolled) as refused:
        client.put_envelope(env)
    assert refused.value.status == 403 and "not enrolled" in refused.value.detail
    assert client.request_enrolment(stranger.bundle, "Synthetic Pending School") == "pending"
    with pytest.raises(NotEnrolled):
        client.put_envelope(env)
    assert la_service.stored_ids() == before

    school, client = la_service.enrolled_device()
    assert la_service.cli("unenrol", "--fingerprint", school.fingerprint) == 0
    with pytest.raises(NotEnrolled) as refused:
        client.put_envelope(referral_envelope(school, la_service))
    assert refused.value.code == "removed"
    assert la_service.stored_ids() == before


def test_oversized_body_is_refused_early(la_service) -> None:
    school, client = la_service.enrolled_device()
    before = la_service.stored_ids()
    env = referral_envelope(school, la_service, b"x" * (la_service.max_body + 1))
    env_id = parse(env, max_size=len(env)).id
    _refused(la_service, signed_put(la_service, school, env_id, env), 413, "too-large",
             before)
    with pytest.raises(TooLarge):
        client.put_envelope(env)

    # No Content-Length (chunked transfer): counted while streaming.
    path = f"/v1/envelopes/{env_id}"
    headers = httpsig.sign_request("PUT", path, "", env, school.fingerprint, school.signing,
                                   service=la_service.info.fingerprint)

    def pieces():
        for i in range(0, len(env), 8192):
            yield env[i : i + 8192]

    response = httpx.put(la_service.url + path, content=pieces(), headers=headers)
    _refused(la_service, response, 413, "too-large", before)


def test_enrolment_request_needs_proof_of_the_key(la_service) -> None:
    pairs, other = KeyPairs.generate(), KeyPairs.generate()
    body = {"bundle": pairs.bundle.to_json(), "name": "Synthetic School",
            "proof": base64.b64encode(other.signing.sign(b"anything")).decode()}
    response = httpx.post(la_service.url + "/v1/enrolment-requests", content=json.dumps(body))
    assert response.status_code == 400 and "proof" in response.json()["detail"]
    assert la_service.storage().get_key(pairs.fingerprint) is None
