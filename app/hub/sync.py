"""One sync with the school hub: deliver what is queued for it, then fetch and apply the inbox.

Receiving an envelope, in order (any failure refuses it with a clear reason, audited, and
changes nothing else; the inbox cursor moves past it so one bad envelope cannot block the rest):

1. parse it (structure, sizes, canonical header) and check the id is the one the hub listed;
2. check it is addressed to a key this PC holds: its own device key, or a team key it holds;
3. find the sender among the PCs the school's admin approved (``app.hub.provision``: the admin's
   signed list, kept in this store — never the hub's word); refuse what a PC the admin removed
   signed as made after its removal, and what the hub received after the hub removed it;
4. verify the sender's signature with the keys from that list, then open the payload;
5. check the kind fits the key (snapshots and attachment chunks to the DSL team, packs to the
   office, provisioning to this device alone) and the sender's purpose (a staff PC sends
   concerns, an office PC printed marks, only the admin's PC accounts, lists and new DSL team
   keys); apply it in one transaction with its "applied" mark and the cursor (both in the file
   SQLite commits last: app/delivery/inbox_marks.py) and an audit event — so an envelope
   applied twice changes nothing, and ``app.hub.apply`` refuses what the sender may not send.

An envelope refused only because its sender (or an account it names) is not known here yet is
also kept by id in ``inbox_held`` and fetched again when the admin PC's next list or accounts
update is applied: lists and envelopes may reach the hub in any order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.clock import iso, parse_iso
from app.delivery.cp_inbox import receive_cp, retry_waiting
from app.delivery.inbox_marks import (
    already_applied,
    inbox_cursor,
    mark_applied,
    set_inbox_cursor,
)
from app.delivery.la_answers import AnswerReceived, dsl_team_keys, fetch_answers
from app.delivery.outbox import Delivery, busy, drain, note_busy
from app.delivery.services import (
    HUB_LIMIT_META,
    Service,
    find_service,
    get_service,
    make_client,
)
from app.delivery.team_keys import device_fingerprint, held_team_pairs
from app.domain.destruction import compact
from app.errors import ConcernDeskError, InputError
from app.hub.apply import DESTROYED_FILES, apply_pack, apply_snapshot
from app.hub.apply_attachments import apply_attachment_chunk, purge_stale_chunks
from app.hub.apply_checks import Applied, NotKnownYet, parse_payload
from app.hub.heads import check_heads
from app.hub.link import hub_client
from app.hub.provision import (
    ADMIN,
    TrustedDevice,
    admin_device,
    apply_accounts,
    apply_devices,
    ensure_device_lists,
    trusted_devices,
)
from app.hub.replicate_attachments import resplit_attachments
from app.hub.sealing import keep_for_office
from app.hub.team_rotation import apply_team_key
from app.hub.team_rotation import finish as finish_team_rotation
from app.protocol.client import (
    FrontDoorClient,
    FrontDoorError,
    InboxItem,
    NotEnrolled,
    RateLimited,
)
from app.protocol.cp_file import ANSWER_KIND, CHUNK_KIND, FILE_KIND
from app.protocol.envelope import (
    MAX_ENVELOPE_LEN,
    EnvelopeError,
    open_payload,
    parse,
    verify_signature,
)
from app.protocol.fingerprint import KeyBundle, KeyPairs, normalise_fingerprint
from app.store.roles import Perm
from app.store.session import Session

CURSOR_META = "hub_holdings"
PAGE = 100
# What may arrive addressed to which of this PC's keys.
KINDS_FOR = {"dsl": {"record", "roster", "attachment"}, "office": {"pack-release"},
             "device": {"provision", "accounts", "devices", "team-key"}}
# What each kind of approved PC may send (the payload is then checked by ``app.hub.apply``).
SENDS = {ADMIN: {"record", "roster", "attachment", "pack-release", "provision", "accounts",
                 "devices", "team-key"},
         "dsl": {"record", "roster", "attachment", "pack-release"},
         "staff": {"record", "attachment"},
         "office": {"record"}}
# The payload each envelope kind carries.
PAYLOAD_TYPE = {"record": "snapshot", "roster": "snapshot", "attachment": "attachment-chunk",
                "pack-release": "pack", "provision": "provision", "accounts": "accounts",
                "devices": "devices", "team-key": "team-key"}
MAX_HELD = 1000  # envelopes kept to fetch again; beyond it, refused for good

log = logging.getLogger(__name__)


class Refused(ConcernDeskError):
    """An envelope we will not apply; the message says why (never a child's data)."""


class Unapproved(Refused):
    """Refused because its sender is not (yet) a PC the school's admin approved."""


@dataclass(frozen=True)
class Opened:
    purpose: str  # which of this PC's keys it was sealed to: device, dsl or office
    sender: str
    sender_purpose: str  # admin, dsl, staff or office: what the admin approved it for
    payload: bytes


@dataclass(frozen=True)
class DirectoryKey:
    fingerprint: str
    name: str
    status: str
    bundle: KeyBundle
    updated: datetime


@dataclass(frozen=True)
class Received:
    envelope_id: str
    kind: str
    outcome: str  # applied | already | refused
    detail: str


@dataclass
class HubReport:
    sent: list[Delivery] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    waiting: str | None = None  # why nothing more could be done now
    rolled_back: bool = False  # the hub saw this store further on: nothing was sent (waiting)
    answers: list[AnswerReceived] = field(default_factory=list)  # the LA's, to referrals
    answers_waiting: str | None = None  # why the LA's answers could not be fetched now


def directory(client: FrontDoorClient) -> dict[str, DirectoryKey]:
    """The hub's directory, with when each key last changed (removal time)."""
    obj = client._json(client._send("GET", "/v1/directory"))
    keys: dict[str, DirectoryKey] = {}
    try:
        for k in obj["keys"]:
            bundle = KeyBundle.from_json(k["bundle"])
            fp = normalise_fingerprint(k["fingerprint"])
            if bundle.fingerprint != fp:
                raise ValueError("a fingerprint does not match its keys")
            keys[fp] = DirectoryKey(fp, str(k["name"]), str(k["status"]), bundle,
                                    parse_iso(k["updated"]))
    except (KeyError, TypeError, ValueError, InputError) as exc:
        raise FrontDoorError(f"the hub's directory answer is malformed: {exc}") from None
    return keys


def my_keys(session: Session) -> dict[str, tuple[str, Any]]:
    """recipient fingerprint → (purpose, X25519 private key) for every key this PC holds."""
    keys: dict[str, tuple[str, Any]] = {device_fingerprint(session): ("device",
                                                                     session.device.hpke_key)}
    for team, pairs in _held(session):
        keys[pairs.fingerprint] = (team, pairs.hpke)
    return keys


def _held(session: Session) -> list[tuple[str, KeyPairs]]:
    """The team keys this PC holds in its store — the DSL team's current one and those from
    before a rotation (staff PCs that have not synced since still seal to them) — and the
    office key a keyed office PC grants its office accounts (docs/keys.md): held only while
    one of them is signed in."""
    held = held_team_pairs(session.conn)
    if all(team != "office" for team, _ in held) and session.held.office_private is not None:
        held.append(("office", KeyPairs.from_private_bytes(session.held.office_private)))
    return held


def fetches_inbox(session: Session) -> bool:
    """On a keyed office PC only an office account's session takes the inbox, and on a keyed
    DSL PC only a session holding the DSL store: any other cannot open what is sent to the
    team's key, and would move the cursor past it."""
    purpose = session.meta("device_purpose")  # none on the admin's own PC: a DSL PC too
    if not session.held.split:
        return True
    if purpose == "office":
        return session.held.office_private is not None
    return purpose == "staff" or session.held.dsl_store_open


def open_envelope(item: InboxItem, keys: dict[str, tuple[str, Any]],
                  senders: dict[str, DirectoryKey], trusted: dict[str, TrustedDevice], *,
                  first_come: bool = False) -> Opened:
    """A verified, opened envelope from a PC the school's admin approved, or ``Refused``.

    ``trusted`` is the admin's list as this store holds it (``provision.trusted_devices``);
    ``senders`` is the hub's directory, used only to refuse more (a removal) and for the keys
    of an admin PC pinned by fingerprint alone (a bundle whose fingerprint is the pinned one is
    that PC's). ``first_come``: a PC joined without pinning its admin PC takes the first
    provisioning from an enrolled sender (the caller reports the fingerprint it pinned)."""
    try:
        env = parse(item.body)
    except EnvelopeError as exc:
        raise Refused(f"malformed: {exc.reason}") from None
    if env.id != item.id:
        raise Refused("the hub listed it under another id")
    held = keys.get(env.header.recipient)
    if held is None:
        raise Refused("not addressed to any key this PC holds")
    sender, kind = env.header.sender, env.header.kind
    listed = senders.get(sender)
    device = trusted.get(sender)
    if device is None and first_come and kind == "provision" and listed is not None \
            and listed.status == "enrolled":
        device = TrustedDevice(sender, ADMIN, listed.bundle, None)
    if device is None and kind == "provision":
        raise Refused("provisioning is taken only from the admin PC given at join")
    if device is None:
        raise Unapproved("its sender is not a PC the school's admin approved")
    if device.removed_at is not None and env.header.created >= device.removed_at:
        raise Refused("its sender was removed by the school's admin before making it")
    if listed is not None and listed.status == "removed" and item.received >= listed.updated:
        raise Refused("its sender was removed from the hub before sending it")
    bundle = device.bundle or (listed.bundle if listed is not None else None)
    if bundle is None or bundle.fingerprint != sender:
        raise Unapproved("the admin PC's keys are not known here yet")
    try:
        verify_signature(env, bundle.signing_key())
        payload = open_payload(env, held[1])
    except EnvelopeError as exc:
        raise Refused(exc.reason) from None
    if kind not in KINDS_FOR[held[0]]:
        raise Refused(f"a '{kind}' envelope is not accepted for the {held[0]} key")
    if kind not in SENDS[device.purpose]:
        what = {ADMIN: "the admin's PC", "office": "an office PC"}.get(
            device.purpose, f"a {device.purpose} PC")
        raise Refused(f"{what} may not send a '{kind}' envelope")
    return Opened(held[0], sender, device.purpose, payload)


def _set_cursor(session: Session, cursor: str | None) -> None:
    set_inbox_cursor(session, "hub", cursor)


def _unhold(session: Session, envelope_id: str) -> None:
    """After the envelope's own transaction committed (app/delivery/inbox_marks.py)."""
    with session.tx():
        session.conn.execute("DELETE FROM inbox_held WHERE envelope_id = ?", (envelope_id,))


def _apply(session: Session, opened: Opened, payload: dict[str, Any], kind: str,
           on_provision: Callable[[Session, dict[str, Any], str], Applied] | None) -> Applied:
    conn, sender = session.conn, opened.sender
    if payload.get("type") != PAYLOAD_TYPE.get(kind):
        raise Refused(f"payload: not a {PAYLOAD_TYPE.get(kind, 'known payload')}, as a "
                      f"'{kind}' envelope carries")
    if opened.purpose == "device":
        if kind == "accounts":
            return apply_accounts(session, payload, sender)
        if kind == "devices":
            return apply_devices(session, payload, sender)
        if kind == "team-key":
            return apply_team_key(session, payload, sender, admin_device(session))
        if on_provision is None:
            raise Refused("this PC was provisioned already")
        return on_provision(session, payload, sender)
    if sender == device_fingerprint(session):
        return Applied()  # our own envelope, back from the hub: we have it all
    if opened.purpose == "office":
        keep_for_office(session, payload)  # a keyed office PC: sealed, for every office sign-in
        return apply_pack(conn, payload)
    if kind == "attachment":
        return apply_attachment_chunk(conn, payload, iso(session.clock.now()),
                                      opened.sender_purpose)
    return apply_snapshot(conn, payload, opened.sender_purpose)


def _hold(session: Session, item: InboxItem, reason: str) -> bool:
    """Keeps the id of an envelope refused for now, to fetch again later; False when full."""
    conn = session.conn
    if conn.execute("SELECT count(*) FROM inbox_held").fetchone()[0] >= MAX_HELD:
        return False
    conn.execute("INSERT INTO inbox_held (envelope_id, kind, received_at, reason, held_at) "
                 "VALUES (?,?,?,?,?) ON CONFLICT (envelope_id) DO NOTHING",
                 (item.id, item.kind, iso(item.received), reason, iso(session.clock.now())))
    return True


def receive(session: Session, item: InboxItem, keys: dict[str, tuple[str, Any]],
            senders: dict[str, DirectoryKey],
            on_provision: Callable[[Session, dict[str, Any], str], Applied] | None = None,
            *, again: bool = False) -> Received:
    """Verifies, opens and applies one envelope; moves the cursor past it either way (not when
    ``again``: a held envelope fetched again, long after the cursor passed it)."""
    conn = session.conn
    if already_applied(session, item.id):
        if not again:
            with session.tx():
                _set_cursor(session, item.cursor)
        _unhold(session, item.id)
        return Received(item.id, item.kind, "already", "applied before")
    try:
        first_come = on_provision is not None and admin_device(session) is None
        opened = open_envelope(item, keys, senders, trusted_devices(session),
                               first_come=first_come)
        payload = parse_payload(opened.payload)
        with session.tx():
            applied = _apply(session, opened, payload, item.kind, on_provision)
            mark_applied(session, item.id, item.kind)
            if not again:
                _set_cursor(session, item.cursor)
            if opened.sender != device_fingerprint(session):
                session.audit("sync", "envelope", item.id, outcome="applied", kind=item.kind,
                              sender=opened.sender, **applied.counts)
        _unhold(session, item.id)
    except (Unapproved, NotKnownYet) as exc:
        reason = str(exc) if isinstance(exc, Refused) else exc.reason
        with session.tx():
            if not again:
                _set_cursor(session, item.cursor)
                kept = _hold(session, item, reason)
                session.audit("sync", "envelope", item.id, outcome="refused", kind=item.kind,
                              reason=reason, kept=kept)
        return Received(item.id, item.kind, "refused", reason)
    except (Refused, EnvelopeError) as exc:
        reason = str(exc) if isinstance(exc, Refused) else exc.reason
        with session.tx():
            if not again:
                _set_cursor(session, item.cursor)
            conn.execute("DELETE FROM inbox_held WHERE envelope_id = ?", (item.id,))
            session.audit("sync", "envelope", item.id, outcome="refused", kind=item.kind,
                          reason=reason)
        return Received(item.id, item.kind, "refused", reason)
    except Exception as exc:  # a payload that does not fit this store (e.g. a constraint)
        if type(exc).__module__.startswith("sqlcipher3"):
            with session.tx():
                if not again:
                    _set_cursor(session, item.cursor)
                conn.execute("DELETE FROM inbox_held WHERE envelope_id = ?", (item.id,))
                session.audit("sync", "envelope", item.id, outcome="refused", kind=item.kind,
                              reason="does not fit this store")
            return Received(item.id, item.kind, "refused", "its content does not fit this "
                            "store")
        raise
    if applied.counts.get(DESTROYED_FILES):  # reclaim the space, empty the log (retention.md)
        for problem in compact(session):
            log.warning("after a destruction from the hub: %s", problem)
    what = ", ".join(f"{n} {k}" for k, n in sorted(applied.counts.items())) or "nothing new"
    return Received(item.id, item.kind, "applied", what)


def receive_held(session: Session, client: FrontDoorClient, keys: dict[str, tuple[str, Any]],
                 senders: dict[str, DirectoryKey]) -> list[Received]:
    """After the admin PC's list, accounts or roster changed here: each held envelope, fetched
    again by id and received as if new (still unknown: it stays held, reported once already)."""
    results = []
    held = session.conn.execute("SELECT envelope_id, kind, received_at FROM inbox_held ORDER BY "
                                "received_at, envelope_id").fetchall()
    for envelope_id, kind, received in held:
        try:
            body = client.fetch(envelope_id)
        except FrontDoorError as exc:
            if getattr(exc, "status", None) == 404:  # gone from the hub: nothing to wait for
                with session.tx():
                    session.conn.execute("DELETE FROM inbox_held WHERE envelope_id = ?",
                                         (envelope_id,))
                continue
            raise
        item = InboxItem(cursor="", id=envelope_id, kind=kind, sender="", recipient="",
                         received=parse_iso(received), body=body)
        result = receive(session, item, keys, senders, again=True)
        if not session.conn.execute("SELECT 1 FROM inbox_held WHERE envelope_id = ?",
                                    (envelope_id,)).fetchone():
            results.append(result)  # still held: reported (and audited) once, when it came
    return results


def register_holdings(session: Session, client: FrontDoorClient) -> bool:
    """Tells the hub which team keys this PC holds; True when one is new here (the cursor then
    starts again from the beginning, so a DSL PC added later receives the full history)."""
    held = [pairs for _, pairs in _held(session)]
    told = set((session.meta(CURSOR_META) or "").split(",")) - {""}
    for pairs in held:
        client.register_holding(pairs.bundle, pairs.signing)
    new = {p.fingerprint for p in held} - told
    if new:
        # Two commits, the cursor's first: it may live in the DSL store, which SQLite commits
        # after the school store's meta, and a kill between must not lose the restart.
        with session.tx():
            _set_cursor(session, None)
        with session.tx():
            session.set_meta(CURSOR_META, ",".join(sorted(told | new)))
    return bool(new)


def pull(session: Session, client: FrontDoorClient,
         on_provision: Callable[[Session, dict[str, Any], str], Applied] | None = None
         ) -> list[Received]:
    keys = my_keys(session)
    senders: dict[str, DirectoryKey] | None = None
    results: list[Received] = []
    cursor = inbox_cursor(session, "hub")
    while True:
        batch = client.inbox(after=cursor, limit=PAGE)
        if not batch:
            break
        for item in batch:
            if senders is None or item.sender not in senders:
                senders = directory(client)  # a device enrolled since we last looked
            results.append(receive(session, item, keys, senders, on_provision))
            cursor = item.cursor
    trust_changed = any(r.outcome == "applied" and r.kind in {"devices", "accounts", "roster"}
                        for r in results)
    if trust_changed and session.conn.execute("SELECT 1 FROM inbox_held LIMIT 1").fetchone():
        results += receive_held(session, client, my_keys(session),
                                senders if senders is not None else directory(client))
    return results


def fit_attachments_to_hub(session: Session, client: FrontDoorClient, service: Service) -> None:
    """When attachment chunks wait to go (or the hub's body limit is not known yet), asks the
    hub its limit, keeps it for the next attachment, and splits again any waiting attachment
    whose chunks are now too large for it. Offline, nothing changes."""
    conn = session.conn
    waiting = conn.execute("SELECT 1 FROM outbox WHERE object_type = 'attachment' AND state != "
                           "'receipted' LIMIT 1").fetchone()
    if waiting is None and session.meta(HUB_LIMIT_META) is not None:
        return
    try:
        key = client.service_key()
    except FrontDoorError:
        return  # the drain that follows says why
    if key.fingerprint != service.fingerprint:
        return  # not the pinned hub: its word on sizes counts for nothing
    if session.meta(HUB_LIMIT_META) != str(key.max_body):
        with session.tx():
            session.set_meta(HUB_LIMIT_META, str(key.max_body))
    if waiting is not None:
        resplit_attachments(session, min(key.max_body, MAX_ENVELOPE_LEN))


def hub_heads(session: Session, client: FrontDoorClient, report: HubReport) -> bool:
    """The audit-head check (``app.hub.heads``) as a sync step: False, with the report saying
    why, when this store is older than the hub saw. Unless the hub is busy or unreachable
    (then the rest of the round says so), nothing goes before it."""
    if busy(session, client) is not None:
        return True
    try:
        problem = check_heads(session, client)
    except RateLimited as exc:
        note_busy(session, client, exc)
        return True
    except NotEnrolled:
        return True  # said below, by the steps that need enrolment
    except FrontDoorError:
        return True  # offline: nothing can be sent to the hub either
    if problem is None:
        return True
    report.waiting, report.rolled_back = problem, True
    return False


def check_hub_heads(session: Session, client_factory: Callable[..., FrontDoorClient] = hub_client
                    ) -> HubReport | None:
    """``hub_heads`` on its own client, before a round sends anything elsewhere: the report
    when the store is older than the hub saw, else None."""
    report = HubReport()
    service = get_service(session, "hub")
    with client_factory(service.url, session, service.bundle) as client:
        return None if hub_heads(session, client, report) else report


def sync_hub(session: Session, client_factory: Callable[..., FrontDoorClient] = hub_client,
             exclude: set[str] | None = None, now_only_due: bool = False,
             heads_checked: bool = False) -> HubReport:
    """Deliver everything queued for the hub, tell it our team keys, fetch and apply the inbox.
    Never raises for a network problem: the report says what is still waiting and why. While
    the hub is busy (it answered 429), nothing is asked of it until the time it gave. First
    (unless ``heads_checked``) the hub checks this store is not older than it saw: if it is,
    nothing else happens."""
    session.require(Perm.SYNC)
    report = HubReport()
    service = get_service(session, "hub")
    with client_factory(service.url, session, service.bundle) as client:
        if not heads_checked and not hub_heads(session, client, report):
            return report
        ensure_device_lists(session)  # an admin PC from before lists sends one, once
        finish_team_rotation(session)  # a new DSL team pair owed here: made and sent now
        if busy(session, client) is None:
            try:
                fit_attachments_to_hub(session, client, service)
            except ConcernDeskError as exc:
                report.waiting = str(exc)
        report.sent = drain(session, client, exclude=exclude, now_only_due=now_only_due)
        waiting = busy(session, client)  # since before, or it said so to an upload just now
        if waiting is not None:
            report.waiting = waiting
        elif fetches_inbox(session):
            try:
                register_holdings(session, client)
                report.received = pull(session, client)
                if any(r.kind == "team-key" and r.outcome == "applied" for r in report.received
                       ) and register_holdings(session, client):
                    # A new DSL team key held now: what the hub holds for it comes this round.
                    report.received += pull(session, client)
            except NotEnrolled:
                report.waiting = (f"this PC is not enrolled with the hub yet: its administrator "
                                  f"enrols fingerprint {device_fingerprint(session)}")
            except RateLimited as exc:
                note_busy(session, client, exc)
                report.waiting = busy(session, client)
            except FrontDoorError as exc:
                report.waiting = str(exc)
    with session.tx():
        purged = purge_stale_chunks(session.conn, iso(session.clock.now()))
        if purged:
            session.audit("sync", "attachment-chunks", None, purged=purged)
    return report


# A CP file from another school and its answers come through the LA front door's inbox too;
# the chunks of a large one are passed over there and fetched by id when the file is read.
CP_HANDLERS = {FILE_KIND: receive_cp, ANSWER_KIND: receive_cp, CHUNK_KIND: receive_cp}


def sync_round(session: Session, *, due_only: bool = False) -> HubReport:
    """One sync round, the one the desktop app's background worker and ``concerndesk-cli
    sync`` both run: the LA front door gets its own envelopes (``due_only``, the background
    worker's rounds: not those refused or still backing off), then, for a user who may sync,
    the school hub its own, and this PC takes what waits for it there."""
    report = HubReport()
    frontdoor, hub = find_service(session, "frontdoor"), find_service(session, "hub")
    with_hub = hub is not None and session.can(Perm.SYNC)
    if with_hub:  # a store older than the hub saw sends nothing anywhere
        stopped = check_hub_heads(session)
        if stopped is not None:
            return stopped
    if frontdoor is not None:
        with make_client(frontdoor.url, session, frontdoor.bundle) as client:
            if hub is not None:  # the outbox also holds the hub's envelopes: only ours
                report.sent += drain(session, client, recipients={frontdoor.fingerprint})
            else:
                report.sent += drain(session, client, now_only_due=due_only)
            if dsl_team_keys(session):  # a DSL's round also takes in the LA's answers
                try:
                    # Files waiting for chunks first: one first seen below is tried once.
                    report.answers = retry_waiting(session, client, frontdoor)
                    report.answers += fetch_answers(session, client, frontdoor, CP_HANDLERS)
                except NotEnrolled:
                    pass  # the outbox's refusal says so when something waits to go
                except FrontDoorError as exc:
                    report.answers_waiting = str(exc)
    if with_hub:
        hub_report = sync_hub(session, exclude={frontdoor.fingerprint} if frontdoor else None,
                              heads_checked=True)
        report.sent += hub_report.sent
        report.received, report.waiting = hub_report.received, hub_report.waiting
    return report
