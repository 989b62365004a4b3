"""The DSL dashboard: concerns by category and by month, open concerns per year group, and police
notifications (Operation Encompass) by month, for the governors' report."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.domain.stats import Statistics, statistics
from app.wording import date_text, month_text, plural
from ui.charts import BarChart
from ui.ops import Db
from ui.theme import heading, year_label


def month_label(key: str) -> str:
    """A column's label: the month alone ("Dec"); the chart's title gives the years."""
    return month_text(int(key[:4]), int(key[5:7])).split()[0]


def months_title(keys: list[str]) -> str:
    if not keys:
        return "Concerns by month (when they happened)"
    first, last = (month_text(int(k[:4]), int(k[5:7])) for k in (keys[0], keys[-1]))
    return f"Concerns by month, {first} to {last} (when they happened)"


class DashboardPage(QWidget):
    review_files = Signal()  # the DSL asks for the retention review

    def __init__(self, db: Db, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.by_month = BarChart("Concerns by month (when they happened)", vertical=True,
                                 parent=self)
        self.by_category = BarChart("Concerns by category, last 12 months", parent=self)
        self.by_year = BarChart("Open concerns by year group", vertical=True, parent=self)
        # Counted apart from concerns: a notification is the police's word, not a concern.
        self.notifications = BarChart("Police notifications (Operation Encompass) by month, "
                                      "when the incident happened", vertical=True, parent=self)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        refresh = QPushButton("&Refresh", self)
        refresh.clicked.connect(self.refresh)
        review = QPushButton("Files due for re&view…", self)
        review.clicked.connect(self.review_files.emit)
        top = QHBoxLayout()
        top.addWidget(heading("Dashboard", self))
        top.addStretch(1)
        top.addWidget(review)
        top.addWidget(refresh)
        grid = QGridLayout()
        grid.addWidget(self.by_month, 0, 0)
        grid.addWidget(self.by_year, 1, 0)
        grid.addWidget(self.by_category, 0, 1, 2, 1)
        grid.addWidget(self.notifications, 2, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addLayout(grid, 1)

    def refresh(self) -> None:
        self.db.op(self, statistics).success(self._show).run()

    def _show(self, stats: Statistics) -> None:
        total = plural(stats.concerns_total, "concern")
        # Said apart: "42 concerns and 0 notifications about 0 children" read as if the
        # concerns were about no child.
        notified = (f"{plural(stats.notifications_total, 'police notification')} "
                    f"(Operation Encompass) about "
                    f"{plural(stats.notified_children, 'child', 'children')}"
                    if stats.notifications_total else
                    "no police notifications (Operation Encompass)")
        self.summary.setText(f"Since {date_text(stats.since)}: {total}; {notified}. Counts "
                             "only: no child is named here.")
        self.notifications.set_values([(month_label(c.label), c.count)
                                       for c in stats.notifications_by_month])
        self.by_month.title = months_title([c.label for c in stats.by_month])
        self.by_month.setAccessibleName(self.by_month.title)
        self.by_month.set_values([(month_label(c.label), c.count) for c in stats.by_month])
        self.by_category.set_values([(c.label, c.count) for c in stats.by_category])
        self.by_year.set_values([(year_label(c.label), c.count)
                                 for c in stats.open_by_year_group])
