"""Writing an export (docs/export.md): every table the session may read, as JSON Lines with
their schemas, the attachments and released packs as their original files, and a manifest
with the SHA-256 of every file. Encrypted unless the caller passes no passphrase (the CLI asks
the admin to confirm plain output); audited in the same transaction that reads the data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.clock import iso
from app.export.container import MANIFEST, SCRYPT_N, Files, check_out, seal, sha256, write_folder
from app.export.kinds import FORMAT, FORMAT_VERSION, KINDS, Kind, blob_path, encode, schemas
from app.store.db import Connection
from app.store.roles import Perm
from app.store.session import Session

EVERYTHING, SCHOOL_ONLY = "everything", "school-store-only"
SCHOOL_ONLY_WORDS = ("This export holds only the school store (accounts, roster and its "
                     "history, the school's audit trail): your account does not hold the DSL "
                     "store, so no concern, entry, referral, profile or attachment is in it. "
                     "A DSL must run the export for the safeguarding records.")


@dataclass(frozen=True)
class ExportSummary:
    out: Path
    scope: str
    encrypted: bool
    counts: dict[str, int]
    files: int


def scope_of(session: Session) -> str:
    """Only a DSL's session holds the DSL store (docs/keys.md); anyone else's would read its
    own private workspace and call that everything."""
    full = session.can(Perm.READ_ALL_RECORDS) and session.holds_dsl_store
    return EVERYTHING if full else SCHOOL_ONLY


def kinds_for(session: Session, scope: str) -> list[Kind]:
    wanted = [k for k in KINDS if scope == EVERYTHING or not k.dsl]
    if not session.held.split:  # one file: no DSL store, so no second audit trail
        wanted = [k for k in wanted if k.name != "audit_dsl"]
    return wanted


def export_store(session: Session, out: Path, *, passphrase: str | None,
                 scrypt_n: int = SCRYPT_N) -> ExportSummary:
    """Writes the export into the new or empty folder ``out``; ``passphrase`` None writes it in
    the clear (the caller has had that confirmed)."""
    session.require(Perm.EXPORT)
    check_out(out)
    scope = scope_of(session)
    with session.tx() as conn:  # one consistent snapshot, and the audit event with it
        files, counts = _collect(conn, kinds_for(session, scope))
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "school": session.school_name,
            "store_id": session.store_id, "demo": session.is_demo,
            "exported_at": iso(session.clock.now()),
            "exported_by": {"username": session.user.username,
                            "display_name": session.user.display_name,
                            "roles": list(session.user.roles)},
            "scope": scope, "counts": counts,
            "files": {name: sha256(data) for name, data in sorted(files.items())}}
        files[MANIFEST] = json.dumps(manifest, indent=1, ensure_ascii=False).encode("utf-8")
        written = files if passphrase is None else seal(files, passphrase, n=scrypt_n)
        session.audit("export", "store", session.store_id, folder=out.name, scope=scope,
                      encrypted=passphrase is not None, counts=counts)
        write_folder(out, written)
    return ExportSummary(out, scope, passphrase is not None, counts, len(files))


def _collect(conn: Connection, kinds: list[Kind]) -> tuple[Files, dict[str, int]]:
    files: Files = {f"schema/{name}": json.dumps(schema, indent=1).encode("utf-8")
                    for name, schema in schemas().items()}
    counts: dict[str, int] = {}
    for kind in kinds:
        names = [c.name for c in kind.columns]
        if kind.file_column:
            names.append(kind.file_column)
        lines: list[bytes] = []
        where = f" WHERE {kind.where}" if kind.where else ""
        for row in conn.execute(f"SELECT {', '.join(names)} FROM {kind.table}{where} "
                                "ORDER BY rowid"):
            item = encode(kind, row[:len(kind.columns)])
            if kind.file_column:
                files[blob_path(kind, item)] = bytes(row[-1])
            lines.append(_line(item))
        files[kind.filename] = b"".join(lines)
        counts[kind.name] = len(lines)
    return files, counts


def _line(item: dict[str, Any]) -> bytes:
    return json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
