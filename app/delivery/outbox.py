"""The outbox: envelopes waiting in the encrypted store until a service has receipted them.

Delivery is at-least-once on the wire and exactly-once in effect: each envelope keeps its id and
bytes, the service stores the first copy and answers every retry with the same signed receipt.
A row is marked ``sent`` (committed) before its upload, so a crash mid-upload is retried.
"""

from __future__ import annotations

import random
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from app.clock import iso, parse_iso
from app.delivery.outcomes import record_delivery
from app.protocol.envelope import parse
from app.store.session import Session

if TYPE_CHECKING:  # httpx is imported only when something is delivered (app start-up)
    from app.protocol.client import FrontDoorClient
    from app.protocol.receipt import Receipt

BACKOFF_BASE_SECONDS = 5.0
BACKOFF_MAX_SECONDS = 3600.0


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
    background worker) skips refused rows and those still backing off.

    Up to ``in_flight`` uploads run at once on worker threads; every read and write of the
    store stays on the caller's thread (one connection, one thread). A row is marked ``sent``
    (committed) before its upload starts and settled after, so a crash anywhere leaves rows
    that the next drain sends again (the service answers a repeat with the same receipt).
    Results come back in outbox order."""
    results: list[Delivery | None] = []
    due: list[tuple[int, OutboxItem]] = []
    for item in items(session, pending_only=True):
        if (recipients is not None and item.recipient not in recipients) or \
                (exclude is not None and item.recipient in exclude):
            continue
        if item.state == "failed" and now_only_due:
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
    together are committed in one transaction."""
    marked: list[bytes] = []
    running: dict[Future[Receipt], tuple[int, OutboxItem]] = {}
    with ThreadPoolExecutor(in_flight, thread_name_prefix="upload") as pool:
        nxt = 0
        while nxt < len(due) or running:
            while nxt < len(due) and len(running) < in_flight:
                if nxt == len(marked):
                    marked += _mark_sent(session, [i for _, i in due[nxt:nxt + MARK_AHEAD]])
                running[pool.submit(client.put_envelope, marked[nxt])] = due[nxt]
                nxt += 1
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            with session.tx():
                for upload in done:
                    slot, item = running.pop(upload)
                    results[slot] = _settle(session, item, upload, rng)


def _mark_sent(session: Session, batch: list[OutboxItem]) -> list[bytes]:
    raws = []
    with session.tx() as conn:
        for item in batch:
            raws.append(bytes(conn.execute("SELECT envelope FROM outbox WHERE id = ?",
                                           (item.id,)).fetchone()[0]))
            _update(session, item.id, state="sent")
    return raws


def _settle(session: Session, item: OutboxItem, upload: Future[Receipt],
            rng: random.Random | None) -> Delivery:
    from app.protocol.client import FrontDoorError, Refused

    try:
        receipt = upload.result()
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


