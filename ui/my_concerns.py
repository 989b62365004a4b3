"""My concerns: what the signed-in member of staff recorded, and its status. Nothing more."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.concerns import ConcernView, my_concerns
from app.delivery import DeliveryState, delivery_state
from app.session import Session
from ui.categories_widget import category_labels
from ui.ops import Db
from ui.table_model import Column, RowsModel, local_time, rows_table
from ui.theme import heading

STATUS_WORDS = {"new": "New: not yet seen by the DSL team", "acknowledged": "Seen by the DSL team",
                "actioned": "Being acted on", "closed": "Closed"}


def children_names(view: ConcernView) -> str:
    return ", ".join(child.display_name for child, _role in view.children)


class MyConcernsPage(QWidget):
    def __init__(self, db: Db, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        # Rows are (concern, its way to the DSL team): a teacher must know it was passed on.
        self.model = RowsModel([
            Column("Recorded", lambda r: local_time(r[0].recorded_at)),
            Column("Happened", lambda r: local_time(r[0].latest.fields.occurred_at)),
            Column("Children", lambda r: children_names(r[0])),
            Column("Categories", lambda r: category_labels(r[0].latest.fields.categories)),
            Column("Status", lambda r: STATUS_WORDS.get(r[0].status, r[0].status)),
            Column("Reached the DSL team?", lambda r: r[1].text),
        ], self)
        self.table = rows_table(self.model, "Concerns you recorded", self, alternating=True,
                                single=False)
        # Whether it reached the DSL team is what a teacher looks for: never cut it short.
        self.table.horizontalHeader().setSectionResizeMode(
            5, QHeaderView.ResizeMode.ResizeToContents)
        self.empty = QLabel("You have not recorded any concerns yet.", self)
        refresh = QPushButton("&Refresh", self)
        refresh.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(heading("My concerns", self))
        top.addStretch(1)
        top.addWidget(refresh)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(QLabel("The concerns you recorded and where each one is. Only you and "
                                "the DSL team can see them.", self))
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        self.empty.hide()

    def refresh(self) -> None:
        def load(session: Session) -> list[tuple[ConcernView, DeliveryState]]:
            return [(view, delivery_state(session, view.id)) for view in my_concerns(session)]

        self.db.op(self, load).success(self._show).run()

    def _show(self, rows: list[tuple[ConcernView, DeliveryState]]) -> None:
        self.model.set_rows(rows)
        self.empty.setVisible(not rows)
