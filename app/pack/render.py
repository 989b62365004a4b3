"""render_pack: the referral pack as PDF bytes, built in memory with reportlab platypus.

Deterministic: reportlab's invariant mode plus a creation date taken from ``generated_at``, so
the same data and the same ``generated_at`` give byte-identical PDFs.
"""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime
from hashlib import md5
from typing import Any, Protocol

from reportlab.lib.units import mm
from reportlab.lib.utils import TimeStamp
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
)

from app.clock import iso
from app.pack import dates, text
from app.pack.encrypt import encrypt_pdf
from app.pack.evidence import CHRONO_COLUMNS, CHRONO_HEADINGS, EvidenceBuilder
from app.pack.fonts import BODY, BODY_BOLD, register_fonts
from app.pack.model import PackData, number_marks
from app.pack.sections import Builder
from app.pack.styles import (
    BODY_WIDTH,
    HEADER_SHADE,
    INK,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    MUTED,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    RULE,
    Styles,
    make_styles,
)

MARKING = "OFFICIAL-SENSITIVE"
CHRONO_NOTE = (
    "In the order things happened; times are UK time (GMT or BST).",
    "Entries written over an hour later say when; amended entries say so.",
)
_CHRONO_BAND = 14 * mm  # section title and column headings drawn on every chronology page

__all__ = ["MARKING", "encrypt_pdf", "render_pack"]


def render_pack(data: PackData, *, generated_at: datetime) -> bytes:
    """The referral pack for ``data`` as PDF bytes. Nothing touches the disk."""
    if generated_at.tzinfo is None:
        raise ValueError("generated_at must be timezone-aware")
    register_fonts()
    styles = make_styles()
    builder = Builder(styles)
    entries = data.entries_in_order()
    marks = number_marks(entries)
    chrono_state = {"pages": 0}

    def chrono_page(canvas: Canvas, _doc: Any) -> None:
        chrono_state["pages"] += 1
        _draw_chrono_band(canvas, continued=chrono_state["pages"] > 1)

    full = Frame(MARGIN_X, MARGIN_BOTTOM, BODY_WIDTH, PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM,
                 leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body")
    chrono = Frame(MARGIN_X, MARGIN_BOTTOM, BODY_WIDTH,
                   PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM - _CHRONO_BAND,
                   leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="chrono")

    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1, pageCompression=1,
        title=f"Referral pack {data.pack_id}", author="ConcernDesk",
        subject=f"{MARKING} referral pack", creator="ConcernDesk", keywords="",
        leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM, lang="en-GB",
    )
    doc.addPageTemplates([
        PageTemplate(id="normal", frames=[full]),
        PageTemplate(id="chronology", frames=[chrono], onPage=chrono_page),
    ])

    story = builder.cover(data)
    if data.has_form:
        story += [PageBreak(), *(builder.la_form(data) if data.la_form else builder.form(data))]
    evidence = EvidenceBuilder(builder)
    story += [NextPageTemplate("chronology"), PageBreak(),
              *evidence.chronology_intro(len(entries))]
    story += evidence.chronology(entries, marks)
    story += [NextPageTemplate("normal"), PageBreak(), *evidence.body_map(marks)]
    story += evidence.attachments(data)
    story += evidence.childs_words(entries)

    header_name = _child_label(data)
    furniture = _Furniture(styles, header_name, data.pack_id, generated_at)

    def canvasmaker(*args: Any, **kwargs: Any) -> Canvas:
        kwargs["initialFontName"] = BODY  # never Helvetica, which the PDF would not embed
        return NumberedCanvas(*args, furniture=furniture, generated_at=generated_at, **kwargs)

    doc.build(story, canvasmaker=canvasmaker)
    return buffer.getvalue()


def _child_label(data: PackData) -> str:
    upn = data.child.upn or "UPN not recorded"
    return f"{data.child.full_name} · UPN {upn}"


