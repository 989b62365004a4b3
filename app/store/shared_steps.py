"""The steps the school store and the DSL store both take, written once (issue #15,
docs/keys.md): a single-file store runs them among its own migrations (app/store/schema.py);
a store with a DSL store of its own skips those (``DslTables``) and the DSL store runs the same
text with its names qualified (app/store/dsl_store.py). Never edit a released step."""

from __future__ import annotations


class DslTables(str):
    """A step that makes tables only the DSL team may read. A single-file store keeps them
    here; a store with a DSL store of its own (docs/keys.md) gets them from that store's own
    migrations (app/store/dsl_store.py), so this step leaves it unchanged."""


def qualified(template: str, prefix: str) -> str:
    """A step written once for both stores: ``{s}`` before each name it creates or alters
    becomes ``prefix`` ("" here, "dsl." in the DSL store)."""
    return template.replace("{s}", prefix)


# Steps the school store and the DSL store both take (the DSL store's steps 2–5).
def _profile_table(name: str, sources: str) -> str:
    """The profile's table under ``name``, its ``source`` one of ``sources`` (SQL list)."""
    return f"""
    CREATE TABLE {{s}}{name} (
        id TEXT PRIMARY KEY,
        child_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('fact', 'address', 'contact', 'household',
                                           'professional', 'name')),
        item_key TEXT NOT NULL,
        value TEXT,
        source TEXT NOT NULL CHECK (source IN ({sources})),
        source_note TEXT,
        author_id TEXT NOT NULL,
        at TEXT NOT NULL
    );"""


_PROFILE_INDEX = """
    CREATE INDEX {s}profile_items_child ON profile_items (child_id, kind, item_key, at);
    """
PROFILE_ITEMS = _profile_table("profile_items", "'mis', 'ctf', 'person'") + _PROFILE_INDEX
# A previous school's CP file fills in the profile (issue #19): the source 'cp-file'. SQLite
# cannot alter a CHECK, so the table is rebuilt with its rows, ids and times unchanged.
PROFILE_FROM_CP_FILES = _profile_table(
    "profile_items_next", "'mis', 'ctf', 'person', 'cp-file'") + """
    INSERT INTO {s}profile_items_next (id, child_id, kind, item_key, value, source,
                                       source_note, author_id, at)
        SELECT id, child_id, kind, item_key, value, source, source_note, author_id, at
        FROM {s}profile_items;
    DROP TABLE {s}profile_items;
    ALTER TABLE {s}profile_items_next RENAME TO profile_items;""" + _PROFILE_INDEX
ENTRY_DETAILS = """
    ALTER TABLE {s}record_versions ADD COLUMN details TEXT;
    """
SIGNED_AUDIT = """
    ALTER TABLE {s}audit ADD COLUMN signer TEXT;
    ALTER TABLE {s}audit ADD COLUMN signature TEXT;
    INSERT OR REPLACE INTO {s}meta (key, value)
        SELECT 'audit_signed_from', coalesce(max(seq), 0) + 1 FROM {s}audit;
    """
SAR_DRAFTS = """
    CREATE TABLE {s}sar_drafts (
        id TEXT PRIMARY KEY,
        child_id TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        saved_at TEXT NOT NULL,
        body TEXT NOT NULL,
        produced_at TEXT
    );
    CREATE INDEX {s}sar_drafts_child ON sar_drafts (child_id, created_at);
    """
# Retention (issue #20, docs/retention.md): the DSL's decisions on a child's file at review
# (extend to a date, hold, release a hold), and the ids of rows destroyed at review, kept so
# an older copy arriving later from another PC is refused rather than brought back. Ids and
# times only: nothing of what was destroyed.
RETENTION = """
    CREATE TABLE {s}retention_decisions (
        id TEXT PRIMARY KEY,
        child_id TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('extend', 'hold', 'release')),
        until TEXT,
        reason TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX {s}retention_decisions_child ON retention_decisions (child_id, at);
    CREATE TABLE {s}destroyed_items (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        child_id TEXT NOT NULL,
        destroyed_at TEXT NOT NULL
    );
    CREATE INDEX {s}destroyed_items_child ON destroyed_items (child_id);
    """
# CP-file transfers (issue #19, app/transfer/): one row per file that leaves for (or arrives
# from) another school, its steps as events (prepared, sent, received, accepted, rejected,
# receipt confirmed); and what the school decided to keep of a file it sent.
TRANSFERS = """
    CREATE TABLE {s}transfers (
        id TEXT PRIMARY KEY,
        child_id TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),
        route TEXT NOT NULL CHECK (route IN ('pack', 'concerndesk')),
        school TEXT NOT NULL,
        receipt_code_sha256 TEXT,
        contents TEXT NOT NULL DEFAULT '[]',
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX {s}transfers_child ON transfers (child_id, created_at);
    CREATE TABLE {s}transfer_events (
        id TEXT PRIMARY KEY,
        transfer_id TEXT NOT NULL REFERENCES transfers (id),
        status TEXT NOT NULL CHECK (status IN ('prepared', 'sent', 'received', 'accepted',
                                               'rejected', 'receipt confirmed')),
        actor_id TEXT NOT NULL,
        at TEXT NOT NULL,
        note TEXT
    );
    CREATE INDEX {s}transfer_events_transfer ON transfer_events (transfer_id, at);
    CREATE TABLE {s}file_retention (
        id TEXT PRIMARY KEY,
        child_id TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('archive', 'period')),
        keep_until TEXT,
        reason TEXT,
        decided_by TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX {s}file_retention_child ON file_retention (child_id, at);
    """

# A CP file between ConcernDesk schools through the LA front door (issue #19,
# app/delivery/cp_*.py). ``transfer_peers``: for a file sent, the receiving school's keys, to
# check its answers. ``incoming_files``: a file received, waiting in this encrypted store for
# the DSL to accept or reject it (the one row here updated in place: it is a mailbox, and the
# decision itself is kept as transfer events; its payload is dropped once decided).
# ``received_entries``: which chronology entries came from the old school, with their original
# author, kind and time (such an entry is read-only).
CP_FILES = """
    CREATE TABLE {s}transfer_peers (
        transfer_id TEXT PRIMARY KEY REFERENCES transfers (id),
        envelope_id TEXT NOT NULL UNIQUE,
        peer TEXT NOT NULL,
        peer_bundle TEXT NOT NULL,
        peer_team TEXT NOT NULL
    );
    CREATE TABLE {s}incoming_files (
        id TEXT PRIMARY KEY,
        envelope_id TEXT NOT NULL UNIQUE,
        sender_transfer TEXT NOT NULL,
        peer TEXT NOT NULL,
        peer_team TEXT NOT NULL,
        school TEXT NOT NULL,
        child_name TEXT NOT NULL,
        child_upn TEXT NOT NULL,
        received_at TEXT NOT NULL,
        payload BLOB,
        state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'accepted',
                                                                'rejected')),
        transfer_id TEXT,
        decided_at TEXT
    );
    CREATE TABLE {s}received_entries (
        record_id TEXT PRIMARY KEY,
        transfer_id TEXT NOT NULL,
        school TEXT NOT NULL,
        author TEXT NOT NULL,
        kind TEXT NOT NULL,
        recorded_at TEXT
    );
    """
