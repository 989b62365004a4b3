"""A concern or chronology entry as readable HTML for a detail pane (text escaped)."""

from __future__ import annotations

from html import escape

from app.concerns import ConcernView
from app.records import VersionFields
from ui.categories_widget import category_labels
from ui.record_concern import ROLE_LABELS
from ui.table_model import local_time
from ui.theme import year_label


def _para(title: str, value: str | None) -> str:
    if not value:
        return ""
    body = escape(value).replace("\n", "<br>")
    return f"<p><b>{escape(title)}</b><br>{body}</p>"


def fields_html(fields: VersionFields) -> str:
    marks = "".join(f"<li>{n}. {escape(m.place)}: {escape(m.note or '(no note)')}</li>"
                    for n, m in enumerate(fields.body_marks, start=1))
    return "".join([
        _para("Happened", local_time(fields.occurred_at)),
        _para("Categories", category_labels(fields.categories)),
        _para("Where", fields.location),
        _para("What was seen or heard" if fields.entry_kind == "concern" else "Summary",
              fields.summary),
        _para("The child's own words", f"“{fields.child_words}”" if fields.child_words
              else None),
        _para("Action taken", fields.action_taken),
        _para("Witnesses", fields.witnesses),
        _para("Significant", "Yes" if fields.significant else None),
        f"<p><b>Body map marks</b></p><ul>{marks}</ul>" if marks else "",
    ])


def concern_html(view: ConcernView, status: str | None = None) -> str:
    """``status``: the status in other words (My concerns says "Seen by the DSL team")."""
    children = "<br>".join(f"{escape(c.display_name)} ({escape(year_label(c.year_group))}) — "
                           f"{escape(ROLE_LABELS.get(role, role))}"
                           for c, role in view.children)
    further = (f"<p><b>Further information to the concern of "
               f"{escape(local_time(view.further_to_recorded, with_time=False))}</b></p>"
               if view.further_to_recorded is not None else "")
    head = (f"{further}<p><b>Status:</b> {escape(status or view.status)}"
            f"{' · assigned to ' + escape(view.assigned_to) if view.assigned_to else ''}<br>"
            f"<b>Recorded</b> {escape(local_time(view.recorded_at))} by "
            f"{escape(view.reporter)}"
            f"{' · amended' if view.version_count > 1 else ''}</p>"
            f"<p><b>Children</b><br>{children}</p>")
    return head + fields_html(view.latest.fields)
