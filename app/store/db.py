"""Opening the SQLCipher file: raw key, durable settings, forward-only migrations."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlcipher3

from app.errors import ConcernDeskError, StoreDamaged, StoreRekeyed
from app.store.keys import key_id
from app.store.schema import LATEST, MIGRATIONS
from app.store.shared_steps import DslTables

log = logging.getLogger(__name__)

DB_FILE = "store.db"
if TYPE_CHECKING:
    # sqlcipher3 ships no type information; its dbapi2 is the standard sqlite3 module built
    # against SQLCipher (same classes, same methods), so sqlite3's types describe it.
    from sqlite3 import Connection, DatabaseError, IntegrityError, OperationalError
else:
    Connection = sqlcipher3.dbapi2.Connection
    DatabaseError = sqlcipher3.dbapi2.DatabaseError
    IntegrityError = sqlcipher3.dbapi2.IntegrityError
    OperationalError = sqlcipher3.dbapi2.OperationalError
LAST_BACKUP_FILE = "last-backup.json"

_DISK = ("database or disk is full", "disk i/o error")
_DAMAGE = ("malformed", "not a database", "hmac", "corrupt")


class DiskFull(ConcernDeskError):
    """The disk is full (or failing): nothing of this operation was saved."""


def damaged_message(directory: Path) -> str:
    """What to say about a damaged store, naming the last backup made from it if we know."""
    text = "The store is damaged: restore it from a backup (concerndesk-cli restore)."
    try:
        last = json.loads((directory / LAST_BACKUP_FILE).read_text("utf-8"))
        return text[:-1] + f"; the last backup made here was on {last['made'][:10]} " \
            f"({last['file']})."
    except (OSError, ValueError, KeyError, TypeError):
        return text


def storage_error(exc: DatabaseError, directory: Path) -> ConcernDeskError | None:
    """The user's words for a storage failure, or None when it is not one (then it is a bug)."""
    text = str(exc).lower()
    if any(marker in text for marker in _DISK):
        return DiskFull("The disk is full or failing, so nothing was saved. Free some space "
                        "(or ask IT to check the disk) and try again; what was saved before "
                        "is intact.")
    if any(marker in text for marker in _DAMAGE):
        return StoreDamaged(damaged_message(directory))
    return None


def storage_problem(error: BaseException, directory: Path) -> ConcernDeskError | None:
    """``storage_error`` for any exception: None unless it is the database's own error and a
    storage failure, so callers need not know the driver."""
    return storage_error(error, directory) if isinstance(error, DatabaseError) else None


REKEYED = ("This session can no longer read the store: its key was changed when an account "
           "was removed or its passphrase reset, in another window or program on this PC. "
           "Nothing is damaged; sign in again.")


def rekeyed_under(conn: Any) -> bool:
    """Whether the school store's current key (``key_ids`` in keys.json) is another than the
    one ``conn`` was opened with: a re-key by another session, not damage (app/store/rekey.py)."""
    mine = {"school": getattr(conn, "key_id", None), "dsl": getattr(conn, "dsl_key_id", None)}
    if not any(mine.values()):
        return False
    try:
        data = json.loads((_directory_of(conn) / "keys.json").read_text("utf-8"))
        current = data.get("key_ids", {})
    except (OSError, ValueError, AttributeError):
        return False
    return any(key is not None and current.get(scope) not in (None, key)
               for scope, key in mine.items())


class _GuardedCursor:
    """A cursor whose reads turn a damaged page or a full disk into the user's words."""

    __slots__ = ("_conn", "_cursor", "_directory")

    def __init__(self, cursor: sqlcipher3.dbapi2.Cursor, conn: GuardedConnection) -> None:
        self._cursor = cursor
        self._conn = conn
        self._directory = conn.store_directory

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)

    def fetchone(self) -> Any:
        try:
            return self._cursor.fetchone()
        except DatabaseError as exc:
            raise _translated(exc, self._conn) from exc

    def fetchall(self) -> list[Any]:
        try:
            return self._cursor.fetchall()
        except DatabaseError as exc:
            raise _translated(exc, self._conn) from exc

    def __iter__(self) -> Iterator[Any]:
        rows = iter(self._cursor)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except DatabaseError as exc:
                raise _translated(exc, self._conn) from exc
            yield row


