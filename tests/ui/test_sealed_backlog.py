"""A DSL's sign-in opens what teachers sealed for the DSL team (docs/keys.md) and says so as it
goes: the sign-in button counts the sealed concerns it opens."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from app.domain.concerns import ConcernDraft, inbox, record_concern
from app.store.access import unlock
from tests.ui.conftest import PASSPHRASE, settle, sign_in


def test_a_dsl_sign_in_counts_the_sealed_concerns_it_opens(qtbot, make_window,  # type: ignore[no-untyped-def]
                                                            demo_store: Path) -> None:
    with unlock(demo_store, "teacher", PASSPHRASE) as teacher:
        child = teacher.conn.execute("SELECT id FROM children LIMIT 1").fetchone()[0]
        for n in range(45):
            record_concern(teacher, ConcernDraft(
                children=[(child, "subject")], categories=["neglect"],
                text=f"Waiting sealed number {n}",
                occurred_at=teacher.clock.now() - timedelta(hours=1)))
    window = make_window()
    seen: list[tuple[int, int]] = []
    window.signin.opening.connect(lambda done, total: seen.append((done, total)))
    sign_in(qtbot, window, "dsl")
    settle(qtbot, window)
    assert seen[0] == (0, 45) and seen[-1] == (45, 45)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    with unlock(demo_store, "dsl", PASSPHRASE) as dsl:
        texts = {c.latest.fields.summary for c in inbox(dsl, limit=5000)}
    assert {f"Waiting sealed number {n}" for n in range(45)} <= texts
