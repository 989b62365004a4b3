"""The LA's answers, back at the school (issue #18): an acknowledgement or a decision about a
referral, fetched from the LA front door at a DSL PC's sync.

The DSL PC tells the front door it holds the DSL team key (``/v1/holdings``, with a proof signed
by that key), so the front door's ``/v1/inbox`` gives it the envelopes sealed to that key. Each
one is accepted only when it is an ``la-answer``, was signed by the front door key this store
pinned when it was set up (never a key the service names), opens with a DSL team key this PC
holds, and names a referral this school queued to that front door. It is then recorded, in one
transaction with its "applied" mark and the cursor (inbox_marks.py): on the referral
(``outcomes.record_la_answer``) and as an entry in the child's chronology at the time it
arrived, both audited and reported (``session.changed``) so other DSL PCs have them too.
Anything else is refused and audited, and the cursor moves past it so one bad envelope cannot
block the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from app.delivery.inbox_marks import (
    already_applied,
    inbox_cursor,
    mark_applied,
    set_inbox_cursor,
)
from app.delivery.outcomes import has_la_answer, record_la_answer
from app.delivery.services import Service
from app.delivery.team_keys import held_team_pairs, team_bundle
from app.domain.chronology import add_entry
from app.domain.referrals import get_referral
from app.errors import ConcernDeskError
from app.protocol.answer import KIND, Answer, read_answer
from app.protocol.client import FrontDoorClient, InboxItem
from app.protocol.envelope import EnvelopeError, open_payload, parse, verify_signature
from app.protocol.fingerprint import KeyPairs
from app.store.session import Session
from app.wording import date_time_text

log = logging.getLogger(__name__)
PAGE = 100
HOLDING_META = "frontdoor_holdings"  # "<front door fp>:<DSL team key fp>,…" told we hold


class Refused(ConcernDeskError):
    """An answer we will not record; the message says why (never a child's data)."""


@dataclass(frozen=True)
class AnswerReceived:
    envelope_id: str
    kind: str
    outcome: str  # applied | already | refused | waiting (a CP file whose chunks are not in)
    detail: str


def dsl_team_keys(session: Session) -> list[KeyPairs]:
    """Every DSL team key pair this session holds, the current one first (older ones open what
    was sealed before a rotation); none for a session without the DSL store."""
    return [pairs for team, pairs in held_team_pairs(session.conn) if team == "dsl"]


def register_team_keys(session: Session, client: FrontDoorClient, service: Service) -> bool:
    """Tells the front door which DSL team keys this PC holds — the current one and those
    before a rotation, which answers to older referrals are sealed to — each once per front
    door; False when this PC holds none."""
    keys = dsl_team_keys(session)
    if not keys:
        return False
    told = set((session.meta(HOLDING_META) or "").split(",")) - {""}
    # The current key last: the front door's directory lists a school's keys newest-told
    # first, and another school seals a CP file to the first, which must never be one a
    # rotation retired (a removed DSL PC or DSL may still hold those).
    current = team_bundle(session.conn, "dsl")
    for pairs in sorted(keys, key=lambda p: current is not None and p.bundle == current):
        mark = f"{service.fingerprint}:{pairs.fingerprint}"
        if mark not in told:
            client.register_holding(pairs.bundle, pairs.signing)
            told.add(mark)
            with session.tx():
                session.set_meta(HOLDING_META, ",".join(sorted(told)))
    return True


def _referral_for(session: Session, envelope_id: str) -> str:
    """The referral this school queued as envelope ``envelope_id`` (its 'queued' event)."""
    row = session.conn.execute("SELECT referral_id FROM referral_status WHERE status = 'queued' "
                               "AND note = ?", (envelope_id,)).fetchone()
    if row is None:
        raise Refused("it answers a referral this school did not send")
    return str(row[0])


def open_answer(item: InboxItem, service: Service, keys: list[KeyPairs]) -> Answer:
    """A verified, opened answer from the pinned front door, or ``Refused``."""
    try:
        env = parse(item.body)
    except EnvelopeError as exc:
        raise Refused(f"malformed: {exc.reason}") from None
    if env.id != item.id:
        raise Refused("the front door listed it under another id")
    if env.header.kind != KIND:
        raise Refused(f"a '{env.header.kind}' envelope is not an LA answer")
    if env.header.sender != service.fingerprint:
        raise Refused("it was not sent by the LA front door this school set up")
    held = {p.fingerprint: p for p in keys}.get(env.header.recipient)
    if held is None:
        raise Refused("it is not sealed to a DSL team key this PC holds")
    try:
        verify_signature(env, service.bundle.signing_key())  # the key pinned at set-up
        return read_answer(open_payload(env, held.hpke))
    except EnvelopeError as exc:
        raise Refused(exc.reason) from None


def set_cursor(session: Session, cursor: str | None) -> None:
    set_inbox_cursor(session, "frontdoor", cursor)


def receive_answer(session: Session, item: InboxItem, service: Service,
                   keys: list[KeyPairs]) -> AnswerReceived:
    if already_applied(session, item.id):
        with session.tx():
            set_cursor(session, item.cursor)
        return AnswerReceived(item.id, item.kind, "already", "recorded before")
    try:
        answer = open_answer(item, service, keys)
        referral_id = _referral_for(session, answer.referral)
        referral = get_referral(session, referral_id, audit=False)
        arrived = session.clock.now()
        if has_la_answer(session, referral_id, answer.answer):  # via another DSL PC
            with session.tx():
                mark_applied(session, item.id, KIND)
                set_cursor(session, item.cursor)
            return AnswerReceived(item.id, item.kind, "already", "recorded on another DSL PC")
        with session.tx():
            record_la_answer(session, referral_id, answer, arrived)
            entry = add_entry(session, [referral.child_id],
                              "outcome" if answer.answer == "decided" else "contact",
                              f"{answer.words()} — arrived {date_time_text(arrived)}", arrived,
                              significant=answer.answer == "decided")
            mark_applied(session, item.id, KIND)
            set_cursor(session, item.cursor)
            session.audit("sync", "la-answer", item.id, outcome="applied",
                          referral=referral_id, answer=answer.answer,
                          decision=answer.outcome, entry=entry.record_id)
    except Refused as exc:
        with session.tx():
            set_cursor(session, item.cursor)
            session.audit("sync", "la-answer", item.id, outcome="refused", reason=str(exc))
        return AnswerReceived(item.id, item.kind, "refused", str(exc))
    what = "acknowledged" if answer.answer == "acknowledged" else f"decided: {answer.outcome}"
    return AnswerReceived(item.id, item.kind, "applied", f"the LA {what}")


# Other kinds a DSL PC takes from the front door's inbox (a CP file from another school,
# cp_inbox.py), given by the caller: this module does not know them.
Handler = Callable[[Session, InboxItem, Service, list[KeyPairs], FrontDoorClient],
                   AnswerReceived]


def fetch_answers(session: Session, client: FrontDoorClient, service: Service,
                  handlers: Mapping[str, Handler] | None = None) -> list[AnswerReceived]:
    """Registers the DSL team key with the front door, then takes every answer waiting (and
    what ``handlers`` take, by kind). Nothing for a PC without the DSL team key. Network
    errors reach the caller."""
    keys = dsl_team_keys(session)
    if not keys or not register_team_keys(session, client, service):
        return []
    results: list[AnswerReceived] = []
    cursor = inbox_cursor(session, "frontdoor")
    while True:
        batch = client.inbox(after=cursor, limit=PAGE)
        if not batch:
            return results
        for item in batch:
            handler = (handlers or {}).get(item.kind)
            results.append(handler(session, item, service, keys, client) if handler
                           else receive_answer(session, item, service, keys))
            cursor = item.cursor
