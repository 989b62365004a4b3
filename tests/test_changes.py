"""Domain operations report what they changed (``Session.changed``), inside their transaction;
they never call replication (docs/architecture.md). No hub, no sync layer needed here."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from app.domain.concerns import ConcernDraft, record_concern
from app.domain.pupils import apply_roster
from app.store import session as session_module
from app.store.session import Session
from tests.conftest import PUPILS, SmallSchool


@pytest.fixture
def reported(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[str, ...], bool]]:
    """Every change reported, with whether a transaction was open; the hub's hook is off."""
    seen: list[tuple[str, tuple[str, ...], bool]] = []

    def hook(session: Session, kind: str, ids: tuple[str, ...]) -> None:
        seen.append((kind, ids, session.conn.in_transaction))

    monkeypatch.setattr(session_module, "_change_hooks", [hook])
    return seen


def test_recording_a_concern_reports_the_record_in_its_transaction(
        school: SmallSchool, reported: list[tuple[str, tuple[str, ...], bool]]) -> None:
    with school.open("teacher") as teacher:
        child = teacher.conn.execute("SELECT id FROM children WHERE upn = ?",
                                     (PUPILS[0].upn,)).fetchone()[0]
        view = record_concern(teacher, ConcernDraft(
            children=[(child, "subject")], categories=["neglect"], text="No coat again",
            occurred_at=school.clock.now() - timedelta(hours=1)))
    assert reported == [("record", (view.id,), True)]


def test_a_roster_import_reports_the_rows_it_changed(
        school: SmallSchool, reported: list[tuple[str, tuple[str, ...], bool]]) -> None:
    with school.open("admin") as admin:
        apply_roster(admin, PUPILS)  # unchanged: nothing to replicate
        apply_roster(admin, [replace(PUPILS[0], year_group="Y6")])
    assert reported == [("roster", (), True), ("roster", (PUPILS[0].upn,), True)]
