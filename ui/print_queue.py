"""The office's print queue: the packs the DSL team released to them, and nothing else.
Preview, print (Qt's print dialog) or save; mark printed. Every print, save and preview is
audited by the core when the pack is fetched for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.atomic import write_user_file
from app.pack import assembly as core
from app.wording import plural
from ui.ops import Db
from ui.pdf_pages import print_pages, render_pages
from ui.table_model import Column, RowsModel, local_time, rows_table
from ui.theme import heading


class PreviewDialog(QDialog):
    def __init__(self, pages: list[QImage], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preview of the referral pack")
        self.pages = pages
        inner = QWidget(self)
        column = QVBoxLayout(inner)
        self._column = column  # the pages' layout: its margins leave less width for a page
        self.labels: list[QLabel] = []
        for number in range(1, len(pages) + 1):
            label = QLabel(inner)
            label.setAccessibleName(f"Page {number} of {len(pages)}")
            column.addWidget(label)
            self.labels.append(label)
        scroll = QScrollArea(self)
        scroll.setAccessibleName("The pack's pages")
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(inner)
        self.scroll_area = scroll
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(plural(len(pages), "page"), self))
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        self.resize(820, 900)
        self.fit_width()

    def fit_width(self) -> None:
        """Each page as wide as the window allows: the office reads it without scrolling
        sideways, and a wider window shows it bigger."""
        margins = self._column.contentsMargins() if self.labels else None
        spare = (margins.left() + margins.right()) if margins is not None else 0
        width = max(200, self.scroll_area.viewport().width() - spare
                    - self.scroll_area.verticalScrollBar().sizeHint().width())
        for label, image in zip(self.labels, self.pages, strict=True):
            label.setPixmap(QPixmap.fromImage(image).scaledToWidth(
                width, Qt.TransformationMode.SmoothTransformation))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_width()


class PrintQueuePage(QWidget):
    def __init__(self, db: Db, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(heading("Print queue", self))
        top.addStretch(1)
        layout.addLayout(top)
        self.model = RowsModel([
            Column("Pack for", lambda p: p.child_name),
            Column("Released", lambda p: local_time(p.released_at)),
            Column("Released by", lambda p: p.released_by),
            Column("Printed", lambda p: "Yes, printed" if p.printed else "Not yet"),
        ], self)
        self.table = rows_table(self.model, "Packs released for printing", self)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selected())
        self.empty = QLabel("Nothing to print: the DSL team has not released any packs.", self)
        self.preview_button = QPushButton("Pre&view…", self)
        self.preview_button.clicked.connect(self.preview)
        self.print_button = QPushButton("&Print…", self)
        self.print_button.clicked.connect(self.print_pack)
        self.save_button = QPushButton("&Save as PDF…", self)
        self.save_button.clicked.connect(self.save_pack)
        self.printed_button = QPushButton("&Mark printed", self)
        self.printed_button.clicked.connect(self.mark_printed)
        refresh = QPushButton("&Refresh", self)
        refresh.clicked.connect(self.refresh)
        top.addWidget(refresh)
        buttons = QHBoxLayout()
        for button in (self.preview_button, self.print_button, self.save_button,
                       self.printed_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        note = QLabel("Packs are marked OFFICIAL-SENSITIVE. Collect printouts at once; a saved "
                      "PDF is your responsibility: keep it off personal drives.", self)
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addLayout(buttons)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        self._selected()

    # -- hooks a test can pre-answer -----------------------------------------------------------
    def choose_printer(self, printer: QPrinter) -> bool:
        return QPrintDialog(printer, self).exec() == QDialog.DialogCode.Accepted

    def choose_save_path(self) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the referral pack", "",
                                              "PDF files (*.pdf)")
        return Path(path) if path else None

    # -- data ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.db.op(self, core.released_packs).success(self._show).run()

    def _show(self, packs: list[Any]) -> None:
        current = self.current()
        self.model.set_rows(packs)
        self.empty.setVisible(not packs)
        row = next((i for i, p in enumerate(packs) if current and p.id == current.id), 0)
        if packs:
            self.table.selectRow(row)
        self._selected()

    def current(self) -> Any:
        return self.model.row(self.table.currentIndex())

    def _selected(self) -> None:
        on = self.current() is not None
        for button in (self.preview_button, self.print_button, self.save_button,
                       self.printed_button):
            button.setEnabled(on)

    def _pages(self, purpose: str, then: Any, dpi: int) -> None:
        pack = self.current()
        if pack is not None:
            self.db.op(self, lambda s: render_pages(core.released_pack_pdf(s, pack.id, purpose),
                                                    dpi)).success(then).run()

    def preview(self) -> None:
        self._pages("view", lambda pages: PreviewDialog(pages, self).open(), 150)

    def print_pack(self) -> None:
        def send(pages: list[QImage]) -> None:
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            if self.choose_printer(printer):
                print_pages(printer, pages)
                self._say("Sent to the printer. Mark it printed once you have the pages.")

        self._pages("print", send, 200)

    def save_pack(self) -> None:
        pack = self.current()
        path = self.choose_save_path() if pack is not None else None
        if pack is None or path is None:
            return
        if path.suffix.lower() != ".pdf":
            path = path.with_suffix(".pdf")

        def save(session: Any) -> None:
            write_user_file(path, core.released_pack_pdf(session, pack.id, "export"))

        self.db.op(self, save).success(lambda _r: self._say(f"Saved to {path.name}.")).run()

    def mark_printed(self) -> None:
        pack = self.current()
        if pack is not None:
            self.db.op(self, lambda s: core.mark_printed(s, pack.id)).success(
                lambda _r: self.refresh()).run()

    def _say(self, text: str) -> None:
        self.db.notify(text)
