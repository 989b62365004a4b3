"""A child's safeguarding flags (DSL team): one checkbox per flag in
``app.domain.child_flags.FLAGS``.

Setting or clearing a flag is an event with a note (so "when did the plan start" stays
answerable): ticking a box asks for the note first, and the box shows the store's answer only
once the core has recorded it; cancelling leaves it as it was.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import QCheckBox, QGridLayout, QGroupBox, QWidget

from app.domain.child_flags import FLAGS, set_flag
from ui.note_dialog import NoteDialog
from ui.ops import Db

COLUMNS = 4


class FlagsBox(QGroupBox):
    def __init__(self, db: Db, parent: QWidget | None = None) -> None:
        super().__init__("Flags", parent)
        self.db = db
        self.child_id: str | None = None
        self.boxes: dict[str, QCheckBox] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 2, 6, 2)
        for index, (code, label) in enumerate(FLAGS.items()):
            box = QCheckBox(label, self)
            box.setAccessibleName(f"Flag: {label}")
            box.setEnabled(False)
            box.clicked.connect(lambda on, c=code: self._clicked(c, on))  # the user's act only
            self.boxes[code] = box
            grid.addWidget(box, index // COLUMNS, index % COLUMNS)

    def show_flags(self, child_id: str, on: Iterable[str]) -> None:
        self.child_id = child_id
        current = set(on)
        for code, box in self.boxes.items():
            box.setChecked(code in current)
            box.setEnabled(True)
            box.setAccessibleDescription("set" if code in current else "not set")
        words = ", ".join(FLAGS[c] for c in FLAGS if c in current)
        self.setTitle(f"Flags: {words}" if words else "Flags: none set")

    def _clicked(self, code: str, on: bool) -> None:
        box, child_id = self.boxes[code], self.child_id
        box.setChecked(not on)  # until the core has recorded it
        if child_id is None:
            return
        label = FLAGS[code]
        title = f"Set “{label}”" if on else f"Clear “{label}”"
        prompt = ("Note (optional): e.g. the date the plan started and who told you." if on
                  else "Note (optional): e.g. why it ended and who decided.")
        dialog = NoteDialog(self.db, title, prompt,
                            lambda s, note: set_flag(s, child_id, code, on, note),
                            ok_text="Set" if on else "Clear", parent=self)
        dialog.accepted.connect(lambda: self._recorded(child_id, code, on))
        dialog.open()

    def _recorded(self, child_id: str, code: str, on: bool) -> None:
        if self.child_id == child_id:
            self.boxes[code].setChecked(on)
            current = [c for c, b in self.boxes.items() if b.isChecked()]
            self.show_flags(self.child_id, current)
            self.db.changed.emit()  # replicated to the DSL team through the hub
