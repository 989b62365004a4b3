"""Fingerprints, key bundles, envelopes and receipts, without a network."""

from __future__ import annotations

import contextlib
import hashlib
import struct
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.errors import InputError
from app.protocol.envelope import (
    MAGIC,
    EnvelopeError,
    new_header,
    open_payload,
    parse,
    seal,
    verify_signature,
)
from app.protocol.fingerprint import KeyBundle, KeyPairs, fingerprint, normalise_fingerprint
from app.protocol.receipt import Receipt, ReceiptError, make_receipt, verify_receipt

SENDER, RECIPIENT, STRANGER = KeyPairs.generate(), KeyPairs.generate(), KeyPairs.generate()


def _sealed(payload: bytes = b"synthetic concern", kind: str = "concern") -> bytes:
    header = new_header(SENDER.fingerprint, RECIPIENT.fingerprint, kind)
    return seal(header, payload, RECIPIENT.hpke.public_key(), SENDER.signing)


VALID = _sealed()


def test_fingerprint_form_and_normalising() -> None:
    bundle = KeyBundle(bytes(range(32)), bytes(range(32, 64)))
    fp = fingerprint(bundle.to_bytes())
    assert fp == bundle.fingerprint
    digest = hashlib.sha256(bundle.to_bytes()).hexdigest().upper()[:40]
    assert fp.replace("-", "") == digest
    groups = fp.split("-")
    assert len(groups) == 10 and all(len(g) == 4 for g in groups)
    assert normalise_fingerprint(fp.lower().replace("-", " ")) == fp
    assert normalise_fingerprint(" " + fp.replace("-", "") + "\n") == fp


@pytest.mark.parametrize("bad", ["", "12-34", "G" * 40, "0" * 41, "ÀBCD" * 10])
def test_malformed_fingerprints_name_the_field(bad: str) -> None:
    with pytest.raises(InputError) as error:
        normalise_fingerprint(bad)
    assert error.value.field == "fingerprint"


def test_bundle_round_trips() -> None:
    bundle = KeyPairs.generate().bundle
    assert KeyBundle.from_bytes(bundle.to_bytes()) == bundle
    assert KeyBundle.from_json(bundle.to_json()) == bundle
    assert KeyBundle.from_text(bundle.to_text()) == bundle
    pairs = KeyPairs.generate()
    assert KeyPairs.from_private_bytes(pairs.private_bytes()).bundle == pairs.bundle
    with pytest.raises(InputError):
        KeyBundle.from_bytes(b"short")
    with pytest.raises(InputError):
        KeyBundle.from_json({"signing": "!!", "hpke": "AA=="})


def test_seal_parse_verify_open() -> None:
    env = parse(VALID)
    assert env.header.sender == SENDER.fingerprint
    assert env.header.recipient == RECIPIENT.fingerprint
    assert env.header.kind == "concern" and env.header.created.tzinfo is not None
    verify_signature(env, SENDER.signing.public_key())
    assert open_payload(env, RECIPIENT.hpke) == b"synthetic concern"
    assert env.sha256 == hashlib.sha256(VALID).hexdigest()


def test_wrong_keys_are_refused() -> None:
    env = parse(VALID)
    with pytest.raises(EnvelopeError, match="signature"):
        verify_signature(env, STRANGER.signing.public_key())
    with pytest.raises(EnvelopeError, match="cannot be opened"):
        open_payload(env, STRANGER.hpke)


def test_a_header_cannot_be_moved_onto_another_payload() -> None:
    """Even re-signed by the sender, a changed header no longer opens: it is HPKE's info."""
    env = parse(VALID)
    other = new_header(SENDER.fingerprint, RECIPIENT.fingerprint, "referral")
    body = (MAGIC + struct.pack(">I", len(other.to_bytes())) + other.to_bytes()
            + struct.pack(">Q", len(env.ciphertext)) + env.ciphertext)
    from app.protocol.envelope import DOMAIN

    forged = parse(body + SENDER.signing.sign(DOMAIN + body))
    verify_signature(forged, SENDER.signing.public_key())
    with pytest.raises(EnvelopeError):
        open_payload(forged, RECIPIENT.hpke)


