"""The outbox: envelopes waiting in the encrypted store until a service has receipted them.

Delivery is at-least-once on the wire and exactly-once in effect: each envelope keeps its id and
bytes, the service stores the first copy and answers every retry with the same signed receipt.
A row is marked ``sent`` (committed) before its upload, so a crash mid-upload is retried.

A service that answers 429 (``RateLimited``) is busy, not refusing: the row stays queued, its
next attempt is no sooner than the service's Retry-After, no further upload starts in that
drain, and nothing more goes to that service until then, even when a person asks for a sync
(the time is kept in ``meta`` as ``busy_until:`` and the service's fingerprint).
"""

from __future__ import annotations

import random
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from app.clock import iso, parse_iso
from app.delivery.outcomes import record_delivery
from app.protocol.cp_file import FILE_KIND
from app.protocol.envelope import parse
from app.store.roles import Perm
from app.store.session import Session
from app.transfer.model import add_step
from app.wording import date_time_text, wait_text

if TYPE_CHECKING:  # httpx is imported only when something is delivered (app start-up)
    from app.protocol.client import FrontDoorClient, RateLimited
    from app.protocol.receipt import Receipt

BACKOFF_BASE_SECONDS = 5.0
BACKOFF_MAX_SECONDS = 3600.0
BUSY_META = "busy_until:"  # + a service's fingerprint: when it said it will take more (429)


@dataclass(frozen=True)
class OutboxItem:
    id: str
    kind: str
    recipient: str
    object_type: str | None
    object_id: str | None
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    receipt: str | None


@dataclass(frozen=True)
class Delivery:
    item: OutboxItem
    outcome: str  # receipted | waiting | failed
    detail: str


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with 'equal jitter': half fixed, half random, capped at an hour."""
    ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


def busy_text(service: str, seconds: float) -> str:
    """What people are told while a service is busy, e.g. "The hub is busy: will try again in
    30 seconds". It names the service and the wait, never what waits to go."""
    return f"{service} is busy: will try again in {wait_text(seconds)}"


def busy_until(session: Session, client: FrontDoorClient) -> datetime | None:
    """Until when the service ``client`` talks to asked us to send nothing (None: it did not,
    or that time has come)."""
    value = session.meta(BUSY_META + client.service_id)
    until = parse_iso(value) if value else None
    return until if until is not None and until > session.clock.now() else None


def busy(session: Session, client: FrontDoorClient) -> str | None:
    """``busy_text`` with the time still to wait, while the service is busy; else None."""
    until = busy_until(session, client)
    if until is None:
        return None
    return busy_text(client.name, (until - session.clock.now()).total_seconds())


def note_busy(session: Session, client: FrontDoorClient, exc: RateLimited) -> datetime:
    """Keeps the time the service said to come back (the later one, if it said so twice);
    returns it."""
    until = session.clock.now() + timedelta(seconds=exc.retry_after)
    known = busy_until(session, client)
    if known is not None and known > until:
        return known
    with session.tx():
        session.set_meta(BUSY_META + client.service_id, iso(until))
    return until


def enqueue(session: Session, envelopes: list[bytes], recipient: str, object_type: str,
            object_id: str) -> list[str]:
    """Adds envelopes in delivery order. Call inside the transaction that queues the object."""
    now = iso(session.clock.now())
    ids = []
    for raw in envelopes:
        env = parse(raw)
        session.conn.execute(
            "INSERT INTO outbox (id, kind, recipient, object_type, object_id, envelope, state, "
            "created_at, updated_at) VALUES (?,?,?,?,?,?,'queued',?,?)",
            (env.id, env.header.kind, recipient, object_type, object_id, raw, now, now))
        ids.append(env.id)
    return ids


_COLUMNS = ("id, kind, recipient, object_type, object_id, state, attempts, next_attempt_at, "
            "last_error, receipt")


def _item(row: tuple) -> OutboxItem:
    return OutboxItem(row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                      parse_iso(row[7]) if row[7] else None, row[8], row[9])


def items(session: Session, *, pending_only: bool = False) -> list[OutboxItem]:
    where = " WHERE state != 'receipted'" if pending_only else ""
    rows = session.conn.execute(f"SELECT {_COLUMNS} FROM outbox{where} ORDER BY created_at, "
                                "rowid").fetchall()
    return [_item(r) for r in rows]


def counts(session: Session) -> dict[str, int]:
    """For the status bar: how many envelopes are in each state."""
    return dict(session.conn.execute("SELECT state, count(*) FROM outbox GROUP BY state"
                                     ).fetchall())


IN_FLIGHT = 4  # uploads at once: the round trips overlap, the store work stays on this thread


def drain(session: Session, client: FrontDoorClient, *, now_only_due: bool = False,
          recipients: set[str] | None = None, exclude: set[str] | None = None,
          rng: random.Random | None = None, in_flight: int = IN_FLIGHT) -> list[Delivery]:
    """Uploads every pending envelope addressed to ``recipients`` (or to anyone but
    ``exclude``): the hub and the LA front door each get only their own. ``now_only_due`` (a
    background worker) skips refused rows and those still backing off. While the service is
    busy (it answered 429 and its Retry-After has not passed) nothing is sent, whoever asks.

    Up to ``in_flight`` uploads run at once on worker threads; every read and write of the
    store stays on the caller's thread (one connection, one thread). A row is marked ``sent``
    (committed) before its upload starts and settled after, so a crash anywhere leaves rows
    that the next drain sends again (the service answers a repeat with the same receipt).
    Results come back in outbox order."""
    results: list[Delivery | None] = []
    due: list[tuple[int, OutboxItem]] = []
    waiting = busy(session, client)
    for item in items(session, pending_only=True):
        if (recipients is not None and item.recipient not in recipients) or \
                (exclude is not None and item.recipient in exclude):
            continue
        if item.state == "failed" and now_only_due:
            continue
        if waiting is not None:
            results.append(Delivery(item, "waiting", waiting))
            continue
        if now_only_due and item.next_attempt_at and item.next_attempt_at > session.clock.now():
            results.append(Delivery(item, "waiting", f"next try at {iso(item.next_attempt_at)}"))
            continue
        due.append((len(results), item))
        results.append(None)
    if due:
        _upload(session, client, due, results, max(1, in_flight), rng)
    return [r for r in results if r is not None]


