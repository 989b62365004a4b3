"""What a referral envelope carries: the pack's JSON, its PDF and attachments, large ones chunked.

A referral payload is canonical JSON (docs/protocol.md, "Referral payload")::

    {"v": 1, "pack": {...}, "pdf": FILE, "attachments": [FILE, ...], "reply_to": BUNDLE}
    FILE = {"name", "media_type", "size", "sha256", and either "data" (base64) or
            "chunks" (the ids of "chunk" envelopes, in order)}

A file over ``inline_limit`` bytes travels in "chunk" envelopes of at most ``chunk_size`` bytes
each, sealed to the same recipient; each is its own idempotent PUT, so a dropped connection
costs at most one chunk. A chunk payload is ``{"v":1,"file_sha256","index","count","data"}``.
``reply_to`` (optional, issue #18) is the school's DSL team key bundle: the LA seals its
acknowledgement and decision to it (app/protocol/answer.py), so only the DSL team reads them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.canonical import canonical_json
from app.errors import InputError
from app.protocol.envelope import EnvelopeError, new_header, seal
from app.protocol.fingerprint import KeyBundle, b64d, b64e

CHUNK_SIZE = 4 * 1024 * 1024  # base64 makes 5.4 MiB: under the 8 MiB envelope limit
INLINE_LIMIT = 256 * 1024
_HEX = set("0123456789abcdef")


@dataclass(frozen=True)
class Attachment:
    name: str
    media_type: str
    data: bytes


@dataclass(frozen=True)
class FileRef:
    """A file as listed in a referral: inline ``data`` or the ids of its chunk envelopes."""

    name: str
    media_type: str
    size: int
    sha256: str
    data: bytes | None
    chunks: tuple[str, ...]


@dataclass(frozen=True)
class ReferralPayload:
    pack: dict[str, object]
    pdf: FileRef
    attachments: tuple[FileRef, ...]
    reply_to: KeyBundle | None = None  # the school's DSL team key, for the LA's answers

    @property
    def chunk_ids(self) -> list[str]:
        return [cid for f in (self.pdf, *self.attachments) for cid in f.chunks]


@dataclass(frozen=True)
class Chunk:
    file_sha256: str
    index: int
    count: int
    data: bytes


def seal_referral(pack: Mapping[str, object], pdf: bytes, attachments: Sequence[Attachment],
                  sender_fingerprint: str, sender_signing_private: Ed25519PrivateKey,
                  recipient: KeyBundle, *, referral_id: str | None = None,
                  chunk_size: int = CHUNK_SIZE, inline_limit: int = INLINE_LIMIT,
                  reply_to: KeyBundle | None = None, kind: str = "referral",
                  pdf_name: str = "referral.pdf",
                  extra: Mapping[str, object] | None = None) -> list[bytes]:
    """All envelopes of one referral, chunks first and the referral envelope last.

    Upload them in this order; each PUT is idempotent, so after a failure resend the ones
    without a receipt. The referral envelope's id is ``referral_id`` when given.
    """
    envelopes: list[bytes] = []

    def chunk_envelope(payload: bytes) -> tuple[str, bytes]:
        header = new_header(sender_fingerprint, recipient.fingerprint, "chunk")
        return header.id, seal(header, payload, recipient.hpke_key(), sender_signing_private)

    def file_entry(name: str, media_type: str, data: bytes) -> dict[str, object]:
        sha = hashlib.sha256(data).hexdigest()
        entry: dict[str, object] = {"name": name, "media_type": media_type, "size": len(data),
                                    "sha256": sha}
        if len(data) <= inline_limit:
            entry["data"] = b64e(data)
            return entry
        pieces = [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)]
        ids = []
        for index, piece in enumerate(pieces):
            cid, env = chunk_envelope(canonical_json({"v": 1, "file_sha256": sha,
                                                      "index": index, "count": len(pieces),
                                                      "data": b64e(piece)}))
            ids.append(cid)
            envelopes.append(env)
        entry["chunks"] = ids
        return entry

    body = {
        "v": 1,
        "pack": dict(pack),
        "pdf": file_entry(pdf_name, "application/pdf", pdf),
        "attachments": [file_entry(a.name, a.media_type, a.data) for a in attachments],
    }
    if reply_to is not None:
        body["reply_to"] = reply_to.to_json()
    body.update(extra or {})
    header = new_header(sender_fingerprint, recipient.fingerprint, kind, id=referral_id)
    envelopes.append(seal(header, canonical_json(body), recipient.hpke_key(),
                          sender_signing_private))
    return envelopes


def _file_ref(obj: object, where: str) -> FileRef:
    if not isinstance(obj, dict):
        raise EnvelopeError(f"{where} must be an object")
    name, media, size, sha = (obj.get(k) for k in ("name", "media_type", "size", "sha256"))
    if not isinstance(name, str) or not name or not isinstance(media, str):
        raise EnvelopeError(f"{where} needs a name and a media_type")
    if type(size) is not int or size < 0 or not isinstance(sha, str) or len(sha) != 64 \
            or not set(sha) <= _HEX:
        raise EnvelopeError(f"{where} needs a size and a hex sha256")
    data, chunks = obj.get("data"), obj.get("chunks")
    if (data is None) == (chunks is None):
        raise EnvelopeError(f"{where} needs exactly one of data and chunks")
    raw = None
    if data is not None:
        try:
            raw = b64d(data, where)
        except InputError:
            raise EnvelopeError(f"{where} data is not base64") from None
        if len(raw) != size or hashlib.sha256(raw).hexdigest() != sha:
            raise EnvelopeError(f"{where} data does not match its size and sha256")
    elif not isinstance(chunks, list) or not all(isinstance(c, str) for c in chunks) \
            or not chunks:
        raise EnvelopeError(f"{where} chunks must be a list of envelope ids")
    return FileRef(name, media, size, sha, raw, tuple(chunks or ()))


def read_referral(payload: bytes) -> ReferralPayload:
    """Parse a decrypted referral payload; ``EnvelopeError`` when it is not one."""
    try:
        obj = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise EnvelopeError("referral payload is not JSON") from None
    if not isinstance(obj, dict) or obj.get("v") != 1 or not isinstance(obj.get("pack"), dict):
        raise EnvelopeError("referral payload needs v=1 and a pack object")
    atts = obj.get("attachments", [])
    if not isinstance(atts, list):
        raise EnvelopeError("referral attachments must be a list")
    reply_to = None
    if obj.get("reply_to") is not None:
        try:
            reply_to = KeyBundle.from_json(obj["reply_to"])
        except (InputError, KeyError, TypeError, ValueError):
            raise EnvelopeError("referral reply_to is not a key bundle") from None
    return ReferralPayload(
        pack=obj["pack"], pdf=_file_ref(obj.get("pdf"), "pdf"),
        attachments=tuple(_file_ref(a, f"attachment {i + 1}") for i, a in enumerate(atts)),
        reply_to=reply_to,
    )


def read_chunk(payload: bytes) -> Chunk:
    try:
        obj = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise EnvelopeError("chunk payload is not JSON") from None
    if not isinstance(obj, dict) or obj.get("v") != 1:
        raise EnvelopeError("chunk payload needs v=1")
    index, count, sha = obj.get("index"), obj.get("count"), obj.get("file_sha256")
    if type(index) is not int or type(count) is not int or not 0 <= index < count \
            or not isinstance(sha, str):
        raise EnvelopeError("chunk payload needs index < count and file_sha256")
    try:
        data = b64d(obj.get("data"), "chunk data")
    except InputError:
        raise EnvelopeError("chunk data is not base64") from None
    return Chunk(sha, index, count, data)


def assemble(ref: FileRef, chunks: Mapping[str, Chunk]) -> bytes:
    """The file's bytes from its chunks (by envelope id); ``EnvelopeError`` if any is missing
    or the result does not match the listed size and sha256."""
    if ref.data is not None:
        return ref.data
    missing = [cid for cid in ref.chunks if cid not in chunks]
    if missing:
        raise EnvelopeError(f"{ref.name}: {len(missing)} of {len(ref.chunks)} chunks not arrived")
    parts = []
    for index, cid in enumerate(ref.chunks):
        chunk = chunks[cid]
        ours = chunk.file_sha256 == ref.sha256 and chunk.count == len(ref.chunks)
        if chunk.index != index or not ours:
            raise EnvelopeError(f"{ref.name}: chunk {index + 1} belongs elsewhere")
        parts.append(chunk.data)
    data = b"".join(parts)
    if len(data) != ref.size or hashlib.sha256(data).hexdigest() != ref.sha256:
        raise EnvelopeError(f"{ref.name}: reassembled file does not match its sha256")
    return data


def inlined(payload: bytes, chunks: Mapping[str, Chunk]) -> bytes:
    """The same payload with every chunked file's bytes put inline as ``data``, each checked
    against its size and sha256 (``assemble``); other fields are kept as they were. A
    receiver stores this form, so what it keeps no longer depends on the chunk envelopes."""
    parsed = read_referral(payload)
    obj = json.loads(payload)

    def entry(raw: dict[str, object], ref: FileRef) -> dict[str, object]:
        if ref.data is not None:
            return raw
        whole = {k: v for k, v in raw.items() if k != "chunks"}
        whole["data"] = b64e(assemble(ref, chunks))
        return whole

    obj["pdf"] = entry(obj["pdf"], parsed.pdf)
    obj["attachments"] = [entry(raw, ref) for raw, ref in
                          zip(obj.get("attachments", []), parsed.attachments, strict=True)]
    return canonical_json(obj)
