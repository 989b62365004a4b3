"""A child's safeguarding flags, and the children linked to them through shared records.

Flags are DSL-team knowledge (a child protection plan is not for every member of staff), set
and cleared as events with a note, so "when did the plan start and end" stays answerable.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.domain.event_order import ORDER, next_event_at
from app.domain.pupils import Child, child_by_id
from app.errors import InputError
from app.store.roles import Perm
from app.store.session import Session

FLAGS: dict[str, str] = {
    "cp-plan": "Child protection plan",
    "child-in-need": "Child in need",
    "looked-after": "Looked after",
    "previously-looked-after": "Previously looked after",
    "send": "SEND",
    "eal": "EAL",
    "young-carer": "Young carer",
}


def set_flag(session: Session, child_id: str, flag: str, on: bool, note: str | None = None
             ) -> None:
    session.require(Perm.TRIAGE)
    if flag not in FLAGS:
        raise InputError("flag", "one of " + ", ".join(FLAGS))
    child_by_id(session, child_id)
    if (flag in flags(session, child_id, audit=False)) == on:
        return
    with session.tx() as conn:
        conn.execute("INSERT INTO child_flag_events (id, child_id, flag, value, actor_id, at, "
                     "note) VALUES (?,?,?,?,?,?,?)", (str(uuid.uuid4()), child_id, flag,
                                                      int(on), session.user.id,
                                                      next_event_at(conn, "child_flag_events",
                                                                    child_id,
                                                                    session.clock.now()),
                                                      (note or "").strip() or None))
        session.audit("amend", "child-flag", child_id, flag=flag, on=on)
        session.changed("flags", child_id)  # to the DSL team (hub-sync.md)


def flags(session: Session, child_id: str, *, audit: bool = True) -> list[str]:
    """The flags currently set, in the order of FLAGS."""
    session.require(Perm.READ_ALL_RECORDS)
    current: dict[str, bool] = {}
    for flag, value in session.conn.execute(
            "SELECT flag, value FROM child_flag_events WHERE child_id = ? ORDER BY " + ORDER,
            (child_id,)):
        current[flag] = bool(value)
    if audit:
        session.audited("view", "child-flags", child_id)
    return [f for f in FLAGS if current.get(f)]


@dataclass(frozen=True)
class LinkedChild:
    child: Child
    shared_records: int
    roles: tuple[str, ...]  # the other child's own roles there


def linked_children(session: Session, child_id: str) -> list[LinkedChild]:
    """Children named in the same concerns or entries (siblings, child-on-child incidents),
    with their own roles there: a "harmed" role never spills onto the other child."""
    session.require(Perm.READ_ALL_RECORDS)
    child_by_id(session, child_id)
    rows = session.conn.execute(
        "SELECT other.child_id, other.role, other.record_id FROM record_children mine "
        "JOIN record_children other ON other.record_id = mine.record_id AND "
        "other.child_id != mine.child_id WHERE mine.child_id = ?", (child_id,)).fetchall()
    records: dict[str, set[str]] = {}
    roles: dict[str, dict[str, None]] = {}
    for other_id, role, record_id in rows:
        records.setdefault(other_id, set()).add(record_id)
        roles.setdefault(other_id, {})[role] = None
    linked = [LinkedChild(child_by_id(session, other), len(ids), tuple(roles[other]))
              for other, ids in records.items()]
    session.audited("view", "linked-children", child_id, count=len(linked))
    return sorted(linked, key=lambda link: (-link.shared_records, link.child.display_name))
