"""The DSL sets a child's flags with a note, records a concern with a file attached (a file that
cannot be read saves nothing), finds the attachment on the child's page and saves it exactly
where they chose."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from app.domain.child_flags import FLAGS
from tests.ui.conftest import settle, sign_in, wait_for


def open_dialog(window) -> QDialog:  # type: ignore[no-untyped-def]
    return next(d for d in window.findChildren(QDialog) if d.isVisible())


def test_flags_and_attachments_on_the_child_page(qtbot, make_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    sign_in(qtbot, window, "dsl")

    # Record a concern with an attachment chosen first.
    record = window.workspace.show_page("record")
    settle(qtbot, window)
    qtbot.keyClicks(record.picker.search, "Y5")
    wait_for(qtbot, lambda: record.picker.results.count() > 0)
    child = record.picker.results.item(0).data(Qt.ItemDataRole.UserRole)
    qtbot.keyClick(record.picker.search, Qt.Key.Key_Return)
    record.categories.set_codes(["neglect"])
    qtbot.keyClicks(record.what, "Came in without lunch again.")
    note = tmp_path / "note-from-child.txt"
    note.write_bytes(b"synthetic note: I was hungry\n")
    missing = tmp_path / "gone.jpg"
    record.files.choose_files = lambda: [note, missing]
    record.files.add_button.click()
    assert record.files.list.count() == 2
    record.submit()
    settle(qtbot, window)
    assert "gone.jpg" in record.files.message.text()  # said at the attachments, nothing saved
    assert record.children_table.ids == [child.id] and record.save_button.isEnabled()
    record.files.list.setCurrentRow(1)
    record.files.remove_button.click()
    assert record.files.paths() == [note]
    record.submit()
    settle(qtbot, window)
    assert "Concern saved" in record.draft_note.text() and record.files.list.count() == 0

    # The child's page: flags with a note, and the attachment on the new entry.
    window.workspace.open_child(child.id)
    settle(qtbot, window)
    page = window.workspace.children_page.page
    assert page.flags.title() == "Flags: none set"
    code = "young-carer"
    box = page.flags.boxes[code]
    assert box.isEnabled() and box.accessibleName() == f"Flag: {FLAGS[code]}"
    box.click()
    assert not box.isChecked()  # not until the core has recorded it
    dialog = open_dialog(window)
    dialog.note.setPlainText("Looks after a parent; confirmed by the family support worker.")
    dialog.submit()
    settle(qtbot, window)
    assert box.isChecked() and FLAGS[code] in page.flags.title()
    page.flags.boxes["eal"].click()  # cancelling the note leaves the flag as it was
    open_dialog(window).reject()
    assert not page.flags.boxes["eal"].isChecked()
    page.load(child.id)  # read back from the store
    settle(qtbot, window)
    assert page.flags.boxes[code].isChecked() and not page.flags.boxes["eal"].isChecked()

    row = next(r for r in range(page.model.rowCount())
               if page.model.item(r).summary.startswith("Came in without lunch"))
    page.table.selectRow(row)
    settle(qtbot, window)
    attachments = page.attachments
    assert attachments.list.count() == 1 and "note-from-child.txt" in \
        attachments.list.item(0).text()
    target = tmp_path / "chosen" / "saved-note.txt"
    target.parent.mkdir()
    attachments.choose_save_path = lambda _info: target
    attachments.save_button.click()
    settle(qtbot, window)
    assert target.read_bytes() == note.read_bytes()
    assert sorted(p.name for p in target.parent.iterdir()) == ["saved-note.txt"]

    # A second file attached from the child's page.
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(b"%PDF-1.4 synthetic")
    attachments.choose_files = lambda: [letter]
    attachments.attach_button.click()
    settle(qtbot, window)
    assert attachments.list.count() == 2 and attachments.title() == "Attachments (2)"
