"""Each concern's current status, kept by the store as status events are written (the DSL
inbox reads it): right after triage, after a migration of an older store, on every PC in the
same order, and checked by verify."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from app.domain.concerns import ConcernDraft, assign, get_concern, inbox, record_concern, set_status
from app.store.db import connect, migrate
from app.store.verify import verify_store
from tests.conftest import SmallSchool


def _record(session, school: SmallSchool, text: str):  # type: ignore[no-untyped-def]
    child = session.conn.execute("SELECT id FROM children ORDER BY upn LIMIT 1").fetchone()[0]
    return record_concern(session, ConcernDraft(
        children=[(child, "subject")], categories=["neglect"], text=text,
        occurred_at=school.clock.now() - timedelta(hours=1)))


def test_closed_concerns_leave_the_inbox_and_assignment_shows(school: SmallSchool) -> None:
    with school.open("teacher") as teacher:
        first = _record(teacher, school, "Arrived hungry before breakfast club")
        school.clock.advance(60)
        second = _record(teacher, school, "Bruise on the left forearm, said fell")
        school.clock.advance(60)
        third = _record(teacher, school, "Upset at pick-up, did not want to go home")
    with school.open("dsl") as dsl:
        assert [v.id for v in inbox(dsl)] == [third.id, second.id, first.id]
        set_status(dsl, second.id, "closed", "Spoke to parent; no further action")
        assign(dsl, first.id, "deputy")
        open_now = inbox(dsl)
        assert [v.id for v in open_now] == [third.id, first.id]
        assert open_now[1].assigned_to == "Dev Deputy"
        assert [v.id for v in inbox(dsl, include_closed=True)][1] == second.id
        set_status(dsl, second.id, "acknowledged")  # reopened
        assert second.id in [v.id for v in inbox(dsl)]
        assert verify_store(dsl).ok


def test_two_changes_in_the_same_instant_keep_the_order_they_were_made(
        school: SmallSchool) -> None:
    with school.open("teacher") as teacher:
        concern = _record(teacher, school, "Said an older pupil takes their dinner money")
    with school.open("dsl") as dsl:  # the clock does not move between these three
        set_status(dsl, concern.id, "acknowledged")
        set_status(dsl, concern.id, "actioned")
        set_status(dsl, concern.id, "closed", "Talked with both pupils' families")
        assert get_concern(dsl, concern.id).status == "closed"
        times = [r[0] for r in dsl.conn.execute(
            "SELECT at FROM record_status WHERE record_id = ? ORDER BY at, id", (concern.id,))]
        assert len(set(times)) == len(times) == 4  # each event its own instant


def test_verify_names_a_status_that_disagrees_with_its_events(school: SmallSchool) -> None:
    with school.open("teacher") as teacher:
        concern = _record(teacher, school, "Smelled of smoke, clothes unwashed for a week")
    with school.open("dsl") as dsl:
        dsl.conn.execute("UPDATE concern_state SET status = 'closed' WHERE record_id = ?",
                         (concern.id,))
        report = verify_store(dsl)
        assert not report.ok
        assert any("1 concern(s) disagrees" in p for p in report.problems)


def test_an_older_store_gets_every_concern_status_when_migrated(tmp_path: Path) -> None:
    key = os.urandom(32)
    conn = connect(tmp_path / "store.db", key, create=True)
    migrate(conn, target=5)
    conn.execute("INSERT INTO users (id, username, display_name, roles, created_at) VALUES "
                 "('u1', 'dsl', 'Dana Lead', 'dsl', '2026-01-01T00:00:00.000000Z')")
    for rid, created in (("c-open", "2026-01-02"), ("c-closed", "2026-01-03"),
                         ("c-bare", "2026-01-04")):
        conn.execute("INSERT INTO records (id, kind, created_by, created_at) VALUES "
                     "(?, 'concern', 'u1', ?)", (rid, created + "T09:00:00.000000Z"))
    events = [("e1", "c-open", "new", "2026-01-02T09:00:00.000000Z", None),
              ("e2", "c-open", "assigned", "2026-01-02T10:00:00.000000Z", "u1"),
              ("e3", "c-closed", "new", "2026-01-03T09:00:00.000000Z", None),
              ("e4", "c-closed", "closed", "2026-01-03T11:00:00.000000Z", "No further action"),
              ("e5", "c-closed", "acknowledged", "2026-01-03T10:00:00.000000Z", None)]
    conn.executemany("INSERT INTO record_status (id, record_id, status, actor_id, at, note) "
                     "VALUES (?, ?, ?, 'u1', ?, ?)", [(e[0], e[1], e[2], e[3], e[4])
                                                     for e in events])
    migrate(conn)
    state = {r[0]: r[1:] for r in conn.execute(
        "SELECT record_id, status, assignee FROM concern_state")}
    assert state == {"c-open": ("new", "u1"), "c-closed": ("closed", None),
                     "c-bare": ("new", None)}
    conn.close()
