"""A CP file from a school on another product (CPOMS, MyConcern, or paper scanned to PDF): kept
as the attachment of a "CP file received from <school> on <date>" chronology entry, so it sits
in the child's chronology where it arrived and the child's page can say that it exists."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from app.domain.attachments import add_attachment
from app.domain.chronology import add_entry
from app.domain.pupils import child_by_id
from app.errors import InputError
from app.store.roles import Perm
from app.store.session import Session
from app.transfer.model import Transfer, add_step, create, transfers
from app.wording import date_text


def receive_file(session: Session, child_id: str, school: str, received_on: date,
                 filename: str, data: bytes) -> Transfer:
    """Attaches the file to a new entry and records the transfer as received; all or nothing."""
    session.require(Perm.ADD_ENTRY)
    child = child_by_id(session, child_id)
    if not data.lstrip()[:5] == b"%PDF-":
        raise InputError("file", "is not a PDF: save the file the other school sent as PDF "
                         "(or scan the paper file to PDF) and try again")
    now = session.clock.now()
    if received_on > now.date():
        raise InputError("received", "is in the future")
    # Noon UK time on the day is near enough for the order of a file that came by hand.
    at = min(datetime.combine(received_on, time(12), tzinfo=UTC), now)
    with session.tx():
        transfer_id = create(session, child.id, "in", "pack", school, ["file"])
        add_step(session, transfer_id, "received")
        school_name = session.conn.execute("SELECT school FROM transfers WHERE id = ?",
                                           (transfer_id,)).fetchone()[0]
        entry = add_entry(session, [child.id], "action",
                          f"CP file received from {school_name} on {date_text(received_on)}",
                          at, significant=True)
        add_attachment(session, entry.record_id, filename or "cp-file.pdf", data,
                       "application/pdf")
    return next(t for t in previous_files(session, child.id) if t.id == transfer_id)


def previous_files(session: Session, child_id: str) -> list[Transfer]:
    """The CP files that came from the child's earlier schools, newest first."""
    return [t for t in transfers(session, child_id, audit=False) if t.direction == "in"]