class GuardedConnection(Connection):
    """Every query either works or fails in words a person can act on ("the store is
    damaged: restore …", "the disk is full …"); anything else is raised as it is (a bug)."""

    store_directory = Path(".")
    key_id: str | None = None  # keys.key_id of the key it was opened with
    dsl_key_id: str | None = None  # and of the DSL store's key, when attached

    def execute(self, sql: str, parameters: Any = ()) -> Any:
        try:
            return _GuardedCursor(super().execute(sql, parameters), self)
        except DatabaseError as exc:
            raise _translated(exc, self) from exc

    def executemany(self, sql: str, parameters: Any) -> Any:
        try:
            return _GuardedCursor(super().executemany(sql, parameters), self)
        except DatabaseError as exc:
            raise _translated(exc, self) from exc


def _translated(exc: DatabaseError, conn: GuardedConnection) -> Exception:
    if isinstance(exc, IntegrityError):
        return exc
    if rekeyed_under(conn):
        return StoreRekeyed(REKEYED)
    return storage_error(exc, conn.store_directory) or exc


# SQLite's page cache per database file, in KiB (see connect and dsl_store.attach_store).
CACHE_KIB = 32 * 1024


def connect(path: Path, data_key: bytes, *, create: bool = False) -> Connection:
    """Open (or create) the encrypted file. The key is right by now (the wrap said so), so any
    failure to read it means the file itself is damaged."""
    if not create and not path.exists():
        raise StoreDamaged(f"The store file {path.name} is missing: restore from a backup.")
    if create and not path.exists():
        # Owner-only from the start; SQLite gives the -wal and -shm files the same mode.
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False,
                              timeout=10.0, factory=GuardedConnection)
    conn.store_directory = path.parent
    conn.key_id = key_id(data_key)
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
        # 32 MiB of decrypted pages (SQLite's default is 2 MiB): every page read from disk is
        # decrypted and its HMAC checked, so a search over ten years' index re-decrypts what a
        # small cache dropped (bench/README.md: search 18.9 -> 12.5 ms p95 at 100k records).
        # Peak memory on the DSL home is unchanged; SECURITY.md says what sits in memory.
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    except (DatabaseError, DiskFull, StoreDamaged) as exc:
        conn.close()
        if isinstance(exc, ConcernDeskError):
            raise
        raise (storage_error(exc, path.parent)
               or StoreDamaged(damaged_message(path.parent))) from exc
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
        step = MIGRATIONS[number - 1]
        with transaction(conn):
            if not (isinstance(step, DslTables) and has_dsl_store(conn)):
                for statement in statements(step):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        log.info("store schema migrated to %d", number)
    return schema_version(conn)


KEY_MODEL, SPLIT = "key_model", "school+dsl"


def has_dsl_store(conn: Connection) -> bool:
    """Whether the store keeps the DSL team's records in a DSL store of their own."""
    row = conn.execute("SELECT value FROM main.meta WHERE key = ?", (KEY_MODEL,)).fetchone()
    return row is not None and row[0] == SPLIT


def statements(script: str) -> Iterator[str]:
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
    """BEGIN IMMEDIATE … COMMIT; rolled back on any exception, so a failure writes nothing.
    A full disk or a damaged page becomes a DiskFull or StoreDamaged the user can act on."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    except (OperationalError, DatabaseError) as exc:
        if isinstance(exc, IntegrityError):
            raise
        if conn.in_transaction:
            with suppress(DatabaseError):
                conn.execute("ROLLBACK")
        if rekeyed_under(conn):
            raise StoreRekeyed(REKEYED) from exc
        problem = storage_error(exc, _directory_of(conn))
        if problem is None:
            raise
        raise problem from exc


def _directory_of(conn: Connection) -> Path:
    return getattr(conn, "store_directory", Path("."))


def integrity_problems(conn: Connection) -> list[str]:
    """What SQLCipher's page HMACs and SQLite's own check find wrong; empty when all is well.
    The HMAC check runs first and names the damaged pages; a check that cannot even read a
    page is reported as a problem rather than raised."""
    problems: list[str] = []
    for pragma in ("cipher_integrity_check", "integrity_check"):
        try:
            rows = [row[0] for row in conn.execute(f"PRAGMA {pragma}")]
        except (DatabaseError, StoreDamaged) as exc:
            rows = [f"{pragma.replace('_', ' ')} could not read the store: {exc}"]
        problems.extend(r for r in rows if r != "ok")
    return problems
