"""A plain bar chart drawn with QPainter (PySide6-Essentials has no QtCharts). Every bar carries
its number as text, and the chart's accessible description lists every value, so nothing is
said by colour or length alone."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

BAR = QColor(38, 94, 160)


class BarChart(QWidget):
    """Horizontal bars (``vertical=False``, long labels) or columns (short labels, months)."""

    def __init__(self, title: str, *, vertical: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.vertical = vertical
        self.values: list[tuple[str, int]] = []
        self.setAccessibleName(title)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)

    def set_values(self, values: list[tuple[str, int]]) -> None:
        self.values = list(values)
        self.setAccessibleDescription("; ".join(f"{label}: {n}" for label, n in self.values)
                                      or "no data")
        self.setToolTip(self.accessibleDescription())
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        line = self.fontMetrics().height()
        if self.vertical:
            return QSize(480, line * 14)
        return QSize(480, line * (len(self.values) + 3) + 8 * len(self.values))

    def minimumSizeHint(self) -> QSize:
        return QSize(240, self.fontMetrics().height() * 8)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        metrics = self.fontMetrics()
        line = metrics.height()
        text = self.palette().text().color()
        painter.setPen(text)
        title_font = painter.font()
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.drawText(QRectF(8, 4, self.width() - 16, line + 4),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.title)
        painter.setFont(self.font())
        area = QRectF(8, line + 12, self.width() - 16, self.height() - line - 20)
        if not self.values or max(n for _l, n in self.values) == 0:
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "Nothing to show yet")
            painter.end()
            return
        top = max(n for _l, n in self.values)
        if self.vertical:
            self._columns(painter, area, top, line, text)
        else:
            self._bars(painter, area, top, line, text)
        painter.end()

    def _bars(self, painter: QPainter, area: QRectF, top: int, line: int, text: QColor) -> None:
        metrics = self.fontMetrics()
        label_w = min(max(metrics.horizontalAdvance(label) for label, _n in self.values) + 12,
                      area.width() * 0.45)
        number_w = metrics.horizontalAdvance(str(top)) + 12
        row_h = min(line + 10, area.height() / len(self.values))
        width = area.width() - label_w - number_w
        for index, (label, count) in enumerate(self.values):
            y = area.top() + index * row_h
            painter.setPen(text)
            painter.drawText(QRectF(area.left(), y, label_w - 6, row_h),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(label, Qt.TextElideMode.ElideRight,
                                                int(label_w - 6)))
            bar_w = width * count / top
            painter.fillRect(QRectF(area.left() + label_w, y + 3, bar_w, row_h - 6), BAR)
            painter.drawText(QRectF(area.left() + label_w + bar_w + 4, y, number_w, row_h),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             str(count))

    def _columns(self, painter: QPainter, area: QRectF, top: int, line: int,
                 text: QColor) -> None:
        slot = area.width() / len(self.values)
        base = area.bottom() - line - 4
        height = base - area.top() - line - 4
        for index, (label, count) in enumerate(self.values):
            x = area.left() + index * slot
            bar_h = height * count / top
            painter.fillRect(QRectF(x + slot * 0.15, base - bar_h, slot * 0.7, bar_h), BAR)
            painter.setPen(text)
            painter.drawText(QRectF(x, base - bar_h - line - 2, slot, line),
                             Qt.AlignmentFlag.AlignCenter, str(count))
            painter.drawText(QRectF(x, base + 2, slot, line + 2), Qt.AlignmentFlag.AlignCenter,
                             label)
