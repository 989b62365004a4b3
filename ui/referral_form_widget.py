"""The referral form's fields as widgets, one group per section, built from the core's field
table (``app.domain.referral_form.FIELDS``): the core decides what each field accepts."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ui.errors import FieldMessage, clean
from ui.wording import choice_words

# A form field is one of these; ``assignments`` and ``set_form`` read and set each kind.
FieldWidget = QComboBox | QPlainTextEdit | QLineEdit

LONG_TEXT = {"worries", "impact", "history", "disclosures", "parenting_capacity", "strengths",
             "child_voice", "risk_reasons", "previous_social_care", "early_help",
             "support_offered", "child_views", "parent_views", "no_consent_reason",
             "withhold_from_family", "consent_scope", "child_address"}
CHOICES = {"bool": ["", "yes", "no"], "urgency": ["", "safeguarding", "early help"],
           "risk": ["", "low", "medium", "high"], "level": ["", "1", "2", "3", "4"]}


def as_text(kind: str, value: Any) -> str:
    """A stored form value as the text the field's widget shows."""
    if value is None:
        return ""
    if kind == "bool":
        return "yes" if value else "no"
    if kind == "household":
        return "\n".join("; ".join([m.get("name") or "", m.get("relationship") or "",
                                    m.get("date_of_birth") or "",
                                    {True: "yes", False: "no"}.get(
                                        m.get("parental_responsibility"), ""),
                                    m.get("notes") or ""]).rstrip("; ") for m in value)
    if kind == "professional":
        return "\n".join("; ".join([p.get("name") or "", p.get("role") or "",
                                    p.get("organisation") or "",
                                    p.get("contact") or ""]).rstrip("; ") for p in value)
    return str(value)


# Sections in order, each with its fields and the words that ask them.
Arrangement = list[tuple[str, list[tuple[Any, str]]]]


class ReferralFormWidget(QWidget):
    """Our sections and labels by default; ``arrangement`` lays the same fields out as the
    school's LA's form asks them (app.domain.la_profiles.editor_layout)."""

    def __init__(self, specs: tuple[Any, ...], sections: tuple[str, ...],
                 parent: QWidget | None = None, *, arrangement: Arrangement | None = None
                 ) -> None:
        super().__init__(parent)
        self.specs = {spec.name: spec for spec in specs}
        self.widgets: dict[str, FieldWidget] = {}
        self.messages: dict[str, FieldMessage] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if arrangement is None:
            arrangement = [(section, [(spec, spec.label) for spec in specs
                                      if spec.section == section]) for section in sections]
        for section, rows in arrangement:
            box = QGroupBox(section, self)
            form = QFormLayout(box)
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
            for spec, asks in rows:
                widget = self._widget_for(spec, box)
                label = asks + (" *" if spec.required_for_approval else "")
                widget.setAccessibleName(spec.label)
                self.widgets[spec.name] = widget
                self.messages[spec.name] = FieldMessage(box)
                self.messages[spec.name].clear_when_changed(widget)
                if len(label) > 48:  # an LA's long question wraps rather than squeeze the field
                    shown = QLabel(label, box)
                    shown.setWordWrap(True)
                    shown.setBuddy(widget)
                    form.addRow(shown, widget)
                else:
                    form.addRow(label, widget)
                form.addRow("", self.messages[spec.name])
            layout.addWidget(box)

    def _widget_for(self, spec: Any, parent: QWidget) -> FieldWidget:
        if spec.kind in CHOICES:
            combo = QComboBox(parent)
            for value in CHOICES[spec.kind]:  # shown in words, stored as the core's value
                combo.addItem(choice_words(value), value)
            return combo
        if spec.kind in ("household", "professional") or spec.name in LONG_TEXT:
            edit = QPlainTextEdit(parent)
            edit.setTabChangesFocus(True)
            rows = 3 if spec.kind in ("household", "professional") else 2
            edit.setFixedHeight(edit.fontMetrics().height() * rows + 14)
            if spec.kind in ("household", "professional"):
                edit.setPlaceholderText("One per line")
            return edit
        return QLineEdit(parent)

    # -- values --------------------------------------------------------------------------------
    def set_form(self, form: dict[str, Any]) -> None:
        for name, widget in self.widgets.items():
            text = as_text(self.specs[name].kind, form.get(name))
            if isinstance(widget, QComboBox):
                index = widget.findData(text)
                widget.setCurrentIndex(max(index, 0))
            elif isinstance(widget, QPlainTextEdit):
                widget.setPlainText(text)
            elif isinstance(widget, QLineEdit):
                widget.setText(text)
        self.clear_messages()

    def assignments(self) -> list[tuple[str, str]]:
        """(field, text) pairs for the core's ``set_field``; list fields one pair per line."""
        pairs: list[tuple[str, str]] = []
        for name, widget in self.widgets.items():
            if isinstance(widget, QComboBox):
                text = widget.currentData() or ""
            elif isinstance(widget, QPlainTextEdit):
                text = widget.toPlainText().strip()
            else:
                text = widget.text().strip()
            if not text:
                continue
            if self.specs[name].kind in ("household", "professional"):
                pairs.extend((name, line.strip()) for line in text.splitlines() if line.strip())
            else:
                pairs.append((name, text))
        return pairs

    def clear_messages(self) -> None:
        for message in self.messages.values():
            message.clear_message()

    def say(self, field: str, text: str) -> bool:
        message = self.messages.get(field)
        if message is None:
            return False
        message.say(clean(text))
        return True
