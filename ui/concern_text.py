"""A concern or chronology entry as readable HTML for a detail pane (text escaped)."""

from __future__ import annotations

from html import escape

from app.domain.chronology import ChronologyItem
from app.domain.concerns import ConcernView
from app.domain.records import BodyMark, VersionFields
from app.domain.status_events import StatusEvent
from ui.categories_widget import category_labels
from ui.chronology_model import KIND_WORDS, further_words
from ui.record_concern import ROLE_LABELS
from ui.table_model import local_time
from ui.theme import year_label


def _para(title: str, value: str | None) -> str:
    if not value:
        return ""
    body = escape(value).replace("\n", "<br>")
    return f"<p><b>{escape(title)}</b><br>{body}</p>"


def marks_html(marks: tuple[BodyMark, ...]) -> str:
    """Each mark with its full place ("Front: Left arm") and its note."""
    rows = "".join(f"<li>{n}. {escape(m.place)} — {escape(m.note or '(no note)')}</li>"
                   for n, m in enumerate(marks, start=1))
    return f"<p><b>Body map marks</b></p><ul>{rows}</ul>" if rows else ""


def events_html(events: tuple[StatusEvent, ...]) -> str:
    """What the DSL team did, with their words, oldest first."""
    rows = "".join(f"<li>{escape(local_time(e.at))} — {_lines(e.text)} "
                   f"<i>({escape(e.actor)})</i></li>" for e in events)
    return f"<p><b>What the DSL team did</b></p><ul>{rows}</ul>" if rows else ""


def _lines(text: str) -> str:
    return escape(text).replace("\n", "<br>")


def fields_html(fields: VersionFields) -> str:
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
        marks_html(fields.body_marks),
    ])


def concern_html(view: ConcernView, status: str | None = None) -> str:
    """``status``: the status in other words (My concerns says "Seen by the DSL team")."""
    children = "<br>".join(f"{escape(c.display_name)} ({escape(year_label(c.year_group))}) — "
                           f"{escape(ROLE_LABELS.get(role, role))}"
                           for c, role in view.children)
    further = (f"<p><b>Further information to the concern of "
               f"{escape(local_time(view.further_to_recorded, with_time=False))}</b></p>"
               if view.further_to_recorded is not None else "")
    head = (f"{further}<p><b>Status:</b> {escape(status or view.status.title())}"
            f"{' · assigned to ' + escape(view.assigned_to) if view.assigned_to else ''}<br>"
            f"<b>Recorded</b> {escape(local_time(view.recorded_at))} by "
            f"{escape(view.reporter)}"
            f"{' · amended' if view.version_count > 1 else ''}</p>"
            f"<p><b>Children</b><br>{children}</p>")
    return head + fields_html(view.latest.fields) + events_html(view.events)


def item_html(item: ChronologyItem) -> str:
    """One chronology item for the child page's detail pane: every field of it."""
    kind = KIND_WORDS.get(item.kind, item.kind)
    further = further_words(item)
    head = (f"{'<p><b>' + escape(further) + '</b></p>' if further else ''}"
            f"<p><b>{escape(kind)}</b> · happened {escape(local_time(item.occurred_at))}"
            f" · written {escape(local_time(item.recorded_at))} by {escape(item.author)}"
            f"{' · <b>amended</b>' if item.amended else ''}"
            f"{' · <b>★ significant</b>' if item.significant else ''}</p>")
    if item.is_status:
        return head + f"<p>{_lines(item.summary)}</p>"
    return "".join([
        head,
        _para("Categories", category_labels(item.categories)),
        _para("Where", item.location),
        _para("What was seen or heard" if item.kind == "concern" else "Summary", item.summary),
        _para("The child's own words", f"“{item.child_words}”" if item.child_words else None),
        _para("Action taken", item.action_taken),
        _para("Witnesses", item.witnesses),
        marks_html(item.body_marks),
    ])
