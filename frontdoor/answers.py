"""LA mode: the LA answers a school about one referral (issue #18) — it acknowledges it, then
says what it decided. The answer is sealed to the DSL team key the referral named
(``reply_to``), signed by this front door's key, and stored as an envelope the school's DSL PC
fetches from ``GET /v1/inbox`` at its next sync (it holds that team key here: ``/v1/holdings``).
The command line (``inbox acknowledge``/``inbox decide``) and the staff page both answer here.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.clock import Clock
from app.errors import ConcernDeskError, InputError
from app.protocol.answer import Answer, check_answer, check_reference, seal_answer
from app.protocol.envelope import parse
from frontdoor.inbox import Inbox
from frontdoor.la_storage import AnswerRecord


class CannotAnswer(ConcernDeskError):
    """This referral cannot be answered through the service (the message says what to do)."""


@dataclass(frozen=True)
class Sent:
    envelope_id: str
    answer: Answer
    school: str


def answer_referral(inbox: Inbox, signing: Ed25519PrivateKey, clock: Clock, referral_id: str,
                    answer: str, *, outcome: str | None = None, note: str = "",
                    reference: str | None = None, by: str) -> Sent:
    """Seal and store one answer; ``InputError`` for a bad outcome or note, ``CannotAnswer``
    when the referral names no DSL team key or was answered so already."""
    by = " ".join(by.split())
    if not by:
        raise InputError("by", "name the member of LA staff who answers")
    chosen, note = check_answer(answer, outcome, note)
    reference = check_reference(reference)
    row, referral = inbox.referral(referral_id)
    if referral.reply_to is None:
        raise CannotAnswer(
            "not yet for this referral: the school's app named no DSL team key to answer to "
            "(an older version, or a store without team keys yet); tell the school's DSL by "
            "phone or secure email")
    earlier = [a for a in inbox.storage.answers(referral_id) if a.answer == answer]
    if earlier:
        raise CannotAnswer(f"this referral was {answer} already, by {earlier[0].staff} at "
                           f"{earlier[0].made_at:%Y-%m-%d %H:%M} UTC")
    made = Answer(referral=row.id, answer=answer, outcome=chosen, note=note, by=by[:200],
                  la=inbox.info.name, made_at=clock.now(), reference=reference)
    envelope_id, body = seal_answer(made, inbox.info.fingerprint, signing, referral.reply_to)
    inbox.storage.put_answer(
        AnswerRecord(envelope_id, row.id, answer, chosen, made.by, made.made_at),
        sender=inbox.info.fingerprint, recipient=referral.reply_to.fingerprint,
        sha256=parse(body).sha256, body=body)
    sender = inbox.storage.get_key(row.sender)
    return Sent(envelope_id, made, sender.name if sender else row.sender)