class _Furniture:
    """Draws the running header and footer once the page count is known."""

    def __init__(self, styles: Styles, child_label: str, pack_id: str, generated_at: datetime
                 ) -> None:
        self.child = Paragraph(text.markup(child_label, bold=True), styles.header_right)
        self.pack = f"Pack {pack_id} · generated {dates.fmt_datetime(generated_at)}"

    def draw(self, canvas: Canvas, page: int, pages: int) -> None:
        canvas.saveState()
        top = PAGE_HEIGHT - 12 * mm
        canvas.setFillColor(INK)
        canvas.setFont(BODY_BOLD, 9)
        canvas.drawString(MARGIN_X, top, MARKING)
        avail = BODY_WIDTH - 45 * mm  # the marking keeps the left 45 mm
        _, height = self.child.wrapOn(canvas, avail, 20 * mm)
        self.child.drawOn(canvas, PAGE_WIDTH - MARGIN_X - avail, top - height + 9)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN_X, top - height + 5, PAGE_WIDTH - MARGIN_X, top - height + 5)

        bottom = 8 * mm
        canvas.line(MARGIN_X, bottom + 14, PAGE_WIDTH - MARGIN_X, bottom + 14)
        canvas.setFont(BODY_BOLD, 9)
        canvas.drawString(MARGIN_X, bottom + 3, MARKING)
        canvas.setFont(BODY_BOLD, 9)
        canvas.drawRightString(PAGE_WIDTH - MARGIN_X, bottom + 3, f"Page {page} of {pages}")
        canvas.setFont(BODY, 7)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN_X, bottom - 6, self.pack)
        canvas.restoreState()


def _draw_chrono_band(canvas: Canvas, *, continued: bool) -> None:
    """The chronology's title and column headings, repeated at the top of each of its pages."""
    canvas.saveState()
    top = PAGE_HEIGHT - MARGIN_TOP
    canvas.setFillColor(INK)
    canvas.setFont(BODY_BOLD, 13)
    canvas.drawString(MARGIN_X, top - 12, "10. Chronology" + (" (continued)" if continued else ""))
    canvas.setFillColor(MUTED)
    canvas.setFont(BODY, 7)
    canvas.drawRightString(PAGE_WIDTH - MARGIN_X, top - 6, CHRONO_NOTE[0])
    canvas.drawRightString(PAGE_WIDTH - MARGIN_X, top - 14, CHRONO_NOTE[1])
    row_top, row_h = top - 22, 14
    canvas.setFillColor(HEADER_SHADE)
    canvas.rect(MARGIN_X, row_top - row_h, BODY_WIDTH, row_h, stroke=0, fill=1)
    canvas.setFillColor(INK)
    canvas.setFont(BODY_BOLD, 8.5)
    x = MARGIN_X
    for heading, width in zip(CHRONO_HEADINGS, CHRONO_COLUMNS, strict=True):
        canvas.drawString(x + 3, row_top - row_h + 4.2, heading)
        x += width
    canvas.restoreState()


class PageFurniture(Protocol):
    """What a numbered canvas draws on each page once the page count is known."""

    def draw(self, canvas: Canvas, number: int, total: int) -> None: ...


class NumberedCanvas(Canvas):
    """Keeps each page until the end so every footer can say "Page X of Y"; the PDF's dates
    are ``generated_at``, so the same document renders to the same bytes. Shared by the
    referral pack and the subject access response (app/sar/render.py)."""

    def __init__(self, *args: Any, furniture: PageFurniture, generated_at: datetime,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._furniture = furniture
        self._pages: list[dict[str, Any]] = []
        _stamp_creation(self, generated_at)
        text.install(self)  # /ActualText spans for right-to-left runs

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._furniture.draw(self, number, total)
            super().showPage()
        super().save()


def _stamp_creation(canvas: Canvas, generated_at: datetime) -> None:
    """Invariant mode dates every PDF 2000-01-01; date it by ``generated_at`` instead, and seed
    the file identifier from it, so the result depends on the inputs alone."""
    moment = generated_at.astimezone(UTC)
    stamp = TimeStamp(invariant=True)
    stamp.t = moment.timestamp()
    stamp.lt = time.gmtime(int(stamp.t))
    stamp.YMDhms = tuple(stamp.lt)[:6]
    stamp.dhh = stamp.dmm = 0
    stamp.tzname = "UTC"
    doc = canvas._doc
    doc._timeStamp = stamp
    signature = md5(usedforsecurity=False)
    signature.update(b"a reportlab document")
    signature.update(iso(moment).encode())
    doc.signature = signature
