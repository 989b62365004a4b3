"""Wording and layout: one date style, choices in words, filters as you type, problems that go
when answered, messages that stay with their screen, a greyed "Send" that says why, a preview
as wide as its window."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from tests.ui.conftest import settle, sign_in, wait_for

UI = Path(__file__).resolve().parents[2] / "ui"


def test_every_screen_writes_dates_through_one_helper() -> None:
    own_format = re.compile(r"strftime|:%[dbBHmY]|\"dd MMM|\"MMM|\"yyyy|toString\(")
    found = [f"{path.name}: {line.strip()}" for path in UI.glob("*.py")
             if path.name != "wording.py"
             for line in path.read_text(encoding="utf-8").splitlines() if own_format.search(line)]
    assert found == []


def test_referral_choices_are_words_and_save_as_values(qtbot) -> None:  # type: ignore[no-untyped-def]
    referral_form = pytest.importorskip("app.domain.referral_form")
    from ui.referral_form_widget import ReferralFormWidget

    form = ReferralFormWidget(referral_form.FIELDS, referral_form.SECTIONS)
    qtbot.addWidget(form)
    kind, risk = form.widgets["kind"], form.widgets["risk_view"]
    shown = [kind.itemText(i) for i in range(kind.count())]
    assert "Early help" in shown and "early help" not in shown
    assert [risk.itemText(i) for i in range(risk.count())] == ["Not answered", "Low", "Medium",
                                                              "High"]
    kind.setCurrentIndex(kind.findData("early help"))
    assert ("kind", "early help") in form.assignments()
    form.set_form({"risk_view": "high"})
    assert risk.currentText() == "High"


def test_a_problem_at_a_field_goes_when_it_is_answered(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    sign_in(qtbot, window, "teacher")
    page = window.workspace.show_page("record")
    page.submit()
    assert page.messages["text"].isVisible() and page.messages["category"].isVisible()
    qtbot.keyClicks(page.what, "Came in without a coat.")
    assert not page.messages["text"].isVisible()
    page.categories.set_codes(["neglect"])
    assert not page.messages["category"].isVisible()
    assert page.messages["child"].isVisible()  # still unanswered


def test_the_chronology_filters_as_you_type_and_messages_stay_with_their_screen(
        qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    sign_in(qtbot, window, "dsl")
    inbox = window.workspace.pages["inbox"]
    child_id = inbox.model.rows[0].children[0][0].id
    window.workspace.open_child(child_id)
    settle(qtbot, window)
    page = window.workspace.children_page.page
    total = page.model.rowCount()
    word = page.model.item(0).summary.split()[0]
    qtbot.keyClicks(page.search_box, word)  # no Enter
    wait_for(qtbot, lambda: page.model.rowCount() < total or "of" in page.count.text())
    page.search_box.clear()
    wait_for(qtbot, lambda: page.model.rowCount() == total)

    window.db.notify("Something was done.")
    assert window.messages.isVisible()
    window.workspace.show_page("dashboard")
    assert not window.messages.isVisible()


def test_send_to_the_la_is_greyed_out_with_the_reason_when_no_front_door(
        qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    sign_in(qtbot, window, "dsl")
    referrals = window.workspace.pages["referrals"]
    if not hasattr(referrals, "form"):
        pytest.skip("the referral core is not in this version")
    child_id = window.workspace.pages["inbox"].model.rows[0].children[0][0].id
    window.workspace.build_referral(child_id)
    settle(qtbot, window)
    widgets = referrals.form.widgets
    for name, value in (("immediate_risk", "no"), ("kind", "safeguarding"),
                        ("parents_aware", "yes"), ("consent_given", "yes"),
                        ("risk_view", "medium")):
        widgets[name].setCurrentIndex(widgets[name].findData(value))
    widgets["worries"].setPlainText("Repeated unexplained marks.")
    referrals.approve()
    settle(qtbot, window)
    assert referrals.referral.status == "approved"
    assert not referrals.queue_button.isEnabled()
    assert referrals.queue_reason.isVisible() and "front door" in referrals.queue_reason.text()
    assert "front door" in referrals.queue_button.toolTip()


def test_the_pack_preview_fits_the_window_width(qtbot, make_window, demo_store) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("app.domain.referrals")
    from tests.ui.test_office_admin import release_a_pack

    release_a_pack(demo_store)
    window = make_window()
    sign_in(qtbot, window, "office")
    page = window.workspace.pages["print"]
    settle(qtbot, window)
    page.preview()
    settle(qtbot, window)
    preview = next(d for d in window.findChildren(QDialog) if d.isVisible())
    for width in (820, 600):
        preview.resize(width, 700)
        qtbot.wait(50)
        viewport = preview.scroll_area.viewport().width()
        shown = preview.labels[0].pixmap().width()
        assert viewport * 0.8 < shown <= viewport, (width, viewport, shown)
    assert preview.scroll_area.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    preview.reject()


def test_a_field_message_goes_when_its_field_changes(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QComboBox, QLineEdit, QVBoxLayout, QWidget

    from ui.errors import FieldMessage

    box = QWidget()
    qtbot.addWidget(box)
    layout = QVBoxLayout(box)
    edit, combo, message = QLineEdit(box), QComboBox(box), FieldMessage(box)
    combo.addItems(["", "Yes"])
    for widget in (edit, combo, message):
        layout.addWidget(widget)
    message.clear_when_changed(edit, combo)
    box.show()
    for change in (lambda: qtbot.keyClicks(edit, "x"), lambda: combo.setCurrentIndex(1)):
        message.say("address: is not a web address")
        assert message.isVisible()
        change()
        assert not message.isVisible()
