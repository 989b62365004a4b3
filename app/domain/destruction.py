"""Destroying a child's file at retention review (issue #20, docs/retention.md): the one purge
the append-only store allows, and a real one.

``destroy`` deletes every row of the child's file from the store and its search indexes,
reports the destruction (so the hub carries it to the school's other DSL PCs), writes a
tombstone to the audit trail — who, when, under what policy, how many rows of each kind, no
content — and then reclaims the space: VACUUM rewrites every page, and a TRUNCATE checkpoint
leaves no copy in the write-ahead log. ``destroy_rows`` is the part the hub's apply reuses.

A record that names this child and another child is not the destroyed child's alone: it stays
in the other child's file, with this child's link to it removed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from app.clock import iso
from app.domain import retention
from app.errors import InputError
from app.store.db import Connection
from app.store.roles import Perm
from app.store.session import Session
from app.wording import date_text

log = logging.getLogger(__name__)

# What is remembered of a destroyed row, so an older copy from another PC is refused.
REMEMBERED = ("record", "referral", "flag", "profile", "attachment", "pack", "decision")
_FTS = ("record_fts", "record_more_fts", "status_note_fts")


@dataclass
class Destroyed:
    """What one destruction deleted: the ids to remember, and the count of each kind."""
    ids: dict[str, list[str]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, count: int) -> None:
        if count:
            self.counts[kind] = self.counts.get(kind, 0) + count


def _ids(conn: Connection, sql: str, *params: object) -> list[str]:
    return [str(row[0]) for row in conn.execute(sql, params)]


def _delete(conn: Connection, out: Destroyed, kind: str, sql: str, *params: object) -> None:
    out.add(kind, int(conn.execute(sql, params).rowcount or 0))


def destroy_rows(conn: Connection, child_id: str, destroyed_at: str) -> Destroyed:
    """Deletes the child's file from the store, inside the caller's transaction, and remembers
    the ids it deleted. The roster row stays (it is the pupil record, not the CP file)."""
    out = Destroyed()
    own = _ids(conn, "SELECT record_id FROM record_children WHERE child_id = ? AND record_id "
                     "NOT IN (SELECT record_id FROM record_children WHERE child_id != ?)",
               child_id, child_id)
    records = json.dumps(own)
    inside = "(SELECT value FROM json_each(?))"
    referrals = _ids(conn, "SELECT id FROM referrals WHERE child_id = ?", child_id)
    refs = json.dumps(referrals)
    out.ids = {
        "record": own, "referral": referrals,
        "attachment": _ids(conn, f"SELECT id FROM attachments WHERE record_id IN {inside}",
                           records),
        "pack": _ids(conn, f"SELECT id FROM referral_packs WHERE referral_id IN {inside}", refs),
        "flag": _ids(conn, "SELECT id FROM child_flag_events WHERE child_id = ?", child_id),
        "profile": _ids(conn, "SELECT id FROM profile_items WHERE child_id = ?", child_id),
        "decision": _ids(conn, "SELECT id FROM retention_decisions WHERE child_id = ?",
                         child_id)}
    # The search indexes first: they are found through the versions and events.
    conn.execute(f"DELETE FROM record_fts WHERE rowid IN (SELECT rowid FROM record_versions "
                 f"WHERE record_id IN {inside})", (records,))
    conn.execute(f"DELETE FROM record_more_fts WHERE version_id IN (SELECT id FROM "
                 f"record_versions WHERE record_id IN {inside})", (records,))
    conn.execute(f"DELETE FROM status_note_fts WHERE status_id IN (SELECT id FROM record_status "
                 f"WHERE record_id IN {inside})", (records,))
    by_record = (("attachment", "attachments"), ("attachment part", "attachment_chunks"),
                 ("status event", "record_status"), ("", "concern_state"))
    for kind, table in by_record:
        _delete(conn, out, kind, f"DELETE FROM {table} WHERE record_id IN {inside}", records)
    _delete(conn, out, "", f"DELETE FROM record_links WHERE record_id IN {inside} OR further_to "
                           f"IN {inside}", records, records)
    _delete(conn, out, "version", f"DELETE FROM record_versions WHERE record_id IN {inside}",
            records)
    _delete(conn, out, "", "DELETE FROM record_children WHERE child_id = ?", child_id)
    for kind in ("concern", "entry"):
        _delete(conn, out, kind, f"DELETE FROM records WHERE kind = ? AND id IN {inside}",
                kind, records)
    for kind, table in (("referral pack", "referral_packs"), ("", "referral_status"),
                        ("referral version", "referral_versions")):
        _delete(conn, out, kind, f"DELETE FROM {table} WHERE referral_id IN {inside}", refs)
    _delete(conn, out, "referral", "DELETE FROM referrals WHERE child_id = ?", child_id)
    transfers = "(SELECT id FROM transfers WHERE child_id = ?)"
    for table in ("transfer_events", "transfer_peers", "incoming_files"):
        _delete(conn, out, "", f"DELETE FROM {table} WHERE transfer_id IN {transfers}",
                child_id)
    _delete(conn, out, "", f"DELETE FROM received_entries WHERE record_id IN {inside}", records)
    for kind, table in (("flag event", "child_flag_events"), ("profile item", "profile_items"),
                        ("subject access draft", "sar_drafts"),
                        ("retention decision", "retention_decisions"),
                        ("CP-file transfer", "transfers"), ("", "file_retention")):
        _delete(conn, out, kind, f"DELETE FROM {table} WHERE child_id = ?", child_id)
    # Sealed copies and queued envelopes about the file (the DSL team holds their keys).
    named = json.dumps([child_id, *own, *referrals, *out.ids["pack"],
                        *out.ids["attachment"]])
    _delete(conn, out, "sealed item", f"DELETE FROM sealed_items WHERE object_id IN {inside}",
            named)
    _delete(conn, out, "envelope", f"DELETE FROM outbox WHERE object_id IN {inside}", named)
    out.counts.pop("", None)
    for kind in REMEMBERED:
        conn.executemany("INSERT OR IGNORE INTO destroyed_items (id, kind, child_id, "
                         "destroyed_at) VALUES (?,?,?,?)",
                         ((i, kind, child_id, destroyed_at) for i in out.ids[kind]))
    # An FTS5 delete leaves the words in older index segments until they are merged.
    for table in _FTS:
        conn.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
    return out


def is_destroyed(conn: Connection, kind: str, object_id: str) -> bool:
    """Whether a row of this id was destroyed at review here (so a copy must not come back)."""
    return conn.execute("SELECT 1 FROM destroyed_items WHERE id = ? AND kind = ?",
                        (object_id, kind)).fetchone() is not None


def compact(session: Session) -> list[str]:
    """Reclaims the space of deleted rows in every file this session holds, and empties the
    write-ahead logs. Outside any transaction. Returns the problems (a log another connection
    still reads from cannot be emptied yet), each in words."""
    conn = session.conn
    schemas = ["main"] + (["dsl"] if session.held.dsl_store_open else [])
    problems = []
    for schema in schemas:
        conn.execute(f"VACUUM {schema}")
        busy = conn.execute(f"PRAGMA {schema}.wal_checkpoint(TRUNCATE)").fetchone()
        if busy and busy[0]:
            store = "DSL store" if schema == "dsl" else "school store"
            problems.append(f"another window or the sync still reads the {store}, so the "
                            "destroyed rows are not yet overwritten in its file: close the "
                            "other window, then run `concerndesk-cli retention compact`")
    return problems


def compact_store(session: Session) -> list[str]:
    """``compact`` on its own, for when a destruction could not empty a log; audited."""
    session.require(Perm.REVIEW_RETENTION)
    problems = compact(session)
    session.audited("settings", "store", session.store_id, compacted=not problems)
    return problems


@dataclass(frozen=True)
class Destruction:
    child_id: str
    counts: dict[str, int]
    problems: list[str]


def destroy(session: Session, child_id: str, *, confirm: bool) -> Destruction:
    """Destroys a file due for review. ``confirm``: the DSL said yes to a final question."""
    session.require(Perm.REVIEW_RETENTION)
    review = retention.file_review(session, child_id)
    if review.held:
        raise InputError("destroy", "this file is on hold: release the hold first, with a reason")
    if not review.due:
        raise InputError("destroy", f"this file is kept until {date_text(review.review_on)} "
                         "and is not due for review yet")
    if not confirm:
        raise InputError("confirm", "destruction cannot be undone: confirm it")
    now = iso(session.clock.now())
    with session.tx() as conn:
        gone = destroy_rows(conn, child_id, now)
        # The tombstone: who (the event's actor), when, under what policy, how many of each.
        session.audit("destroy", "child-file", child_id, policy=review.basis,
                      years=review.years, review_on=review.review_on.isoformat(),
                      extended=review.extended, counts=gone.counts)
        session.changed("destruction", child_id)
    problems = compact(session)
    log.info("a child's file was destroyed at review (%d rows)", sum(gone.counts.values()))
    return Destruction(child_id, gone.counts, problems)
