"""The desktop app on a DSL PC that joined a hub school (a school store and a DSL store of its
own: docs/keys.md, app/hub/keyed_dsl_pc.py). The deputy signs in and the Inbox holds the
teacher's concern that came through the hub; a teacher signing in at the same PC gets no Inbox
and none of the DSL team's concerns. Real widgets, a real hub.

Set CONCERNDESK_SCREENSHOTS=DIR to also write keyed-dsl-pc-deputy.png and
keyed-dsl-pc-teacher.png there."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QApplication

from tests.conftest import STAFF_PASS
from tests.hub.conftest import HubSchool, hub, school4  # noqa: F401  (fixtures)
from tests.hub.test_hub_sync import record
from tests.ui.conftest import settle, sign_in, wait_for


def _shot(window, name: str) -> None:  # type: ignore[no-untyped-def]
    out = os.environ.get("CONCERNDESK_SCREENSHOTS")
    if out:
        window.resize(1200, 800)
        for _ in range(5):
            QApplication.processEvents()
        window.grab().save(str(Path(out) / f"keyed-dsl-pc-{name}.png"))


def test_the_deputy_reads_the_hubs_concerns_and_a_teacher_at_the_same_pc_reads_none(
        qtbot, make_window, school4: HubSchool) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    assert (school4.dirs["deputy"] / "dsl.db").exists()  # keyed at provisioning
    with school4.open("teacher") as teacher:
        record(teacher, "Arrived without a coat in the rain")
    school4.sync("teacher")
    school4.sync("deputy")

    window = make_window(school4.dirs["deputy"], demo=False)
    sign_in(qtbot, window, "deputy", STAFF_PASS)
    inbox = window.workspace.show_page("inbox")
    assert inbox is not None
    settle(qtbot, window)
    wait_for(qtbot, lambda: inbox.table.model().rowCount() == 1)
    inbox.table.selectRow(0)
    settle(qtbot, window)
    wait_for(qtbot, lambda: "without a coat" in inbox.detail.toPlainText())
    _shot(window, "deputy")
    window.lock_now()
    settle(qtbot, window)

    sign_in(qtbot, window, "teacher", STAFF_PASS)  # the teacher's first sign-in at this PC
    assert window.workspace.show_page("inbox") is None
    mine = window.workspace.show_page("mine")
    assert mine is not None
    settle(qtbot, window)
    assert mine.table.model().rowCount() == 0  # what they wrote on their own PC stays there
    _shot(window, "teacher")
