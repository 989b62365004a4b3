"""Queueing an approved referral for the LA front door: one referral envelope (plus chunks for
large files), sealed to the front door's key, signed by this device, kept in the outbox."""

from __future__ import annotations

import json
import uuid

from app.delivery.identity import store_identity
from app.delivery.outbox import enqueue
from app.delivery.outcomes import record_delivery
from app.delivery.services import get_service
from app.delivery.team_keys import team_bundle
from app.domain.referrals import get_referral
from app.errors import InputError
from app.pack import pack_json
from app.pack.assembly import referral_pack_data
from app.protocol.payload import Attachment, seal_referral
from app.store.roles import Perm
from app.store.session import Session


def queue_referral(session: Session, referral_id: str) -> list[str]:
    session.require(Perm.MANAGE_REFERRALS)
    referral = get_referral(session, referral_id, audit=False)
    if referral.status not in {"approved", "released"}:
        raise InputError("referral", f"only an approved referral can be sent; this one is "
                         f"{referral.status}")
    service = get_service(session, "frontdoor")
    from app.pack import render_pack  # reportlab only when a PDF is made

    data = referral_pack_data(session, referral)
    now = session.clock.now()
    attachments = [Attachment(r[0], r[1], bytes(r[2])) for r in session.conn.execute(
        "SELECT filename, media_type, data FROM attachments WHERE record_id IN (SELECT value "
        "FROM json_each(?)) ORDER BY added_at, id", (json.dumps(referral.entry_ids),))]
    envelopes = seal_referral(pack_json(data, generated_at=now),
                              render_pack(data, generated_at=now), attachments,
                              store_identity(session.store_id).fingerprint,
                              session.device.signing_key, service.bundle,
                              referral_id=str(uuid.uuid4()),
                              # the LA's answers come back sealed to the DSL team (issue #18)
                              reply_to=team_bundle(session.conn, "dsl"))
    with session.tx():
        ids = enqueue(session, envelopes, service.fingerprint, "referral", referral.id)
        record_delivery(session, referral.id, "queued", ids[-1])
        session.audit("queue", "referral", referral.id, envelope=ids[-1],
                      envelopes=len(ids), frontdoor=service.fingerprint)
    return ids
