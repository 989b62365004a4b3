"""The DSL team's side of a child leaving: marking it (with a chronology entry), and the cards
on the DSL's home, one per leaver with a safeguarding file, saying what is due and by when.

A card moves with the file: "CP file to send to <school> by <date>" (amber when two school days
or fewer are left, red when overdue, and said in words), then, once sent, waiting for the
receipt (a reminder to chase after two school days without one), then, once the receipt is
confirmed, the school's retention decision to record. With that recorded, the card goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from app.domain.chronology import add_entry
from app.domain.leavers import Leaving, leavers, leaving_of, record_leaving, school_calendar
from app.domain.pupils import child_by_id
from app.domain.schooldays import CHASE_AFTER, Calendar, cp_file_due, urgency
from app.errors import InputError
from app.store.roles import Perm
from app.store.session import Session
from app.transfer.model import Transfer, transfers
from app.transfer.retention import retention_of
from app.wording import date_text, plural


def mark_left(session: Session, child_id: str, left_on: date, destination: str | None
              ) -> Leaving:
    """The DSL's word that the child left (the MIS may not know yet)."""
    session.require(Perm.ADD_ENTRY)
    child = child_by_id(session, child_id)
    with session.tx():
        has_file = _has_file(session, child.id)  # leaving alone does not start a file
        record_leaving(session, child.id, left_on, destination, "dsl")
        leaving = leaving_of(session.conn, child.id)
        assert leaving is not None  # written just above
        if has_file:
            add_entry(session, [child.id], "note",
                      f"{leaving.words}. The child protection file is read-only until it "
                      "is reviewed; it is to be sent to the next school.",
                      min(session.clock.now(), _noon(left_on)))
    return leaving


def back_on_roll(session: Session, child_id: str) -> None:
    session.require(Perm.ADD_ENTRY)
    child = child_by_id(session, child_id)
    if leaving_of(session.conn, child.id) is None:
        raise InputError("child", "this child is on roll already")
    with session.tx():
        record_leaving(session, child.id, None, None, "dsl")
        if _has_file(session, child.id):
            add_entry(session, [child.id], "note", "Back on roll: the leaving was withdrawn.",
                      session.clock.now())


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


@dataclass(frozen=True)
class LeaverCard:
    child_id: str
    child_name: str
    title: str  # e.g. "CP file to send to Oak Academy by 06 Nov 2026"
    words: str  # the state in words: "2 school days left", "Overdue by …", "No receipt …"
    level: str  # ok, amber or red: colour only helps the eye
    action: str  # send, sent (waiting), chase, retention, wait (nothing to do: it comes back)
    transfer_id: str | None = None
    school: str | None = None  # where the file goes (None: not known yet)


def _has_file(session: Session, child_id: str) -> bool:
    return session.conn.execute("SELECT 1 FROM record_children WHERE child_id = ? LIMIT 1",
                                (child_id,)).fetchone() is not None


def leaver_cards(session: Session) -> list[LeaverCard]:
    """One card per leaver with a safeguarding file whose transfer is not finished, most
    urgent first. Audited as a view."""
    session.require(Perm.READ_ALL_RECORDS)
    calendar = school_calendar(session)
    today = session.clock.now().date()
    cards: list[LeaverCard] = []
    for leaving in leavers(session):
        if not _has_file(session, leaving.child_id):
            continue
        child = child_by_id(session, leaving.child_id)
        sent = [t for t in transfers(session, child.id, audit=False) if t.direction == "out"]
        card = _card(session, leaving, child.display_name, sent[0] if sent else None,
                     calendar, today)
        if card is not None:
            cards.append(card)
    order = {"red": 0, "amber": 1, "ok": 2}
    return sorted(cards, key=lambda c: order[c.level])


