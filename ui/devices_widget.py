"""Admin → Services → "PCs of this school": the PCs the school's admin approved, approving a new
one by the fingerprint its screen shows, and removing one.

Approving (``app.hub.provision.approve_device``) sends the PC the accounts and roster it may hold —
for a DSL PC, the DSL team's key and so every record — so the admin compares the fingerprint
with the new PC's own screen. A wrong or unknown fingerprint is said at the field; nothing is
saved. The admin's background sync then delivers it (``Db.changed``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import InputError, NotFound
from app.hub.devices import PURPOSE_WORDS, ApprovedPc, SchoolPcs, school_pcs
from app.hub.provision import approve_device, remove_pc
from app.protocol.fingerprint import normalise_fingerprint
from ui.errors import FieldMessage, message_for
from ui.ops import Db
from ui.table_model import Column, RowsModel, local_time, rows_table

PURPOSES = (("staff", "Staff — records concerns; holds only what it recorded"),
            ("dsl", "DSL team — triage and chronologies; receives every record"),
            ("office", "Office — prints the packs the DSL team releases"))


def ask(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(parent, title, text, QMessageBox.StandardButton.Yes |
                                  QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


class SchoolPcsBox(QGroupBox):
    def __init__(self, db: Db, parent: QWidget | None = None) -> None:
        super().__init__("PCs of this school", parent)
        self.db = db
        # Tests pre-answer the confirmation by replacing this.
        self.confirm: Callable[[QWidget, str, str], bool] = ask
        self.where = QLabel(self)
        self.where.setWordWrap(True)
        self.model = RowsModel([
            Column("Name", lambda p: p.name or "(no name)"),
            Column("Fingerprint", lambda p: p.fingerprint),
            Column("For", lambda p: PURPOSE_WORDS.get(p.purpose, p.purpose)),
            Column("Approved", lambda p: f"{local_time(p.approved_at)} by {p.approved_by}"),
            Column("State", lambda p: p.state if p.removed_at is None else
                   f"Removed {local_time(p.removed_at)}"),
        ], self)
        self.table = rows_table(self.model, "Approved PCs", self, fit="contents",
                                stretch_last=True)

        self.empty = QLabel("No PC has been approved yet.", self)
        self.remove = QPushButton("&Remove the selected PC…", self)
        self.remove.clicked.connect(self.remove_selected)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.remove.setEnabled(False)

        self.approve_form = QWidget(self)
        self.fingerprint = QLineEdit(self.approve_form)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.fingerprint.setFont(mono)
        self.fingerprint.setPlaceholderText("XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX")
        self.fingerprint.setAccessibleName("Fingerprint of the PC to approve")
        self.purpose = QComboBox(self.approve_form)
        for value, words in PURPOSES:
            self.purpose.addItem(words, value)
        self.purpose.setPlaceholderText("Choose what this PC is for…")
        self.purpose.setCurrentIndex(-1)  # a deliberate choice: a DSL PC gets every record
        self.purpose.setAccessibleName("What the PC is for")
        compare = QLabel("The new PC shows its fingerprint on its screen once it has asked to "
                         "join. Type it here, then compare every group with that screen — "
                         "yourself, or read aloud in person or by phone; never from an email "
                         "or a chat message. A PC approved by mistake receives the school's "
                         "accounts, and a DSL PC every record.", self.approve_form)
        compare.setWordWrap(True)
        self.messages = {name: FieldMessage(self.approve_form)
                         for name in ("fingerprint", "for", "other")}
        self.messages["fingerprint"].clear_when_changed(self.fingerprint)
        self.messages["for"].clear_when_changed(self.purpose)
        self.approve = QPushButton("&Approve this PC", self.approve_form)
        self.approve.clicked.connect(self.approve_pc)
        fp_label = QLabel("&Fingerprint on its screen", self.approve_form)
        fp_label.setBuddy(self.fingerprint)
        for_label = QLabel("&What it is for", self.approve_form)
        for_label.setBuddy(self.purpose)
        form = QFormLayout(self.approve_form)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(QLabel("<b>Approve a PC</b>", self.approve_form))
        form.addRow(compare)
        form.addRow(fp_label, self.fingerprint)
        form.addRow("", self.messages["fingerprint"])
        form.addRow(for_label, self.purpose)
        form.addRow("", self.messages["for"])
        form.addRow("", self.messages["other"])
        buttons = QHBoxLayout()
        buttons.addWidget(self.approve)
        buttons.addStretch(1)
        form.addRow("", buttons)

        layout = QVBoxLayout(self)
        layout.addWidget(self.where)
        layout.addWidget(self.table)
        layout.addWidget(self.empty)
        row = QHBoxLayout()
        row.addWidget(self.remove)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.approve_form)
        self.setTabOrder(self.table, self.remove)
        self.setTabOrder(self.remove, self.fingerprint)
        self.setTabOrder(self.fingerprint, self.purpose)
        self.setTabOrder(self.purpose, self.approve)
        self.hide()  # until a hub is set
        db.synced.connect(self.refresh)  # "accounts sent" once the sync delivered them

    # -- showing -------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.db.op(self, school_pcs).success(self.show_pcs).failure(
            lambda e: self.messages["other"].say(message_for(e))).run()

    def show_pcs(self, pcs: SchoolPcs) -> None:
        self.setVisible(pcs.hub_set)
        if pcs.admin_pc:
            self.where.setText("This is the school's admin PC: PCs that join through the hub "
                               "are approved here, and every PC trusts its list. Whoever joins "
                               "a PC types this PC's fingerprint (at the top): read it to them.")
        else:
            self.where.setText("Approve or remove PCs on the school's admin PC (the one where "
                               "the school hub was first set): every PC trusts its list.")
        self.approve_form.setVisible(pcs.admin_pc)
        self.remove.setVisible(pcs.admin_pc)
        self.model.set_rows(pcs.pcs)
        self._fit_table(len(pcs.pcs))
        self.table.setVisible(bool(pcs.pcs))
        self.empty.setVisible(not pcs.pcs)
        self._selection_changed()

    def _fit_table(self, count: int) -> None:
        """As tall as its rows (up to eight; more scroll inside it), not a fixed empty block."""
        shown = min(max(count, 1), 8)
        self.table.resizeRowsToContents()
        row = self.table.rowHeight(0) if count else \
            self.table.verticalHeader().defaultSectionSize()
        self.table.setFixedHeight(self.table.horizontalHeader().sizeHint().height() +
                                  row * shown + 2 * self.table.frameWidth())

    def selected(self) -> ApprovedPc | None:
        pc: ApprovedPc | None = self.model.row(self.table.currentIndex())
        return pc

    def _selection_changed(self, *_args: object) -> None:
        pc = self.selected() if self.table.selectionModel().hasSelection() else None
        self.remove.setEnabled(pc is not None and pc.removed_at is None)

    def clear_messages(self) -> None:
        for message in self.messages.values():
            message.clear_message()

    # -- approving -----------------------------------------------------------------------------
    def approve_pc(self) -> None:
        self.clear_messages()
        fingerprint, purpose = self.fingerprint.text(), self.purpose.currentData()
        if not fingerprint.strip():
            self._say(InputError("fingerprint", "type the fingerprint the new PC shows"))
            return
        if purpose is None:
            self._say(InputError("for", "choose what the PC is for"))
            return
        self.approve.setEnabled(False)
        self.approve.setText("Checking with the hub…")

        def done(_envelope: str) -> None:
            self._ready()
            self.fingerprint.clear()
            self.purpose.setCurrentIndex(-1)
            self.db.notify(f"Approved the PC {normalise_fingerprint(fingerprint)} for "
                           f"{PURPOSE_WORDS[purpose]}. Its accounts go to it at this PC's next "
                           "sync; then “Check now” on that PC sets it up.")
            self.db.changed.emit()  # the sync thread delivers it now rather than in a minute
            self.refresh()

        def failed(error: BaseException) -> None:
            self._ready()
            self._say(error)

        self.db.op(self, lambda s: approve_device(s, fingerprint, purpose)) \
            .success(done).failure(failed).run()

    def _ready(self) -> None:
        self.approve.setEnabled(True)
        self.approve.setText("&Approve this PC")

    def _say(self, error: BaseException) -> None:
        """At the field it concerns; nothing was saved."""
        if isinstance(error, InputError) and error.field in ("fingerprint", "for"):
            key = error.field
        elif isinstance(error, NotFound) and str(error).startswith("fingerprint:"):
            key = "fingerprint"
        else:
            key = "other"
        self.messages[key].say(message_for(error).rstrip(".") + ". Nothing was saved.")
        (self.purpose if key == "for" else self.fingerprint).setFocus()

    # -- removing ------------------------------------------------------------------------------
    def remove_selected(self) -> None:
        pc = self.selected()
        if pc is None or pc.removed_at is not None:
            return
        name = f"“{pc.name}” ({pc.fingerprint})" if pc.name else pc.fingerprint
        if not self.confirm(self, "Remove a PC",
                            f"Remove the PC {name}? Every PC of the school stops accepting "
                            "what it sends from now on; what it sent before stays. Ask the "
                            "hub's administrator to unenrol it too."):
            return
        fingerprint = pc.fingerprint

        def done(key: str) -> None:
            self.db.notify(f"Removed the PC {fingerprint}. Ask the hub's administrator to "
                           f"unenrol it too. {key}".strip())
            self.db.changed.emit()
            self.refresh()

        self.db.op(self, lambda s: remove_pc(s, fingerprint)[1]).success(done).failure(
            lambda e: self.messages["other"].say(message_for(e))).run()

