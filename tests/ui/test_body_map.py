"""The body map: a click on an outline adds a numbered mark there; the keyboard route adds one
at a named region; marks carry their notes."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from app.domain.records import BodyMark
from ui.body_map import BodyMapEditor


def test_click_and_keyboard_both_add_marks_with_notes(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = BodyMapEditor()
    qtbot.addWidget(editor)
    editor.resize(900, 520)
    editor.show()
    qtbot.waitExposed(editor)
    canvas = editor.canvas
    box = canvas.figure_box("back")
    chest = QPoint(int(box.left() + box.width() * 0.5), int(box.top() + box.height() * 0.3))
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=chest)
    outside = QPoint(int(box.left() + 2), int(box.top() + 2))
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=outside)  # not on the child
    marks = editor.marks()
    assert len(marks) == 1 and marks[0].side == "back"
    assert abs(marks[0].y - 0.3) < 0.02
    assert "Back" in editor.table.item(0, 1).text()

    editor.side.setCurrentIndex(0)
    editor.region.setCurrentText("Right hand")
    editor._add_at_region()
    editor.table.item(1, 2).setText("Small cut")
    assert editor.marks()[1] == BodyMark("front", 0.12, 0.5, "Small cut", "Right hand")
    editor.table.setCurrentCell(0, 0)
    editor.remove_selected()
    assert [m.note for m in editor.marks()] == ["Small cut"]
    assert editor.table.item(0, 0).text() == "1"
