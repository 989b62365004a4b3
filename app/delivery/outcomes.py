"""What became of a referral sent to the LA front door — queued, sent, receipted or rejected —
kept by the delivery package: the referral queue and the outbox record it here, as a status
event of the referral, in the transaction that changed the outbox. The LA's answers (issue #18:
acknowledged, decided) are recorded here too, as events beside the states."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from app.clock import parse_iso
from app.domain.referrals import set_status
from app.errors import InputError
from app.protocol.answer import Answer
from app.store.session import Session
from app.wording import date_time_text

LA_EVENTS = {"acknowledged": "la-acknowledged", "decided": "la-decided"}
LA_REFERENCE = "la-reference"  # the event a DSL's typed reference makes too (la_routes)

DELIVERY_STATES = ("queued", "sent", "receipted", "rejected")


def record_delivery(session: Session, referral_id: str, status: str, note: str | None = None
                    ) -> None:
    """A delivery state: queued, sent, receipted or rejected (with the reason). Call inside the
    transaction that records the delivery."""
    if status not in DELIVERY_STATES:
        raise InputError("status", "not a delivery state")
    set_status(session, referral_id, status, note)
    session.changed("referral", referral_id)


@dataclass(frozen=True)
class LaAnswerEvent:
    answer: str  # acknowledged | decided
    at: datetime  # when it arrived here
    text: str  # what the LA said, who answered and when


def record_la_answer(session: Session, referral_id: str, answer: Answer, arrived: datetime
                     ) -> None:
    """The LA's acknowledgement or decision, on the referral. Call inside the transaction that
    takes the answer in (app/delivery/la_answers.py)."""
    set_status(session, referral_id, LA_EVENTS[answer.answer],
               f"{answer.words()} — arrived {date_time_text(arrived)}")
    if answer.reference:  # the LA's own case number: the referral's LA reference from now on
        set_status(session, referral_id, LA_REFERENCE,
                   json.dumps({"reference": answer.reference, "from": "the LA's signed answer"},
                              sort_keys=True))
    session.changed("referral", referral_id)


def has_la_answer(session: Session, referral_id: str, answer: str) -> bool:
    """Whether this referral already carries such an answer: the LA sends each once, so one
    here came through another DSL PC of the school (replicated) and is not recorded twice."""
    return session.conn.execute(
        "SELECT 1 FROM referral_status WHERE referral_id = ? AND status = ? LIMIT 1",
        (referral_id, LA_EVENTS[answer])).fetchone() is not None


def la_answers(session: Session, referral_id: str) -> list[LaAnswerEvent]:
    """The LA's answers to a referral, in the order they arrived."""
    names = {v: k for k, v in LA_EVENTS.items()}
    rows = session.conn.execute(
        "SELECT status, at, note FROM referral_status WHERE referral_id = ? AND status IN "
        "(?, ?) ORDER BY at, id", (referral_id, *LA_EVENTS.values())).fetchall()
    return [LaAnswerEvent(names[r[0]], parse_iso(r[1]), r[2] or "") for r in rows]