def test_every_flipped_byte_is_caught() -> None:
    for position in range(0, len(VALID), 7):
        damaged = bytearray(VALID)
        damaged[position] ^= 0x20
        with pytest.raises(EnvelopeError):
            verify_signature(parse(bytes(damaged)), SENDER.signing.public_key())


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "truncated"),
    (b"XXXX" + VALID[4:], "magic"),
    (VALID + b"\0", "trailing"),
    (VALID[:-1], "truncated"),
    (VALID[:4] + struct.pack(">I", 0) + VALID[8:], "header length"),
])
def test_malformed_envelopes_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(EnvelopeError, match=reason):
        parse(data)


def test_size_limit() -> None:
    with pytest.raises(EnvelopeError, match="over the"):
        parse(VALID, max_size=len(VALID) - 1)
    header = new_header(SENDER.fingerprint, RECIPIENT.fingerprint, "chunk")
    with pytest.raises(EnvelopeError, match="chunks"):
        seal(header, b"x" * 2000, RECIPIENT.hpke.public_key(), SENDER.signing, max_size=1000)


def test_header_checks() -> None:
    with pytest.raises(EnvelopeError):
        new_header(SENDER.fingerprint, RECIPIENT.fingerprint, "Not A Kind")
    with pytest.raises(EnvelopeError):
        new_header(SENDER.fingerprint, RECIPIENT.fingerprint, "concern", id="not-a-uuid")
    with pytest.raises(InputError):
        new_header("nope", RECIPIENT.fingerprint, "concern")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=600), st.binary(max_size=600).map(lambda b: MAGIC + b)))
def test_fuzz_random_bytes(data: bytes) -> None:
    with contextlib.suppress(EnvelopeError):
        parse(data)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(VALID) - 1), st.integers(1, 255), st.integers(0, 40))
def test_fuzz_mutated_envelopes(position: int, xor: int, cut: int) -> None:
    """Any change is refused as malformed or fails the signature: never another exception."""
    damaged = bytearray(VALID)
    damaged[position] ^= xor
    data = bytes(damaged[: len(damaged) - cut])
    with pytest.raises(EnvelopeError):
        verify_signature(parse(data), SENDER.signing.public_key())


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["v", "id", "sender", "recipient", "kind", "created",
                                        "x"]),
                       st.one_of(st.integers(), st.text(max_size=60), st.none(),
                                 st.lists(st.integers(), max_size=3))))
def test_fuzz_headers(obj: dict) -> None:
    import json

    header = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
    data = (MAGIC + struct.pack(">I", len(header)) + header + struct.pack(">Q", 48) + b"\0" * 48
            + b"\0" * 64)
    with contextlib.suppress(EnvelopeError):
        parse(data)


def test_receipt_sign_verify_and_tamper() -> None:
    service = KeyPairs.generate()
    received = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)
    receipt = make_receipt("7d3f0c6e-8a4b-4d1e-9b0f-1c2d3e4f5a6b", "ab" * 32, received,
                           service.fingerprint, service.signing)
    verify_receipt(receipt, service.signing.public_key())
    again = Receipt.from_bytes(receipt.to_bytes())
    assert again == receipt
    assert make_receipt(receipt.envelope_id, receipt.sha256, received, service.fingerprint,
                        service.signing).to_bytes() == receipt.to_bytes()
    forged = Receipt.from_json({**receipt.to_json(), "sha256": "cd" * 32})
    with pytest.raises(ReceiptError):
        verify_receipt(forged, service.signing.public_key())
    with pytest.raises(ReceiptError):
        verify_receipt(receipt, STRANGER.signing.public_key())
    with pytest.raises(ReceiptError):
        Receipt.from_bytes(b'{"v": 1}')
