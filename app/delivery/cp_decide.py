"""The receiving DSL's decision on a CP file from another ConcernDesk school (issue #19).

Accepting takes it into the child the file is for — the child on roll with its UPN, one the
DSL chose (whose UPN must be the file's), or a new child made from the file's details — in one
transaction: an ``in`` transfer (received, accepted); a significant "CP file received" entry
with the chronology PDF, every attachment and the profile attached; and each chronology entry
of the old school as a read-only entry of this one, at its original time, saying who recorded
it and what it was (``received_entries`` keeps that provenance). Rejecting keeps nothing of the
file but the reason. Either way a signed answer goes back to the sending school.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from app.clock import iso, parse_iso
from app.delivery.cp_inbox import answer_to
from app.delivery.services import get_service
from app.domain.attachments import add_attachment
from app.domain.chronology import add_entry
from app.domain.pupils import Child, apply_roster, child_by_id, child_by_upn
from app.domain.records import VersionFields, insert_record
from app.domain.roster_csv import RosterRow
from app.errors import InputError, NotFound
from app.identifiers import normalise_upn
from app.profile.profiles import fill_from_cp_file, read_transferred
from app.protocol.cp_file import CpAnswer, CpFile, read_cp_file
from app.protocol.payload import assemble
from app.store.roles import Perm
from app.store.session import Session
from app.transfer.model import add_step, create
from app.wording import date_text, plural

MAX_REASON = 2000
YEARS = {"N1", "N2", "R", "X", *(f"Y{n}" for n in range(1, 15))}


@dataclass(frozen=True)
class Incoming:
    id: str
    school: str
    child_name: str
    child_upn: str
    received_at: datetime
    state: str
    transfer_id: str | None

    @property
    def title(self) -> str:
        return f"CP file from {self.school} for {self.child_name}"


_COLUMNS = ("SELECT id, school, child_name, child_upn, received_at, state, transfer_id "
            "FROM incoming_files")


def _row(row: tuple) -> Incoming:
    return Incoming(row[0], row[1], row[2], row[3], parse_iso(row[4]), row[5], row[6])


def waiting_files(session: Session) -> list[Incoming]:
    """CP files from other schools waiting for the DSL's decision, oldest first."""
    session.require(Perm.READ_ALL_RECORDS)
    return [_row(r) for r in session.conn.execute(
        _COLUMNS + " WHERE state = 'waiting' ORDER BY received_at, rowid").fetchall()]


def _waiting(session: Session, incoming_id: str) -> tuple[Incoming, CpFile, str]:
    session.require(Perm.READ_ALL_RECORDS)
    session.require(Perm.ADD_ENTRY)
    row = session.conn.execute(
        "SELECT id, school, child_name, child_upn, received_at, state, transfer_id, payload, "
        "peer_team FROM incoming_files WHERE id = ?", (incoming_id.strip(),)).fetchone()
    if row is None:
        raise NotFound("There is no CP file from another school with that id (transfer list "
                       "shows those waiting).")
    incoming = _row(row[:7])
    if incoming.state != "waiting":
        raise InputError("transfer", f"that CP file was already {incoming.state}")
    return incoming, read_cp_file(bytes(row[7])), row[8]


def _new_child(session: Session, cp: CpFile, upn: str) -> Child:
    c = cp.child
    try:
        born = date.fromisoformat(str(c.get("date_of_birth")))
    except ValueError:
        raise InputError("child", "the file gives no date of birth, so no child can be made "
                         "from it: add the child to the roster first, then accept") from None
    year = str(c.get("year_group") or "X")
    gender = str(c.get("gender") or "U")[:1].upper()
    apply_roster(session, [RosterRow(
        upn, str(c.get("legal_forename") or "").strip() or "(not given)",
        str(c.get("legal_surname") or "").strip() or "(not given)",
        c.get("preferred_forename") or None, born, gender if gender in "MFXU" else "U",
        year if year in YEARS else "X", c.get("nhs_number") or None, 0)])
    return child_by_upn(session, upn)


