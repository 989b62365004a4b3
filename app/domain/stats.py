"""Read-only queries for the desktop app's DSL screens: the governors' statistics, the order of
the triage inbox, the DSL team to assign to, and a child's linked children.

Every query is role-checked here in the core and audited; the UI only draws the results.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from app.domain.categories import load_categories
from app.domain.concerns import ConcernView
from app.domain.encompass import ENTRY_KIND as NOTIFICATION
from app.domain.records import LATEST_VERSION
from app.store.roles import Perm
from app.store.session import Session
from app.wording import year_order

_STATUS = "(SELECT status FROM concern_state s WHERE s.record_id = r.id)"



@dataclass(frozen=True)
class Count:
    label: str
    count: int


@dataclass(frozen=True)
class Statistics:
    """Counts for the governors' report. Months run oldest to newest, empty months included."""

    by_category: list[Count]
    by_month: list[Count]
    open_by_year_group: list[Count]
    concerns_total: int
    since: date
    # Police notifications (Operation Encompass) by when the incident happened, the same
    # months; and how many children they concerned (a notification about two siblings is one
    # notification, two children).
    notifications_by_month: list[Count] = field(default_factory=list)
    notifications_total: int = 0
    notified_children: int = 0


def _month_labels(today: date, months: int) -> list[str]:
    labels = []
    year, month = today.year, today.month
    for _ in range(months):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return labels[::-1]


def statistics(session: Session, *, months: int = 12) -> Statistics:
    """Concerns by category and by month over the last ``months`` months (by when they
    happened), and open concerns per year group of the children involved."""
    session.require(Perm.READ_ALL_RECORDS)
    today = session.clock.now().date()
    labels = _month_labels(today, months)
    since = date(int(labels[0][:4]), int(labels[0][5:]), 1)
    rows = session.conn.execute(
        "SELECT v.occurred_at, v.categories FROM records r JOIN record_versions v ON "
        "v.record_id = r.id AND " + LATEST_VERSION + " WHERE r.kind = 'concern' AND "
        "v.occurred_at >= ?", (since.isoformat(),)).fetchall()
    by_month = Counter(occurred[:7] for occurred, _ in rows)
    by_code: Counter[str] = Counter()
    for _, categories in rows:
        by_code.update(json.loads(categories))
    names = {c.code: c.label for c in load_categories()}
    by_category = sorted((Count(names.get(code, code), n) for code, n in by_code.items()),
                         key=lambda c: (-c.count, c.label))
    open_rows = session.conn.execute(
        "SELECT c.year_group, count(DISTINCT r.id) FROM records r "
        "JOIN record_children rc ON rc.record_id = r.id JOIN children c ON c.id = rc.child_id "
        "WHERE r.kind = 'concern' AND coalesce(" + _STATUS + ", 'new') != 'closed' "
        "GROUP BY c.year_group").fetchall()
    open_by_year = sorted((Count(str(year), n) for year, n in open_rows),
                          key=lambda c: year_order(c.label))
    notified = session.conn.execute(
        "SELECT r.id, v.occurred_at, (SELECT group_concat(child_id, ' ') FROM record_children "
        "WHERE record_id = r.id) FROM records r JOIN record_versions v ON v.record_id = r.id "
        "AND " + LATEST_VERSION + " WHERE r.kind = 'entry' AND v.entry_kind = ? AND "
        "v.occurred_at >= ?", (NOTIFICATION, since.isoformat())).fetchall()
    by_month_notified = Counter(occurred[:7] for _, occurred, _ in notified)
    children = {c for _, _, ids in notified for c in (ids or "").split()}
    session.audited("view", "statistics", None)
    return Statistics(by_category, [Count(m, by_month.get(m, 0)) for m in labels],
                      open_by_year, len(rows), since,
                      [Count(m, by_month_notified.get(m, 0)) for m in labels], len(notified),
                      len(children))


def _serious_codes() -> frozenset[str]:
    return frozenset(c.code for c in load_categories() if c.serious)


def triage_sorted(views: Iterable[ConcernView]) -> list[ConcernView]:
    """The inbox order: new before seen, then serious categories (risk of significant harm,
    marked in categories.json), then newest first."""
    serious = _serious_codes()

    def rank(view: ConcernView) -> tuple[int, int, float]:
        return (0 if view.status == "new" else 1,
                0 if serious.intersection(view.latest.fields.categories) else 1,
                -view.recorded_at.timestamp())
    return sorted(views, key=rank)


def is_serious(view: ConcernView) -> bool:
    return bool(_serious_codes().intersection(view.latest.fields.categories))
