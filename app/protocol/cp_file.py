"""A child protection file from one ConcernDesk school to another through the LA front door
(issue #19), and the receiving school's answers to it.

``cp-file``: the referral payload's shape (app/protocol/payload.py: the chronology pack's JSON
twin as ``pack``, its PDF, the attachments, ``reply_to`` = the sending school's DSL team key)
plus a ``transfer`` object, sealed to the receiving school's DSL team key and signed by the
sending school's key::

    "transfer": {"id": "<the sender's transfer id>", "from_school": "<name>",
                 "parts": ["chronology", "twin", "attachments", "profile"],
                 "profile": {...} | null}

A file too large for one envelope travels as referrals do: its large files in ``chunk``
envelopes sealed to the same DSL team key and signed by the same school, listed by id in the
``cp-file`` envelope, which is uploaded last (app/protocol/payload.py).

``cp-file-answer``: the receiving school's signed answer, sealed to the sender's DSL team key::

    {"v": 1, "type": "cp-file-answer", "transfer": "<the sender's transfer id>",
     "status": "received" | "accepted" | "rejected", "note": "<reason or ''>",
     "school": "<receiving school>", "by": "<DSL name>", "at": "<UTC ISO time>"}
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.canonical import canonical_json
from app.clock import iso, parse_iso
from app.protocol.envelope import EnvelopeError, new_header, seal
from app.protocol.fingerprint import KeyBundle
from app.protocol.payload import ReferralPayload, read_referral

FILE_KIND = "cp-file"
ANSWER_KIND = "cp-file-answer"
CHUNK_KIND = "chunk"  # a piece of a file too large for one envelope (payload.py)
# What an LA front door carries between the schools it enrolled, sealed to a DSL team key.
SCHOOL_TO_SCHOOL = (FILE_KIND, ANSWER_KIND, CHUNK_KIND)
ANSWERS = ("received", "accepted", "rejected")
MAX_TEXT = 4000
_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ANSWER_FIELDS = {"v", "type", "transfer", "status", "note", "school", "by", "at"}


@dataclass(frozen=True)
class CpFile:
    """An opened, checked CP file."""

    payload: ReferralPayload
    transfer_id: str  # the sender's
    from_school: str
    parts: tuple[str, ...]
    profile: dict[str, Any] | None

    @property
    def child(self) -> dict[str, Any]:
        child = self.payload.pack.get("child")
        return child if isinstance(child, dict) else {}

    @property
    def entries(self) -> list[dict[str, Any]]:
        found = self.payload.pack.get("chronology")
        return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []


def transfer_extra(transfer_id: str, from_school: str, parts: list[str],
                   profile: dict[str, Any] | None) -> dict[str, object]:
    return {"transfer": {"id": transfer_id, "from_school": from_school, "parts": parts,
                         "profile": profile}}


def read_cp_file(payload: bytes) -> CpFile:
    """A decrypted ``cp-file`` payload, checked; ``EnvelopeError`` when it is not one."""
    parsed = read_referral(payload)
    obj = json.loads(payload)
    meta = obj.get("transfer")
    if not isinstance(meta, dict):
        raise EnvelopeError("CP file: no transfer object")
    tid, school, parts = meta.get("id"), meta.get("from_school"), meta.get("parts")
    profile = meta.get("profile")
    if not isinstance(tid, str) or not _UUID_RE.fullmatch(tid):
        raise EnvelopeError("CP file: transfer id must be a UUID")
    if not isinstance(school, str) or not school.strip() or len(school) > 200:
        raise EnvelopeError("CP file: from_school must name the school")
    if not isinstance(parts, list) or not all(isinstance(p, str) for p in parts):
        raise EnvelopeError("CP file: parts must be a list of names")
    if profile is not None and not isinstance(profile, dict):
        raise EnvelopeError("CP file: profile must be an object")
    if parsed.reply_to is None:
        raise EnvelopeError("CP file: reply_to (the sender's DSL team key) is missing")
    if any(ref.data is None for ref in (parsed.pdf, *parsed.attachments)):
        # The receiver fetches the chunks and reads the file with them put inline (inlined).
        raise EnvelopeError("CP file: its chunks are not put in yet")
    child = parsed.pack.get("child")
    upn = child.get("upn") if isinstance(child, dict) else None
    if not isinstance(upn, str) or not upn:
        raise EnvelopeError("CP file: the child's UPN is missing")
    return CpFile(parsed, tid, school.strip(), tuple(parts), profile)


@dataclass(frozen=True)
class CpAnswer:
    transfer: str
    status: str
    note: str
    school: str
    by: str
    at: datetime

    def to_json(self) -> dict[str, object]:
        return {"v": 1, "type": ANSWER_KIND, "transfer": self.transfer, "status": self.status,
                "note": self.note, "school": self.school, "by": self.by, "at": iso(self.at)}


def seal_cp_answer(answer: CpAnswer, sender_fingerprint: str, signing: Ed25519PrivateKey,
                   recipient: KeyBundle) -> bytes:
    header = new_header(sender_fingerprint, recipient.fingerprint, ANSWER_KIND, created=answer.at)
    return seal(header, canonical_json(answer.to_json()), recipient.hpke_key(), signing)


def read_cp_answer(payload: bytes) -> CpAnswer:
    try:
        obj = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise EnvelopeError("CP file answer is not JSON") from None
    if not isinstance(obj, dict) or set(obj) != _ANSWER_FIELDS or obj.get("v") != 1 \
            or obj.get("type") != ANSWER_KIND:
        raise EnvelopeError("not a CP file answer")
    if not all(isinstance(obj[k], str) for k in _ANSWER_FIELDS - {"v"}):
        raise EnvelopeError("CP file answer: fields have the wrong types")
    if not _UUID_RE.fullmatch(obj["transfer"]) or obj["status"] not in ANSWERS:
        raise EnvelopeError("CP file answer: unknown transfer or status")
    try:
        at = parse_iso(obj["at"])
    except ValueError:
        raise EnvelopeError("CP file answer: at is not a time") from None
    return CpAnswer(obj["transfer"], obj["status"], obj["note"][:MAX_TEXT], obj["school"][:200],
                    obj["by"][:200], at)
