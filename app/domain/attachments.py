"""Files attached to a concern or entry (a photo of a note, a letter), kept inside the
encrypted store — never as loose files on a staff PC."""

from __future__ import annotations

import hashlib
import mimetypes
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.clock import iso, parse_iso
from app.domain.concern_views import ConcernView
from app.domain.concerns import ConcernDraft, check_can_read, record_concern
from app.domain.records import NOT_YOURS, resolve_for
from app.errors import AccessDenied, InputError, NotFound
from app.store.roles import Perm
from app.store.session import Session

MAX_BYTES = 25 * 1024 * 1024
MAX_NAME = 255


@dataclass(frozen=True)
class AttachmentInfo:
    id: str
    record_id: str
    filename: str
    media_type: str
    size: int
    sha256: str
    added_at: datetime


def add_attachment(session: Session, some_id: str, filename: str, data: bytes,
                   media_type: str | None = None) -> AttachmentInfo:
    record_id = resolve_for(session, some_id)
    check_can_read(session, record_id)
    name = Path(filename).name.strip()
    if not name:
        raise InputError("attachment", "give the file a name")
    if len(name) > MAX_NAME:  # it travels in every chunk to the DSL team (hub-sync.md)
        raise InputError("attachment", f"the file's name is {len(name)} characters long; the "
                         f"most is {MAX_NAME}")
    if not data:
        raise InputError("attachment", "the file is empty")
    if len(data) > MAX_BYTES:
        raise InputError("attachment", f"the file is {len(data) // (1024 * 1024)} MB; the "
                         f"most is {MAX_BYTES // (1024 * 1024)} MB")
    kind = media_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    info = AttachmentInfo(str(uuid.uuid4()), record_id, name, kind, len(data),
                          hashlib.sha256(data).hexdigest(), session.clock.now())
    with session.tx() as conn:
        conn.execute("INSERT INTO attachments (id, record_id, filename, media_type, size, "
                     "sha256, data, added_by, added_at) VALUES (?,?,?,?,?,?,?,?,?)",
                     (info.id, record_id, name, kind, info.size, info.sha256, data,
                      session.user.id, iso(info.added_at)))
        session.audit("create", "attachment", info.id, record=record_id, size=info.size)
        session.changed("attachment", info.id)  # to the DSL team, in chunks (hub-sync.md)
    return info


def add_attachments(session: Session, some_id: str, files: Sequence[tuple[str, bytes]]
                    ) -> list[AttachmentInfo]:
    """Several files, each (name, bytes), in one transaction: all of them or none."""
    with session.tx():
        return [add_attachment(session, some_id, name, data) for name, data in files]


def record_concern_with_attachments(session: Session, draft: ConcernDraft,
                                    files: Sequence[tuple[str, bytes]]) -> ConcernView:
    """A concern and the files chosen with it, in one transaction: all saved, or nothing."""
    with session.tx():
        view = record_concern(session, draft)
        add_attachments(session, view.id, files)
    return view


def attachments(session: Session, some_id: str) -> list[AttachmentInfo]:
    record_id = resolve_for(session, some_id)
    check_can_read(session, record_id)
    rows = session.conn.execute("SELECT id, record_id, filename, media_type, size, sha256, "
                                "added_at FROM attachments WHERE record_id = ? ORDER BY "
                                "added_at, id", (record_id,)).fetchall()
    return [AttachmentInfo(id_, record, filename, media_type, size, sha256, parse_iso(added))
            for id_, record, filename, media_type, size, sha256, added in rows]


def attachment_data(session: Session, attachment_id: str) -> bytes:
    """The file's bytes, for the user's explicit open or save (audited as an export)."""
    row = session.conn.execute("SELECT record_id, data FROM attachments WHERE id = ?",
                               (attachment_id,)).fetchone()
    if row is None:
        if session.can(Perm.READ_ALL_RECORDS):
            raise NotFound("There is no such attachment.")
        # Without the DSL store an account sees only its own: another's reads as denied.
        session.audited("export", "attachment", attachment_id, denied=True)
        raise AccessDenied(NOT_YOURS)
    check_can_read(session, row[0])
    session.audited("export", "attachment", attachment_id)
    return bytes(row[1])
