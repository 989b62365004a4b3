"""Body map: front and back outlines of a child; click to add a numbered mark, with a note per
mark. Also operable from the keyboard: choose a side and a body region and press "Add mark"."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.body_regions import REGIONS, SIDES, nearest_region, place
from app.domain.records import BodyMark

FIGURE_FILL = QColor(240, 236, 228)  # the outline's fill; labels on it use the palette's text
MARK_FILL, MARK_TEXT = QColor(255, 214, 0), QColor(0, 0, 0)  # a numbered mark


def child_outline(box: QRectF) -> QPainterPath:
    """A simple child's outline filling ``box`` (the same shape front and back)."""
    def p(x: float, y: float) -> QPointF:
        return QPointF(box.left() + x * box.width(), box.top() + y * box.height())

    path = QPainterPath()
    head_r = 0.075 * box.height()
    centre = p(0.5, 0.075)
    path.addEllipse(centre, head_r * 0.85, head_r)
    body = QPainterPath()
    points = [(0.45, 0.145), (0.45, 0.17), (0.3, 0.19), (0.22, 0.22), (0.14, 0.42),
              (0.08, 0.53), (0.14, 0.55), (0.22, 0.43), (0.3, 0.3), (0.32, 0.5),
              (0.34, 0.93), (0.3, 0.985), (0.47, 0.985), (0.47, 0.93), (0.5, 0.56),
              (0.53, 0.93), (0.53, 0.985), (0.7, 0.985), (0.66, 0.93), (0.68, 0.5),
              (0.7, 0.3), (0.78, 0.43), (0.86, 0.55), (0.92, 0.53), (0.86, 0.42),
              (0.78, 0.22), (0.7, 0.19), (0.55, 0.17), (0.55, 0.145)]
    body.moveTo(p(*points[0]))
    for point in points[1:]:
        body.lineTo(p(*point))
    body.closeSubpath()
    return path.united(body)


class BodyMapCanvas(QWidget):
    clicked = Signal(str, float, float)  # side, x, y

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.marks: list[BodyMark] = []
        self.selected = -1
        self.setAccessibleName("Body map outlines, front and back")
        self.setAccessibleDescription("Click on an outline to add a mark, or use the side and "
                                      "region boxes and the Add mark button")
        self.setMinimumSize(QSize(320, 300))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)

    def figure_box(self, side: str) -> QRectF:
        label_h = self.fontMetrics().height() + 6
        half = self.width() / 2
        height = self.height() - label_h - 8
        width = min(half - 16, height * 0.5)
        left = (0 if side == "front" else half) + (half - width) / 2
        return QRectF(left, label_h + 4, width, height)

    def sizeHint(self) -> QSize:
        return QSize(420, 420)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        text_colour = self.palette().text().color()
        for side in SIDES:
            box = self.figure_box(side)
            painter.setPen(text_colour)
            painter.drawText(QRectF(box.left() - 20, 2, box.width() + 40, box.top() - 4),
                             Qt.AlignmentFlag.AlignCenter, "Front" if side == "front" else "Back")
            painter.setPen(QPen(text_colour, 1.5))
            painter.setBrush(FIGURE_FILL)
            painter.drawPath(child_outline(box))
            if side == "front":
                small = QFont(painter.font())
                small.setPointSizeF(max(small.pointSizeF() * 0.8, 6.0))
                painter.setFont(small)
                below_hands = box.top() + box.height() * 0.57
                for x, words in ((0.11, "child's R"), (0.89, "child's L")):
                    painter.drawText(QRectF(box.left() + x * box.width() - 40, below_hands, 80,
                                            painter.fontMetrics().height() + 2),
                                     Qt.AlignmentFlag.AlignCenter, words)
                painter.setFont(self.font())
        radius = max(9.0, self.fontMetrics().height() * 0.6)
        for number, mark in enumerate(self.marks, start=1):
            box = self.figure_box(mark.side)
            centre = QPointF(box.left() + mark.x * box.width(), box.top() + mark.y * box.height())
            painter.setPen(QPen(QColor(20, 20, 20), 3 if number - 1 == self.selected else 1.5))
            painter.setBrush(MARK_FILL)
            painter.drawEllipse(centre, radius, radius)
            painter.setPen(MARK_TEXT)
            painter.drawText(QRectF(centre.x() - radius, centre.y() - radius, 2 * radius,
                                    2 * radius), Qt.AlignmentFlag.AlignCenter, str(number))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        point = event.position()
        for side in SIDES:
            box = self.figure_box(side)
            if box.contains(point) and child_outline(box).contains(point):
                self.clicked.emit(side, (point.x() - box.left()) / box.width(),
                                  (point.y() - box.top()) / box.height())
                return


