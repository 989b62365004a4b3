"""My concerns: what the signed-in member of staff recorded and where each one is. Selecting
one opens it, read-only (every field, its status); "Add further information" sends the DSL team
something learnt since, as a new concern linked to it. Nobody else's concern opens here: the
core refuses it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.clock import Clock
from app.delivery.delivered import DeliveryState, delivery_state
from app.domain.concerns import ConcernView, get_concern, my_concerns
from app.store.session import Session
from ui.categories_widget import category_labels
from ui.concern_text import concern_html
from ui.ops import Db
from ui.table_model import Column, RowsModel, local_time, rows_table
from ui.theme import heading

STATUS_WORDS = {"new": "New: not yet seen by the DSL team", "acknowledged": "Seen by the DSL team",
                "actioned": "Being acted on", "closed": "Closed"}


def children_names(view: ConcernView) -> str:
    return ", ".join(child.display_name for child, _role in view.children)


def what(view: ConcernView) -> str:
    """The categories; further information (which keeps its concern's) says what it is."""
    if view.further_to is not None:
        return "Further information"
    return category_labels(view.latest.fields.categories)


class MyConcernsPage(QWidget):
    def __init__(self, db: Db, parent: QWidget | None = None, *,
                 clock: Clock | None = None) -> None:
        super().__init__(parent)
        self.db, self.clock = db, clock
        self.opened: ConcernView | None = None
        self._open_newest = False  # after adding further information: open what was added
        # Rows are (concern, its way to the DSL team): a teacher must know it was passed on.
        self.model = RowsModel([
            Column("Recorded", lambda r: local_time(r[0].recorded_at)),
            Column("Happened", lambda r: local_time(r[0].latest.fields.occurred_at)),
            Column("Children", lambda r: children_names(r[0])),
            Column("Categories", lambda r: what(r[0])),
            Column("Status", lambda r: STATUS_WORDS.get(r[0].status, r[0].status)),
            Column("Reached the DSL team?", lambda r: r[1].text),
        ], self)
        self.table = rows_table(self.model, "Concerns you recorded", self, alternating=True,
                                single=False)
        # Whether it reached the DSL team is what a teacher looks for: never cut it short.
        self.table.horizontalHeader().setSectionResizeMode(
            5, QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selected())
        self.empty = QLabel("You have not recorded any concerns yet.", self)
        refresh = QPushButton("&Refresh", self)
        refresh.clicked.connect(self.refresh)
        self.further_button = QPushButton("Add &further information…", self)
        self.further_button.setToolTip("Something you learnt after recording it: the DSL team "
                                       "gets it as new, linked to this concern")
        self.further_button.clicked.connect(self.add_further_information)
        self.further_button.setEnabled(False)
        self.detail = QTextBrowser(self)
        self.detail.setAccessibleName("The concern you opened (read-only)")
        self.detail.setHtml("<p>Choose a concern to read it here.</p>")

        top = QHBoxLayout()
        top.addWidget(heading("My concerns", self))
        top.addStretch(1)
        top.addWidget(refresh)
        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        actions = QHBoxLayout()
        actions.addWidget(self.further_button)
        actions.addStretch(1)
        lower_layout.addLayout(actions)
        lower_layout.addWidget(self.detail, 1)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        splitter.setSizes([300, 300])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(QLabel("The concerns you recorded and where each one is. Only you and "
                                "the DSL team can see them. A concern is never changed here: "
                                "add further information instead.", self))
        layout.addWidget(self.empty)
        layout.addWidget(splitter, 1)
        self.empty.hide()

    def refresh(self) -> None:
        def load(session: Session) -> list[tuple[ConcernView, DeliveryState]]:
            return [(view, delivery_state(session, view.id)) for view in my_concerns(session)]

        self.db.op(self, load).success(self._show).run()

    def _show(self, rows: list[tuple[ConcernView, DeliveryState]]) -> None:
        keep = self.opened.id if self.opened is not None else None
        self.model.set_rows(rows)
        self.empty.setVisible(not rows)
        row = next((i for i, (view, _) in enumerate(rows) if view.id == keep), None)
        if self._open_newest and rows:
            self._open_newest, row = False, 0
        if row is not None:
            self.table.selectRow(row)
        else:
            self._show_concern(None)

    def _selected(self) -> None:
        row = self.model.row(self.table.currentIndex())
        if row is not None:
            self.open_concern(row[0].id)

    def open_concern(self, concern_id: str) -> None:
        """Opens one concern read-only (the core checks it is yours, and audits the view)."""
        self.db.op(self, lambda s: get_concern(s, concern_id)).success(self._show_concern) \
            .failure(self._refused).run()

    def _refused(self, error: BaseException) -> None:
        self._show_concern(None)
        if self.db.default_failure is not None:
            self.db.default_failure(error)

    def _show_concern(self, view: ConcernView | None) -> None:
        self.opened = view
        self.further_button.setEnabled(view is not None)
        if view is None:
            self.detail.setHtml("<p>Choose a concern to read it here.</p>")
            return
        self.detail.setHtml(concern_html(view, STATUS_WORDS.get(view.status)))

    def add_further_information(self) -> None:
        if self.opened is None:
            return
        from ui.further_dialog import FurtherInformationDialog

        dialog = FurtherInformationDialog(self.db, self.opened, clock=self.clock, parent=self)
        dialog.accepted.connect(self._further_sent)
        dialog.open()

    def _further_sent(self) -> None:
        self.opened, self._open_newest = None, True
        self.refresh()
        self.db.notify("Your further information was saved for the DSL team, linked to the "
                       "concern. It shows at the top of this list.")
        self.db.changed.emit()  # the sync thread passes it on now rather than in a minute
