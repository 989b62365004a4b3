"""The subject access response as PDF bytes, in the referral pack's fonts, styles and page
furniture (OFFICIAL-SENSITIVE, "Page X of Y"), built from a ``SarResponse`` alone.

A ``SarResponse`` carries only text that may be disclosed: each redaction was replaced by its
placeholder before it was made (``SarEntry.redacted``), so no redacted word is ever drawn,
hidden, covered or kept in the file. Withheld entries are not in it at all.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from app.pack import dates, text
from app.pack.fonts import BODY, BODY_BOLD, register_fonts
from app.pack.render import MARKING, NumberedCanvas
from app.pack.sections import Builder
from app.pack.styles import (
    BODY_WIDTH,
    INK,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    MUTED,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    RULE,
    SHADE,
    make_styles,
)
from app.sar.model import ResponseEntry, SarResponse

LABEL_WIDTH = 38 * mm
KIND_WORDS = {"concern": "Concern", "status": "Concern's progress", "action": "Action",
              "contact": "Contact", "meeting": "Meeting", "referral": "Referral",
              "outcome": "Outcome", "note": "Note", "police-notification": "Police notification"}


def render_response(data: SarResponse, *, generated_at: datetime) -> bytes:
    """The response for ``data`` as PDF bytes. Nothing touches the disk."""
    if generated_at.tzinfo is None:
        raise ValueError("generated_at must be timezone-aware")
    register_fonts()
    styles = make_styles()
    builder = Builder(styles)
    frame = Frame(MARGIN_X, MARGIN_BOTTOM, BODY_WIDTH, PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body")
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1, pageCompression=1,
        title="Subject access response", author="ConcernDesk",
        subject=f"{MARKING} subject access response", creator="ConcernDesk", keywords="",
        leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM, lang="en-GB")
    doc.addPageTemplates([PageTemplate(id="normal", frames=[frame])])

    story: list[Flowable] = [
        Paragraph("Subject access response", styles.title),
        Paragraph(text.markup(f"The safeguarding records {data.school} holds about "
                              f"{data.child_name}"), styles.subtitle),
    ]
    facts = [("Child", f"{data.child_name}, born {dates.fmt_date(data.child_dob)}"),
             ("Requested by", data.requester),
             ("Covering", f"{dates.fmt_date(data.since)} to {dates.fmt_date(data.until)}"),
             ("Prepared by", f"{data.produced_by}, designated safeguarding lead"),
             ("Produced", dates.fmt_datetime(generated_at)),
             ("Entries", str(len(data.entries)))]
    story.append(_table([(label, [builder.para(value, styles.value, BODY_WIDTH - LABEL_WIDTH)])
                         for label, value in facts], styles.label))
    story += [Spacer(1, 4 * mm), Paragraph("What is not included", styles.h2),
              Paragraph(text.markup(_not_included(data)), styles.body)]
    story.append(Paragraph("The records", styles.h1))
    if not data.entries:
        story.append(Paragraph("Nothing was recorded about the child in this period that "
                               "can be disclosed.", styles.missing))
    for entry in data.entries:
        story += _entry(builder, entry, styles)

    furniture = _Furniture(data, generated_at)

    def canvasmaker(*args: Any, **kwargs: Any) -> Canvas:
        kwargs["initialFontName"] = BODY
        return NumberedCanvas(*args, furniture=furniture, generated_at=generated_at, **kwargs)

    doc.build(story, canvasmaker=canvasmaker)
    return buffer.getvalue()


def _not_included(data: SarResponse) -> str:
    parts = []
    if data.redacted:
        parts.append(f"{data.redacted} passage{'s' * (data.redacted != 1)} "
                     "replaced by “[redacted…]”")
    if data.withheld:
        parts.append(f"{data.withheld} entr{'ies' if data.withheld != 1 else 'y'} left out "
                     "in full")
    done = (" and ".join(parts) + ".") if parts else "Nothing was withheld."
    return ("Information about other people (other children, family members and others) and "
            "information whose disclosure could cause serious harm is withheld, as the Data "
            "Protection Act 2018 allows. In this response: " + done + " The school keeps a "
            "record of what was withheld and why.")


def _entry(builder: Builder, entry: ResponseEntry, styles: Any) -> list[Flowable]:
    kind = KIND_WORDS.get(entry.kind, entry.kind.capitalize())
    head = f"{entry.number}. {dates.fmt_datetime(entry.occurred_at)} · {kind}"
    rows: list[tuple[str, list[Flowable]]] = [
        ("Recorded by", [builder.para(entry.author, styles.cell, BODY_WIDTH - LABEL_WIDTH)])]
    if entry.categories:
        rows.append(("Categories", [builder.para(", ".join(entry.categories), styles.cell,
                                                 BODY_WIDTH - LABEL_WIDTH)]))
    for label, value in entry.fields:
        rows.append((label, _paras(builder, value, styles.cell, BODY_WIDTH - LABEL_WIDTH)))
    return [CondPageBreak(30 * mm), Paragraph(text.markup(head, bold=True), styles.h2),
            _table(rows, styles.cell_bold)]


_LRM = "\u200e"  # around a placeholder in right-to-left text (model.redacted_text)


def _paras(builder: Builder, value: str, style: ParagraphStyle, width: float
           ) -> list[Flowable]:
    """The pack's paragraphs, except that a right-to-left one is put in visual order here and
    its left-to-right marks dropped once they have done their work (the font draws them)."""
    out: list[Flowable] = []
    for block in value.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        if text.is_rtl(block):
            markup = text.rtl_markup(block, width=width, size=style.fontSize)
            out.append(Paragraph(markup.replace(_LRM, ""), _rtl(style)))
        else:
            out += builder.paras(block.replace(_LRM, ""), style, width)
    return out


def _rtl(style: ParagraphStyle) -> ParagraphStyle:
    return ParagraphStyle(style.name + "-rtl", parent=style, alignment=TA_RIGHT)


def _table(rows: list[tuple[str, list[Flowable]]], label_style: Any) -> Table:
    table = Table([[Paragraph(text.markup(label), label_style), cells] for label, cells in rows],
                  colWidths=[LABEL_WIDTH, BODY_WIDTH - LABEL_WIDTH], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (0, -1), SHADE),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
        ("BOX", (0, 0), (-1, -1), 0.6, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


class _Furniture:
    def __init__(self, data: SarResponse, generated_at: datetime) -> None:
        self.child = f"{data.child_name} · subject access response"
        self.style = make_styles().header_right
        self.footer = (f"Response {data.response_id} · produced "
                       f"{dates.fmt_datetime(generated_at)}")

    def draw(self, canvas: Canvas, page: int, pages: int) -> None:
        canvas.saveState()
        top = PAGE_HEIGHT - 12 * mm
        canvas.setFillColor(INK)
        canvas.setFont(BODY_BOLD, 9)
        canvas.drawString(MARGIN_X, top, MARKING)
        header = Paragraph(text.markup(self.child), self.style)
        _, height = header.wrapOn(canvas, BODY_WIDTH - 45 * mm, 20 * mm)
        header.drawOn(canvas, MARGIN_X + 45 * mm, top - height + 9)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN_X, top - height + 5, PAGE_WIDTH - MARGIN_X, top - height + 5)
        bottom = 8 * mm
        canvas.line(MARGIN_X, bottom + 14, PAGE_WIDTH - MARGIN_X, bottom + 14)
        canvas.drawString(MARGIN_X, bottom + 3, MARKING)
        canvas.drawRightString(PAGE_WIDTH - MARGIN_X, bottom + 3, f"Page {page} of {pages}")
        canvas.setFont(BODY, 7)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN_X, bottom - 6, self.footer)
        canvas.restoreState()
