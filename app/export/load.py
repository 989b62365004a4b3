"""Building a fresh store from an export (the round trip, docs/export.md).

Every row goes back with its id, in the order it was exported, so each child's chronology
reads as it did. The accounts come back as the authors of what they wrote, disabled: their
keys and passphrases were never exported, so they cannot sign in; the importing admin (a new
account, made a DSL too) adds the staff afresh. The imported audit trails are not re-chained
into the new store's own trail: the import's audit event pins each one's last hash and length,
and the export itself, kept by the school, is the archive of what happened before.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.clock import Clock, SystemClock, iso
from app.errors import ConcernDeskError, InputError
from app.export.container import MANIFEST, Files, read_folder, sha256
from app.export.kinds import FORMAT, FORMAT_VERSION, KINDS, Kind, blob_path, decode
from app.store.access import create_store, store_exists
from app.store.db import Connection, DatabaseError
from app.store.keys import KdfParams
from app.store.users import change_role

AUDIT_KINDS = ("audit_school", "audit_dsl")


@dataclass(frozen=True)
class ImportSummary:
    school: str
    scope: str
    counts: dict[str, int]
    recovery_key: str


def read_export(source: Path, passphrase: str | None) -> tuple[dict[str, Any], Files]:
    """The manifest and files of an export, decrypted and checked against its hashes."""
    files = read_folder(source, passphrase)
    manifest = json.loads(files[MANIFEST])
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise InputError("from", "is not a ConcernDesk export this version can read "
                         f"(format {manifest.get('format')} {manifest.get('format_version')})")
    return manifest, files


def rows_of(files: Files, kind: Kind) -> list[dict[str, Any]]:
    """The lines of one kind's file, each checked to hold exactly the kind's fields."""
    data = files.get(kind.filename)
    if data is None:
        return []
    wanted = {c.name for c in kind.columns}
    rows = []
    for number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        try:
            item = json.loads(line)
        except ValueError:
            item = None
        if not isinstance(item, dict) or set(item) != wanted:
            raise InputError("from", f"{kind.filename} line {number} is not a {kind.name} "
                             "line of this format")
        rows.append(item)
    return rows


def import_export(source: Path, directory: Path, *, admin_username: str,
                  admin_display_name: str, passphrase: str, export_passphrase: str | None,
                  clock: Clock | None = None, kdf: KdfParams | None = None) -> ImportSummary:
    """A new store in ``directory`` holding everything in the export, with ``admin_username``
    (admin and DSL) as its one account able to sign in. Nothing is left behind on failure."""
    clock = clock or SystemClock()
    manifest, files = read_export(source, export_passphrase)
    rows = {k.name: rows_of(files, k) for k in KINDS}
    if any(u["username"] == admin_username for u in rows["users"]):
        raise InputError("admin", f"'{admin_username}' is an account in the export: choose a "
                         "new name for the account that will run the imported store")
    if store_exists(directory) or (directory.exists() and any(directory.iterdir())):
        raise InputError("data", f"{directory} is not an empty folder; choose a new one")
    made = create_store(directory, school_name=manifest["school"],
                        admin_username=admin_username, admin_display_name=admin_display_name,
                        passphrase=passphrase, clock=clock, kdf=kdf,
                        demo=bool(manifest.get("demo")))
    try:
        with made.session as session:
            change_role(session, admin_username, ["admin", "dsl"])
            with session.tx() as conn:
                for kind in KINDS:
                    if kind.name not in AUDIT_KINDS:
                        _insert(conn, kind, rows[kind.name], files, iso(clock.now()))
                heads = {k: {"events": len(rows[k]), "last_hash": rows[k][-1]["hash"]}
                         for k in AUDIT_KINDS if rows[k]}
                session.audit("import", "store", manifest["store_id"],
                              school=manifest["school"], exported_at=manifest["exported_at"],
                              exported_by=manifest["exported_by"]["username"],
                              manifest_sha256=sha256(files[MANIFEST]), audit_heads=heads)
    except BaseException as exc:
        shutil.rmtree(directory, ignore_errors=True)  # ours alone: it was made just now
        if isinstance(exc, DatabaseError):
            raise ConcernDeskError("The export's rows do not fit together (a row refers to "
                                   "one that is not there); nothing was imported.") from exc
        raise
    return ImportSummary(manifest["school"], manifest["scope"],
                         {k: len(v) for k, v in rows.items() if v}, made.recovery_key)


def _insert(conn: Connection, kind: Kind, items: list[dict[str, Any]], files: Files,
            now: str) -> None:
    columns = [c.name for c in kind.columns]
    if kind.file_column:
        columns.append(kind.file_column)
    table = kind.table.removeprefix("main.")
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) "
           f"VALUES ({', '.join('?' * len(columns))})")
    for item in items:
        values = decode(kind, item)
        if kind.name == "settings" and not item["key"].startswith("setting:"):
            raise InputError("from", f"settings.jsonl names '{item['key']}', not a setting")
        if kind.name == "settings":
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", values)
            continue
        if kind.name == "users":  # no keys came with them: on the record, unable to sign in
            values = (*values[:5], values[5] or now, values[6] or now)
        if kind.file_column:
            values = (*values, _blob(files, kind, item))
        cur = conn.execute(sql, values)
        if kind.name == "record_versions":  # the search index joins on the version's rowid
            conn.execute("INSERT INTO record_fts (rowid, summary, child_words, action_taken, "
                         "location) VALUES (?,?,?,?,?)",
                         (cur.lastrowid, item["summary"], item["child_words"] or "",
                          item["action_taken"] or "", item["location"] or ""))


def _blob(files: Files, kind: Kind, item: dict[str, Any]) -> bytes:
    name = blob_path(kind, item)
    if name not in files:
        raise InputError("from", f"{name} is missing from the export")
    return files[name]
