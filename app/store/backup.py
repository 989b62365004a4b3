"""Encrypted backups: a zip of the SQLCipher files (still encrypted) and the key file.

Nothing in a backup is readable without a user's passphrase on this PC or the recovery key.
A restore is checked in a scratch directory before it replaces anything.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.atomic import write_bytes_atomically, write_json_atomically
from app.clock import iso
from app.errors import ConcernDeskError, InputError
from app.store import highwater
from app.store.access import store_exists
from app.store.db import DB_FILE, LAST_BACKUP_FILE, integrity_problems
from app.store.dsl_store import DSL_FILE
from app.store.keyfile import KEYFILE, KeyFile
from app.store.roles import Perm
from app.store.session import Session

MANIFEST = "concerndesk-backup.json"
FORMAT = 1


@dataclass(frozen=True)
class BackupInfo:
    store_id: str
    created_at: str
    schema_version: int


def backup(session: Session, out: Path) -> BackupInfo:
    session.require(Perm.BACKUP)
    if out.is_dir():
        raise InputError("out", "name a file, not a folder")
    if not out.parent.is_dir():
        raise InputError("out", f"the folder {out.parent} does not exist")
    info = BackupInfo(session.store_id, iso(session.clock.now()),
                      int(session.conn.execute("PRAGMA user_version").fetchone()[0]))
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".concerndesk-backup-") as tmp:
        snapshot = Path(tmp) / DB_FILE
        # VACUUM INTO writes a consistent copy encrypted with the same key.
        session.conn.execute("VACUUM INTO ?", (str(snapshot),))
        packed = Path(tmp) / "backup.zip"
        try:
            with zipfile.ZipFile(packed, "w", zipfile.ZIP_STORED) as archive:
                archive.writestr(MANIFEST, json.dumps({"format": FORMAT, **info.__dict__}))
                archive.write(session.directory / KEYFILE, KEYFILE)
                archive.write(snapshot, DB_FILE)
                for name, path in _dsl_store_copy(session, Path(tmp)):
                    archive.write(path, name)
            write_bytes_atomically(out, packed.read_bytes())
        except OSError as exc:
            raise ConcernDeskError(f"Cannot write the backup to {out.parent}: "
                                   f"{exc.strerror or exc}") from exc
    session.audited("backup", "store", session.store_id, file=out.name)
    # Beside the store, in the clear (a date and a file name only), so that a store too damaged
    # to open can still say which backup to restore.
    write_json_atomically(session.directory / LAST_BACKUP_FILE,
                          {"made": info.created_at, "file": out.name})
    return info


def _dsl_store_copy(session: Session, tmp: Path) -> list[tuple[str, Path]]:
    """The DSL store, still encrypted under its own key: a consistent copy when this session
    holds it, else its files as they are (an admin without the DSL role cannot read it, only
    carry it; SQLite replays its write-ahead log when it is next opened)."""
    source = session.directory / DSL_FILE
    if not source.exists():
        return []
    key = session.held.dsl_key
    if session.held.dsl_store_open and key is not None:
        copy = tmp / DSL_FILE
        # A consistent copy under the DSL store's own key (VACUUM INTO would use the school
        # store's): exported inside one read transaction.
        conn = session.conn
        conn.execute("ATTACH DATABASE ? AS dsl_backup KEY ?", (str(copy), f"x'{key.hex()}'"))
        try:
            conn.execute("SELECT sqlcipher_export('dsl_backup', 'dsl')")
            version = conn.execute("PRAGMA dsl.user_version").fetchone()[0]
            conn.execute(f"PRAGMA dsl_backup.user_version = {int(version)}")
        finally:
            conn.execute("DETACH DATABASE dsl_backup")
        return [(DSL_FILE, copy)]
    files = [(DSL_FILE, source)]
    wal = source.with_name(DSL_FILE + "-wal")
    if wal.exists():
        files.append((wal.name, wal))
    return files


def read_manifest(path: Path) -> BackupInfo:
    try:
        with zipfile.ZipFile(path) as archive:
            data = json.loads(archive.read(MANIFEST))
            names = set(archive.namelist())
    except FileNotFoundError:
        raise InputError("from", f"there is no file {path}") from None
    except (OSError, zipfile.BadZipFile, KeyError, ValueError):
        raise InputError("from", "is not a ConcernDesk backup, or it is damaged") from None
    if data.get("format") != FORMAT or not {KEYFILE, DB_FILE} <= names:
        raise InputError("from", "is not a ConcernDesk backup this version can read")
    return BackupInfo(data["store_id"], data["created_at"], int(data["schema_version"]))


def restore(source: Path, directory: Path, open_session: Callable[[Path], Session],
            *, replace: bool = False) -> BackupInfo:
    """Unpacks into a scratch directory, opens it with ``open_session`` (a passphrase or the
    recovery key), checks its integrity and audit chain, and only then moves it into place."""
    info = read_manifest(source)
    if store_exists(directory) and not replace:
        raise InputError("data", f"a store already exists in {directory}; restore into an "
                         "empty folder, or pass --replace to keep the old one aside")
    directory.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=directory.parent, prefix=".concerndesk-restore-"))
    try:
        try:
            with zipfile.ZipFile(source) as archive:
                for name in (KEYFILE, DB_FILE, DSL_FILE, DSL_FILE + "-wal"):
                    if name in archive.namelist():
                        (scratch / name).write_bytes(archive.read(name))
        except (zipfile.BadZipFile, OSError) as exc:
            raise ConcernDeskError("The backup is damaged (it fails its checksum); nothing was "
                                   "changed. Try an older backup.") from exc
        KeyFile.load(scratch)
        session = open_session(scratch)
        try:
            problems = integrity_problems(session.conn)
            if problems:
                raise ConcernDeskError("The backup is damaged (" + problems[0] + "); try an "
                                       "older backup.")
            with session.tx():
                session.audit("restore", "store", info.store_id, backup_made=info.created_at)
                # A fresh mark (written into the scratch folder as this commits), in an epoch
                # of its own: a process still on the replaced store cannot make it look behind.
                highwater.new_epoch(session.conn)
        finally:
            session.close()
        if store_exists(directory):
            aside = directory.with_name(directory.name + ".replaced-" +
                                        info.created_at.replace(":", ""))
            directory.rename(aside)
        if directory.exists():
            directory.rmdir()
        scratch.rename(directory)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return info