def accept_file(session: Session, incoming_id: str, child_id: str | None = None) -> str:
    """Takes the file into the child it is for; returns the new ``in`` transfer's id."""
    incoming, cp, team = _waiting(session, incoming_id)
    upn = normalise_upn(incoming.child_upn)
    service = get_service(session, "frontdoor")
    now = session.clock.now()
    update, unread = None, ""
    if cp.profile is not None:
        try:
            update = read_transferred(cp.profile)
        except ValueError as exc:
            unread = str(exc)
    with session.tx():
        if child_id:
            child = child_by_id(session, child_id)
            if normalise_upn(child.upn) != upn:
                raise InputError("child", "the file's UPN is not this child's UPN: choose the "
                                 "child the file is for (or let the UPN find them), or reject "
                                 "the file")
        else:
            try:
                child = child_by_upn(session, upn)
            except NotFound:
                child = _new_child(session, cp, upn)
        transfer_id = create(session, child.id, "in", "concerndesk", incoming.school,
                             list(cp.parts))
        add_step(session, transfer_id, "received")
        add_step(session, transfer_id, "accepted")
        entries = _import_entries(session, cp, child.id, transfer_id)
        files = [(cp.payload.pdf.name, assemble(cp.payload.pdf, {}), "application/pdf")]
        files += [(a.name, assemble(a, {}), a.media_type) for a in cp.payload.attachments]
        profile_note, added = "", 0
        if cp.profile is not None:
            files.append(("profile.json", json.dumps(cp.profile, indent=2, ensure_ascii=False)
                          .encode("utf-8"), "application/json"))
            if update is not None:
                added = fill_from_cp_file(session, child.id, update, incoming.school)
                profile_note = (f" The child's profile gained {plural(added, 'item')} this "
                                f"school did not hold, marked as from {incoming.school}."
                                if added else
                                " The child's profile here already held all it says.")
            else:
                profile_note = (" Its profile could not be read into this school's profile "
                                f"({unread}): read it in profile.json.")
        entry = add_entry(
            session, [child.id], "action",
            f"CP file received from {incoming.school} through the LA front door on "
            f"{date_text(incoming.received_at.date())} and accepted: "
            f"{plural(entries, 'chronology entry', 'chronology entries')} taken in as "
            f"read-only entries marked as from {incoming.school}; the chronology PDF, "
            f"{plural(len(cp.payload.attachments), 'attachment')}"
            + (" and the child's profile (profile.json)" if cp.profile is not None else "")
            + " attached here." + profile_note, now, significant=True)
        for name, data, media in files:
            add_attachment(session, entry.record_id, name, data, media)
        session.conn.execute("UPDATE incoming_files SET state = 'accepted', transfer_id = ?, "
                             "decided_at = ?, payload = NULL WHERE id = ?",
                             (transfer_id, iso(now), incoming.id))
        answer_to(session, team, _answer(session, cp, "accepted", ""), service, incoming.id)
        session.audit("import", "cp-file", incoming.id, transfer=transfer_id, child=child.id,
                      entries=entries, attachments=len(files), profile_items=added)
        session.changed("leaving", child.id)  # now with the entries it marks as received
    return transfer_id


def _answer(session: Session, cp: CpFile, status: str, note: str) -> CpAnswer:
    return CpAnswer(cp.transfer_id, status, note, session.school_name,
                    session.user.display_name, session.clock.now())


def _import_entries(session: Session, cp: CpFile, child_id: str, transfer_id: str) -> int:
    """Each of the old school's entries as a read-only entry here, at its original time."""
    count = 0
    for e in cp.entries:
        try:
            occurred = parse_iso(str(e.get("occurred_at")))
        except ValueError:
            continue  # not a time: the entry is still in the attached PDF
        kind, author = str(e.get("kind") or "entry"), str(e.get("author") or "not recorded")
        recorded = str(e.get("recorded_at") or "")
        text = str(e.get("summary") or "").strip() or "(no text)"
        fields = VersionFields(
            occurred_at=occurred, entry_kind="note",
            summary=f"From {cp.from_school} ({kind}, recorded by {author}"
                    + (f" on {date_text(parse_iso(recorded).date())}" if recorded else "")
                    + f"): {text}",
            child_words=str(e["child_words"]) if e.get("child_words") else None,
            significant=bool(e.get("significant")))
        version = insert_record(session, "entry", [(child_id, "subject")], fields)
        session.conn.execute("INSERT INTO received_entries (record_id, transfer_id, school, "
                             "author, kind, recorded_at) VALUES (?,?,?,?,?,?)",
                             (version.record_id, transfer_id, cp.from_school, author, kind,
                              recorded or None))
        session.audit("create", "entry", version.record_id, kind="note", received=True)
        session.changed("record", version.record_id)
        count += 1
    return count


def reject_file(session: Session, incoming_id: str, reason: str) -> None:
    """Refuses the file with a reason sent back to its school; nothing of it is kept."""
    incoming, cp, team = _waiting(session, incoming_id)
    reason = " ".join((reason or "").split())
    if not reason:
        raise InputError("reason", "say why the file is rejected, so the sending school can "
                         "act on it (e.g. 'this child is not on our roll')")
    if len(reason) > MAX_REASON:
        raise InputError("reason", f"is longer than {MAX_REASON} characters")
    service = get_service(session, "frontdoor")
    with session.tx():
        try:  # a child on roll with the file's UPN: the rejection is in their chronology
            child: Child | None = child_by_upn(session, incoming.child_upn)
        except (NotFound, InputError):
            child = None
        transfer_id = None
        if child is not None:
            transfer_id = create(session, child.id, "in", "concerndesk", incoming.school,
                                 list(cp.parts))
            add_step(session, transfer_id, "received")
            add_step(session, transfer_id, "rejected", reason)
            add_entry(session, [child.id], "action",
                      f"CP file from {incoming.school} rejected: {reason}",
                      session.clock.now())
        session.conn.execute("UPDATE incoming_files SET state = 'rejected', transfer_id = ?, "
                             "decided_at = ?, payload = NULL WHERE id = ?",
                             (transfer_id, iso(session.clock.now()), incoming.id))
        answer_to(session, team, _answer(session, cp, "rejected", reason), service,
                  incoming.id)
        session.audit("transfer", "cp-file", incoming.id, outcome="rejected")

