"""Every earlier schema version migrates forward to the latest with its data intact."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import sqlcipher3

from app.clock import FakeClock
from app.store.db import connect, migrate, schema_version
from app.store.keys import TEST_KDF
from app.store.schema import LATEST
from app.store.verifier import (
    check_verifier,
    load_verifiers,
    make_verifier,
    save_verifier,
    verifier_signing_keys,
)


@pytest.mark.parametrize("start", range(1, LATEST))
def test_migrates_from_every_earlier_version(tmp_path: Path, start: int) -> None:
    key = os.urandom(32)
    path = tmp_path / "store.db"
    conn = connect(path, key, create=True)
    migrate(conn, target=start)
    conn.execute("INSERT INTO users (id, username, display_name, roles, created_at) VALUES "
                 "('u1', 'dsl', 'Dana Lead', 'dsl', '2026-01-01T00:00:00.000000Z')")
    conn.close()

    conn = connect(path, key)
    assert schema_version(conn) == start
    assert migrate(conn) == LATEST
    assert conn.execute("SELECT username FROM users").fetchall() == [("dsl",)]
    conn.close()


@pytest.mark.parametrize("start", range(1, 9))
def test_status_notes_witnesses_and_mark_notes_written_before_9_are_found_after(
        tmp_path: Path, start: int) -> None:
    """Migration 9 indexes for search what earlier stores hold: a DSL's note on a status
    change, a version's witnesses and its body-map notes (an assignment's note, a user id,
    is not words to find)."""
    key = os.urandom(32)
    path = tmp_path / "store.db"
    conn = connect(path, key, create=True)
    migrate(conn, target=start)
    at = "2026-01-01T00:00:00.000000Z"
    conn.execute("INSERT INTO users (id, username, display_name, roles, created_at) VALUES "
                 "('u1', 'dsl', 'Dana Lead', 'dsl', ?)", (at,))
    conn.execute("INSERT INTO records (id, kind, created_by, created_at) VALUES "
                 "('r1', 'concern', 'u1', ?)", (at,))
    conn.execute("INSERT INTO record_versions (id, record_id, version, author_id, written_at, "
                 "occurred_at, entry_kind, summary, witnesses, body_marks) VALUES ('v1', 'r1', "
                 "1, 'u1', ?, ?, 'concern', 'Synthetic text', 'Mr Quenby the caretaker', ?)",
                 (at, at, '[{"side": "front", "x": 0.8, "y": 0.3, "note": "faded bruise"}]'))
    for sid, status, note in (("s1", "new", None), ("s2", "assigned", "u1"),
                              ("s3", "actioned", "Phoned Mrs Ravensworth"),
                              ("s4", "closed", "Outcome: no further action")):
        conn.execute("INSERT INTO record_status (id, record_id, status, actor_id, at, note) "
                     "VALUES (?, 'r1', ?, 'u1', ?, ?)", (sid, status, at, note))
    conn.close()

    conn = connect(path, key)
    assert migrate(conn) == LATEST

    def notes(words: str) -> list[str]:
        return [r[0] for r in conn.execute("SELECT status_id FROM status_note_fts WHERE "
                                           "status_note_fts MATCH ? ORDER BY status_id",
                                           (words,))]

    def versions(words: str) -> list[str]:
        return [r[0] for r in conn.execute("SELECT version_id FROM record_more_fts WHERE "
                                           "record_more_fts MATCH ?", (words,))]

    assert notes("ravensworth") == ["s3"] and notes("further") == ["s4"]
    assert notes("u1") == []
    assert versions("quenby") == ["v1"] and versions("faded bruise") == ["v1"]
    # and what is written after the migration is indexed by its triggers
    conn.execute("INSERT INTO record_status (id, record_id, status, actor_id, at, note) "
                 "VALUES ('s5', 'r1', 'acknowledged', 'u1', ?, 'Reopened: Ashgrove called')",
                 (at,))
    assert notes("ashgrove") == ["s5"]
    conn.close()


def test_a_store_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    from app.errors import ConcernDeskError

    key = os.urandom(32)
    conn = connect(tmp_path / "store.db", key, create=True)
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    with pytest.raises(ConcernDeskError, match="newer ConcernDesk"):
        migrate(conn)


def test_a_failed_migration_step_leaves_the_previous_version(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    import app.store.db as db

    key = os.urandom(32)
    conn = connect(tmp_path / "store.db", key, create=True)
    broken = [*db.MIGRATIONS[:1], "CREATE TABLE outbox (id TEXT);\nCREATE TABLE users (x);"]
    monkeypatch.setattr(db, "MIGRATIONS", broken)
    with pytest.raises(sqlcipher3.dbapi2.Error):
        db.migrate(conn, target=2)
    assert schema_version(conn) == 1
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'outbox'"
                        ).fetchone()[0] == 0


def test_step_20_adds_the_retention_tables_to_a_single_file_store(tmp_path: Path) -> None:
    """Migration 20 (retention, docs/retention.md): review decisions and destroyed ids; a
    store with a DSL store gets them from that store's step 6 instead."""
    key = os.urandom(32)
    conn = connect(tmp_path / "store.db", key, create=True)
    migrate(conn, target=19)
    migrate(conn)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = "
                                              "'table'")}
    assert {"retention_decisions", "destroyed_items"} <= tables
    with pytest.raises(sqlcipher3.dbapi2.IntegrityError):
        conn.execute("INSERT INTO retention_decisions (id, child_id, decision, reason, "
                     "actor_id, at) VALUES ('d1', 'c1', 'forget', 'r', 'u1', 'now')")
    conn.close()


