"""The DSL store: a second SQLCipher file, ``dsl.db``, with a key of its own granted only to DSL
accounts and the recovery key (docs/keys.md). It holds what only the DSL team may read: the
concerns in the clear, the chronology, the search index, referrals and packs, flags, the DSL
team's private keys and the DSL team's audit chain.

It is ATTACHed as ``dsl`` at a DSL's sign-in. Every other session gets a *workspace* attached
under the same name: a private in-memory database with the same tables, holding only what that
account's own keys open (its own concerns; for the office, the released packs). So the domain's
queries are the same for every role — table names are unique, and SQLite finds each in whichever
database holds it — while what a role can read is decided by what it can decrypt. Nothing in
the workspace reaches the disk; what a non-DSL account writes there is sealed into the school
store (app/hub/sealing.py) in the same transaction.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from app.errors import StoreDamaged
from app.store.db import (
    CACHE_KIB,
    KEY_MODEL,
    SPLIT,
    Connection,
    DatabaseError,
    damaged_message,
    statements,
    transaction,
)
from app.store.keys import key_id
from app.store.shared_steps import (
    CP_FILES,
    ENTRY_DETAILS,
    PROFILE_FROM_CP_FILES,
    PROFILE_ITEMS,
    RETENTION,
    SAR_DRAFTS,
    SIGNED_AUDIT,
    TRANSFERS,
    qualified,
)

DSL_FILE = "dsl.db"
SCHEMA = "dsl"

# The tables that move out of the school store, in an order that keeps foreign keys whole.
# Triggers rebuild concern_state and the two trigger-kept indexes as rows arrive.
MOVED = ("records", "record_versions", "record_children", "record_status", "record_links",
         "attachments", "attachment_chunks", "referrals", "referral_versions",
         "referral_status", "referral_packs", "child_flag_events", "record_fts",
         "profile_items", "sar_drafts", "retention_decisions", "destroyed_items",
         "transfers", "transfer_events", "file_retention", "transfer_peers",
         "incoming_files", "received_entries")
DROPPED_WITH_THEM = ("concern_state", "status_note_fts", "record_more_fts")
KEEP_ROWID = ("record_versions", "record_fts")  # the search index joins on the version rowid

# Forward-only, like the school store's (app/store/schema.py); version 1 is the school
# store's schema 10 of these tables, without the foreign keys into the school store (SQLite
# keeps foreign keys within one database file).
MIGRATIONS: list[str] = [
    """
    CREATE TABLE dsl.records (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('concern', 'entry')),
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL
        );
    CREATE INDEX dsl.records_creator ON records (created_by, created_at);
    CREATE TABLE dsl.record_versions (
        id TEXT PRIMARY KEY,
        record_id TEXT NOT NULL REFERENCES records (id),
        version INTEGER NOT NULL,
        supersedes TEXT REFERENCES record_versions (id),
        author_id TEXT NOT NULL,
        written_at TEXT NOT NULL,
        reason TEXT,
        occurred_at TEXT NOT NULL,
        entry_kind TEXT NOT NULL,
        categories TEXT NOT NULL DEFAULT '[]',
        location TEXT,
        summary TEXT NOT NULL,
        child_words TEXT,
        action_taken TEXT,
        witnesses TEXT,
        significant INTEGER NOT NULL DEFAULT 0,
        body_marks TEXT NOT NULL DEFAULT '[]'
        );
    CREATE INDEX dsl.record_versions_record ON record_versions (record_id, version);
    CREATE TABLE dsl.record_children (
        record_id TEXT NOT NULL REFERENCES records (id),
        child_id TEXT NOT NULL,
        role TEXT NOT NULL,
        PRIMARY KEY (record_id, child_id)
        );
    CREATE INDEX dsl.record_children_child ON record_children (child_id);
    CREATE TABLE dsl.record_status (
        id TEXT PRIMARY KEY,
        record_id TEXT NOT NULL REFERENCES records (id),
        status TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        at TEXT NOT NULL,
        note TEXT
        );
    CREATE INDEX dsl.record_status_record ON record_status (record_id, at);
    CREATE TABLE dsl.attachments (
        id TEXT PRIMARY KEY,
        record_id TEXT NOT NULL REFERENCES records (id),
        filename TEXT NOT NULL,
        media_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        data BLOB NOT NULL,
        added_by TEXT NOT NULL,
        added_at TEXT NOT NULL
        );
    CREATE INDEX dsl.attachments_record ON attachments (record_id);
    CREATE VIRTUAL TABLE dsl.record_fts USING fts5 (
        summary, child_words, action_taken, location,
        tokenize = 'unicode61 remove_diacritics 2'
        );
    CREATE TABLE dsl.referrals (
        id TEXT PRIMARY KEY,
        child_id TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL
        );
    CREATE INDEX dsl.referrals_child ON referrals (child_id);
    CREATE TABLE dsl.referral_versions (
        id TEXT PRIMARY KEY,
        referral_id TEXT NOT NULL REFERENCES referrals (id),
        version INTEGER NOT NULL,
        author_id TEXT NOT NULL,
        written_at TEXT NOT NULL,
        form TEXT NOT NULL,
        entry_ids TEXT NOT NULL
        );
    CREATE INDEX dsl.referral_versions_referral ON referral_versions (referral_id, version);
    CREATE TABLE dsl.referral_status (
        id TEXT PRIMARY KEY,
        referral_id TEXT NOT NULL REFERENCES referrals (id),
        status TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        at TEXT NOT NULL,
        note TEXT
        );
    CREATE INDEX dsl.referral_status_referral ON referral_status (referral_id, at);
    CREATE TABLE dsl.referral_packs (
        id TEXT PRIMARY KEY,
        referral_id TEXT NOT NULL REFERENCES referrals (id),
        referral_version_id TEXT NOT NULL REFERENCES referral_versions (id),
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        pdf BLOB NOT NULL,
        twin TEXT NOT NULL
        );
    CREATE INDEX dsl.referral_packs_referral ON referral_packs (referral_id);
    CREATE TABLE dsl.child_flag_events (
        id TEXT PRIMARY KEY,
        child_id TEXT NOT NULL,
        flag TEXT NOT NULL,
        value INTEGER NOT NULL CHECK (value IN (0, 1)),
        actor_id TEXT NOT NULL,
        at TEXT NOT NULL,
        note TEXT
        );
    CREATE INDEX dsl.child_flag_events_child ON child_flag_events (child_id, at);
    CREATE TABLE dsl.concern_state (
        record_id TEXT PRIMARY KEY REFERENCES records (id),
        status TEXT NOT NULL,
        assignee TEXT,
        created_at TEXT NOT NULL
        );
    CREATE INDEX dsl.concern_state_open ON concern_state (created_at, record_id)
        WHERE status != 'closed';
    CREATE TRIGGER dsl.concern_state_starts AFTER INSERT ON records WHEN NEW.kind = 'concern' BEGIN
        INSERT OR IGNORE INTO concern_state (record_id, status, created_at)
        VALUES (NEW.id, 'new', NEW.created_at);
        END;
    CREATE TRIGGER dsl.concern_state_follows AFTER INSERT ON record_status BEGIN
        INSERT INTO concern_state (record_id, status, assignee, created_at)
        SELECT NEW.record_id,
        coalesce((SELECT status FROM record_status WHERE record_id = NEW.record_id
        AND status != 'assigned' ORDER BY at DESC, id DESC LIMIT 1), 'new'),
        (SELECT note FROM record_status WHERE record_id = NEW.record_id
        AND status = 'assigned' ORDER BY at DESC, id DESC LIMIT 1),
        r.created_at
        FROM records r WHERE r.id = NEW.record_id AND r.kind = 'concern'
        ON CONFLICT (record_id) DO UPDATE SET status = excluded.status,
        assignee = excluded.assignee;
        END;
    CREATE TABLE dsl.attachment_chunks (
        attachment_id TEXT NOT NULL,
        chunk_count INTEGER NOT NULL,
        chunk_index INTEGER NOT NULL,
        record_id TEXT NOT NULL,
        meta TEXT NOT NULL,
        data BLOB NOT NULL,
        received_at TEXT NOT NULL,
        PRIMARY KEY (attachment_id, chunk_count, chunk_index)
        );
    CREATE INDEX dsl.attachment_chunks_record ON attachment_chunks (record_id);
    CREATE VIRTUAL TABLE dsl.status_note_fts USING fts5 (
        note, status_id UNINDEXED,
        tokenize = 'unicode61 remove_diacritics 2'
        );
    CREATE TRIGGER dsl.status_note_indexed AFTER INSERT ON record_status
        WHEN NEW.note IS NOT NULL AND NEW.status != 'assigned' BEGIN
        INSERT INTO status_note_fts (note, status_id) VALUES (NEW.note, NEW.id);
        END;
    CREATE VIRTUAL TABLE dsl.record_more_fts USING fts5 (
        witnesses, marks, version_id UNINDEXED,
        tokenize = 'unicode61 remove_diacritics 2'
        );
    CREATE TRIGGER dsl.record_more_indexed AFTER INSERT ON record_versions
        WHEN NEW.witnesses IS NOT NULL OR NEW.body_marks != '[]' BEGIN
        INSERT INTO record_more_fts (witnesses, marks, version_id)
        VALUES (coalesce(NEW.witnesses, ''),
        coalesce((SELECT group_concat(json_extract(value, '$.note'), ' ')
        FROM json_each(NEW.body_marks)), ''), NEW.id);
        END;
    CREATE TABLE dsl.record_links (
        record_id TEXT PRIMARY KEY REFERENCES records (id),
        further_to TEXT NOT NULL REFERENCES records (id),
        CHECK (record_id != further_to)
        );
    CREATE INDEX dsl.record_links_further_to ON record_links (further_to);
    CREATE TABLE dsl.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE dsl.audit (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        at TEXT NOT NULL,
        actor TEXT,
        action TEXT NOT NULL,
        object_type TEXT,
        object_id TEXT,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE TABLE dsl.held_team_keys (
        fingerprint TEXT PRIMARY KEY,
        team TEXT NOT NULL CHECK (team IN ('dsl', 'office')),
        bundle TEXT NOT NULL,
        private BLOB NOT NULL,
        added_at TEXT NOT NULL
    );
    CREATE TABLE dsl.dsl_members (
        username TEXT PRIMARY KEY,
        public TEXT NOT NULL,
        added_at TEXT NOT NULL
    );
    """,
    # 2 — the child's profile (the school store's step 13, which a store with a DSL store
    # skips: app/store/schema.py, DslTables)
    qualified(PROFILE_ITEMS, "dsl."),
    # 3 — a version's structured fields (a police notification's, issue #20): the school
    # store's step 16, which a store with a DSL store skips
    qualified(ENTRY_DETAILS, "dsl."),
    # 4 — the DSL team's audit events signed by the acting DSL's personal key, as the school
    # store's step 17 does for its own trail
    qualified(SIGNED_AUDIT, "dsl."),
    # 5 — subject access drafts (the school store's step 18, which a store with a DSL store
    # skips: app/store/schema.py, DslTables)
    qualified(SAR_DRAFTS, "dsl."),
    # 6 — retention decisions and destroyed ids (the school store's step 20, which a store
    # with a DSL store skips)
    qualified(RETENTION, "dsl."),
    # 7 — CP-file transfers and retention decisions (the school store's step 22, which a store
    # with a DSL store skips: app/store/schema.py, DslTables)
    qualified(TRANSFERS, "dsl."),
    # 8 — CP files between ConcernDesk schools (the school store's step 23, which a store with
    # a DSL store skips: app/store/schema.py, DslTables)
    qualified(CP_FILES, "dsl."),
    # 9 — the profile's source 'cp-file' (the school store's step 24, which a store with a DSL
    # store skips)
    qualified(PROFILE_FROM_CP_FILES, "dsl."),
    # 10 — the inbox marks of a PC whose envelopes land here: kept in the file SQLite commits
    # last, so a cursor never moves past records that did not (app/delivery/inbox_marks.py)
    """
    CREATE TABLE dsl.applied_envelopes (
        envelope_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        applied_at TEXT NOT NULL
    );
    CREATE TABLE dsl.inbox_cursors (
        role TEXT PRIMARY KEY CHECK (role IN ('frontdoor', 'hub')),
        cursor TEXT,
        service_set_at TEXT NOT NULL
    );
    """,
]
LATEST = len(MIGRATIONS)


def _attach(conn: Connection, target: str, key_text: str) -> None:
    conn.execute(f"ATTACH DATABASE ? AS {SCHEMA} KEY ?", (target, key_text))


def attach_store(conn: Connection, directory: Path, key: bytes, *, create: bool = False) -> None:
    """Attaches the DSL store (making it when ``create``), with the school store's durability,
    and brings its schema up to date."""
    path = directory / DSL_FILE
    if not create and not path.exists():
        raise StoreDamaged(f"The DSL store file {DSL_FILE} is missing: restore from a backup.")
    if create and not path.exists():
        # Owner-only from the start, like the school store; SQLite gives its -wal the same mode.
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    _attach(conn, str(path), f"x'{key.hex()}'")
    try:
        conn.execute(f"SELECT count(*) FROM {SCHEMA}.sqlite_master").fetchone()
        conn.execute(f"PRAGMA {SCHEMA}.journal_mode = WAL").fetchone()
        conn.execute(f"PRAGMA {SCHEMA}.synchronous = FULL")
        # A cache_size applies to one file only, and an attached file's is SQLite's 2 MiB
        # default: the DSL store, where the search index and the chronology live, gets the
        # school store's 32 MiB too (a page dropped from the cache is decrypted again when
        # read; bench/README.md). Pages are cached only as they are read: peak memory on the
        # DSL home is unchanged.
        conn.execute(f"PRAGMA {SCHEMA}.cache_size = -{CACHE_KIB}")
        migrate(conn)
    except DatabaseError as exc:
        detach(conn)
        raise StoreDamaged(damaged_message(directory)) from exc
    conn.dsl_key_id = key_id(key)  # type: ignore[attr-defined]  # (db.rekeyed_under)


def attach_workspace(conn: Connection) -> None:
    """A private in-memory database with the DSL store's tables, for a session without the key."""
    _attach(conn, ":memory:", "")
    migrate(conn)


def detach(conn: Connection) -> None:
    if attached(conn):
        conn.execute(f"DETACH DATABASE {SCHEMA}")


def attached(conn: Connection) -> bool:
    return any(row[1] == SCHEMA for row in conn.execute("PRAGMA database_list"))


def migrate(conn: Connection) -> None:
    current = int(conn.execute(f"PRAGMA {SCHEMA}.user_version").fetchone()[0])
    if current > LATEST:
        raise StoreDamaged(f"The DSL store uses schema {current}, made by a newer ConcernDesk: "
                           "install the newer version.")
    for number in range(current + 1, LATEST + 1):
        with transaction(conn):  # the school store's own: a full disk is said plainly
            for statement in statements(MIGRATIONS[number - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA {SCHEMA}.user_version = {number}")


def move_tables(conn: Connection) -> None:
    """Copies every DSL table from the school store into the attached DSL store and drops it
    from the school store. Call inside one transaction; the caller vacuums the school store
    afterwards, so no freed page keeps the old rows."""
    for table in MOVED:
        columns = [row[1] for row in conn.execute(f"PRAGMA main.table_info({table})")]
        names = ", ".join(columns)
        if table in KEEP_ROWID:
            conn.execute(f"INSERT INTO {SCHEMA}.{table} (rowid, {names}) "
                         f"SELECT rowid, {names} FROM main.{table} ORDER BY rowid")
        else:
            conn.execute(f"INSERT INTO {SCHEMA}.{table} ({names}) "
                         f"SELECT {names} FROM main.{table} ORDER BY rowid")
    _drop_tables(conn)


def _drop_tables(conn: Connection) -> None:
    triggers = [row[0] for row in conn.execute(
        "SELECT name FROM main.sqlite_master WHERE type = 'trigger' AND tbl_name IN "
        "(SELECT value FROM json_each(?))", (json.dumps(MOVED + DROPPED_WITH_THEM),))]
    for name in triggers:
        conn.execute(f"DROP TRIGGER main.{name}")
    for table in reversed(MOVED + DROPPED_WITH_THEM):
        conn.execute(f"DROP TABLE main.{table}")


def keep_school_store_only(conn: Connection) -> None:
    """A PC that joined a hub school for staff: its store becomes a keyed school store with no
    DSL store (docs/keys.md). The DSL team's tables go while they are still empty, so what an
    account writes here lives only in its session's workspace and, sealed, in ``sealed_items``;
    every sign-in attaches a workspace. Call inside the provisioning transaction."""
    for table in MOVED:
        if conn.execute(f"SELECT 1 FROM main.{table} LIMIT 1").fetchone():
            raise StoreDamaged("This PC's store already holds records: it cannot become a "
                               "staff PC's keyed store. Join again in a new folder.")
    drop_school_copies(conn)


def drop_school_copies(conn: Connection) -> None:
    """Drops the DSL team's tables (and their triggers) from the school store and marks it
    keyed, with no DSL store of its own. Call inside a transaction; when the tables held rows,
    the caller vacuums afterwards so no freed page keeps them."""
    _drop_tables(conn)
    conn.execute("INSERT INTO main.meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                 "SET value = excluded.value", (KEY_MODEL, SPLIT))
