"""The retention review screen: reached from the DSL's navigation and dashboard, it lists the
files due, takes a hold with its reason, and destroys a file after the final question."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtWidgets import QDialog

from app.clock import FakeClock
from tests.ui.conftest import settle, sign_in, wait_for

REVIEW_DAY = datetime(2047, 1, 6, 9, 0, tzinfo=UTC)  # the demo's pupils are 25 and more


def open_dialog(window) -> QDialog:  # type: ignore[no-untyped-def]
    return next(d for d in window.findChildren(QDialog) if d.isVisible())


def test_the_dsl_holds_one_file_and_destroys_another(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window(clock=FakeClock(REVIEW_DAY))
    sign_in(qtbot, window, "dsl")
    dashboard = window.workspace.show_page("dashboard")
    settle(qtbot, window)
    dashboard.review_files.emit()
    page = window.workspace.pages["retention"]
    assert window.workspace.stack.currentWidget() is page
    settle(qtbot, window)
    due = list(page.model.rows)
    assert due and all(r.due for r in due)
    assert "25th birthday" in page.policy.text()
    page.table.selectRow(0)
    page.grab().save("/tmp/retention-page.png")

    held = due[0]
    page.buttons["hold"].click()
    dialog = open_dialog(window)
    dialog.grab().save("/tmp/retention-hold.png")
    dialog.submit()  # no reason: refused in words
    wait_for(qtbot, lambda: "say why" in dialog.message.text())
    qtbot.keyClicks(dialog.reason, "Police investigation open (synthetic)")
    dialog.submit()
    wait_for(qtbot, lambda: not dialog.isVisible())
    settle(qtbot, window)
    assert held.child.id not in {r.child.id for r in page.model.rows}

    target = page.model.rows[0]
    page.table.selectRow(0)
    page.confirm_destroy = lambda review: False  # Cancel: nothing happens
    page.destroy_button.click()
    settle(qtbot, window)
    assert target.child.id in {r.child.id for r in page.model.rows}
    page.confirm_destroy = lambda review: review.child.id == target.child.id
    page.destroy_button.click()
    settle(qtbot, window)
    assert target.child.id not in {r.child.id for r in page.model.rows}
    assert len(page.model.rows) == len(due) - 2

    page.show_all.setChecked(True)
    settle(qtbot, window)
    states = {r.child.id: r.state for r in page.model.rows}
    assert states[held.child.id] == "held"
    assert target.child.id not in states  # nothing of it is left to list
    page.table.selectRow([r.child.id for r in page.model.rows].index(held.child.id))
    page.grab().save("/tmp/retention-all.png")
