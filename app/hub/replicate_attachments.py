"""Attachments to the DSL team through the hub: each file as "attachment" envelopes carrying one
chunk and the file's metadata, sized under the hub's body limit, so chunks may arrive in any
order and alone (app/hub/apply_attachments.py puts them together). Also the sign-in that sends
an account's concerns and files again once its key is certified here (``resend_signed``).
"""

from __future__ import annotations

from app.delivery.outbox import enqueue
from app.delivery.services import HUB_LIMIT_META
from app.delivery.team_keys import device_fingerprint, team_bundle
from app.errors import ConcernDeskError
from app.hub.authorship import sign_attachment
from app.hub.replicate import (
    PAYLOAD_VERSION,
    canonical,
    replicate_record,
    replicating,
    user_rows,
)
from app.protocol.envelope import (
    AEAD_TAG_LEN,
    HPKE_ENC_LEN,
    MAX_ENVELOPE_LEN,
    MAX_HEADER_LEN,
    SIGNATURE_LEN,
    new_header,
    seal,
)
from app.protocol.fingerprint import b64e
from app.store.authorship import RESEND
from app.store.db import Connection
from app.store.keyfile import KeyFile
from app.store.session import Session

# The hub's body limit as it last told us (``sync_hub`` asks; ``join`` learns it first). Until
# then a modest guess: a chunk sized for a larger limit than the hub's is split again at sync.
DEFAULT_HUB_BODY = 1024 * 1024
MIN_CHUNK_BYTES = 4096
MIN_HUB_BODY = 64 * 1024
# Everything in a chunk envelope but its data: magic, lengths, header, HPKE, signature, and the
# JSON around the data (index, count, keys); the attachment's metadata is measured each time.
_CHUNK_OVERHEAD = 16 + MAX_HEADER_LEN + HPKE_ENC_LEN + AEAD_TAG_LEN + SIGNATURE_LEN + 256
ATTACHMENT_FIELDS = ("id", "record_id", "filename", "media_type", "size", "sha256", "added_by",
                     "added_at")


def hub_body_limit(conn: Connection) -> int:
    """The largest envelope the hub takes, as it last told us (or the default guess)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (HUB_LIMIT_META,)).fetchone()
    try:
        limit = int(row[0]) if row else DEFAULT_HUB_BODY
    except ValueError:
        limit = DEFAULT_HUB_BODY
    # Never so small that adding a file fails here: a hub that takes less is told at sync.
    return max(min(limit, MAX_ENVELOPE_LEN), MIN_HUB_BODY)


def chunk_data_bytes(limit: int, meta_len: int) -> int:
    """How many of the file's bytes fit one envelope of at most ``limit`` bytes (base64 in JSON:
    four characters for every three bytes)."""
    room = (limit - _CHUNK_OVERHEAD - meta_len) // 4 * 3
    if room < MIN_CHUNK_BYTES:
        raise ConcernDeskError(f"The school hub takes envelopes of at most {limit} bytes: too "
                               "small to carry attachments. Its administrator raises "
                               "--max-body.")
    return room


def attachment_envelopes(session: Session, attachment_id: str, limit: int) -> list[bytes]:
    """The attachment as "attachment" envelopes to the DSL team, each at most ``limit`` bytes:
    every chunk carries the file's metadata (id, record, name, type, size, SHA-256, who added
    it and when) and its index and count, so chunks may arrive in any order and alone."""
    conn = session.conn
    bundle = team_bundle(conn, "dsl")
    assert bundle is not None
    row = conn.execute(f"SELECT {', '.join(ATTACHMENT_FIELDS)}, data FROM attachments WHERE "
                       "id = ?", (attachment_id,)).fetchone()
    meta = dict(zip(ATTACHMENT_FIELDS, row[:-1], strict=True))
    data = bytes(row[-1])
    base = {"v": PAYLOAD_VERSION, "type": "attachment-chunk",
            "users": user_rows(conn, [meta["added_by"]]), "attachment": meta}
    sign_attachment(session, base)  # who added it, checked by a DSL PC (authorship.py)
    size = chunk_data_bytes(limit, len(canonical(base)))
    pieces = [data[i : i + size] for i in range(0, len(data), size)]
    me, now = device_fingerprint(session), session.clock.now()
    envelopes = []
    for index, piece in enumerate(pieces):
        payload = {**base, "index": index, "count": len(pieces), "data": b64e(piece)}
        header = new_header(me, bundle.fingerprint, "attachment", created=now)
        envelopes.append(seal(header, canonical(payload), bundle.hpke_key(),
                              session.device.signing_key, max_size=limit))
    return envelopes


def queue_attachment(session: Session, attachment_id: str, limit: int) -> list[str]:
    bundle = team_bundle(session.conn, "dsl")
    assert bundle is not None
    return enqueue(session, attachment_envelopes(session, attachment_id, limit),
                   bundle.fingerprint, "attachment", attachment_id)


def replicate_attachment(session: Session, attachment_id: str) -> None:
    """Hook: a file was attached. Call inside the transaction that stored it."""
    if replicating(session):
        queue_attachment(session, attachment_id, hub_body_limit(session.conn))


def resplit_attachments(session: Session, limit: int) -> int:
    """Before a sync: an attachment whose unsent chunks are larger than the hub now takes (the
    limit was not known, or lowered, when it was queued) is queued again in smaller chunks.
    Chunks the hub already receipted stay; a DSL PC completes the file from either split.
    Returns how many attachments were split again."""
    conn = session.conn
    oversized = [r[0] for r in conn.execute(
        "SELECT DISTINCT object_id FROM outbox WHERE object_type = 'attachment' AND state != "
        "'receipted' AND length(envelope) > ? ORDER BY object_id", (limit,))]
    done = 0
    for attachment_id in oversized:
        held = conn.execute("SELECT 1 FROM attachments WHERE id = ?", (attachment_id,)
                            ).fetchone() is not None
        if not held and not session.holds_dsl_store:
            # A keyed staff PC: another account's file, in its sealed copy only; its author's
            # next sync splits it again (dropping the chunks here would lose it).
            continue
        with session.tx():
            conn.execute("DELETE FROM outbox WHERE object_type = 'attachment' AND object_id = ? "
                         "AND state != 'receipted'", (attachment_id,))
            chunks = 0
            if held and replicating(session):
                chunks = len(queue_attachment(session, attachment_id, limit))
            session.audit("sync", "attachment", attachment_id, resplit=chunks, limit=limit)
        done += 1
    return done


def resend_signed(session: Session) -> None:
    """Sign-in hook: when this sign-in certified the account's key here
    (app/store/authorship.py), its own concerns and files on this PC are queued again, now
    signed. What it sent unsigned meanwhile was refused by the DSL PCs; applying is a union,
    so what they have already changes nothing."""
    keyfile = KeyFile.load(session.directory)
    entry = keyfile.users.get(session.user.username)
    if entry is None or not entry.get(RESEND):
        return
    if replicating(session):
        with session.tx():
            for (record_id,) in session.conn.execute(
                    "SELECT id FROM records WHERE created_by = ? ORDER BY created_at, id",
                    (session.user.id,)).fetchall():
                replicate_record(session, record_id)
            for (attachment_id,) in session.conn.execute(
                    "SELECT id FROM attachments WHERE added_by = ? ORDER BY added_at, id",
                    (session.user.id,)).fetchall():
                replicate_attachment(session, attachment_id)
    entry.pop(RESEND, None)
    keyfile.save(session.directory)
