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

from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.canonical import canonical_json
from app.hub.apply_checks import NotKnownYet, as_list, as_object
from app.protocol.envelope import EnvelopeError
from app.store.authorship import CERT, certificate_holds
from app.store.db import Connection
from app.store.keyfile import KeyFile
from app.store.keys import b64d, b64e
from app.store.session import Session
from app.store.verifier import load_verifiers, verifier_signing_keys

VERSION_INFO = b"concerndesk/authored-version/v1\x00"
ATTACHMENT_INFO = b"concerndesk/authored-attachment/v1\x00"
UNVERIFIABLE = "author not verifiable (verifier from before v2)"
_CREATION = ("id", "kind", "created_by", "created_at", "children", "further_to")


class ForgedAuthor(EnvelopeError):
    def __init__(self, where: str, username: str, what: str = "concern") -> None:
        super().__init__(f"{where}: the {what} claims to be by {username} but is not signed "
                         "by their key")


def version_message(record: dict[str, Any], version: dict[str, Any]) -> bytes:
    """What the author signs: the record's creation (born once, never changed: id, kind,
    author, time, children, the concern it adds to) and the version, as sent, without its
    signature, in canonical JSON."""
    body = {"record": {k: record[k] for k in _CREATION if k in record},
            "version": {k: v for k, v in version.items() if k != "signature"}}
    return VERSION_INFO + canonical_json(body)


def attachment_message(meta: dict[str, Any]) -> bytes:
    """What the author of an attached file signs: its metadata as sent (id, record, name,
    type, size, SHA-256 — which binds the bytes —, who added it and when)."""
    return ATTACHMENT_INFO + canonical_json(meta)


def _author_block(session: Session) -> dict[str, Any] | None:
    """The signed-in account's personal signing key here and its certificate; None when this
    PC holds no certificate for it (a PC that did not claim it: the admin's, or a claim from
    before verifiers could vouch)."""
    personal = session.held.personal
    if personal is None:
        return None
    cert = (KeyFile.load(session.directory).users.get(session.user.username) or {}).get(CERT)
    if not isinstance(cert, dict):
        return None
    return {"signing": b64e(personal.signing_public()), "certificate": cert}


def sign_attachment(session: Session, chunk_base: dict[str, Any]) -> None:
    """Adds the author's signature over an attachment's metadata to the part every chunk of it
    repeats, when the signed-in account added the file."""
    meta = chunk_base["attachment"]
    if meta.get("added_by") != session.user.id:
        return
    block = _author_block(session)
    if block is not None and session.held.personal is not None:
        chunk_base["author"] = block
        chunk_base["signature"] = b64e(session.held.personal.signing.sign(
            attachment_message(meta)))


def sign_records(session: Session, records: list[dict[str, Any]]) -> None:
    """Adds the signed-in author's signature and certificate to each record of theirs in a
    snapshot being queued (its versions by them). Done while the author's session queues the
    change, so nothing unsigned waits for a later sender. Nothing when this PC holds no
    certificate for the account (a PC that did not claim it: the admin's, or a claim from
    before verifiers could vouch)."""
    personal, user = session.held.personal, session.user
    if personal is None or not any(r.get("created_by") == user.id for r in records):
        return
    block = _author_block(session)
    if block is None:
        return
    for record in records:
        if record.get("created_by") != user.id:
            continue
        record["author"] = block
        for version in record["versions"]:
            if version.get("author_id") == user.id:
                version["signature"] = b64e(personal.signing.sign(
                    version_message(record, version)))


def _verifiable(conn: Connection, verifiers: dict[str, dict[str, Any]], author_id: object,
                where: str) -> str | None:
    """The author's username when the admin's accounts list lets this PC check them; None
    when their verifier is from before format 2."""
    row = conn.execute("SELECT username FROM users WHERE id = ?", (author_id,)).fetchone()
    if row is None:
        raise NotKnownYet(f"{where} names an account this PC does not know yet")
    verifier = verifiers.get(str(author_id))
    if verifier is None:
        raise NotKnownYet(f"{where}: {row[0]}'s passphrase verifier is not on this PC yet")
    return str(row[0]) if "signing" in verifier else None


def _certified_key(conn: Connection, author: object, author_id: str,
                   username: str) -> Ed25519PublicKey | None:
    """The personal signing key ``author`` (a payload's author block) names, if a verifier
    key the admin published for the account certified it."""
    if not isinstance(author, dict) or not isinstance(author.get("signing"), str) \
            or not isinstance(author.get("certificate"), dict):
        return None
    cert = author["certificate"]
    if cert.get("verifier") not in verifier_signing_keys(conn, author_id) \
            or not certificate_holds(cert, username, author["signing"]):
        return None
    try:
        return Ed25519PublicKey.from_public_bytes(b64d(author["signing"]))
    except ValueError:
        return None


def check_attachment_author(conn: Connection, payload: dict[str, Any]) -> int:
    """A staff PC's attachment chunk: as ``check_authors``, for the file's metadata."""
    meta = as_object(payload.get("attachment"), "attachment")
    username = _verifiable(conn, load_verifiers(conn), meta.get("added_by"), "attachment")
    if username is None:
        return 1
    key = _certified_key(conn, payload.get("author"), str(meta["added_by"]), username)
    try:
        if key is None or not isinstance(payload.get("signature"), str):
            raise InvalidSignature
        key.verify(b64d(payload["signature"]), attachment_message(meta))
    except (ValueError, InvalidSignature):
        raise ForgedAuthor("attachment", username, "file") from None
    return 0


def check_authors(conn: Connection, payload: dict[str, Any]) -> int:
    """A staff PC's snapshot, inside the applying transaction (a refusal rolls it back): each
    concern must be signed by its author's certified key when the admin's accounts list lets
    this PC check it. Returns how
    many concerns could not be checked (their author's verifier is from before format 2);
    ``ForgedAuthor`` for one that fails."""
    verifiers = load_verifiers(conn)
    unverifiable = 0
    for n, raw in enumerate(as_list(payload.get("records"), "records"), start=1):
        where = f"record {n}"
        record = as_object(raw, where)
        creator = record.get("created_by")
        username = _verifiable(conn, verifiers, creator, where)
        if username is None:
            unverifiable += 1
            continue
        if not _signed_by_author(conn, record, str(creator), username):
            raise ForgedAuthor(where, username)
    return unverifiable


def _signed_by_author(conn: Connection, record: dict[str, Any], creator: str,
                      username: str) -> bool:
    key = _certified_key(conn, record.get("author"), creator, username)
    versions = record.get("versions")
    if key is None or not isinstance(versions, list) or not versions:
        return False
    try:
        for version in versions:
            if not isinstance(version, dict) or not isinstance(version.get("signature"), str):
                return False
            key.verify(b64d(version["signature"]), version_message(record, version))
    except (ValueError, InvalidSignature):
        return False
    return True
