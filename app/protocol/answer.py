"""The LA's answer to a school about one referral (issue #18): an acknowledgement, or the decision
it made. It travels as an envelope of kind ``la-answer`` from the LA front door's key to the
school's DSL team key (HPKE-sealed, Ed25519-signed by the front door like any envelope), so only
the DSL team reads it and the school checks it against the front door key it pinned.

Payload (canonical JSON)::

    {"v": 1, "type": "la-answer", "referral": "<the referral envelope's id>",
     "answer": "acknowledged" | "decided", "outcome": null | one of OUTCOMES,
     "note": "<text>", "by": "<LA staff name>", "la": "<front door name>",
     "made_at": "<UTC ISO time>"[, "reference": "<the LA's own case reference>"]}

``reference`` is optional (absent in answers from before it): the number the LA's case system
gave the referral, which the school records as the LA's reference.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.clock import iso, parse_iso
from app.errors import InputError
from app.protocol.envelope import EnvelopeError, new_header, seal
from app.protocol.fingerprint import KeyBundle
from app.wording import date_time_text

KIND = "la-answer"
ANSWERS = ("acknowledged", "decided")
# Working Together 2023's usual decisions after a referral; "other" needs a note.
OUTCOMES = ("no further action", "early help", "section 17 assessment", "section 47 enquiry",
            "police", "other")
MAX_NOTE = 4000
_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_FIELDS = {"v", "type", "referral", "answer", "outcome", "note", "by", "la", "made_at"}
MAX_REFERENCE = 100


@dataclass(frozen=True)
class Answer:
    referral: str  # the referral envelope's id (what the school's outbox sent)
    answer: str
    outcome: str | None
    note: str
    by: str
    la: str
    made_at: datetime
    reference: str | None = None  # the LA's own case reference, when it gives one

    def to_json(self) -> dict[str, object]:
        fields: dict[str, object] = {
            "v": 1, "type": "la-answer", "referral": self.referral, "answer": self.answer,
            "outcome": self.outcome, "note": self.note, "by": self.by, "la": self.la,
            "made_at": iso(self.made_at)}
        if self.reference:
            fields["reference"] = self.reference
        return fields

    def words(self) -> str:
        """One line for people: what the LA said (the note follows, when there is one)."""
        what = ("acknowledged the referral" if self.answer == "acknowledged"
                else f"decided: {self.outcome}")
        said = f"{self.la} {what} ({self.by}, {date_time_text(self.made_at)})"
        said += f", LA reference {self.reference}" if self.reference else ""
        return said + (f": {self.note}" if self.note else "")


def check_reference(reference: str | None) -> str | None:
    """The LA's reference, tidied (None when none was given), or ``InputError``."""
    tidy = " ".join((reference or "").split())
    if len(tidy) > MAX_REFERENCE:
        raise InputError("reference", f"at most {MAX_REFERENCE} characters")
    return tidy or None


def check_answer(answer: str, outcome: str | None, note: str) -> tuple[str | None, str]:
    """The outcome (normalised) and note, or ``InputError`` naming what is wrong."""
    if answer not in ANSWERS:
        raise InputError("answer", "acknowledged or decided")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InputError("note", f"at most {MAX_NOTE} characters")
    if answer == "acknowledged":
        if outcome:
            raise InputError("outcome", "an acknowledgement has no outcome; use decide")
        return None, note
    chosen = " ".join((outcome or "").lower().split())
    if chosen not in OUTCOMES:
        raise InputError("outcome", "one of: " + ", ".join(f'"{o}"' for o in OUTCOMES))
    if chosen == "other" and not note:
        raise InputError("note", 'say what was decided when the outcome is "other"')
    return chosen, note


def seal_answer(answer: Answer, sender_fingerprint: str, signing: Ed25519PrivateKey,
                recipient: KeyBundle) -> tuple[str, bytes]:
    """The answer's envelope id and bytes, sealed to the DSL team key ``recipient``."""
    header = new_header(sender_fingerprint, recipient.fingerprint, KIND, created=answer.made_at)
    body = json.dumps(answer.to_json(), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True).encode()
    return header.id, seal(header, body, recipient.hpke_key(), signing)


def read_answer(payload: bytes) -> Answer:
    """An opened answer payload, checked field by field; ``EnvelopeError`` when it is not one."""
    try:
        obj = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise EnvelopeError("answer payload is not JSON") from None
    if not isinstance(obj, dict) or set(obj) - {"reference"} != _FIELDS or obj.get("v") != 1 \
            or obj.get("type") != "la-answer":
        raise EnvelopeError("not an LA answer payload")
    if not isinstance(obj["referral"], str) or not _UUID_RE.fullmatch(obj["referral"]):
        raise EnvelopeError("answer: referral must be an envelope id")
    if not all(isinstance(obj[k], str) for k in ("answer", "note", "by", "la", "made_at")) \
            or not (obj["outcome"] is None or isinstance(obj["outcome"], str)):
        raise EnvelopeError("answer: fields have the wrong types")
    if not isinstance(obj.get("reference", ""), str):
        raise EnvelopeError("answer: fields have the wrong types")
    try:
        outcome, note = check_answer(obj["answer"], obj["outcome"], obj["note"])
        reference = check_reference(obj.get("reference"))
        made_at = parse_iso(obj["made_at"])
    except (InputError, ValueError) as exc:
        raise EnvelopeError(f"answer: {exc}") from None
    return Answer(obj["referral"], obj["answer"], outcome, note, obj["by"][:200],
                  obj["la"][:200], made_at, reference)
