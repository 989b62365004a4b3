"""Attachments: files kept inside the encrypted store with a concern or entry.

Files are read from disk in the operation (on the DB thread, never the GUI thread). An
attachment leaves the store only by the user's explicit "Save as…", written exactly where they
chose (atomically), never to a temporary file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.atomic import write_user_file
from app.domain.attachments import (
    MAX_BYTES,
    AttachmentInfo,
    add_attachments,
    attachment_data,
    attachments,
)
from app.errors import InputError
from ui.errors import FieldMessage, message_for
from ui.ops import Db
from ui.table_model import local_time


def read_files(paths: Sequence[Path]) -> list[tuple[str, bytes]]:
    """(file name, bytes) for each chosen file; call it off the GUI thread."""
    read = []
    for path in paths:
        try:
            if path.stat().st_size > MAX_BYTES:  # said before reading a huge file into memory
                raise InputError("attachment", f"{path.name} is over "
                                 f"{MAX_BYTES // (1024 * 1024)} MB, the most one file can be")
            read.append((path.name, path.read_bytes()))
        except OSError as exc:
            raise InputError("attachment", f"{path.name} could not be read") from exc
    return read


def size_words(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def choose_files(parent: QWidget) -> list[Path]:
    names, _ = QFileDialog.getOpenFileNames(parent, "Choose files to attach")
    return [Path(n) for n in names]


class FilePicker(QGroupBox):
    """Files chosen to attach to a concern when it is saved (nothing is read until then)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Attachments (optional): a photo of a note, a letter", parent)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Files to attach")
        self.list.setMaximumHeight(self.fontMetrics().height() * 4 + 10)
        self.add_button = QPushButton("A&ttach files…", self)
        self.add_button.clicked.connect(self.choose)
        self.remove_button = QPushButton("Remove file", self)
        self.remove_button.setAccessibleName("Remove the chosen file")
        self.remove_button.clicked.connect(self.remove_current)
        self.message = FieldMessage(self)
        self.choose_files = lambda: choose_files(self)  # a test pre-answers the dialog
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.list)
        layout.addWidget(self.message)
        self._update()

    def choose(self) -> None:
        for path in self.choose_files():
            if path not in self.paths():
                item = QListWidgetItem(path.name)
                item.setData(Qt.ItemDataRole.UserRole, str(path))
                item.setToolTip(str(path))
                self.list.addItem(item)
        self._update()

    def remove_current(self) -> None:
        self.list.takeItem(self.list.currentRow())
        self._update()

    def paths(self) -> list[Path]:
        return [Path(self.list.item(i).data(Qt.ItemDataRole.UserRole))
                for i in range(self.list.count())]

    def clear_files(self) -> None:
        self.list.clear()
        self.message.clear_message()
        self._update()

    def _update(self) -> None:
        self.list.setVisible(self.list.count() > 0)
        self.remove_button.setEnabled(self.list.count() > 0)


class AttachmentList(QGroupBox):
    """The attachments of one concern or entry: list, attach more, save one as a file."""

    def __init__(self, db: Db, parent: QWidget | None = None) -> None:
        super().__init__("Attachments", parent)
        self.db = db
        self.record_id: str | None = None
        self.list = QListWidget(self)
        self.list.setAccessibleName("Attachments of the selected entry")
        self.list.itemActivated.connect(lambda _item: self.save_as())
        self.save_button = QPushButton("Sa&ve attachment as…", self)
        self.save_button.clicked.connect(self.save_as)
        self.attach_button = QPushButton("Attach a f&ile…", self)
        self.attach_button.clicked.connect(self.attach)
        self.message = FieldMessage(self)
        self.choose_files = lambda: choose_files(self)  # tests pre-answer these two dialogs
        self.choose_save_path = self._ask_save_path
        buttons = QVBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.attach_button)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.list, 1)
        row.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self.show_for(None)

    def show_for(self, record_id: str | None) -> None:
        self.record_id = record_id
        self.list.clear()
        self.message.clear_message()
        self.attach_button.setEnabled(record_id is not None)
        self.save_button.setEnabled(False)
        if record_id is not None:
            self.db.op(self, lambda s: attachments(s, record_id)).success(
                lambda found: self._show(record_id, found)).run()

    def _show(self, record_id: str, found: list[AttachmentInfo]) -> None:
        if record_id != self.record_id:
            return
        self.list.clear()
        for info in found:
            item = QListWidgetItem(f"{info.filename} ({size_words(info.size)})")
            item.setToolTip(f"{info.filename}, {info.media_type}, {size_words(info.size)}, "
                            f"added {local_time(info.added_at)}")
            item.setData(Qt.ItemDataRole.UserRole, info)
            self.list.addItem(item)
        if not found:
            self.list.addItem(QListWidgetItem("None"))
        else:
            self.list.setCurrentRow(0)
        self.save_button.setEnabled(bool(found))
        self.setTitle(f"Attachments ({len(found)})")

    def current(self) -> AttachmentInfo | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _ask_save_path(self, info: AttachmentInfo) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the attachment as", info.filename)
        return Path(path) if path else None

    def save_as(self) -> None:
        info = self.current()
        path = self.choose_save_path(info) if info is not None else None
        if info is None or path is None:
            return
        self.message.clear_message()

        def save(session: Any) -> None:
            write_user_file(path, attachment_data(session, info.id))

        self.db.op(self, save).success(lambda _r: self.db.notify(f"Saved to {path}.")) \
            .failure(lambda e: self.message.say(message_for(e))).run()

    def attach(self) -> None:
        record_id, paths = self.record_id, self.choose_files()
        if record_id is None or not paths:
            return
        self.message.clear_message()

        def add(session: Any) -> None:
            add_attachments(session, record_id, read_files(paths))  # all of them or none

        self.db.op(self, add).success(lambda _r: self._attached(record_id)) \
            .failure(lambda e: self.message.say(message_for(e))).run()

    def _attached(self, record_id: str) -> None:
        self.show_for(record_id)
        self.db.changed.emit()


def table_over_details(parent: QWidget, table: QWidget, actions: QHBoxLayout, detail: QWidget,
                       attachments: QWidget, sizes: tuple[int, int]) -> QSplitter:
    """The list above, and below it the actions, the selected record and its attachments: the
    layout the inbox and a child's page share."""
    lower = QWidget(parent)
    lower_layout = QVBoxLayout(lower)
    lower_layout.setContentsMargins(0, 0, 0, 0)
    lower_layout.addLayout(actions)
    details = QHBoxLayout()
    details.addWidget(detail, 3)
    details.addWidget(attachments, 2)
    lower_layout.addLayout(details, 1)
    splitter = QSplitter(Qt.Orientation.Vertical, parent)
    splitter.addWidget(table)
    splitter.addWidget(lower)
    splitter.setSizes(list(sizes))
    return splitter
