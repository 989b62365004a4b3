"""Every version of a concern or entry, oldest first, each with who changed it, when and why."""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from html import escape

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout, QWidget

from app.domain.records import Version, VersionFields
from ui.concern_text import fields_html
from ui.table_model import local_time

FIELD_WORDS = {"occurred_at": "when it happened", "summary": "the text",
               "categories": "categories", "location": "where", "child_words": "child's words",
               "action_taken": "action taken", "witnesses": "witnesses",
               "significant": "significant", "body_marks": "body map", "entry_kind": "kind"}


def changed_fields(before: VersionFields, after: VersionFields) -> list[str]:
    return [FIELD_WORDS.get(f.name, f.name) for f in dataclass_fields(VersionFields)
            if getattr(before, f.name) != getattr(after, f.name)]


def history_html(versions: list[Version]) -> str:
    parts = []
    for index, version in enumerate(versions):
        latest = " (latest: this is what the chronology shows)" \
            if index == len(versions) - 1 else ""
        head = (f"<h3>Version {version.version}{latest}</h3><p>Written by "
                f"{escape(version.author)}, {escape(local_time(version.written_at))}")
        if version.reason:
            head += f"<br><b>Reason for the change:</b> {escape(version.reason)}"
        if index:
            changed = changed_fields(versions[index - 1].fields, version.fields)
            head += f"<br><b>Changed:</b> {escape(', '.join(changed) or 'nothing')}"
        parts.append(head + "</p>" + fields_html(version.fields) + "<hr>")
    return "".join(parts)


class HistoryDialog(QDialog):
    def __init__(self, versions: list[Version], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("History of this record")
        count = len(versions)
        summary = QLabel(f"{count} version{'s' if count != 1 else ''}. Nothing is ever "
                         "overwritten: each correction is kept with its reason.", self)
        summary.setWordWrap(True)
        self.browser = QTextBrowser(self)
        self.browser.setAccessibleName("Versions of this record")
        self.browser.setHtml(history_html(versions))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)
        self.resize(640, 560)
