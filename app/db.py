"""Opening the SQLCipher file: raw key, durable settings, forward-only migrations."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlcipher3

from app.errors import ConcernDeskError, StoreDamaged
from app.schema import LATEST, MIGRATIONS

log = logging.getLogger(__name__)

DB_FILE = "store.db"
Connection = sqlcipher3.dbapi2.Connection
DatabaseError = sqlcipher3.dbapi2.DatabaseError


def connect(path: Path, data_key: bytes, *, create: bool = False) -> Connection:
    """Open (or create) the encrypted file. The key is right by now (the wrap said so), so any
    failure to read it means the file itself is damaged."""
    if not create and not path.exists():
        raise StoreDamaged(f"The store file {path.name} is missing: restore from a backup.")
    if create and not path.exists():
        # Owner-only from the start; SQLite gives the -wal and -shm files the same mode.
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False,
                              timeout=10.0)
    try:
        conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
        # SQLCipher would otherwise print HMAC failures to stderr; we report them ourselves.
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        # Sorts and temporary indexes stay in memory: nothing leaves the encrypted file.
        conn.execute("PRAGMA temp_store = MEMORY")
    except DatabaseError as exc:
        conn.close()
        raise StoreDamaged("The store file cannot be read: it is damaged. Restore it from a "
                           "backup (concerndesk-cli restore).") from exc
    return conn


def schema_version(conn: Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: Connection, target: int = LATEST) -> int:
    """Bring the schema up to ``target``, one step per transaction; returns the version."""
    current = schema_version(conn)
    if current > LATEST:
        raise ConcernDeskError(f"This store uses schema {current}, made by a newer ConcernDesk "
                               f"(this one knows {LATEST}). Install the newer version.")
    for number in range(current + 1, target + 1):
        with transaction(conn):
            for statement in _statements(MIGRATIONS[number - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        log.info("store schema migrated to %d", number)
    return schema_version(conn)


def _statements(script: str) -> Iterator[str]:
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlcipher3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()


@contextmanager
def transaction(conn: Connection) -> Iterator[Connection]:
    """BEGIN IMMEDIATE … COMMIT; rolled back on any exception, so a failure writes nothing."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def integrity_problems(conn: Connection) -> list[str]:
    """What SQLCipher's page HMACs and SQLite's own check find wrong; empty when all is well."""
    problems = [row[0] for row in conn.execute("PRAGMA cipher_integrity_check")]
    rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    if rows != ["ok"]:
        problems.extend(rows)
    return problems
