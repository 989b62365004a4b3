"""The DSL team's inbox: open concerns, new and serious first, newest first; each to
acknowledge, assign, action or close, and a way into the child's page."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.domain.concerns import ConcernView, assign, inbox, set_status
from app.domain.stats import is_serious, triage_sorted
from app.store.accounts import dsl_team
from app.store.session import User
from ui.attachments_widget import AttachmentList, table_over_details
from ui.categories_widget import category_labels
from ui.concern_text import concern_html
from ui.cp_file_dialogs import IncomingFiles
from ui.leaver_cards import LeaverCards
from ui.my_concerns import children_names
from ui.note_dialog import NoteDialog
from ui.ops import Db
from ui.table_model import Column, RowsModel, local_time, rows_table
from ui.theme import heading


class InboxPage(QWidget):
    open_child = Signal(str)
    changed = Signal()

    def __init__(self, db: Db, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.model = RowsModel([
            Column("Status", lambda v: v.status.title()),
            Column("Priority", lambda v: "Serious" if is_serious(v) else ""),
            Column("Recorded", lambda v: local_time(v.recorded_at)),
            Column("Children", children_names),
            Column("Categories", lambda v: ("Further information · " if v.further_to else "")
                   + category_labels(v.latest.fields.categories)),
            Column("Recorded by", lambda v: v.reporter),
            Column("Assigned to", lambda v: v.assigned_to or ""),
        ], self)
        self.table = rows_table(self.model, "Concerns waiting for the DSL team", self,
                                fit="contents", alternating=True)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selected())
        self.table.activated.connect(lambda _i: self._open_child())  # Enter or double-click
        self.detail = QTextBrowser(self)
        self.detail.setAccessibleName("The selected concern")
        self.attachments = AttachmentList(db, self)
        self.show_closed = QCheckBox("Sho&w closed", self)
        self.show_closed.toggled.connect(lambda _on: self.refresh())
        self.count = QLabel(self)
        refresh = QPushButton("&Refresh", self)
        refresh.clicked.connect(self.refresh)

        self.acknowledge = QPushButton("Ac&knowledge", self)
        self.acknowledge.clicked.connect(lambda: self._status("acknowledged"))
        self.assignee = QComboBox(self)
        self.assignee.setAccessibleName("Assign to")
        self.assignee.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.assign_button = QPushButton("A&ssign", self)
        self.assign_button.clicked.connect(self._assign)
        self.actioned = QPushButton("Mark ac&tioned…", self)
        self.actioned.clicked.connect(lambda: self._with_note(
            "actioned", "Mark as actioned", "What has been done? (optional)"))
        self.close_button = QPushButton("C&lose…", self)
        self.close_button.clicked.connect(lambda: self._with_note(
            "closed", "Close the concern", "What was the outcome? (needed to close)"))
        self.child_button = QPushButton("Open &child's page", self)
        self.child_button.clicked.connect(self._open_child)
        actions = QHBoxLayout()
        for widget in (self.acknowledge, QLabel("Assign to", self), self.assignee,
                       self.assign_button, self.actioned, self.close_button):
            actions.addWidget(widget)
        actions.addStretch(1)
        actions.addWidget(self.child_button)

        top = QHBoxLayout()
        top.addWidget(heading("Inbox", self))
        top.addWidget(self.count)
        top.addStretch(1)
        top.addWidget(self.show_closed)
        top.addWidget(refresh)
        splitter = table_over_details(self, self.table, actions, self.detail, self.attachments,
                                      (300, 300))
        # The leavers' files due at their next schools, above the concerns waiting.
        self.leavers = LeaverCards(db, self)
        self.leavers.open_child.connect(self.open_child)
        # CP files from other ConcernDesk schools, waiting for this DSL's decision.
        self.incoming = IncomingFiles(db, self)
        self.incoming.decided.connect(self.refresh)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.incoming)
        layout.addWidget(self.leavers)
        layout.addWidget(splitter, 1)
        self._set_enabled(False)

    def refresh(self) -> None:
        closed = self.show_closed.isChecked()

        def load(session) -> tuple[list[ConcernView], list[User]]:
            return triage_sorted(inbox(session, include_closed=closed)), dsl_team(session)

        self.db.op(self, load).success(self._show).run()
        self.leavers.refresh()
        self.incoming.refresh()

    def _show(self, result: tuple[list[ConcernView], list[User]]) -> None:
        views, team = result
        current = self.current()
        self.model.set_rows(views)
        new = sum(1 for v in views if v.status == "new")
        self.count.setText(f"{len(views)} open, {new} new" if views else "Nothing waiting")
        self.assignee.clear()
        for user in team:
            self.assignee.addItem(user.display_name, user.username)
        row = next((i for i, v in enumerate(views) if current and v.id == current.id), 0)
        if views:
            self.table.selectRow(row)
        self._selected()

    def current(self) -> ConcernView | None:
        return self.model.row(self.table.currentIndex())

    def _set_enabled(self, on: bool) -> None:
        for widget in (self.acknowledge, self.assign_button, self.actioned, self.close_button,
                       self.child_button):
            widget.setEnabled(on)

    def _selected(self) -> None:
        view = self.current()
        self._set_enabled(view is not None)
        self.detail.setHtml(concern_html(view) if view else
                            "<p>Choose a concern to see it here.</p>")
        if (view.id if view else None) != self.attachments.record_id:
            self.attachments.show_for(view.id if view else None)
        if view is not None:
            self.acknowledge.setEnabled(view.status == "new")

    def _done(self, _result: object = None) -> None:
        self.changed.emit()
        self.refresh()

    def _status(self, status: str) -> None:
        view = self.current()
        if view is not None:
            self.db.op(self, lambda s: set_status(s, view.id, status)).success(self._done).run()

    def _assign(self) -> None:
        view, username = self.current(), self.assignee.currentData()
        if view is not None and username:
            self.db.op(self, lambda s: assign(s, view.id, username)).success(self._done).run()

    def _with_note(self, status: str, title: str, prompt: str) -> None:
        view = self.current()
        if view is None:
            return
        dialog = NoteDialog(self.db, title, prompt,
                            lambda s, note: set_status(s, view.id, status, note),
                            ok_text=title.split()[0], parent=self)
        dialog.accepted.connect(self._done)
        dialog.open()

    def _open_child(self) -> None:
        view = self.current()
        if view is not None and view.children:
            self.open_child.emit(view.children[0][0].id)
