"""The audit trail is a hash chain with a signed head: verify names the event that breaks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.domain.concerns import ConcernDraft, get_concern, record_concern
from app.errors import StoreDamaged
from app.store.highwater import MARK_FILE
from app.store.verify import verify_store
from tests.conftest import SmallSchool


def _busy_store(school: SmallSchool) -> None:
    with school.open("teacher") as teacher:
        child = teacher.conn.execute("SELECT id FROM children LIMIT 1").fetchone()[0]
        for n in range(3):
            view = record_concern(teacher, ConcernDraft(
                children=[(child, "subject")], categories=["neglect"],
                text=f"Observation {n}", occurred_at=school.clock.now() - timedelta(hours=1)))
    with school.open("dsl") as dsl:
        get_concern(dsl, view.id)


def _report(school: SmallSchool) -> tuple[bool, list[str]]:
    with school.open("dsl") as session:
        report = verify_store(session)
    return report.ok, report.problems


def test_untouched_trail_verifies(school: SmallSchool) -> None:
    _busy_store(school)
    assert _report(school) == (True, [])


def test_every_view_and_login_is_audited(school: SmallSchool) -> None:
    _busy_store(school)
    with school.open("dsl") as session:
        # Two trails on a keyed store: the school store's and the DSL team's (docs/keys.md).
        actions = [r[0] for r in session.conn.execute(
            "SELECT action FROM main.audit UNION ALL SELECT action FROM dsl.audit")]
    assert actions.count("create") >= 4  # store + three concerns
    assert "view" in actions and actions.count("login") >= 2


def _tamper(school: SmallSchool, sql: str) -> None:
    # An attacker holding the raw database key, but not this PC's keyring signing key.
    with school.open("admin") as session:
        session.conn.execute(sql)


def test_altered_event_is_named(school: SmallSchool) -> None:
    _busy_store(school)
    _tamper(school, "UPDATE audit SET actor = 'someone-else' WHERE seq = 5")
    ok, problems = _report(school)
    assert not ok and "audit event #5" in problems[0] and "altered" in problems[0]


def test_removed_event_is_named(school: SmallSchool) -> None:
    _busy_store(school)
    _tamper(school, "DELETE FROM audit WHERE seq = 7")
    ok, problems = _report(school)
    assert not ok and "#7" in problems[0] and "missing" in problems[0]


def test_reordered_events_are_named(school: SmallSchool) -> None:
    _busy_store(school)
    _tamper(school, "UPDATE audit SET seq = CASE seq WHEN 6 THEN 1006 WHEN 8 THEN 6 END "
                    "WHERE seq IN (6, 8)")
    _tamper(school, "UPDATE audit SET seq = 8 WHERE seq = 1006")
    ok, problems = _report(school)
    assert not ok and "audit event #6" in problems[0]


def _cut_the_tail(school: SmallSchool, n: int) -> int:
    """Deletes the last ``n`` events (no re-linking is needed); returns the last seq before."""
    with school.open("admin") as session:
        last = int(session.conn.execute("SELECT max(seq) FROM audit").fetchone()[0])
        session.conn.execute("DELETE FROM audit WHERE seq > ?", (last - n,))
    return last


def test_events_cut_from_the_end_are_refused_at_unlock(school: SmallSchool) -> None:
    _busy_store(school)
    last = _cut_the_tail(school, 3)
    # The high-water mark beside the store remembers how far the trail had reached.
    with pytest.raises(StoreDamaged, match=rf"restore.*ends at event #{last - 3}, but this PC "
                       rf"recorded it reaching #{last}: the last 3 audited events"):
        school.open("dsl")


def test_events_cut_from_the_end_are_caught_by_the_signed_head(school: SmallSchool) -> None:
    _busy_store(school)
    _cut_the_tail(school, 3)
    (school.directory / MARK_FILE).unlink()  # a forger who knows of the mark removes it too
    with school.open("dsl") as session:
        report = verify_store(session)
    # Opening (login) appended to the cut chain: the head no longer matches what was signed.
    assert not report.ok


@pytest.mark.parametrize("column", ["detail", "object_id", "at"])
def test_any_column_change_breaks_the_chain(school: SmallSchool, column: str) -> None:
    _busy_store(school)
    value = "'{}'" if column == "detail" else "'x'"
    _tamper(school, f"UPDATE audit SET {column} = {value} WHERE seq = 3")
    ok, problems = _report(school)
    assert not ok and "#3" in problems[0]
