"""One sync with the school hub: deliver what is queued for it, then fetch and apply the inbox.

Receiving an envelope, in order (any failure refuses it with a clear reason, audited, and
changes nothing else; the inbox cursor moves past it so one bad envelope cannot block the rest):

1. parse it (structure, sizes, canonical header) and check the id is the one the hub listed;
2. check it is addressed to a key this PC holds: its own device key, or a team key it holds;
3. find the sender in the hub's directory: an enrolled device, or one removed only *after* the
   hub received this envelope (what it sent while trusted stays part of the history);
4. verify the sender's signature, then open the payload with the matching private key;
5. check the kind fits the key (snapshots and attachment chunks to the DSL team, packs to the
   office, provisioning to this device alone) and apply it in one transaction with
   ``inbox_applied``, the cursor and an audit event — so an envelope applied twice changes nothing.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.apply import Applied, apply_attachment_chunk, apply_pack, apply_snapshot, parse_payload
from app.clock import iso, parse_iso
from app.errors import ConcernDeskError, InputError
from app.outbox import Delivery, drain
from app.replicate import HUB_LIMIT_META, resplit_attachments
from app.roles import Perm
from app.services import Service, get_service
from app.session import Session
from app.sync.client import FrontDoorClient, FrontDoorError, InboxItem, NotEnrolled
from app.sync.envelope import (
    MAX_ENVELOPE_LEN,
    EnvelopeError,
    open_payload,
    parse,
    verify_signature,
)
from app.sync.fingerprint import KeyBundle, normalise_fingerprint
from app.team_keys import device_fingerprint, held_teams

CURSOR_META = "hub_holdings"
PAGE = 100
# What may arrive addressed to which of this PC's keys.
KINDS_FOR = {"dsl": {"record", "roster", "attachment"}, "office": {"pack-release"},
             "device": {"provision", "accounts"}}


class Refused(ConcernDeskError):
    """An envelope we will not apply; the message says why (never a child's data)."""


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


_TLS: ssl.SSLContext | None = None


def tls_context() -> ssl.SSLContext:
    """One default TLS context for every hub client: loading the system's CAs costs ~0.15 s,
    too much to repeat for each sync."""
    global _TLS
    if _TLS is None:
        _TLS = ssl.create_default_context()
    return _TLS


def hub_client(url: str, session: Session, pinned: KeyBundle | None) -> FrontDoorClient:
    """A client signed by this PC's device key (already in the session: no keyring reads)."""
    return FrontDoorClient(url, session.device.signing_key, device_fingerprint(session),
                           service_bundle=pinned, timeout=20.0, verify=tls_context())


def directory(client: FrontDoorClient) -> dict[str, DirectoryKey]:
    """The hub's directory, with when each key last changed (removal time)."""
    obj = client._json(client._send("GET", "/v1/directory"))
    keys: dict[str, DirectoryKey] = {}
    try:
        for k in obj["keys"]:  # type: ignore[union-attr]
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
    for team, pairs in held_teams(session.conn).items():
        keys[pairs.fingerprint] = (team, pairs.hpke)
    return keys


def open_envelope(item: InboxItem, keys: dict[str, tuple[str, Any]],
                  senders: dict[str, DirectoryKey]) -> tuple[str, str, bytes]:
    """(purpose, sender fingerprint, payload) of a verified envelope, or ``Refused``."""
    try:
        env = parse(item.body)
    except EnvelopeError as exc:
        raise Refused(f"malformed: {exc.reason}") from None
    if env.id != item.id:
        raise Refused("the hub listed it under another id")
    held = keys.get(env.header.recipient)
    if held is None:
        raise Refused("not addressed to any key this PC holds")
    sender = senders.get(env.header.sender)
    if sender is None:
        raise Refused("its sender is not enrolled with the hub")
    if sender.status == "removed" and item.received >= sender.updated:
        raise Refused("its sender was removed from the hub before sending it")
    if sender.status not in {"enrolled", "removed"}:
        raise Refused("its sender is not enrolled with the hub")
    try:
        verify_signature(env, sender.bundle.signing_key())
        payload = open_payload(env, held[1])
    except EnvelopeError as exc:
        raise Refused(exc.reason) from None
    if env.header.kind not in KINDS_FOR[held[0]]:
        raise Refused(f"a '{env.header.kind}' envelope is not accepted for the {held[0]} key")
    return held[0], sender.fingerprint, payload


def _set_cursor(session: Session, cursor: str | None) -> None:
    session.conn.execute("UPDATE services SET inbox_cursor = ? WHERE role = 'hub'", (cursor,))


def receive(session: Session, item: InboxItem, keys: dict[str, tuple[str, Any]],
            senders: dict[str, DirectoryKey],
            on_provision: Callable[[Session, dict[str, Any], str], Applied] | None = None
            ) -> Received:
    """Verifies, opens and applies one envelope; moves the cursor past it either way."""
    conn = session.conn
    if conn.execute("SELECT 1 FROM inbox_applied WHERE envelope_id = ?", (item.id,)).fetchone():
        with session.tx():
            _set_cursor(session, item.cursor)
        return Received(item.id, item.kind, "already", "applied before")
    try:
        purpose, sender, raw = open_envelope(item, keys, senders)
        payload = parse_payload(raw)
        with session.tx():
            if purpose == "device" and payload.get("type") == "accounts":
                from app.provision import apply_accounts

                applied = apply_accounts(session, payload, sender)
            elif purpose == "device":
                if on_provision is None:
                    raise Refused("this PC was provisioned already")
                applied = on_provision(session, payload, sender)
            elif sender == device_fingerprint(session):
                applied = Applied()  # our own envelope, back from the hub: we have it all
            elif purpose == "office":
                applied = apply_pack(conn, payload)
            elif payload.get("type") == "attachment-chunk":
                applied = apply_attachment_chunk(conn, payload, iso(session.clock.now()))
            else:
                applied = apply_snapshot(conn, payload)
            conn.execute("INSERT INTO inbox_applied (envelope_id, kind, applied_at) VALUES "
                         "(?,?,?)", (item.id, item.kind, iso(session.clock.now())))
            _set_cursor(session, item.cursor)
            if sender != device_fingerprint(session):
                session.audit("sync", "envelope", item.id, outcome="applied", kind=item.kind,
                              sender=sender, **applied.counts)
    except (Refused, EnvelopeError) as exc:
        reason = str(exc) if isinstance(exc, Refused) else exc.reason
        with session.tx():
            _set_cursor(session, item.cursor)
            session.audit("sync", "envelope", item.id, outcome="refused", kind=item.kind,
                          reason=reason)
        return Received(item.id, item.kind, "refused", reason)
    except Exception as exc:  # a payload that does not fit this store (e.g. a constraint)
        if type(exc).__module__.startswith("sqlcipher3"):
            with session.tx():
                _set_cursor(session, item.cursor)
                session.audit("sync", "envelope", item.id, outcome="refused", kind=item.kind,
                              reason="does not fit this store")
            return Received(item.id, item.kind, "refused", "its content does not fit this "
                            "store")
        raise
    what = ", ".join(f"{n} {k}" for k, n in sorted(applied.counts.items())) or "nothing new"
    return Received(item.id, item.kind, "applied", what)


def register_holdings(session: Session, client: FrontDoorClient) -> bool:
    """Tells the hub which team keys this PC holds; True when one is new here (the cursor then
    starts again from the beginning, so a DSL PC added later receives the full history)."""
    held = held_teams(session.conn)
    told = set((session.meta(CURSOR_META) or "").split(",")) - {""}
    for pairs in held.values():
        client.register_holding(pairs.bundle, pairs.signing)
    new = {p.fingerprint for p in held.values()} - told
    if new:
        with session.tx():
            session.set_meta(CURSOR_META, ",".join(sorted(told | new)))
            _set_cursor(session, None)
    return bool(new)


def pull(session: Session, client: FrontDoorClient, service: Service,
         on_provision: Callable[[Session, dict[str, Any], str], Applied] | None = None
         ) -> list[Received]:
    keys = my_keys(session)
    senders: dict[str, DirectoryKey] | None = None
    results: list[Received] = []
    cursor = service.inbox_cursor
    while True:
        batch = client.inbox(after=cursor, limit=PAGE)
        if not batch:
            return results
        for item in batch:
            if senders is None or item.sender not in senders:
                senders = directory(client)  # a device enrolled since we last looked
            results.append(receive(session, item, keys, senders, on_provision))
            cursor = item.cursor


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


def sync_hub(session: Session, client_factory: Callable[..., FrontDoorClient] = hub_client,
             exclude: set[str] | None = None, now_only_due: bool = False) -> HubReport:
    """Deliver everything queued for the hub, tell it our team keys, fetch and apply the inbox.
    Never raises for a network problem: the report says what is still waiting and why."""
    session.require(Perm.SYNC)
    report = HubReport()
    service = get_service(session, "hub")
    with client_factory(service.url, session, service.bundle) as client:
        try:
            fit_attachments_to_hub(session, client, service)
        except ConcernDeskError as exc:
            report.waiting = str(exc)
        report.sent = drain(session, client, exclude=exclude, now_only_due=now_only_due)
        try:
            register_holdings(session, client)
            report.received = pull(session, client, get_service(session, "hub"))
        except NotEnrolled:
            report.waiting = (f"this PC is not enrolled with the hub yet: its administrator "
                              f"enrols fingerprint {device_fingerprint(session)}")
        except FrontDoorError as exc:
            report.waiting = str(exc)
    return report
