"""Every earlier schema version migrates forward to the latest with its data intact."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlcipher3

from app.db import connect, migrate, schema_version
from app.schema import LATEST


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
    import app.db as db

    key = os.urandom(32)
    conn = connect(tmp_path / "store.db", key, create=True)
    broken = [*db.MIGRATIONS[:1], "CREATE TABLE outbox (id TEXT);\nCREATE TABLE users (x);"]
    monkeypatch.setattr(db, "MIGRATIONS", broken)
    with pytest.raises(sqlcipher3.dbapi2.Error):
        db.migrate(conn, target=2)
    assert schema_version(conn) == 1
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'outbox'"
                        ).fetchone()[0] == 0
