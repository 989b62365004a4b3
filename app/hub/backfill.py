"""The whole history, queued for the DSL team when a school first sets its hub (or a PC is
approved later): the roster, every record, flag, profile and referral in snapshots of a modest
size, then every attachment in chunks (docs/hub-sync.md)."""

from __future__ import annotations

from app.hub.replicate import (
    Snapshot,
    canonical,
    queue_to_team,
    replicate_roster,
    replicating,
)
from app.hub.replicate_attachments import hub_body_limit, queue_attachment
from app.store.session import Session

BATCH_BYTES = 48 * 1024  # a backfill envelope stays well under any hub's body limit


def backfill(session: Session) -> int:
    """Queues everything this store already holds to the DSL team (run once, when the team key
    is made), so a DSL PC that joins later receives the full history. Returns envelopes queued."""
    if not replicating(session):
        return 0
    conn = session.conn
    queued = 0
    with session.tx():
        roster = [r[0] for r in conn.execute("SELECT upn FROM children ORDER BY upn")]
        before = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
        replicate_roster(session, roster)
        queued += conn.execute("SELECT count(*) FROM outbox").fetchone()[0] - before
        snap, size = Snapshot(conn, session.user.id), 0
        def flush() -> None:
            nonlocal snap, size, queued
            if snap.records or snap.flags or snap.referrals or snap.profile:
                queue_to_team(session, "dsl", "record", snap.payload(), "backfill", None)
                queued += 1
            snap, size = Snapshot(conn, session.user.id), 0
        for (record_id,) in conn.execute("SELECT id FROM records ORDER BY created_at, id"
                                         ).fetchall():
            snap.add_record(record_id)
            size += len(canonical(snap.records[-1]))
            if size > BATCH_BYTES:
                flush()
        for (child_id,) in conn.execute("SELECT DISTINCT child_id FROM child_flag_events"
                                        ).fetchall():
            snap.add_flags(child_id)
        for (child_id,) in conn.execute("SELECT DISTINCT child_id FROM profile_items ORDER BY "
                                        "child_id").fetchall():
            before = len(snap.profile)
            snap.add_profile(child_id)
            size += sum(len(canonical(row)) for row in snap.profile[before:])
            if size > BATCH_BYTES:
                flush()
        for (referral_id,) in conn.execute("SELECT id FROM referrals ORDER BY created_at, id"
                                           ).fetchall():
            snap.add_referral(referral_id)
            size += len(canonical(snap.referrals[-1]))
            if size > BATCH_BYTES:
                flush()
        flush()
        limit = hub_body_limit(conn)
        for (attachment_id,) in conn.execute("SELECT id FROM attachments ORDER BY added_at, id"
                                             ).fetchall():
            queued += len(queue_attachment(session, attachment_id, limit))
        session.audit("sync", "outbox", None, backfill=queued)
    return queued
