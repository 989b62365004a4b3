"""Forward-only, numbered schema migrations. Never edit a released step: add a new one.

Append-only by design: safeguarding records are versions (``record_versions``) and events
(``record_status``); nothing here is updated or deleted in place, except the roster's current
row, whose every change is kept in ``child_history``.
"""

from __future__ import annotations

from app.store.shared_steps import (
    CP_FILES,
    ENTRY_DETAILS,
    PROFILE_FROM_CP_FILES,
    PROFILE_ITEMS,
    RETENTION,
    SAR_DRAFTS,
    SIGNED_AUDIT,
    TRANSFERS,
    DslTables,
    qualified,
)

MIGRATIONS: list[str] = [
    # 1 — the core
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

    CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        roles TEXT NOT NULL,
        created_at TEXT NOT NULL,
        removed_at TEXT
    );

    CREATE TABLE children (
        id TEXT PRIMARY KEY,
        upn TEXT NOT NULL UNIQUE,
        legal_forename TEXT NOT NULL,
        legal_surname TEXT NOT NULL,
        preferred_forename TEXT,
        date_of_birth TEXT NOT NULL,
        gender TEXT NOT NULL,
        year_group TEXT NOT NULL,
        nhs_number TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX children_surname ON children (legal_surname, legal_forename);
    CREATE INDEX children_year ON children (year_group);

    CREATE TABLE child_history (
        id INTEGER PRIMARY KEY,
        child_id TEXT NOT NULL REFERENCES children (id),
        changed_at TEXT NOT NULL,
        changed_by TEXT NOT NULL REFERENCES users (id),
        previous TEXT NOT NULL
    );

    CREATE TABLE records (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('concern', 'entry')),
        created_by TEXT NOT NULL REFERENCES users (id),
        created_at TEXT NOT NULL
    );
    CREATE INDEX records_creator ON records (created_by, created_at);

    CREATE TABLE record_versions (
        id TEXT PRIMARY KEY,
        record_id TEXT NOT NULL REFERENCES records (id),
        version INTEGER NOT NULL,
        supersedes TEXT REFERENCES record_versions (id),
        author_id TEXT NOT NULL REFERENCES users (id),
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
    CREATE INDEX record_versions_record ON record_versions (record_id, version);

    CREATE TABLE record_children (
        record_id TEXT NOT NULL REFERENCES records (id),
        child_id TEXT NOT NULL REFERENCES children (id),
        role TEXT NOT NULL,
        PRIMARY KEY (record_id, child_id)
    );
    CREATE INDEX record_children_child ON record_children (child_id);

    CREATE TABLE record_status (
        id TEXT PRIMARY KEY,
        record_id TEXT NOT NULL REFERENCES records (id),
        status TEXT NOT NULL,
        actor_id TEXT NOT NULL REFERENCES users (id),
        at TEXT NOT NULL,
        note TEXT
    );
    CREATE INDEX record_status_record ON record_status (record_id, at);

    CREATE TABLE attachments (
        id TEXT PRIMARY KEY,
        record_id TEXT NOT NULL REFERENCES records (id),
        filename TEXT NOT NULL,
        media_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        data BLOB NOT NULL,
        added_by TEXT NOT NULL REFERENCES users (id),
        added_at TEXT NOT NULL
    );
    CREATE INDEX attachments_record ON attachments (record_id);

    CREATE VIRTUAL TABLE record_fts USING fts5 (
        summary, child_words, action_taken, location,
        tokenize = 'unicode61 remove_diacritics 2'
    );

    CREATE TABLE referrals (
        id TEXT PRIMARY KEY,
        child_id TEXT NOT NULL REFERENCES children (id),
        created_by TEXT NOT NULL REFERENCES users (id),
        created_at TEXT NOT NULL
    );
    CREATE INDEX referrals_child ON referrals (child_id);

    CREATE TABLE referral_versions (
        id TEXT PRIMARY KEY,
        referral_id TEXT NOT NULL REFERENCES referrals (id),
        version INTEGER NOT NULL,
        author_id TEXT NOT NULL REFERENCES users (id),
        written_at TEXT NOT NULL,
        form TEXT NOT NULL,
        entry_ids TEXT NOT NULL
    );
    CREATE INDEX referral_versions_referral ON referral_versions (referral_id, version);

    CREATE TABLE referral_status (
        id TEXT PRIMARY KEY,
        referral_id TEXT NOT NULL REFERENCES referrals (id),
        status TEXT NOT NULL,
        actor_id TEXT NOT NULL REFERENCES users (id),
        at TEXT NOT NULL,
        note TEXT
    );
    CREATE INDEX referral_status_referral ON referral_status (referral_id, at);

    CREATE TABLE referral_packs (
        id TEXT PRIMARY KEY,
        referral_id TEXT NOT NULL REFERENCES referrals (id),
        referral_version_id TEXT NOT NULL REFERENCES referral_versions (id),
        created_by TEXT NOT NULL REFERENCES users (id),
        created_at TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        pdf BLOB NOT NULL,
        twin TEXT NOT NULL
    );
    CREATE INDEX referral_packs_referral ON referral_packs (referral_id);

    CREATE TABLE audit (
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
    """,
    # 2 — sync: the outbox, what came in, and the services this store talks to
    """
    CREATE TABLE outbox (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        recipient TEXT NOT NULL,
        object_type TEXT,
        object_id TEXT,
        envelope BLOB NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'receipted', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_error TEXT,
        receipt TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX outbox_state ON outbox (state, next_attempt_at);

    CREATE TABLE inbox_applied (
        envelope_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        applied_at TEXT NOT NULL
    );

    CREATE TABLE services (
        role TEXT PRIMARY KEY CHECK (role IN ('frontdoor', 'hub')),
        url TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        key_bundle TEXT NOT NULL,
        inbox_cursor TEXT,
        set_by TEXT NOT NULL REFERENCES users (id),
        set_at TEXT NOT NULL
    );
    """,
    # 3 — unfinished work kept encrypted (a concern half-typed when the app locked or closed)
    """
    CREATE TABLE drafts (
        user_id TEXT NOT NULL REFERENCES users (id),
        name TEXT NOT NULL,
        body TEXT NOT NULL,
        saved_at TEXT NOT NULL,
        PRIMARY KEY (user_id, name)
    );
    """,
    # 4 — the child's safeguarding flags (CP plan, CIN, looked after …), set and cleared by the
    # DSL team as events, so the history of each flag is kept
    """
    CREATE TABLE child_flag_events (
        id TEXT PRIMARY KEY,
        child_id TEXT NOT NULL REFERENCES children (id),
        flag TEXT NOT NULL,
        value INTEGER NOT NULL CHECK (value IN (0, 1)),
        actor_id TEXT NOT NULL REFERENCES users (id),
        at TEXT NOT NULL,
        note TEXT
    );
    CREATE INDEX child_flag_events_child ON child_flag_events (child_id, at);
    """,
    # 5 — one school, many PCs (docs/hub-sync.md): the DSL team's and the office's key pairs
    # (private halves only on the PCs that hold them, inside this encrypted file), each
    # account's passphrase verifier (so a joined PC can let its owner sign in), and what the
    # admin approved each joined device for
    """
    CREATE TABLE team_keys (
        team TEXT PRIMARY KEY CHECK (team IN ('dsl', 'office')),
        bundle TEXT NOT NULL,
        private BLOB,
        added_at TEXT NOT NULL
    );

    CREATE TABLE user_verifiers (
        user_id TEXT PRIMARY KEY REFERENCES users (id),
        verifier TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );

    CREATE TABLE hub_devices (
        fingerprint TEXT PRIMARY KEY,
        purpose TEXT NOT NULL CHECK (purpose IN ('dsl', 'staff', 'office')),
        name TEXT NOT NULL,
        approved_by TEXT NOT NULL REFERENCES users (id),
        approved_at TEXT NOT NULL,
        bundle TEXT NOT NULL,
        envelope_id TEXT NOT NULL
    );
    """,
    # 6 — each concern's current status and assignee, kept by a trigger from the status events
    # (which stay the record): the DSL inbox of a ten-year store reads it through a partial
    # index of the open concerns instead of replaying every concern's events. Events are ordered
    # by (at, id), the same on every PC (app/domain/event_order.py).
    """
    CREATE TABLE concern_state (
        record_id TEXT PRIMARY KEY REFERENCES records (id),
        status TEXT NOT NULL,
        assignee TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX concern_state_open ON concern_state (created_at, record_id)
        WHERE status != 'closed';

    CREATE TRIGGER concern_state_starts AFTER INSERT ON records WHEN NEW.kind = 'concern' BEGIN
        INSERT OR IGNORE INTO concern_state (record_id, status, created_at)
        VALUES (NEW.id, 'new', NEW.created_at);
    END;

    CREATE TRIGGER concern_state_follows AFTER INSERT ON record_status BEGIN
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

    INSERT INTO concern_state (record_id, status, assignee, created_at)
    SELECT r.id,
           coalesce((SELECT status FROM record_status WHERE record_id = r.id
                     AND status != 'assigned' ORDER BY at DESC, id DESC LIMIT 1), 'new'),
           (SELECT note FROM record_status WHERE record_id = r.id
            AND status = 'assigned' ORDER BY at DESC, id DESC LIMIT 1),
           r.created_at
    FROM records r WHERE r.kind = 'concern';
    """,
    # 7 — attachments on their way between PCs (docs/hub-sync.md): the chunks of an attachment
    # received through the hub wait here, invisible, until every chunk of one split is here,
    # the file matches its SHA-256 and its record has arrived; then it moves to ``attachments``
    # and its chunks are deleted (staging, not a record: nothing here is ever shown)
    """
    CREATE TABLE attachment_chunks (
        attachment_id TEXT NOT NULL,
        chunk_count INTEGER NOT NULL,
        chunk_index INTEGER NOT NULL,
        record_id TEXT NOT NULL,
        meta TEXT NOT NULL,
        data BLOB NOT NULL,
        received_at TEXT NOT NULL,
        PRIMARY KEY (attachment_id, chunk_count, chunk_index)
    );
    CREATE INDEX attachment_chunks_record ON attachment_chunks (record_id);
    """,
    # 8 — whom a PC trusts to send it anything (docs/hub-sync.md, "Trust"): the devices the
    # school's admin approved, as the admin's PC last sent them (its own approvals stay in
    # ``hub_devices``, now with when the admin removed one); and envelopes refused only because
    # their sender or an account they name is not known here yet, fetched again from the hub
    # when the admin's next list or accounts update arrives (ids and times, no content)
    """
    ALTER TABLE hub_devices ADD COLUMN removed_at TEXT;

    CREATE TABLE trusted_devices (
        fingerprint TEXT PRIMARY KEY,
        purpose TEXT NOT NULL CHECK (purpose IN ('admin', 'dsl', 'staff', 'office')),
        name TEXT NOT NULL,
        bundle TEXT NOT NULL,
        removed_at TEXT
    );

    CREATE TABLE inbox_held (
        envelope_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        received_at TEXT NOT NULL,
        reason TEXT NOT NULL,
        held_at TEXT NOT NULL
    );
    """,
    # 9 — search finds every word a person typed (app/domain/search.py): the words a DSL writes with
    # a status change (what was done, a closing outcome; for the DSL team only), and a
    # version's witnesses and body-map notes, which ``record_fts`` leaves out. Kept by
    # triggers, so what is applied from the hub is indexed as what is made here; keyed by the
    # event's or version's id (not a rowid, which a VACUUM may renumber). Assignments are left
    # out: their note is the assignee's user id.
    """
    CREATE VIRTUAL TABLE status_note_fts USING fts5 (
        note, status_id UNINDEXED,
        tokenize = 'unicode61 remove_diacritics 2'
    );

    CREATE TRIGGER status_note_indexed AFTER INSERT ON record_status
    WHEN NEW.note IS NOT NULL AND NEW.status != 'assigned' BEGIN
        INSERT INTO status_note_fts (note, status_id) VALUES (NEW.note, NEW.id);
    END;

    INSERT INTO status_note_fts (note, status_id)
    SELECT note, id FROM record_status WHERE note IS NOT NULL AND status != 'assigned'
    ORDER BY at, id;

    CREATE VIRTUAL TABLE record_more_fts USING fts5 (
        witnesses, marks, version_id UNINDEXED,
        tokenize = 'unicode61 remove_diacritics 2'
    );

    CREATE TRIGGER record_more_indexed AFTER INSERT ON record_versions
    WHEN NEW.witnesses IS NOT NULL OR NEW.body_marks != '[]' BEGIN
        INSERT INTO record_more_fts (witnesses, marks, version_id)
        VALUES (coalesce(NEW.witnesses, ''),
                coalesce((SELECT group_concat(json_extract(value, '$.note'), ' ')
                          FROM json_each(NEW.body_marks)), ''), NEW.id);
    END;

    INSERT INTO record_more_fts (witnesses, marks, version_id)
    SELECT coalesce(v.witnesses, ''),
           coalesce((SELECT group_concat(json_extract(value, '$.note'), ' ')
                     FROM json_each(v.body_marks)), ''), v.id
    FROM record_versions v WHERE v.witnesses IS NOT NULL OR v.body_marks != '[]'
    ORDER BY v.rowid;
    """,
    # 10 — further information and disabled accounts (issue #13).
    # A piece of further information is a concern of its own (so it reaches the DSL inbox as
    # new, and its author sees it in My concerns) linked here, once and for ever, to the concern
    # it adds to; and an account an admin disabled stays on the record (``removed_at`` is set
    # too, so everything that refuses a removed account refuses it) but is listed as disabled.
    """
    CREATE TABLE IF NOT EXISTS record_links (
        record_id TEXT PRIMARY KEY REFERENCES records (id),
        further_to TEXT NOT NULL REFERENCES records (id),
        CHECK (record_id != further_to)
    );
    CREATE INDEX IF NOT EXISTS record_links_further_to ON record_links (further_to);

    ALTER TABLE users ADD COLUMN disabled_at TEXT;
    """,
    # 11 — roles by key (issue #15, docs/keys.md): what an account without the DSL store's key
    # writes for the DSL team (or the DSL team for the office) waits here HPKE-sealed, one row
    # per recipient: the team's key, and the author's own key (so My concerns can show it).
    # The DSL team's tables move to the DSL store (app/store/dsl_store.py), outside this list.
    """
    CREATE TABLE sealed_items (
        id TEXT PRIMARY KEY,
        item_id TEXT NOT NULL,
        recipient TEXT NOT NULL,
        kind TEXT NOT NULL,
        author TEXT NOT NULL,
        created_at TEXT NOT NULL,
        body BLOB NOT NULL,
        opened_at TEXT
    );
    CREATE INDEX sealed_items_recipient ON sealed_items (recipient, opened_at, created_at);
    """,
    # 12 — which record a sealed item carries, so its author can see whether the DSL team has
    # opened it yet (My concerns: "sealed for the DSL team" / "with the DSL team")
    """
    ALTER TABLE sealed_items ADD COLUMN object_id TEXT;
    CREATE INDEX sealed_items_object ON sealed_items (object_id, recipient);
    """,
    # 13 — the child's profile (issue #17, app/profile/): append-only items, each the latest
    # word on one fact, address, contact, household member, professional or previous name,
    # with where it came from (MIS, CTF or a person). ``value`` NULL: the item was removed.
    DslTables(qualified(PROFILE_ITEMS, "")),
    # 14 — the MIS admission number beside the UPN: contact exports name a pupil by either
    """
    ALTER TABLE children ADD COLUMN admission_number TEXT;
    CREATE INDEX children_admission_number ON children (admission_number);
    """,
    # 15 — each account's X25519 public key, pinned inside the school store (by the account
    # itself at sign-in, or by the admin who made its keys): what a re-key of the school store
    # grants the new key to, out of reach of a removed account that can still edit keys.json
    # (app/store/rekey.py).
    """
    CREATE TABLE account_keys (
        username TEXT PRIMARY KEY,
        public TEXT NOT NULL,
        pinned_at TEXT NOT NULL
    );
    """,
    # 16 — structured fields of a chronology entry (issue #20, Operation Encompass): a police
    # notification's reference, who sent it, how it came, the welfare check … as a JSON
    # object beside the version's text, so each amendment keeps its own copy. NULL for every
    # other entry. A store with a DSL store gets it from that store's step 3.
    DslTables(qualified(ENTRY_DETAILS, "")),
    # 17 — audit events signed by the acting account's personal key (issue #15, docs/keys.md
    # "The audit trails"). Events already in the trail stay as they were: personal
    # signatures are required from the first event written after this step.
    qualified(SIGNED_AUDIT, ""),
    # 18 — subject access drafts (issue #20, app/sar/): the DSL's work on answering a request
    # for a child's data, the entries it covers and what is redacted or withheld, as a JSON
    # body replaced in place until the response is produced (the response's log goes to the
    # chronology). A store with a DSL store gets it from that store's step 5.
    DslTables(qualified(SAR_DRAFTS, "")),
    # 19 — the account directory, signed by an admin's key (issue #15, app/store/directory.py):
    # one signed entry per account saying its name, roles, state and signing key. On a store
    # with a DSL store the admin role counts only where a trusted signer vouched for it.
    """
    CREATE TABLE directory (
        username TEXT PRIMARY KEY,
        entry TEXT NOT NULL,
        signer TEXT NOT NULL,
        signature TEXT NOT NULL,
        signed_at TEXT NOT NULL
    );
    """,
    # 20 — retention (issue #20, docs/retention.md): review decisions (extend, hold, release)
    # and the ids of destroyed rows. A store with a DSL store gets it from that store's step 6.
    DslTables(qualified(RETENTION, "")),
    # 21 — leavers (issue #19): a child who left, by a roster import that dropped them or gave
    # a leaving date, or by the DSL's word; events, the latest per child standing (``left_on``
    # NULL: back on roll). The child's row and file stay: a leaver's file is never lost.
    """
    CREATE TABLE leavers (
        id TEXT PRIMARY KEY,
        child_id TEXT NOT NULL REFERENCES children (id),
        left_on TEXT,
        destination TEXT,
        source TEXT NOT NULL CHECK (source IN ('roster', 'dropped', 'dsl')),
        recorded_by TEXT NOT NULL REFERENCES users (id),
        recorded_at TEXT NOT NULL
    );
    CREATE INDEX leavers_child ON leavers (child_id, recorded_at);
    """,
    # 22 — CP-file transfers and the retention decision after sending (issue #19,
    # app/transfer/). A store with a DSL store gets them from that store's step 7.
    DslTables(qualified(TRANSFERS, "")),
    # 23 — CP files between ConcernDesk schools through the LA front door (issue #19,
    # docs/transfer.md). A store with a DSL store gets them from that store's step 8.
    DslTables(qualified(CP_FILES, "")),
    # 24 — a previous school's CP file may fill in the child's profile (source 'cp-file',
    # docs/transfer.md). A store with a DSL store gets it from that store's step 9.
    DslTables(qualified(PROFILE_FROM_CP_FILES, "")),
    # 25 — every signing key an account's passphrase verifier has published (verifier format 2,
    # app/store/verifier.py): a DSL PC checks a staff PC's author certificate against any of
    # them, since a joined PC keeps the passphrase it claimed the account with. Beside
    # user_verifiers in the school store; a DSL store needs no step.
    """
    CREATE TABLE verifier_signing_keys (
        user_id TEXT NOT NULL REFERENCES users (id),
        signing TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        PRIMARY KEY (user_id, signing)
    );
    """,
]

LATEST = len(MIGRATIONS)
