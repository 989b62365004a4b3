"""My concerns: what the signed-in member of staff recorded, and its status. Nothing more."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.concerns import ConcernView, my_concerns
from ui.categories_widget import category_labels
from ui.ops import Db
from ui.table_model import Column, RowsModel, local_time
from ui.theme import heading

STATUS_WORDS = {"new": "New: not yet seen by the DSL team", "acknowledged": "Seen by the DSL team",
                "actioned": "Being acted on", "closed": "Closed"}


def children_names(view: ConcernView) -> str:
    return ", ".join(child.display_name for child, _role in view.children)


class MyConcernsPage(QWidget):
    def __init__(self, db: Db, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.model = RowsModel([
            Column("Recorded", lambda v: local_time(v.recorded_at)),
            Column("Happened", lambda v: local_time(v.latest.fields.occurred_at)),
            Column("Children", children_names),
            Column("Categories", lambda v: category_labels(v.latest.fields.categories)),
            Column("Status", lambda v: STATUS_WORDS.get(v.status, v.status)),
        ], self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Concerns you recorded")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
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
        self.db.op(self, my_concerns).success(self._show).run()

    def _show(self, views: list[ConcernView]) -> None:
        self.model.set_rows(views)
        self.empty.setVisible(not views)