class BodyMapEditor(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = BodyMapCanvas(self)
        self.canvas.clicked.connect(self.add_mark)
        self.side = QComboBox(self)
        self.side.addItems(["Front", "Back"])
        self.side.setAccessibleName("Side of the body")
        self.region = QComboBox(self)
        self.region.setAccessibleName("Body region")
        self.side.currentIndexChanged.connect(self._fill_regions)
        self._fill_regions()
        add = QPushButton("Add &mark", self)
        add.clicked.connect(self._add_at_region)
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["No.", "Where", "Note (what you saw)"])
        self.table.setAccessibleName("Marks on the body map")
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.itemChanged.connect(lambda _i: self.changed.emit())
        self.table.currentCellChanged.connect(self._select)
        remove = QPushButton("&Remove selected mark", self)
        remove.clicked.connect(self.remove_selected)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Side", self))
        controls.addWidget(self.side)
        controls.addWidget(QLabel("Region", self))
        controls.addWidget(self.region, 1)
        controls.addWidget(add)
        right = QVBoxLayout()
        right.addLayout(controls)
        right.addWidget(self.table, 1)
        right.addWidget(remove)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(right, 1)

    def _fill_regions(self) -> None:
        side = SIDES[self.side.currentIndex()]
        self.region.clear()
        self.region.addItems(list(REGIONS[side]))

    def _add_at_region(self) -> None:
        side = SIDES[self.side.currentIndex()]
        x, y = REGIONS[side][self.region.currentText()]
        self.add_mark(side, x, y, self.region.currentText())

    def add_mark(self, side: str, x: float, y: float, where: str | None = None, *,
                 note: str = "", edit: bool = True) -> None:
        row = self.table.rowCount()
        self.table.blockSignals(True)
        self.table.insertRow(row)
        number = QTableWidgetItem(str(row + 1))
        number.setFlags(number.flags() & ~Qt.ItemFlag.ItemIsEditable)
        region = where or nearest_region(side, x, y)
        number.setData(Qt.ItemDataRole.UserRole, (side, round(x, 4), round(y, 4), region))
        where_item = QTableWidgetItem(place(side, region))
        where_item.setFlags(where_item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.table.setItem(row, 0, number)
        self.table.setItem(row, 1, where_item)
        note_item = QTableWidgetItem(note)
        self.table.setItem(row, 2, note_item)
        self.table.blockSignals(False)
        self._sync()
        if edit:
            self.table.setCurrentCell(row, 2)
            self.table.editItem(note_item)

    def remove_selected(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            return
        self.table.removeRow(row)
        for index in range(self.table.rowCount()):
            self._number(index).setText(str(index + 1))
        self._sync()

    def _number(self, row: int) -> QTableWidgetItem:
        """The row's first cell (its number, holding where the mark is): add_mark sets it."""
        item = self.table.item(row, 0)
        assert item is not None, f"mark row {row} has no number cell"
        return item

    def _select(self, row: int, *_: int) -> None:
        self.canvas.selected = row
        self.canvas.update()

    def _sync(self) -> None:
        self.canvas.marks = self.marks()
        self.canvas.update()
        self.changed.emit()

    def marks(self) -> list[BodyMark]:
        marks = []
        for row in range(self.table.rowCount()):
            side, x, y, region = self._number(row).data(Qt.ItemDataRole.UserRole)
            note_item = self.table.item(row, 2)
            note = note_item.text().strip() if note_item else ""
            marks.append(BodyMark(side, x, y, note, region))
        return marks

    def set_marks(self, marks: list[BodyMark]) -> None:
        self.table.setRowCount(0)
        for mark in marks:
            self.add_mark(mark.side, mark.x, mark.y, mark.region or None, note=mark.note,
                          edit=False)
        self._sync()
