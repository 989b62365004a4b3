"""The recovery key, shown once: large, printable, with the box a person ticks once it is kept
safe. Used when a school is created and when a PC joins one."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class RecoveryKeyBox(QGroupBox):
    """``written`` is the tick box; ``clear()`` forgets the key once it has been shown."""

    def __init__(self, title: str, explanation: str, print_heading: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.print_heading = print_heading
        self.key_label = QLabel(self)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(max(QFont().pointSizeF(), 8.0) * 1.4)
        self.key_label.setFont(mono)
        self.key_label.setWordWrap(True)
        self.key_label.setAccessibleName("Recovery key")
        text = QLabel(explanation, self)
        text.setWordWrap(True)
        print_button = QPushButton("&Print the recovery key…", self)
        print_button.clicked.connect(self.print_key)
        self.written = QCheckBox("I &have printed the recovery key or written it down, and it "
                                 "will be locked away", self)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.key_label)
        row = QHBoxLayout()
        row.addWidget(print_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.written)

    def show_key(self, key: str) -> None:
        self.key_label.setText(key)
        self.written.setChecked(False)

    def clear(self) -> None:
        self.key_label.clear()

    def print_key(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter()
        dialog = QPrintDialog(printer, self)
        if dialog.exec() == QPrintDialog.DialogCode.Accepted:
            document = QTextDocument()
            document.setPlainText(f"{self.print_heading}\n\n{self.key_label.text()}\n\n"
                                  "Keep this locked away from the PC.")
            document.print_(printer)
