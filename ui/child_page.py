"""A child's page for the DSL team: who they are, their flags, linked children, and two tabs:
their chronology (filters, search, new entries, amendments, each record's history and its
attachments) and their profile (contacts, household, GP … with where each came from)."""

from __future__ import annotations

from datetime import datetime, time
from html import escape
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.clock import Clock, SystemClock
from app.domain.categories import load_categories
from app.domain.child_flags import LinkedChild, flags, linked_children
from app.domain.chronology import ChronologyItem, chronology, record_history
from app.domain.pupils import Child, child_by_id
from app.domain.search import search_child
from app.pack.dates import age_on
from app.wording import date_text
from ui.attachments_widget import AttachmentList, table_over_details
from ui.child_moves import MovesBox
from ui.chronology_model import ChronologyModel, item_as_text
from ui.clipboard import Clipboard
from ui.concern_text import item_html
from ui.encompass_open import POLICE_KIND, open_notification, police_button
from ui.entry_dialogs import AddEntryDialog, AmendDialog
from ui.flags_widget import FlagsBox
from ui.history_dialog import HistoryDialog
from ui.ops import Db
from ui.profile_view import ProfileView
from ui.qt_dates import python_date
from ui.record_concern import ROLE_LABELS
from ui.sar_dialog import sar_button
from ui.theme import heading, year_label
from ui.wording import QT_DATE


