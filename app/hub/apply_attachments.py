"""Attachments arriving in chunks through the hub: staged out of sight until one split is whole,
matches its SHA-256 and its record is here; only then is the file an attachment."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from typing import Any

from app.clock import iso, parse_iso
from app.domain.attachments import MAX_BYTES as MAX_ATTACHMENT_BYTES
from app.domain.destruction import is_destroyed
from app.hub.apply_checks import (
    LIMITED,
    Applied,
    BadPayload,
    NotAllowed,
    apply_users,
    as_list,
    as_object,
    id_field,
    known_user,
    text_field,
    time_field,
)
from app.hub.authorship import UNVERIFIABLE, check_attachment_author
from app.store.db import Connection

# -- attachments, in chunks ----------------------------------------------------------------

_SHA_HEX = set("0123456789abcdef")


def _attachment_meta(raw: object) -> dict[str, Any]:
    a = as_object(raw, "attachment")
    where = "attachment"
    size = a.get("size")
    if type(size) is not int or size < 1:
        raise BadPayload("attachment size must be a positive integer")
    if size > MAX_ATTACHMENT_BYTES:
        raise BadPayload(f"attachment is too large: {size} bytes, the most is "
                         f"{MAX_ATTACHMENT_BYTES}")
    sha = a.get("sha256")
    if not isinstance(sha, str) or len(sha) != 64 or not set(sha) <= _SHA_HEX:
        raise BadPayload("attachment sha256 must be 64 lower-case hex digits")
    return {"id": id_field(a, "id", where), "record_id": id_field(a, "record_id", where),
            "filename": text_field(a, "filename", where, limit=1000),  # names from before the cap
            "media_type": text_field(a, "media_type", where, limit=200), "size": size,
            "sha256": sha, "added_by": id_field(a, "added_by", where),
            "added_at": time_field(a, "added_at", where)}


def _staged_file(conn: Connection, attachment_id: str, count: int, meta: dict[str, Any]
                 ) -> bytes | None:
    """The file from one complete split, checked against its size and SHA-256; None while a
    chunk is missing; ``BadPayload`` when the whole does not match."""
    have = conn.execute("SELECT count(*) FROM attachment_chunks WHERE attachment_id = ? AND "
                        "chunk_count = ?", (attachment_id, count)).fetchone()[0]
    if have < count:
        return None  # counted first: the bytes are read once, when the last chunk comes
    rows = conn.execute("SELECT chunk_index, data FROM attachment_chunks WHERE attachment_id = ?"
                        " AND chunk_count = ? ORDER BY chunk_index", (attachment_id, count)
                        ).fetchall()
    data = b"".join(bytes(r[1]) for r in rows)
    if len(data) != meta["size"]:
        raise BadPayload(f"attachment chunks make {len(data)} bytes, not the {meta['size']} "
                         "its metadata gives")
    if hashlib.sha256(data).hexdigest() != meta["sha256"]:
        raise BadPayload("attachment chunks do not match the file's sha256")
    return data


def _insert_attachment(conn: Connection, meta: dict[str, Any], data: bytes) -> None:
    conn.execute("INSERT INTO attachments (id, record_id, filename, media_type, size, sha256, "
                 "data, added_by, added_at) VALUES (?,?,?,?,?,?,?,?,?)",
                 (meta["id"], meta["record_id"], meta["filename"], meta["media_type"],
                  meta["size"], meta["sha256"], data, meta["added_by"], meta["added_at"]))
    conn.execute("DELETE FROM attachment_chunks WHERE attachment_id = ?", (meta["id"],))


def _staff_may_attach(conn: Connection, meta: dict[str, Any]) -> bool | None:
    """For a staff PC's chunk: is its record a concern by the person who attached the file?
    None while the record is not here."""
    row = conn.execute("SELECT kind, created_by FROM records WHERE id = ?",
                       (meta["record_id"],)).fetchone()
    return None if row is None else tuple(row) == ("concern", meta["added_by"])


def apply_attachment_chunk(conn: Connection, payload: dict[str, Any], received_at: str,
                           sender: str = "dsl") -> Applied:
    """One chunk of an attachment. Staged until every chunk of its split is here and the whole
    matches its SHA-256, then inserted — at once if its record is here, else when the record
    arrives (``complete_waiting_attachments``). Call inside one transaction: a chunk that
    does not fit is refused and changes nothing."""
    if payload.get("type") != "attachment-chunk":
        raise BadPayload("not an attachment chunk")
    if sender == "office":
        raise NotAllowed("office", "attachments")
    applied = Applied()
    apply_users(conn, as_list(payload.get("users"), "users"), applied,
                known_only=sender in LIMITED)
    meta = _attachment_meta(payload.get("attachment"))
    if is_destroyed(conn, "attachment", meta["id"]) or is_destroyed(conn, "record",
                                                                     meta["record_id"]):
        applied.add("destroyed at review, not brought back")
        return applied
    known_user(conn, meta["added_by"], "attachment")
    if sender == "staff":
        if _staff_may_attach(conn, meta) is False:
            raise NotAllowed("staff", "attachments of another person's record")
        # Signed by the account it names (app/hub/authorship.py), or that account's verifier
        # is from before format 2: counted, as for a concern.
        applied.add(UNVERIFIABLE, check_attachment_author(conn, payload))
        meta["staff"] = True  # checked again when its record arrives
    index, count = payload.get("index"), payload.get("count")
    if type(index) is not int or type(count) is not int or not 0 <= index < count \
            or count > meta["size"]:
        raise BadPayload("chunk index and count must be integers, 0 <= index < count <= size")
    try:
        data = base64.b64decode(text_field(payload, "data", "chunk", limit=12_000_000) or "",
                                validate=True)
    except ValueError:
        raise BadPayload("chunk data is not base64") from None
    if not data:
        raise BadPayload("chunk carries no data")
    here = conn.execute("SELECT record_id, sha256, size FROM attachments WHERE id = ?",
                        (meta["id"],)).fetchone()
    if here is not None:
        if tuple(here) != (meta["record_id"], meta["sha256"], meta["size"]):
            raise BadPayload("another attachment has that id here")
        return applied  # whole already: a late or repeated chunk changes nothing
    meta_json = json.dumps(meta, sort_keys=True)
    if conn.execute("SELECT 1 FROM attachment_chunks WHERE attachment_id = ? AND meta != ? "
                    "LIMIT 1", (meta["id"], meta_json)).fetchone():
        raise BadPayload("chunk metadata differs from the chunks of that attachment already "
                         "here")
    same = conn.execute("SELECT data FROM attachment_chunks WHERE attachment_id = ? AND "
                        "chunk_count = ? AND chunk_index = ?", (meta["id"], count, index)
                        ).fetchone()
    if same is not None:
        if bytes(same[0]) != data:
            raise BadPayload(f"another copy of chunk {index + 1} of {count} differs")
        return applied
    staged = conn.execute("SELECT coalesce(sum(length(data)), 0) FROM attachment_chunks WHERE "
                          "attachment_id = ? AND chunk_count = ?", (meta["id"], count)
                          ).fetchone()[0]
    if staged + len(data) > meta["size"]:
        raise BadPayload("attachment chunks add up to more than the file's size")
    conn.execute("INSERT INTO attachment_chunks (attachment_id, chunk_count, chunk_index, "
                 "record_id, meta, data, received_at) VALUES (?,?,?,?,?,?,?)",
                 (meta["id"], count, index, meta["record_id"], meta_json, data, received_at))
    applied.add("attachment chunks")
    whole = _staged_file(conn, meta["id"], count, meta)
    if whole is not None and conn.execute("SELECT 1 FROM records WHERE id = ?",
                                          (meta["record_id"],)).fetchone():
        _insert_attachment(conn, meta, whole)
        applied.add("attachments")
    return applied


def complete_waiting_attachments(conn: Connection, record_id: str) -> int:
    """A record arrived: every attachment of it whose chunks were all here already is inserted
    (they were checked whole when the last one came). Returns how many."""
    done = 0
    waiting = conn.execute("SELECT attachment_id, chunk_count, min(meta) FROM attachment_chunks "
                           "WHERE record_id = ? GROUP BY attachment_id, chunk_count ORDER BY "
                           "attachment_id, chunk_count", (record_id,)).fetchall()
    for attachment_id, count, meta_json in waiting:
        if conn.execute("SELECT 1 FROM attachments WHERE id = ?", (attachment_id,)).fetchone():
            continue  # another split of it completed first
        meta = json.loads(meta_json)
        try:
            whole = _staged_file(conn, attachment_id, count, meta)
        except BadPayload:
            continue  # cannot happen for a split accepted whole; never blocks the record
        if whole is not None and meta.get("staff") and not _staff_may_attach(conn, meta):
            continue  # a staff PC's file for another person's record: never shown
        if whole is not None:
            _insert_attachment(conn, meta, whole)
            done += 1
    return done


# A split that stays incomplete this long lost a chunk for good (refused, or superseded when its
# sender split the file again for a smaller hub limit): its chunks are dropped. A whole split
# that waits for its record is kept, however long: the record may still come.
STALE_AFTER_DAYS = 30


def purge_stale_chunks(conn: Connection, now: str) -> int:
    """Drops the chunks of every incomplete split that has received nothing for
    STALE_AFTER_DAYS before ``now`` (an iso() time); how many chunks went."""
    cutoff = iso(parse_iso(now) - timedelta(days=STALE_AFTER_DAYS))
    return conn.execute(
        "DELETE FROM attachment_chunks WHERE (attachment_id, chunk_count) IN ("
        "SELECT attachment_id, chunk_count FROM attachment_chunks "
        "GROUP BY attachment_id, chunk_count "
        "HAVING count(*) < chunk_count AND max(received_at) < ?)", (cutoff,)).rowcount

