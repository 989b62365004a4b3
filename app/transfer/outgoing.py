"""Sending a CP file to a school on another product: one AES-256 encrypted PDF (pypdf), its
password made here and shown once for the DSL to phone through (never to email: the file and
its password must not travel together), a receipt slip as its first page, and the chosen parts
inside: the chronology pack, its JSON twin, the attachments and the child's profile as files
embedded in the PDF. Nothing unencrypted is written: the pack is assembled in memory.

Then: ``mark_sent`` when it has gone, ``confirm_receipt`` when the receiving DSL reads the code
back. Each step is audited and is an entry in the child's chronology.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from app.atomic import write_user_file
from app.domain.attachments import attachment_data
from app.domain.chronology import add_entry
from app.domain.pupils import Child, child_by_id
from app.errors import InputError
from app.pack import pack_json
from app.pack.assembly import child_pack_data, school_info
from app.pack.model import PackData
from app.profile.model import to_json
from app.profile.profiles import profile
from app.store.roles import Perm
from app.store.session import Session
from app.transfer.model import Transfer, add_step, clean_school, create, load
from app.wording import date_text, plural

# What the DSL may choose to send; the chronology pack is the file itself and always goes.
PARTS = {"chronology": "the chronology pack (the PDF's pages after the receipt slip)",
         "twin": "the chronology as JSON (chronology.json), for the receiving system",
         "attachments": "every attachment of the child's records",
         "profile": "the child's profile: contacts, household, professionals (profile.json)"}
OPTIONAL = ("twin", "attachments", "profile")
# Unambiguous read aloud: no 0/O, 1/I/L, 5/S, 8/B.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY234679"
CODE_LENGTH = 8
PASSWORD_LENGTH = 20


@dataclass(frozen=True)
class MadePack:
    transfer_id: str
    password: str  # shown once, to be phoned through; never stored
    receipt_code: str  # on the slip; only its hash is kept
    contents: tuple[str, ...]
    attachments: int


def _groups(length: int) -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(length))
    return "-".join(chars[i:i + 4] for i in range(0, length, 4))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode("ascii", "replace")).hexdigest()


@dataclass(frozen=True)
class FileParts:
    """What goes with a CP file, gathered once for either route: the pack route embeds these
    in its PDF, the ConcernDesk route seals them in an envelope (app/delivery/cp_send.py)."""

    data: PackData
    parts: tuple[str, ...]
    twin: dict[str, Any] | None
    profile: dict[str, Any] | None
    attachments: tuple[tuple[str, str, bytes], ...]  # (name, media type, bytes)

    @property
    def contents(self) -> tuple[str, ...]:
        files = len(self.attachments)
        return tuple(PARTS[p] + (f" ({plural(files, 'file')})" if p == "attachments" else "")
                     for p in self.parts)


def check_without(without: tuple[str, ...]) -> tuple[str, ...]:
    for part in without:
        if part not in OPTIONAL:
            raise InputError("without", f"'{part}' is not a part that can be left out; choose "
                             "from " + ", ".join(OPTIONAL))
    return tuple(p for p in PARTS if p not in without)


def gather(session: Session, child: Child, without: tuple[str, ...], now: datetime
           ) -> FileParts:
    """The chosen parts of the child's file, read (not audited here: the caller's export is)."""
    parts = check_without(without)
    data = child_pack_data(session, child)
    twin = pack_json(data, generated_at=now) if "twin" in parts else None
    body = None
    if "profile" in parts:
        shown = profile(session, child.id, audit=False)
        body = {name: to_json(getattr(shown, name)) for name in (
            "facts", "home", "other_addresses", "contacts", "household", "professionals",
            "previous_names")}
    files: list[tuple[str, str, bytes]] = []
    if "attachments" in parts:
        rows = session.conn.execute(
            "SELECT a.id, a.filename, a.media_type FROM attachments a JOIN record_children c "
            "ON c.record_id = a.record_id WHERE c.child_id = ? ORDER BY a.added_at, a.id",
            (child.id,)).fetchall()
        used: set[str] = set()
        for attachment_id, filename, media_type in rows:
            name = filename if filename not in used else f"{attachment_id[:8]}-{filename}"
            used.add(name)
            files.append((name, media_type or "application/octet-stream",
                          attachment_data(session, attachment_id)))
    return FileParts(data, parts, twin, body, tuple(files))


def make_pack(session: Session, child_id: str, school: str, out: Path,
              without: tuple[str, ...] = ()) -> MadePack:
    """Writes the encrypted pack to ``out`` and records the transfer as prepared."""
    session.require(Perm.READ_ALL_RECORDS)
    session.require(Perm.ADD_ENTRY)
    if out.suffix.lower() != ".pdf":
        raise InputError("out", "name a .pdf file")
    check_without(without)
    # reportlab and pypdf load only when a PDF is made (app/pack/__init__.py)
    from app.pack import encrypt_pdf, render_pack
    from app.transfer.slip import Slip, render_slip

    school = clean_school(school)
    child = child_by_id(session, child_id)
    now = session.clock.now()
    got = gather(session, child, without, now)
    parts, data, files = got.parts, got.data, len(got.attachments)
    embedded: list[tuple[str, bytes]] = []
    if got.twin is not None:
        embedded.append(("chronology.json", json.dumps(got.twin, indent=2, ensure_ascii=False)
                         .encode("utf-8")))
    if got.profile is not None:
        embedded.append(("profile.json", json.dumps(got.profile, indent=2, ensure_ascii=False)
                         .encode("utf-8")))
    embedded += [(f"attachments/{name}", raw) for name, _media, raw in got.attachments]
    code, password = _groups(CODE_LENGTH), _groups(PASSWORD_LENGTH)
    contents = got.contents
    with session.tx():
        transfer_id = create(session, child.id, "out", "pack", school, list(parts),
                             code_hash(code))
        slip = Slip(school_info(session), school, child.legal_name,
                    date_text(child.date_of_birth), child.upn, code, transfer_id, contents, now)
        pdf = _assemble(render_slip(slip), render_pack(data, generated_at=now), embedded)
        add_step(session, transfer_id, "prepared")
        add_entry(session, [child.id], "action",
                  f"CP file prepared for {school}: an encrypted pack holding "
                  + "; ".join(contents) + ". Its password is to be given by phone; a receipt "
                  "code on its first page is to be read back.", now)
        session.audit("export", "transfer-pack", transfer_id, parts=list(parts),
                      attachments=files)
        # Last: a file that cannot be written undoes the record of it.
        write_user_file(out, encrypt_pdf(pdf, password), "the transfer pack")
    return MadePack(transfer_id, password, code, contents, files)


def _assemble(slip: bytes, pack: bytes, embedded: list[tuple[str, bytes]]) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(slip)))
    writer.append(PdfReader(io.BytesIO(pack)))
    for name, data in embedded:
        writer.add_attachment(name, data)
    writer.add_metadata({"/Title": "Child protection file (OFFICIAL-SENSITIVE)"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _outgoing(session: Session, transfer_id: str) -> Transfer:
    session.require(Perm.ADD_ENTRY)
    transfer = load(session, transfer_id)
    if transfer.direction != "out" or transfer.route != "pack":
        raise InputError("transfer", "that transfer is not a pack this school sent")
    return transfer


def mark_sent(session: Session, transfer_id: str, how: str | None = None) -> Transfer:
    """The DSL says the pack has gone (and its password was phoned through)."""
    transfer = _outgoing(session, transfer_id)
    if transfer.step("sent") or transfer.step("receipt confirmed"):
        raise InputError("transfer", f"it is already {transfer.status_words}")
    how = " ".join((how or "").split()) or None
    with session.tx():
        add_step(session, transfer.id, "sent", how)
        add_entry(session, [transfer.child_id], "action",
                  f"CP file sent to {transfer.school}" + (f" ({how})" if how else "")
                  + "; password given by phone; waiting for the receipt code.",
                  session.clock.now())
    return load(session, transfer.id)


def confirm_receipt(session: Session, transfer_id: str, code: str, by: str) -> Transfer:
    """Records the code the receiving DSL read back, if it is the slip's."""
    transfer = _outgoing(session, transfer_id)
    done = transfer.step("receipt confirmed")
    if done is not None:
        raise InputError("transfer", f"receipt was already confirmed by {done.note} on "
                         f"{date_text(done.at.date())}")
    who = " ".join((by or "").split())
    if not who:
        raise InputError("by", "give the name of the person who read the code back")
    if len(who) > 200:
        raise InputError("by", "is longer than 200 characters")
    if not normalise_code(code):
        raise InputError("code", "give the receipt code they read back")
    if not hmac.compare_digest(code_hash(code), transfer.code_sha256 or ""):
        session.audited("transfer", "transfer", transfer.id, wrong_code=True)
        raise InputError("code", "does not match this transfer's receipt slip: ask them to "
                         "read it again (it has 8 letters and digits, e.g. ACDE-2347)")
    with session.tx():
        if transfer.step("sent") is None:  # read back before the DSL marked it sent
            add_step(session, transfer.id, "sent")
        add_step(session, transfer.id, "receipt confirmed", who)
        add_entry(session, [transfer.child_id], "action",
                  f"Receipt of the CP file confirmed by {who} of {transfer.school} (the "
                  "receipt code was read back and matched).", session.clock.now())
    return load(session, transfer.id)
