"""Author certificates: how a DSL PC tells which account on a staff PC wrote a concern.

An account's personal keys are made on each PC it first signs in on, so a DSL PC cannot know
them. What it trusts is the admin PC's signed accounts list, whose passphrase verifiers (format
2, app/store/verifier.py) publish a ``signing`` key derived from the passphrase. Where a PC
derives the verifier's keys anyway — the account's claim at its first sign-in on a joined PC —
the account signs, with that key, a certificate for its personal signing key on this PC. The
certificate is kept in the account's entry in ``keys.json``: it is public, self-checking, and
belongs to the personal key it names (it goes when the entry goes). The hub snapshot carries it
beside the author's own signature over each version (app/hub/authorship.py; docs/keys.md,
"Author certificates").
"""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.canonical import canonical_json
from app.store.joinfile import load as load_join
from app.store.keyfile import KeyFile
from app.store.keys import PersonalKeys, b64d, b64e
from app.store.session import Session
from app.store.verifier import VerifierKeys, keys_from_passphrase, load_verifiers, opens

CERT_INFO = b"concerndesk/author-cert/v1\x00"
CERT = "author_cert"  # the certificate, in the account's keys.json entry
TRIED = "author_cert_tried"  # a verifier signing key this PC's passphrase did not match
RESEND = "author_cert_resend"  # certified at a sign-in: resend the account's concerns signed


def certificate_message(store_id: str, username: str, signing_public: str) -> bytes:
    return CERT_INFO + canonical_json({"store": store_id, "username": username,
                                       "signing": signing_public})


def make_certificate(store_id: str, username: str, personal: PersonalKeys,
                     verifier_keys: VerifierKeys) -> dict[str, str]:
    """{store, verifier (its signing public), signature}: the verifier's key vouches that
    ``personal``'s signing key is the account's on the PC whose store this is."""
    signing = b64e(personal.signing_public())
    return {"store": store_id,
            "verifier": b64e(verifier_keys.signing.public_key().public_bytes(
                Encoding.Raw, PublicFormat.Raw)),
            "signature": b64e(verifier_keys.signing.sign(
                certificate_message(store_id, username, signing)))}


def certificate_holds(cert: dict[str, Any], username: str, signing_public: str) -> bool:
    """Whether ``cert`` is a good signature by the verifier key it names over this account and
    personal signing key (the caller checks the verifier key is one the admin published)."""
    try:
        Ed25519PublicKey.from_public_bytes(b64d(str(cert["verifier"]))).verify(
            b64d(str(cert["signature"])),
            certificate_message(str(cert["store"]), username, signing_public))
    except (KeyError, TypeError, ValueError, InvalidSignature):
        return False
    return True


def certify(keyfile: KeyFile, username: str, personal: PersonalKeys,
            verifier_keys: VerifierKeys) -> None:
    """Puts the certificate in the account's entry; the caller saves the key file."""
    keyfile.users[username][CERT] = make_certificate(keyfile.store_id, username, personal,
                                                     verifier_keys)
    keyfile.users[username].pop(TRIED, None)


def ensure_certificate(session: Session, passphrase: str) -> bool:
    """At a sign-in on a joined PC: an account claimed here before verifiers had ``signing``
    (or whose verifier the admin has since upgraded) is certified now, while the passphrase is
    in hand — one Argon2id run, once per verifier, and only when the passphrase still matches
    the verifier this PC holds (a passphrase changed on the admin's PC does not, and is not
    tried again). True when a certificate was made."""
    personal, user = session.held.personal, session.user
    if personal is None or load_join(session.directory) is None:
        return False
    verifier = load_verifiers(session.conn).get(user.id)
    if verifier is None or "signing" not in verifier:
        return False
    keyfile = KeyFile.load(session.directory)
    entry = keyfile.users.get(user.username)
    if entry is None or entry.get(TRIED) == verifier["signing"]:
        return False
    cert = entry.get(CERT)
    if isinstance(cert, dict) and certificate_holds(cert, user.username,
                                                    b64e(personal.signing_public())):
        return False  # certified already (under this verifier or an earlier one)
    keys = keys_from_passphrase(verifier, user.username, passphrase)
    if opens(verifier, keys):
        certify(keyfile, user.username, personal, keys)
        # What the account sent from here unsigned since the admin's PC upgraded its verifier
        # was refused by the DSL PCs: the sign-in hook sends it again, signed
        # (app/hub/replicate_attachments.py ``resend_signed``).
        entry[RESEND] = True
    else:
        entry[TRIED] = verifier["signing"]
    keyfile.save(session.directory)
    return TRIED not in entry
