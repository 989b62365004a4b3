"""LA mode: read what arrived. Decrypts with the LA's private key; only the CLI calls this."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from app.clock import iso
from app.errors import ConcernDeskError, InputError, NotFound
from app.protocol.envelope import Envelope, EnvelopeError, open_payload, parse, verify_signature
from app.protocol.payload import (
    Chunk,
    FileRef,
    ReferralPayload,
    assemble,
    read_chunk,
    read_referral,
)
from frontdoor.keys import ServiceInfo
from frontdoor.storage import Storage, StoredEnvelope


@dataclass
class InboxEntry:
    id: str
    kind: str
    sender: str
    sender_name: str
    received: str
    size: int
    status: str  # "ok", "incomplete: …" or the reason it cannot be read
    files: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


class Inbox:
    def __init__(self, storage: Storage, info: ServiceInfo, hpke_key: X25519PrivateKey) -> None:
        self.storage, self.info, self._key = storage, info, hpke_key
        self._names = {k.fingerprint: k for k in storage.list_keys()}

    def refresh(self) -> None:
        """Reads the enrolled keys again (a long-running watcher: schools enrolled since)."""
        self._names = {k.fingerprint: k for k in self.storage.list_keys()}

    def _open(self, row: StoredEnvelope) -> tuple[Envelope, bytes]:
        env = parse(row.body, max_size=len(row.body))
        sender = self._names.get(env.header.sender)
        if sender is None:
            raise EnvelopeError("sender key unknown to this front door")
        verify_signature(env, sender.bundle.signing_key())
        return env, open_payload(env, self._key)

    def _chunks(self, referral: ReferralPayload) -> dict[str, Chunk]:
        found: dict[str, Chunk] = {}
        for cid in referral.chunk_ids:
            row = self.storage.get_envelope(cid)
            if row is None or row.recipient != self.info.fingerprint:
                continue
            _, payload = self._open(row)
            found[cid] = read_chunk(payload)
        return found

    def entries(self) -> list[InboxEntry]:
        """Every non-chunk envelope sealed to this front door, oldest first."""
        out = []
        for row in self.storage.list_envelopes(self.info.fingerprint):
            if row.kind == "chunk":
                continue
            sender = self._names.get(row.sender)
            entry = InboxEntry(id=row.id, kind=row.kind, sender=row.sender,
                               sender_name=sender.name if sender else "(unknown)",
                               received=iso(row.received_at), size=row.size, status="ok")
            try:
                _, payload = self._open(row)
                if row.kind == "referral":
                    referral = read_referral(payload)
                    chunks = self._chunks(referral)
                    entry.files = [f.name for f in (referral.pdf, *referral.attachments)]
                    missing = [cid for cid in referral.chunk_ids if cid not in chunks]
                    if missing:
                        entry.status = f"incomplete: {len(missing)} chunk(s) not yet arrived"
            except EnvelopeError as exc:
                entry.status = f"unreadable: {exc.reason}"
            out.append(entry)
        return out

    def referral(self, envelope_id: str) -> tuple[StoredEnvelope, ReferralPayload]:
        """A referral sealed to this front door, opened and checked; ``NotFound`` or
        ``InputError`` naming the id when it is not one."""
        row = self.storage.get_envelope(envelope_id)
        if row is None or row.recipient != self.info.fingerprint:
            raise NotFound(f"id: no envelope {envelope_id} for this front door")
        if row.kind != "referral":
            raise InputError("id", f"envelope {envelope_id} is a {row.kind}, not a referral")
        _, payload = self._open(row)
        return row, read_referral(payload)

    def pack_files(self, envelope_id: str) -> list[tuple[str, bytes]]:
        """The referral's files as (relative path, bytes): ``referral-<id>.pdf``, its JSON twin
        ``referral-<id>.json`` and any attachments. The same referral always gives the same
        bytes, so writing them again after a crash changes nothing."""
        row, referral = self.referral(envelope_id)
        chunks = self._chunks(referral)
        missing = [cid for cid in referral.chunk_ids if cid not in chunks]
        if missing:
            raise Incomplete(
                f"referral {envelope_id} is not complete yet: {len(missing)} of "
                f"{len(referral.chunk_ids)} chunks not arrived; export it again later")
        pdf = assemble(referral.pdf, chunks)
        sender = self._names[row.sender]
        stem = f"referral-{row.id}"
        files = [(f"{stem}.pdf", pdf)]
        listed = []
        for index, ref in enumerate(referral.attachments, start=1):
            name = f"{index:02d}-{_safe_name(ref.name)}"
            files.append((f"{stem}-attachments/{name}", assemble(ref, chunks)))
            listed.append(_file_json(ref) | {"file": f"{stem}-attachments/{name}"})
        document = {
            "envelope": {"id": row.id, "kind": row.kind, "sender": row.sender,
                         "sender_name": sender.name, "received": iso(row.received_at),
                         "sha256": row.sha256},
            "pack": referral.pack,
            "pdf": _file_json(referral.pdf) | {"file": f"{stem}.pdf"},
            "attachments": listed,
        }
        files.insert(1, (f"{stem}.json",
                         json.dumps(document, indent=2, ensure_ascii=False).encode()))
        return files

    def export(self, envelope_id: str, out_dir: Path) -> list[Path]:
        """Write ``referral-<id>.pdf``, ``referral-<id>.json`` and any attachments."""
        return write_files(out_dir, self.pack_files(envelope_id))


class Incomplete(ConcernDeskError):
    """A referral whose chunks have not all arrived: export it later."""


def _file_json(ref: FileRef) -> dict[str, object]:
    return {"name": ref.name, "media_type": ref.media_type, "size": ref.size,
            "sha256": ref.sha256}


def _safe_name(name: str) -> str:
    """A file name that cannot climb out of the export directory or hide itself."""
    cleaned = re.sub(r"[^\w.\- ]", "_", name.replace("/", "_").replace("\\", "_")).strip(". ")
    return cleaned[:100] or "attachment"


def _write(path: Path, data: bytes) -> Path:
    """Whole or not at all: a hidden temporary file beside ``path`` (a case system watching the
    folder ignores dot-files), flushed to the disk, renamed over it, and the rename made
    durable; the same bytes written again leave the same file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.part")
    try:
        # Owner-only: this is a child's referral in the clear, written by an explicit act.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        if os.name == "posix":
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConcernDeskError(f"cannot write {path}: {exc.strerror}") from None
    return path


def write_files(out_dir: Path, files: list[tuple[str, bytes]]) -> list[Path]:
    """Each of ``files`` (relative path, bytes) written whole under ``out_dir``, in order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return [_write(out_dir / name, data) for name, data in files]
