"""The service killed mid-upload and restarted: the client's retry delivers exactly once;
two processes on one database answer a duplicate with one row and one receipt."""

from __future__ import annotations

import socket
import threading

import pytest

from app.protocol import httpsig
from app.protocol.client import FrontDoorClient, Unreachable
from app.protocol.envelope import new_header, parse, seal


def _referral(service, school, size: int) -> bytes:
    header = new_header(school.fingerprint, service.info.fingerprint, "referral")
    return seal(header, b"s" * size, service.info.bundle.hpke_key(), school.signing)


def _raw_put(service, school, env: bytes, send: int) -> socket.socket:
    """Start a signed PUT by hand and stop after ``send`` bytes of the body."""
    port = service.port
    path = f"/v1/envelopes/{parse(env).id}"
    headers = httpsig.sign_request("PUT", path, "", env, school.fingerprint, school.signing,
                                   service=service.info.fingerprint)
    head = [f"PUT {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {len(env)}",
            "Content-Type: application/vnd.concerndesk.envelope",
            *(f"{k}: {v}" for k, v in headers.items())]
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + env[:send])
    return sock


@pytest.mark.parametrize("sent_fraction", [0.5, 1.0])
def test_killed_during_upload_then_restarted_delivers_once(fresh_la_service,
                                                           sent_fraction: float) -> None:
    service = fresh_la_service
    url = service.start()
    school, client = service.enrolled_device()
    env = _referral(service, school, 40_000)
    sock = _raw_put(service, school, env, int(len(env) * sent_fraction))
    # With the whole body sent the service may or may not have stored it before dying:
    # either way the retry below must end with exactly one stored copy and a receipt.
    service.kill9()
    sock.close()
    with pytest.raises(Unreachable):
        client.put_envelope(env)

    service.start(port=service.port)
    assert url == service.url
    receipt = client.put_envelope(env)
    assert receipt.envelope_id == parse(env).id
    assert client.put_envelope(env).to_bytes() == receipt.to_bytes()
    assert service.stored_ids() == [parse(env).id]


def test_two_processes_one_database_store_a_duplicate_once(fresh_la_service) -> None:
    service = fresh_la_service
    urls = [service.start(), service.start()]
    school, _ = service.enrolled_device()
    clients = [FrontDoorClient(u, school.signing, school.fingerprint,
                               service_bundle=service.info.bundle) for u in urls]
    envs = [_referral(service, school, 2_000) for _ in range(5)]
    results: list[list[bytes]] = [[], []]
    barrier = threading.Barrier(2)

    def upload(index: int) -> None:
        barrier.wait()
        results[index] = [clients[index].put_envelope(e).to_bytes() for e in envs]

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[0] == results[1] and len(results[0]) == 5
    assert sorted(service.stored_ids()) == sorted(parse(e).id for e in envs)
