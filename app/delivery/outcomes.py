"""What became of a referral sent to the LA front door — queued, sent, receipted or rejected —
kept by the delivery package: the referral queue and the outbox record it here, as a status
event of the referral, in the transaction that changed the outbox."""

from __future__ import annotations

from app.domain.referrals import set_status
from app.errors import InputError
from app.store.session import Session

DELIVERY_STATES = ("queued", "sent", "receipted", "rejected")


def record_delivery(session: Session, referral_id: str, status: str, note: str | None = None
                    ) -> None:
    """A delivery state: queued, sent, receipted or rejected (with the reason). Call inside the
    transaction that records the delivery."""
    if status not in DELIVERY_STATES:
        raise InputError("status", "not a delivery state")
    set_status(session, referral_id, status, note)
    session.changed("referral", referral_id)