def test_steps_21_and_22_keep_leavers_and_transfers_with_their_checks(tmp_path: Path) -> None:
    """Leavers (21) in the school store; transfers, their steps and the retention decision
    (22) in a single-file store (a store with a DSL store has them from its step 7)."""
    conn = connect(tmp_path / "store.db", os.urandom(32), create=True)
    migrate(conn, target=20)
    at = "2026-01-01T00:00:00.000000Z"
    conn.execute("INSERT INTO users (id, username, display_name, roles, created_at) VALUES "
                 "('u1', 'dsl', 'Dana Lead', 'dsl', ?)", (at,))
    conn.execute("INSERT INTO children (id, upn, legal_forename, legal_surname, date_of_birth, "
                 "gender, year_group, updated_at) VALUES ('c1', 'B801200005001', 'Zofia', "
                 "'Wiśniewska', '2016-05-04', 'F', 'Y5', ?)", (at,))
    assert migrate(conn) == LATEST
    conn.execute("INSERT INTO leavers (id, child_id, left_on, destination, source, "
                 "recorded_by, recorded_at) VALUES ('l1', 'c1', '2026-03-04', 'Oak Academy', "
                 "'roster', 'u1', ?)", (at,))
    conn.execute("INSERT INTO transfers (id, child_id, direction, route, school, created_by, "
                 "created_at) VALUES ('t1', 'c1', 'out', 'pack', 'Oak Academy', 'u1', ?)", (at,))
    conn.execute("INSERT INTO transfer_events (id, transfer_id, status, actor_id, at) VALUES "
                 "('e1', 't1', 'receipt confirmed', 'u1', ?)", (at,))
    with pytest.raises(sqlcipher3.IntegrityError):
        conn.execute("INSERT INTO transfer_events (id, transfer_id, status, actor_id, at) "
                     "VALUES ('e2', 't1', 'viewed', 'u1', ?)", (at,))
    with pytest.raises(sqlcipher3.IntegrityError):
        conn.execute("INSERT INTO leavers (id, child_id, source, recorded_by, recorded_at) "
                     "VALUES ('l2', 'c1', 'guess', 'u1', ?)", (at,))
    conn.close()


def test_step_23_keeps_cp_files_between_schools_with_their_checks(tmp_path: Path) -> None:
    """CP files between ConcernDesk schools (23, a single-file store; a store with a DSL store
    has them from its step 8): a file waits as 'waiting' until accepted or rejected."""
    conn = connect(tmp_path / "store.db", os.urandom(32), create=True)
    migrate(conn, target=22)
    assert migrate(conn) == LATEST
    at = "2026-01-01T00:00:00.000000Z"
    conn.execute("INSERT INTO incoming_files (id, envelope_id, sender_transfer, peer, "
                 "peer_team, school, child_name, child_upn, received_at, payload) VALUES "
                 "('f1', 'e1', 't0', 'P', '{}', 'Oak Academy', 'Zofia', 'B801200005001', ?, "
                 "x'00')", (at,))
    assert conn.execute("SELECT state FROM incoming_files").fetchone()[0] == "waiting"
    with pytest.raises(sqlcipher3.IntegrityError):
        conn.execute("UPDATE incoming_files SET state = 'opened'")
    with pytest.raises(sqlcipher3.IntegrityError):  # one envelope, one file
        conn.execute("INSERT INTO incoming_files (id, envelope_id, sender_transfer, peer, "
                     "peer_team, school, child_name, child_upn, received_at) VALUES "
                     "('f2', 'e1', 't0', 'P', '{}', 'Oak', 'Z', 'B801200005001', ?)", (at,))
    conn.execute("INSERT INTO received_entries (record_id, transfer_id, school, author, kind) "
                 "VALUES ('r1', 't1', 'Oak Academy', 'Ann Lee', 'concern')")
    conn.close()


def test_step_25_remembers_verifier_signing_keys_from_format_2_on(tmp_path: Path) -> None:
    """Verifier format 2 (app/store/verifier.py): a store from step 24 keeps its old verifiers,
    which still check, and remembers each signing key a format-2 verifier publishes."""
    conn = connect(tmp_path / "store.db", os.urandom(32), create=True)
    migrate(conn, target=24)
    at = "2026-01-01T00:00:00.000000Z"
    conn.execute("INSERT INTO users (id, username, display_name, roles, created_at) VALUES "
                 "('u1', 'teacher', 'Tess Teacher', 'staff', ?)", (at,))
    old = {k: v for k, v in make_verifier("synthetic pass", "teacher", TEST_KDF).items()
           if k != "signing"}
    conn.execute("INSERT INTO user_verifiers (user_id, verifier, updated_at) VALUES "
                 "('u1', ?, ?)", (json.dumps(old), at))
    assert migrate(conn) == LATEST
    assert check_verifier(load_verifiers(conn)["u1"]) == old
    assert verifier_signing_keys(conn, "u1") == set()
    new = make_verifier("synthetic pass", "teacher", TEST_KDF)
    save_verifier(conn, "u1", check_verifier(new), FakeClock().now())
    save_verifier(conn, "u1", old, FakeClock().now())  # an older one again: still remembered
    assert verifier_signing_keys(conn, "u1") == {new["signing"]}
    conn.close()
