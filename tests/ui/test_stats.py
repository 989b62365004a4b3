"""app/domain/stats.py (the dashboard's core queries): counts agree with the records, roles hold."""

from __future__ import annotations

import pytest

from app.domain.child_flags import linked_children
from app.domain.concerns import inbox
from app.domain.stats import statistics, triage_sorted
from app.errors import AccessDenied
from app.store.access import unlock
from app.store.accounts import dsl_team
from app.store.audit import events
from tests.ui.conftest import PASSPHRASE


def test_statistics_count_what_is_there_and_are_audited(demo_store) -> None:  # type: ignore[no-untyped-def]
    with unlock(demo_store, "dsl", PASSPHRASE) as session:
        stats = statistics(session)
        assert len(stats.by_month) == 12
        assert sum(c.count for c in stats.by_month) == stats.concerns_total
        assert sum(c.count for c in stats.by_category) >= stats.concerns_total
        open_concerns = inbox(session)
        assert sum(c.count for c in stats.open_by_year_group) >= len(open_concerns)
        assert "statistics" in {e.object_type for e in events(session.conn,
                                                               schema=session.audit_schema)}
        assert all("dsl" in u.roles for u in dsl_team(session))
        ordered = triage_sorted(open_concerns)
        assert [v.status == "new" for v in ordered] == sorted(
            (v.status == "new" for v in ordered), reverse=True)


def test_staff_and_office_cannot_read_statistics_or_links(demo_store) -> None:  # type: ignore[no-untyped-def]
    for username in ("teacher", "office", "admin"):
        with unlock(demo_store, username, PASSPHRASE) as session:
            with pytest.raises(AccessDenied):
                statistics(session)
            with pytest.raises(AccessDenied):
                linked_children(session, "any")
            last = max(events(session.conn), key=lambda e: e.seq)
            assert last.detail.get("denied")
