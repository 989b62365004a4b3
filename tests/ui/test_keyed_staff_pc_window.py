"""The desktop app on a staff PC that joined a hub school (a keyed school store, no DSL store:
docs/keys.md): a teacher signs in and My concerns shows their own concern, opened from its
sealed copy, and not the other teacher's recorded on the same PC. Real widgets, a real hub.

Set CONCERNDESK_SCREENSHOTS=DIR to also write keyed-staff-pc-mine.png there."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QApplication

from tests.conftest import STAFF_PASS
from tests.hub.conftest import HubSchool, hub, school4  # noqa: F401  (fixtures)
from tests.hub.test_hub_sync import record
from tests.ui.conftest import settle, sign_in, wait_for


def test_my_concerns_on_a_keyed_staff_pc_shows_the_authors_own(
        qtbot, make_window, school4: HubSchool) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    with school4.open("teacher", "teacher2") as teacher2:
        record(teacher2, "Said something about the weekend at home")
    with school4.open("teacher") as teacher:
        record(teacher, "Arrived without a coat in the rain")
    window = make_window(school4.dirs["teacher"], demo=False)
    sign_in(qtbot, window, "teacher", STAFF_PASS)
    page = window.workspace.show_page("mine")
    settle(qtbot, window)
    wait_for(qtbot, lambda: page.table.model().rowCount() == 1)
    model = page.table.model()
    shown = " ".join(str(model.data(model.index(0, c))) for c in range(model.columnCount()))
    assert "Neglect" in shown, shown
    page.table.selectRow(0)
    settle(qtbot, window)
    wait_for(qtbot, lambda: "without a coat" in page.detail.toPlainText())
    assert "weekend" not in page.detail.toPlainText()
    out = os.environ.get("CONCERNDESK_SCREENSHOTS")
    if out:
        window.resize(1200, 800)
        for _ in range(5):
            QApplication.processEvents()
        window.grab().save(str(Path(out) / "keyed-staff-pc-mine.png"))
