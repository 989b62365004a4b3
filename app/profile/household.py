"""The children on roll who share a home or a parent with a child, from their profiles: the
siblings a police notification (Operation Encompass) is likely to concern too.

Two children are of one household when each profile's current items include the same home
address or the same contact (the same key: app/profile/profiles.py ``item_key``, which folds
case, accents and titles). A suggestion only: the DSL picks who a notification concerns."""

from __future__ import annotations

from app.domain.pupils import Child, child_by_id
from app.errors import NotFound
from app.store.roles import Perm
from app.store.session import Session

_CURRENT = (
    "SELECT child_id, kind, item_key FROM profile_items p WHERE kind IN ('address', 'contact') "
    "AND value IS NOT NULL AND id = (SELECT id FROM profile_items q WHERE "
    "q.child_id = p.child_id AND q.kind = p.kind AND q.item_key = p.item_key "
    "ORDER BY q.at DESC, q.id DESC LIMIT 1)")


def household_children(session: Session, child_id: str) -> list[Child]:
    """The other children on roll sharing a current home address or contact with the child,
    in name order; audited as a view of the child's record."""
    session.require(Perm.READ_ALL_RECORDS)
    child_by_id(session, child_id)
    rows = session.conn.execute(
        f"WITH cur AS ({_CURRENT}) SELECT DISTINCT other.child_id FROM cur mine JOIN cur other "
        "ON other.kind = mine.kind AND other.item_key = mine.item_key AND "
        "other.child_id != mine.child_id WHERE mine.child_id = ?", (child_id,)).fetchall()
    found = []
    for (other,) in rows:
        try:
            found.append(child_by_id(session, other))
        except NotFound:  # a profile kept for a child no longer on roll: not offered
            continue
    session.audited("view", "household-children", child_id, count=len(found))
    return sorted(found, key=lambda c: c.display_name)