def _card(session: Session, leaving: Leaving, name: str, transfer: Transfer | None,
          calendar: Calendar, today: date) -> LeaverCard | None:
    school = leaving.destination or "the next school (not known yet)"
    if transfer is not None and transfer.route == "concerndesk" and \
            transfer.status in ("prepared", "sent", "received"):
        return _through_front_door(leaving, name, transfer, calendar, today)
    if transfer is None or transfer.status in ("prepared", "rejected"):
        due = cp_file_due(calendar, leaving.left_on)
        state = urgency(calendar, due.day, today)
        note = " · term dates not set: weekdays counted" if due.assumed else ""
        made = ("" if transfer is None else " · the last one was " + transfer.status_words
                if transfer.status == "rejected" else " · pack made, not yet marked sent")
        return LeaverCard(leaving.child_id, name, f"CP file to send to {school} by "
                          f"{date_text(due.day)}", f"{state.words}{made}{note}", state.level,
                          "send", transfer.id if transfer else None, leaving.destination)
    if transfer.status == "sent":
        step = transfer.step("sent")
        assert step is not None
        waited = calendar.school_days_between(step.at.date(), today)
        if waited >= CHASE_AFTER:
            return LeaverCard(leaving.child_id, name, f"No receipt yet from {transfer.school}",
                              f"Sent on {date_text(step.at.date())}, "
                              f"{plural(waited, 'school day')} ago: chase them for the "
                              "receipt code", "amber", "chase", transfer.id, transfer.school)
        return LeaverCard(leaving.child_id, name, f"CP file sent to {transfer.school}",
                          f"Sent on {date_text(step.at.date())}: waiting for the receipt code",
                          "ok", "sent", transfer.id, transfer.school)
    if transfer.status in ("receipt confirmed", "accepted") and \
            retention_of(session, leaving.child_id) is None:
        return LeaverCard(leaving.child_id, name, f"CP file with {transfer.school}",
                          f"{transfer.status_words[:1].upper()}{transfer.status_words[1:]}: "
                          "record what this school keeps", "ok", "retention", transfer.id,
                          transfer.school)
    return None


def _through_front_door(leaving: Leaving, name: str, transfer: Transfer, calendar: Calendar,
                        today: date) -> LeaverCard:
    """A file sent to a ConcernDesk school: its receipt and decision come back by themselves
    (app/delivery/cp_inbox.py), so the card says what is awaited and offers no button."""
    school = transfer.school
    if transfer.status == "prepared":
        return LeaverCard(leaving.child_id, name, f"CP file to {school}",
                          "Queued for the LA front door: it goes at the next sync",
                          "ok", "wait", transfer.id, school)
    step = transfer.step(transfer.status)
    assert step is not None
    waited = calendar.school_days_between(step.at.date(), today)
    if transfer.status == "received":
        return LeaverCard(leaving.child_id, name, f"CP file received by {school}",
                          f"Their signed receipt came on {date_text(step.at.date())}: their "
                          "DSL is to accept it", "ok", "wait", transfer.id, school)
    if waited >= CHASE_AFTER:
        return LeaverCard(leaving.child_id, name, f"No receipt yet from {school}",
                          f"Sent on {date_text(step.at.date())}, "
                          f"{plural(waited, 'school day')} ago: ask their DSL to open "
                          "ConcernDesk so it takes the file in", "amber", "wait", transfer.id,
                          school)
    return LeaverCard(leaving.child_id, name, f"CP file sent to {school}",
                      f"Sent on {date_text(step.at.date())} through the LA front door: waiting "
                      "for their signed receipt", "ok", "wait", transfer.id, school)


@dataclass(frozen=True)
class FileNotes:
    """What the child's page says of their moves: for the banner over the chronology."""

    left: Leaving | None
    lines: tuple[str, ...]


def file_notes(session: Session, child_id: str) -> FileNotes:
    session.require(Perm.READ_ALL_RECORDS)
    leaving = leaving_of(session.conn, child_id)
    lines = []
    if leaving is not None:
        lines.append(f"{leaving.words}: this file is read-only until it is reviewed (no new "
                     "concerns; the DSL team can still add entries).")
    for transfer in transfers(session, child_id, audit=False):
        if transfer.direction == "in":
            lines.append(f"A CP file from the previous school, {transfer.school}, is in the "
                         f"chronology ({transfer.status_words}).")
        else:
            lines.append(f"CP file to {transfer.school}: {transfer.status_words}.")
    kept = retention_of(session, child_id)
    if kept is not None:
        lines.append(f"This school's copy is {kept.words}.")
    return FileNotes(leaving, tuple(lines))
