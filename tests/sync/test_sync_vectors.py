"""The test vectors printed in docs/protocol.md hold, so the document stays true."""

from __future__ import annotations

import re
from pathlib import Path

from app.protocol import httpsig
from app.protocol.envelope import new_header, open_payload, parse, seal, verify_signature
from app.protocol.fingerprint import KeyPairs

DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text("utf-8")
DEVICE = KeyPairs.from_private_bytes(bytes(range(64)))
SERVICE = KeyPairs.from_private_bytes(bytes(range(64, 128)))


def _doc_value(label: str) -> str:
    match = re.search(rf"^\s*{re.escape(label)}\s+(\S+)", DOC, re.MULTILINE)
    assert match, label
    return match.group(1)


def test_fingerprint_vectors() -> None:
    start = DOC.index("device bundle (hex)")
    hex_lines = re.findall(r"[0-9a-f]{64}", DOC[start : start + 300])
    assert "".join(hex_lines[:2]) == DEVICE.bundle.to_bytes().hex()
    assert _doc_value("device fingerprint") == DEVICE.fingerprint
    assert _doc_value("service fingerprint") == SERVICE.fingerprint


def test_request_signature_vector() -> None:
    headers = httpsig.sign_request(
        "PUT", "/v1/envelopes/7d3f0c6e-8a4b-4d1e-9b0f-1c2d3e4f5a6b", "", b"example",
        DEVICE.fingerprint, DEVICE.signing, service=SERVICE.fingerprint, created=1772442000,
        nonce="AAAAAAAAAAAAAAAAAAAAAAAA")
    for name, value in headers.items():
        assert f"    {name}: {value}\n" in DOC, name


def test_envelope_with_vector_keys() -> None:
    header = new_header(DEVICE.fingerprint, SERVICE.fingerprint, "referral")
    env = parse(seal(header, b"example", SERVICE.hpke.public_key(), DEVICE.signing))
    verify_signature(env, DEVICE.bundle.signing_key())
    assert open_payload(env, SERVICE.hpke) == b"example"
