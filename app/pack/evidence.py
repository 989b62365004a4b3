"""The evidence after the form: the chronology (section 10), the body map (11), attachments (12)
and the child's own words gathered from the chronology (13)."""

from __future__ import annotations

from datetime import timedelta

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Spacer

from app.pack import dates, text
from app.pack.bodymap import MARKS_PER_FIGURE, figure
from app.pack.entryrow import PAD_X, EntryRow
from app.pack.model import NumberedMark, PackData, PackEntry
from app.pack.sections import NOT_RECORDED, Builder
from app.pack.styles import BODY_WIDTH

# Chronology columns: Date/time | Kind & categories | What happened | Author / recorded.
CHRONO_COLUMNS = (24 * mm, 30 * mm, BODY_WIDTH - 24 * mm - 30 * mm - 32 * mm, 32 * mm)
CHRONO_HEADINGS = ("Date and time", "Kind, categories", "What happened", "Author / recorded")
_KIND_WORDS = {"status": "Status change", "police-notification": "Police notification"}
# An entry written more than this after the event shows when it was recorded.
LATE = timedelta(hours=1)


class EvidenceBuilder:
    """Sections 10–13, built with the form's Builder for styles and common pieces."""

    def __init__(self, builder: Builder) -> None:
        self.b = builder

    # -- chronology -----------------------------------------------------------------------
    def chronology_intro(self, count: int) -> list[Flowable]:
        if not count:
            return [Paragraph("No chronology entries are included in this pack.", self.b.s.body)]
        return []

    def chronology_row(self, number: int, entry: PackEntry, marks: list[NumberedMark]
                       ) -> EntryRow:
        s = self.b.s
        w_date, w_kind, w_what, w_who = (w - 2 * PAD_X for w in CHRONO_COLUMNS)
        local, zone = dates.uk_time(entry.occurred_at)
        # One plain paragraph per line: reportlab's fast path (no markup parse, simple wrap).
        when: list[Flowable] = [
            self.b.para(f"#{number}", s.line_bold, w_date),
            self.b.para(dates.fmt_date(local.date()) or "", s.line, w_date),
            self.b.para(f"{local:%H:%M} {zone}", s.line, w_date),
        ]
        heading = _KIND_WORDS.get(entry.kind, entry.kind.capitalize())
        kind: list[Flowable] = [self.b.para(heading, s.line_bold, w_kind)]
        kind += [self.b.para(c, s.line, w_kind) for c in entry.categories]
        kind += [self.b.para("■ " + flag, s.line_bold, w_kind, bold=True)
                 for flag, on in (("SIGNIFICANT", entry.significant), ("AMENDED", entry.amended))
                 if on]
        what: list[Flowable] = self.b.paras(entry.summary, s.cell, w_what)
        if entry.child_words and entry.child_words.strip():
            what += self.b.child_words(entry.child_words, w_what, s.quote)
        # Every field a person wrote, compact but present.
        for label, value in (("Where", entry.location), ("Action taken", entry.action_taken),
                             ("Witnesses", entry.witnesses)):
            if value and value.strip():
                what.append(self.b.para(f"{label}: {value.strip()}", s.cell_small, w_what))
        if entry.amended:
            note = entry.amendment_note or NOT_RECORDED.lower()
            what.append(self.b.para(f"Amended — reason: {note}", s.cell_small, w_what))
        if marks:  # each mark's place and note, in one paragraph
            what.append(self.b.para("Body map (section 11): " + "; ".join(
                f"mark {m.number}, {m.mark.place}"
                + (f" — {m.mark.note.strip()}" if m.mark.note and m.mark.note.strip() else "")
                for m in marks), s.cell_small, w_what))
        who: list[Flowable] = [self.b.para(entry.author, s.line, w_who)]
        if entry.recorded_at - entry.occurred_at > LATE:
            delay = dates.delay_text(entry.recorded_at - entry.occurred_at)
            who.append(self.b.para(f"Recorded {dates.fmt_datetime(entry.recorded_at)} ({delay})",
                                 s.line_small, w_who))
        continued = [Paragraph(f"#{number} (continued)", s.cell_small)]
        return EntryRow([when, kind, what, who], CHRONO_COLUMNS,
                        significant=entry.significant, continuation=continued,
                        flowing_column=2)

    def chronology(self, entries: list[PackEntry], marks: list[NumberedMark]) -> list[Flowable]:
        by_entry: dict[str, list[NumberedMark]] = {}
        for m in marks:
            by_entry.setdefault(m.entry.entry_id, []).append(m)
        return [
            self.chronology_row(i, e, by_entry.get(e.entry_id, []))
            for i, e in enumerate(entries, start=1)
        ]

    # -- body map, attachments, child's words -----------------------------------------------
    def body_map(self, marks: list[NumberedMark]) -> list[Flowable]:
        story: list[Flowable] = self.b.heading(11)
        if not marks:
            story.append(Paragraph("No body-map marks are recorded in these entries.",
                                   self.b.s.body))
            return story
        story.append(Paragraph(
            "Marks are numbered in the order of the chronology; the table says which entry "
            "each comes from. The front view faces the reader, so the child's right is on the "
            "left of it.", self.b.s.small))
        for start in range(0, len(marks), MARKS_PER_FIGURE):
            chunk = marks[start:start + MARKS_PER_FIGURE]
            story.append(CondPageBreak(340))  # the figure and its title stay together
            if len(marks) > MARKS_PER_FIGURE:
                story.append(Paragraph(
                    f"Marks {chunk[0].number}–{chunk[-1].number}", self.b.s.h2))
            story.append(figure(chunk, width=BODY_WIDTH))
            widths = [12 * mm, 38 * mm, 44 * mm]
            widths.append(BODY_WIDTH - sum(widths))
            story.append(Spacer(0, 3 * mm))
            story.append(self.b.grid(
                ["Mark", "Place", "Entry", "Note"],
                [[str(m.number), m.mark.place,
                  f"#{m.entry_number}, {dates.fmt_datetime(m.entry.occurred_at)}", m.mark.note]
                 for m in chunk],
                widths,
            ))
        return story

    def attachments(self, data: PackData) -> list[Flowable]:
        story: list[Flowable] = self.b.heading(12)
        if not data.attachments:
            story.append(Paragraph("No attachments.", self.b.s.body))
            return story
        story.append(Paragraph(
            "The files travel with the pack. Check each one against its SHA-256 fingerprint.",
            self.b.s.small))
        story.append(Spacer(0, 2 * mm))
        widths = [48 * mm, 18 * mm, 60 * mm]
        widths.append(BODY_WIDTH - sum(widths))
        rows = [[a.filename, _size(a.size), _grouped(a.sha256), a.description]
                for a in data.attachments]
        story.append(self.b.grid(["File", "Size", "SHA-256", "Description"], rows, widths))
        return story

    def childs_words(self, entries: list[PackEntry]) -> list[Flowable]:
        story: list[Flowable] = self.b.heading(13)
        said = [(i, e) for i, e in enumerate(entries, start=1)
                if e.child_words and e.child_words.strip()]
        if not said:
            story.append(Paragraph(
                "No words of the child are recorded verbatim in these entries.", self.b.s.body))
            return story
        story.append(Paragraph(
            "Everything the child said that staff recorded verbatim, in date order, gathered "
            "from the chronology.", self.b.s.small))
        for number, entry in said:
            head = Paragraph(
                f"#{number} · {dates.fmt_datetime(entry.occurred_at, weekday=True)} · "
                f"recorded by {text.markup(entry.author)}", self.b.s.small_bold)
            quote = self.b.child_words(entry.child_words or "", BODY_WIDTH, self.b.s.quote)
            story.append(KeepTogether([Spacer(0, 2 * mm), head, *quote[1:]]))
        return story


def _size(size: int) -> str:
    amount: float = size
    for unit in ("bytes", "KB", "MB", "GB"):
        if amount < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{amount:.1f} {unit}"
        amount /= 1024
    return str(amount)


def _grouped(digest: str) -> str:
    """The hex digest in groups of 8, so a person can compare it in chunks."""
    return " ".join(digest[i:i + 8] for i in range(0, len(digest), 8))
