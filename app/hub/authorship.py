"""Who wrote a staff PC's concern, checked on the DSL PC (issue #15: forged authorship).

A hub envelope is signed by the sending PC's device key, which any account with a shell on that
PC can use. So each concern a staff PC sends also carries its author's own signature, by their
personal key on that PC, over every version with the record's creation, and the author's
certificate for that key (app/store/authorship.py), signed by a key only their passphrase
derives and the admin PC's accounts list publishes. The DSL PC applying it checks both; a
concern that claims an author whose key did not sign it is refused and audited, changing
nothing. An author whose verifier is from before format 2 cannot be checked: their concerns
are taken as before and audited as not verifiable (docs/hub-sync.md, "Trust").
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.hub.apply_checks import NotKnownYet, as_list, as_object
from app.protocol.envelope import EnvelopeError
from app.store.authorship import CERT, certificate_holds
from app.store.db import Connection
from app.store.keyfile import KeyFile
from app.store.keys import b64d, b64e
from app.store.session import Session
from app.store.verifier import load_verifiers, verifier_signing_keys

VERSION_INFO = b"concerndesk/authored-version/v1\x00"
UNVERIFIABLE = "author not verifiable (verifier from before v2)"
_CREATION = ("id", "kind", "created_by", "created_at", "children", "further_to")


class ForgedAuthor(EnvelopeError):
    def __init__(self, where: str, username: str) -> None:
        super().__init__(f"{where}: the concern claims to be by {username} but is not signed "
                         "by their key")


def version_message(record: dict[str, Any], version: dict[str, Any]) -> bytes:
    """What the author signs: the record's creation (born once, never changed: id, kind,
    author, time, children, the concern it adds to) and the version, as sent, without its
    signature, in canonical JSON."""
    body = {"record": {k: record[k] for k in _CREATION if k in record},
            "version": {k: v for k, v in version.items() if k != "signature"}}
    return VERSION_INFO + json.dumps(body, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=True).encode()


def sign_records(session: Session, records: list[dict[str, Any]]) -> None:
    """Adds the signed-in author's signature and certificate to each record of theirs in a
    snapshot being queued (its versions by them). Done while the author's session queues the
    change, so nothing unsigned waits for a later sender. Nothing when this PC holds no
    certificate for the account (a PC that did not claim it: the admin's, or a claim from
    before verifiers could vouch)."""
    personal, user = session.held.personal, session.user
    if personal is None or not records:
        return
    cert = (KeyFile.load(session.directory).users.get(user.username) or {}).get(CERT)
    if not isinstance(cert, dict):
        return
    for record in records:
        if record.get("created_by") != user.id:
            continue
        record["author"] = {"signing": b64e(personal.signing_public()), "certificate": cert}
        for version in record["versions"]:
            if version.get("author_id") == user.id:
                version["signature"] = b64e(personal.signing.sign(
                    version_message(record, version)))


def check_authors(conn: Connection, payload: dict[str, Any]) -> int:
    """A staff PC's snapshot, before anything is written: each concern must be signed by its
    author's certified key when the admin's accounts list lets this PC check it. Returns how
    many concerns could not be checked (their author's verifier is from before format 2);
    ``ForgedAuthor`` for one that fails."""
    verifiers = load_verifiers(conn)
    unverifiable = 0
    for n, raw in enumerate(as_list(payload.get("records"), "records"), start=1):
        where = f"record {n}"
        record = as_object(raw, where)
        creator = record.get("created_by")
        row = conn.execute("SELECT username FROM users WHERE id = ?", (creator,)).fetchone()
        if row is None:
            raise NotKnownYet(f"{where} names an account this PC does not know yet")
        username = str(row[0])
        verifier = verifiers.get(str(creator))
        if verifier is None:
            raise NotKnownYet(f"{where}: {username}'s passphrase verifier is not on this PC yet")
        if "signing" not in verifier:
            unverifiable += 1
            continue
        if not _signed_by_author(conn, record, str(creator), username):
            raise ForgedAuthor(where, username)
    return unverifiable


def _signed_by_author(conn: Connection, record: dict[str, Any], creator: str,
                      username: str) -> bool:
    author = record.get("author")
    if not isinstance(author, dict) or not isinstance(author.get("signing"), str) \
            or not isinstance(author.get("certificate"), dict):
        return False
    cert = author["certificate"]
    if cert.get("verifier") not in verifier_signing_keys(conn, creator) \
            or not certificate_holds(cert, username, author["signing"]):
        return False
    versions = record.get("versions")
    if not isinstance(versions, list) or not versions:
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(b64d(author["signing"]))
        for version in versions:
            if not isinstance(version, dict) or not isinstance(version.get("signature"), str):
                return False
            key.verify(b64d(version["signature"]), version_message(record, version))
    except (ValueError, InvalidSignature):
        return False
    return True