MARK_AHEAD = 64  # rows marked ``sent`` per transaction, ahead of their uploads


def _upload(session: Session, client: FrontDoorClient, due: list[tuple[int, OutboxItem]],
            results: list[Delivery | None], in_flight: int, rng: random.Random | None) -> None:
    """A sliding window: a new upload starts as soon as one ends; the outcomes that ended
    together are committed in one transaction. After a 429 no upload starts: the ones on the
    wire end, and every row not yet tried waits as long as the service asked."""
    from app.protocol.client import RateLimited

    marked: list[bytes] = []
    running: dict[Future[Receipt], tuple[int, OutboxItem]] = {}
    limited = False
    nxt = 0
    with ThreadPoolExecutor(in_flight, thread_name_prefix="upload") as pool:
        while running or (nxt < len(due) and not limited):
            while nxt < len(due) and len(running) < in_flight and not limited:
                if nxt == len(marked):
                    marked += _mark_sent(session, [i for _, i in due[nxt:nxt + MARK_AHEAD]])
                running[pool.submit(client.put_envelope, marked[nxt])] = due[nxt]
                nxt += 1
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            with session.tx():
                for upload in done:
                    slot, item = running.pop(upload)
                    results[slot] = _settle(session, client, item, upload, rng)
                    limited = limited or isinstance(upload.exception(), RateLimited)
    if limited and nxt < len(due):
        _defer(session, client, due[nxt:], results)


def _defer(session: Session, client: FrontDoorClient, rest: list[tuple[int, OutboxItem]],
           results: list[Delivery | None]) -> None:
    """Rows a busy service was not sent: queued (again, if marked sent) until it said to come
    back, not counted as an attempt."""
    until = busy_until(session, client) or session.clock.now()
    text = busy(session, client) or busy_text(client.name, 0)
    with session.tx():
        for slot, item in rest:
            _update(session, item.id, state="queued", error=text, next_at=until)
            results[slot] = Delivery(item, "waiting", text)


def _mark_sent(session: Session, batch: list[OutboxItem]) -> list[bytes]:
    raws = []
    with session.tx() as conn:
        for item in batch:
            raws.append(bytes(conn.execute("SELECT envelope FROM outbox WHERE id = ?",
                                           (item.id,)).fetchone()[0]))
            _update(session, item.id, state="sent")
    return raws


def _settle(session: Session, client: FrontDoorClient, item: OutboxItem,
            upload: Future[Receipt], rng: random.Random | None) -> Delivery:
    from app.protocol.client import FrontDoorError, RateLimited, Refused

    try:
        receipt = upload.result()
    except RateLimited as exc:  # busy, not refusing: queued until the time it gave
        until = note_busy(session, client, exc)
        text = busy_text(exc.service, (until - session.clock.now()).total_seconds())
        _update(session, item.id, state="queued", error=text, attempts=item.attempts + 1,
                next_at=until)
        return Delivery(item, "waiting", text)
    except Refused as exc:
        _update(session, item.id, state="failed", error=str(exc), attempts=item.attempts + 1)
        _audit(session, item, "refused", reason=type(exc).__name__)
        return Delivery(item, "failed", str(exc))
    except FrontDoorError as exc:
        delay = backoff(item.attempts + 1, rng)
        _update(session, item.id, state="queued", error=str(exc), attempts=item.attempts + 1,
                next_at=session.clock.now() + timedelta(seconds=delay))
        return Delivery(item, "waiting", str(exc))
    with session.tx() as conn:
        conn.execute("UPDATE outbox SET state = 'receipted', receipt = ?, last_error = NULL, "
                     "attempts = attempts + 1, updated_at = ? WHERE id = ?",
                     (receipt.to_bytes().decode(), iso(session.clock.now()), item.id))
        session.audit("receipt", "envelope", item.id, kind=item.kind,
                      received=iso(receipt.received), service=receipt.service)
        if item.kind == "referral" and item.object_type == "referral" and item.object_id:
            record_delivery(session, item.object_id, "receipted", iso(receipt.received))
        if item.kind == FILE_KIND and item.object_type == "transfer" and item.object_id \
                and session.can(Perm.ADD_ENTRY):  # else the receiving school's receipt says
            add_step(session, item.object_id, "sent", "receipted by the LA front door at "
                     + date_time_text(receipt.received))
    return Delivery(item, "receipted", f"receipt signed by {receipt.service} at "
                    f"{iso(receipt.received)}")


def _update(session: Session, outbox_id: str, *, state: str, error: str | None = None,
            attempts: int | None = None, next_at: datetime | None = None) -> None:
    with session.tx() as conn:
        conn.execute("UPDATE outbox SET state = ?, last_error = coalesce(?, last_error), "
                     "attempts = coalesce(?, attempts), next_attempt_at = ?, updated_at = ? "
                     "WHERE id = ?", (state, error, attempts, iso(next_at) if next_at else None,
                                      iso(session.clock.now()), outbox_id))


def _audit(session: Session, item: OutboxItem, outcome: str, **detail: str) -> None:
    session.audited("sync", "envelope", item.id, outcome=outcome, kind=item.kind, **detail)


