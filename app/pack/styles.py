"""Type sizes, colours and paragraph styles of the pack. Meaning is always carried by words;
colour and weight only help the eye."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm

from app.pack import fonts

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 16 * mm
MARGIN_TOP = 22 * mm  # room for the running header
MARGIN_BOTTOM = 20 * mm  # room for the running footer
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN_X

INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#5c5c5c")
RULE = colors.HexColor("#9a9a9a")
SHADE = colors.HexColor("#ececec")
HEADER_SHADE = colors.HexColor("#d9dde3")
ALERT = colors.HexColor("#9b1111")
ALERT_SHADE = colors.HexColor("#fbe9e9")
QUOTE_BAR = colors.HexColor("#3b5b8c")
QUOTE_SHADE = colors.HexColor("#eef2f8")


@dataclass(frozen=True)
class Styles:
    title: ParagraphStyle
    subtitle: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    body: ParagraphStyle
    body_rtl: ParagraphStyle
    small: ParagraphStyle
    small_bold: ParagraphStyle
    label: ParagraphStyle
    value: ParagraphStyle
    missing: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    cell_small: ParagraphStyle
    cell_head: ParagraphStyle
    line: ParagraphStyle
    line_bold: ParagraphStyle
    line_small: ParagraphStyle
    quote_label: ParagraphStyle
    quote: ParagraphStyle
    banner: ParagraphStyle
    banner_note: ParagraphStyle
    banner_note_bold: ParagraphStyle
    header: ParagraphStyle
    header_right: ParagraphStyle
    footer: ParagraphStyle


def make_styles() -> Styles:
    fonts.register_fonts()

    def style(name: str, size: float, *, bold: bool = False, **kw: object) -> ParagraphStyle:
        kw.setdefault("leading", round(size * 1.3, 1))
        kw.setdefault("textColor", INK)
        return ParagraphStyle(
            name, fontName=fonts.BODY_BOLD if bold else fonts.BODY, fontSize=size, **kw
        )

    return Styles(
        title=style("title", 22, bold=True, spaceAfter=2 * mm),
        subtitle=style("subtitle", 11, textColor=MUTED, spaceAfter=5 * mm),
        h1=style("h1", 14, bold=True, spaceBefore=6 * mm, spaceAfter=2.5 * mm, keepWithNext=1),
        h2=style("h2", 10.5, bold=True, spaceBefore=3 * mm, spaceAfter=1 * mm, keepWithNext=1),
        body=style("body", 9.5, spaceAfter=1.5 * mm),
        body_rtl=style("body_rtl", 9.5, spaceAfter=1.5 * mm, alignment=TA_RIGHT),
        small=style("small", 8, textColor=MUTED),
        small_bold=style("small_bold", 8, bold=True),
        label=style("label", 8.5, bold=True, textColor=MUTED),
        value=style("value", 9.5),
        missing=style("missing", 9, textColor=MUTED),
        cell=style("cell", 8.5, spaceAfter=2),
        cell_bold=style("cell_bold", 8.5, bold=True),
        cell_small=style("cell_small", 7.5, textColor=MUTED),
        cell_head=style("cell_head", 8.5, bold=True),
        line=style("line", 8.5),
        line_bold=style("line_bold", 8.5, bold=True),
        line_small=style("line_small", 7.5, textColor=MUTED),
        quote_label=style("quote_label", 7.5, bold=True, textColor=QUOTE_BAR),
        quote=style("quote", 9),
        banner=style("banner", 12, bold=True, alignment=TA_CENTER, leading=15),
        banner_note=style("banner_note", 8, alignment=TA_CENTER, textColor=MUTED),
        banner_note_bold=style("banner_note_bold", 8.5, bold=True, alignment=TA_CENTER),
        header=style("header", 8.5, bold=True),
        header_right=style("header_right", 8.5, alignment=TA_RIGHT),
        footer=style("footer", 7.5, textColor=MUTED),
    )