class ChildPage(QWidget):
    open_child = Signal(str)
    build_referral = Signal(str)

    def __init__(self, db: Db, clipboard: Clipboard, *, clock: Clock | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.clipboard, self.clock = db, clipboard, clock or SystemClock()
        self.child: Child | None = None
        self._select_when_loaded: tuple[str, str] | None = None  # (child id, record id)
        self.name = heading("", self, 1.4)
        self.details = QLabel(self)
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.flags = FlagsBox(db, self)
        self.moves = MovesBox(db, self)
        self.moves.changed.connect(lambda: self.load_chronology())
        self.linked = QListWidget(self)
        self.linked.setAccessibleName("Linked children")
        self.linked.setMaximumHeight(self.fontMetrics().height() * 4 + 8)
        self.linked.itemActivated.connect(
            lambda item: self.open_child.emit(item.data(Qt.ItemDataRole.UserRole)))

        self.category = QComboBox(self)
        self.category.setAccessibleName("Show category")
        self.category.addItem("All categories", None)
        for category in load_categories():
            self.category.addItem(category.label, category.code)
        self.use_dates = QCheckBox("&Dates from", self)
        self.since = QDateEdit(self)
        self.until = QDateEdit(self)
        for edit, name in ((self.since, "From date"), (self.until, "To date")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat(QT_DATE)
            edit.setAccessibleName(name)
            edit.setEnabled(False)
        today = self.clock.now().astimezone().date()
        self.since.setDate(QDate(today.year - 1, today.month, 1))
        self.until.setDate(QDate(today.year, today.month, today.day))
        self.use_dates.toggled.connect(self.since.setEnabled)
        self.use_dates.toggled.connect(self.until.setEnabled)
        self.significant = QCheckBox("Si&gnificant only", self)
        self.search_box = QLineEdit(self)
        self.search_box.setAccessibleName("Search this chronology")
        self.search_box.setPlaceholderText("Search words…")
        self.search_box.setClearButtonEnabled(True)
        self._typed = QTimer(self)  # filters as you type, once the typing pauses
        self._typed.setSingleShot(True)
        self._typed.setInterval(300)
        self._typed.timeout.connect(self._search)
        self.search_box.returnPressed.connect(self._search)
        self.search_box.textChanged.connect(lambda _t: self._typed.start())
        for signal in (self.category.currentIndexChanged, self.use_dates.toggled,
                       self.since.dateChanged, self.until.dateChanged,
                       self.significant.toggled):
            signal.connect(lambda *_: self.load_chronology())

        self.model = ChronologyModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Chronology")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        vertical = self.table.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        # Sized to what each column must show whole, in bold (significant rows are bold), so
        # dates, "Further info", names and "★ Significant" are never cut; Summary stretches.
        bold = QFont(self.font())
        bold.setBold(True)
        metrics = QFontMetrics(bold)
        for column, sample in ((0, "30 Nov 2026 14:04"), (1, "Further info"),
                               (3, "Physical abuse"), (4, "Harmed others"),
                               (5, "Oscar Pearce"), (6, "30 Nov 2026"),
                               (7, "★ Significant")):
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 16)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selected())
        self.table.activated.connect(lambda _i: self.show_history())  # Enter or double-click
        self.detail = QTextBrowser(self)
        self.detail.setAccessibleName("The selected entry")
        self.count = QLabel(self)
        self.attachments = AttachmentList(db, self)

        self.add_button = QPushButton("&Add entry…", self)
        self.add_button.clicked.connect(self.add_entry)
        self.police_button = police_button(self, lambda: open_notification(
            self, self.load_chronology))
        self.amend_button = QPushButton("A&mend…", self)
        self.amend_button.clicked.connect(self.amend)
        self.history_button = QPushButton("&History…", self)
        self.history_button.clicked.connect(self.show_history)
        self.copy_button = QPushButton("&Copy entry", self)
        self.copy_button.clicked.connect(self.copy_entry)
        self.referral_button = QPushButton("Build a &referral…", self)
        self.referral_button.clicked.connect(
            lambda: self.child and self.build_referral.emit(self.child.id))
        QShortcut(QKeySequence.StandardKey.Copy, self.table, self.copy_entry,
                  context=Qt.ShortcutContext.WidgetShortcut)

        head = QHBoxLayout()
        info = QVBoxLayout()
        info.addWidget(self.name)
        info.addWidget(self.details)
        info.addWidget(self.flags)
        info.addWidget(self.moves)
        head.addLayout(info, 3)
        linked_box = QVBoxLayout()
        linked_box.addWidget(QLabel("<b>Linked children</b> (Enter opens)", self))
        linked_box.addWidget(self.linked)
        head.addLayout(linked_box, 2)
        filters = QHBoxLayout()
        for widget in (self.category, self.use_dates, self.since, QLabel("to", self),
                       self.until, self.significant, self.search_box):
            filters.addWidget(widget)
        filters.addStretch(1)
        filters.addWidget(self.count)
        actions = QHBoxLayout()
        for button in (self.add_button, self.police_button, self.amend_button,
                       self.history_button, self.copy_button):
            actions.addWidget(button)
        actions.addStretch(1)
        for button in (self.moves.button, sar_button(self), self.referral_button):
            actions.addWidget(button)
        splitter = table_over_details(self, self.table, actions, self.detail, self.attachments,
                                      (360, 200))
        chronology_tab = QWidget(self)
        chronology_layout = QVBoxLayout(chronology_tab)
        chronology_layout.setContentsMargins(0, 4, 0, 0)
        chronology_layout.addLayout(filters)
        chronology_layout.addWidget(splitter, 1)
        # The profile is a tab beside the chronology: one click (or Alt+P) from the child.
        self.profile_view = ProfileView(db, self)
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("The child's chronology or profile")
        self.tabs.addTab(chronology_tab, "Chr&onology")
        self.tabs.addTab(self.profile_view, "&Profile")
        self.tabs.currentChanged.connect(lambda _i: self.load_profile())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.tabs, 1)
        self._selected()

    # -- loading -------------------------------------------------------------------------------
    def load(self, child_id: str) -> None:
        def fetch(session: Any) -> tuple[Child, list[LinkedChild], list[str]]:
            return (child_by_id(session, child_id), linked_children(session, child_id),
                    flags(session, child_id))

        self.model.clear()
        self.search_box.clear()
        self.profile_view.clear()
        self.db.op(self, fetch).success(self._show_child).run()

    def _show_child(self, result: tuple[Child, list[LinkedChild], list[str]]) -> None:
        child, links, on = result
        self.child = child
        self.flags.show_flags(child.id, on)
        self.moves.show_for(child.id)
        self.name.setText(child.display_name)
        self.name.setAccessibleName(f"Child: {child.display_name}")
        today = self.clock.now().date()
        nhs = f" · NHS {escape(child.nhs_number)}" if child.nhs_number else ""
        self.details.setText(
            f"Legal name {escape(child.legal_name)} · born "
            f"{date_text(child.date_of_birth)} (age {age_on(child.date_of_birth, today)}) · "
            f"{escape(year_label(child.year_group))} · {escape(child.gender)} · UPN "
            f"{escape(child.upn)}{nhs}")
        self.linked.clear()
        for link in links:
            roles = ", ".join(ROLE_LABELS.get(r, r) for r in link.roles)
            item = QListWidgetItem(f"{link.child.display_name} "
                                   f"({year_label(link.child.year_group)}) — "
                                   f"{roles}; {link.shared_records} shared")
            item.setData(Qt.ItemDataRole.UserRole, link.child.id)
            self.linked.addItem(item)
        if not links:
            self.linked.addItem(QListWidgetItem("None"))
        self.load_chronology()
        self.load_profile()

    def show_profile(self) -> None:
        self.tabs.setCurrentWidget(self.profile_view)

    def load_profile(self) -> None:
        """Read only when shown: each read of a profile is audited as a view."""
        if self.child is not None and self.tabs.currentWidget() is self.profile_view:
            self.profile_view.load(self.child.id)

    def load_chronology(self) -> None:
        if self.child is None:
            return
        child_id = self.child.id
        code = self.category.currentData()
        significant = self.significant.isChecked()
        since = until = None
        if self.use_dates.isChecked():
            since = datetime.combine(python_date(self.since.date()), time.min).astimezone()
            until = datetime.combine(python_date(self.until.date()), time.max).astimezone()

        def fetch(session: Any) -> list[ChronologyItem]:
            return chronology(session, child_id, significant_only=significant,
                              categories={code} if code else None, since=since, until=until)

        self.db.op(self, fetch).success(self._show_items).run()

    def _show_items(self, items: list[ChronologyItem]) -> None:
        self.model.set_items(items)
        self._count()
        if items:
            self.table.selectRow(len(items) - 1)
            self.table.scrollToBottom()
        wanted = self._select_when_loaded
        if wanted is not None and self.child is not None and self.child.id == wanted[0]:
            self._select_when_loaded = None
            self.select_record(wanted[0], wanted[1])
        self._selected()

    def select_record(self, child_id: str, record_id: str) -> None:
        """Selects the entry ``record_id`` of this child (a search hit): at once if it is
        shown, else when the child's chronology has loaded."""
        if self.child is not None and self.child.id == child_id:
            for row in range(self.model.rowCount()):
                item = self.model.item(row)
                if item is not None and item.record_id == record_id:
                    self.table.selectRow(row)
                    self.table.scrollTo(self.model.index(row, 0))
                    return
        self._select_when_loaded = (child_id, record_id)

    def _count(self) -> None:
        shown, total = self.model.rowCount(), self.model.total
        noun = "entry" if total == 1 else "entries"
        self.count.setText(f"{total} {noun}" if shown == total else f"{shown} of {total} {noun}")

    def _search(self) -> None:
        self._typed.stop()
        text = self.search_box.text().strip()
        if not text or self.child is None:
            self.model.set_only(None)
            self._count()
            return
        child_id = self.child.id
        self.db.op(self, lambda s: search_child(s, child_id, text)).success(
            lambda ids: self._found(ids) if self.search_box.text().strip() == text else None).run()

    def _found(self, ids: set[str]) -> None:
        self.model.set_only(ids)
        self._count()
        self._selected()

    # -- the selected entry --------------------------------------------------------------------
    def current(self) -> ChronologyItem | None:
        return self.model.item(self.table.currentIndex().row())

    def _selected(self) -> None:
        item = self.current()
        for button in (self.amend_button, self.history_button, self.copy_button):
            button.setEnabled(item is not None)
        if (item.record_id if item else None) != self.attachments.record_id:
            self.attachments.show_for(item.record_id if item else None)
        if item is None:
            self.detail.setHtml("<p>Choose an entry to read it here.</p>")
            return
        self.detail.setHtml(item_html(item))
        self.amend_button.setEnabled(not item.is_status)  # a status change is an event

    def add_entry(self) -> None:
        if self.child is None:
            return
        dialog = AddEntryDialog(self.db, self.child.id, clock=self.clock, parent=self)
        dialog.accepted.connect(self.load_chronology)
        dialog.open()

    def _with_history(self, then: Any) -> None:
        item = self.current()
        if item is not None:
            self.db.op(self, lambda s: record_history(s, item.record_id)).success(then).run()

    def amend(self) -> None:
        if (item := self.current()) and item.kind == POLICE_KIND:  # its own form
            return open_notification(self, self.load_chronology, item.record_id)
        def open_dialog(versions: list) -> None:
            dialog = AmendDialog(self.db, versions[-1], parent=self)
            dialog.accepted.connect(self.load_chronology)
            dialog.open()

        self._with_history(open_dialog)

    def show_history(self) -> None:
        self._with_history(lambda versions: HistoryDialog(versions, parent=self).open())

    def copy_entry(self) -> None:
        item = self.current()
        if item is not None:
            self.clipboard.copy_concealed(item_as_text(item))
