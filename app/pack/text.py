"""Turns free text from the record into reportlab Paragraph markup that loses nothing.

- Each character goes to a shipped font that has it (Noto Sans, then Noto Sans Arabic, then
  DejaVu Sans); one that no font has is printed as its code point, e.g. ``[U+0995]``.
- reportlab neither shapes Arabic script nor reorders right-to-left text, so Arabic-script runs
  are reshaped to presentation forms (arabic-reshaper) and put in visual order with the Unicode
  bidi algorithm (python-bidi). A right-to-left paragraph is wrapped here, in logical order, and
  each line is reordered on its own, so its lines read top to bottom.
- Records are written in English: a paragraph counts as right-to-left only when most of its
  letters are, so an English note that starts with an Arabic name stays left-to-right (the
  bidi algorithm's first-strong-letter rule would flip it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from xml.sax.saxutils import escape

import arabic_reshaper
from bidi import get_display
from reportlab.pdfbase.pdfmetrics import stringWidth

from app.pack import fonts

_RTL = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_RTL_LETTER = re.compile(
    r"[\u05d0-\u05ea\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\ufb1d-\ufdff\ufe70-\ufeff]"
)
_LTR_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u052f\u1e00-\u1fff]")
# Control characters other than newline: shown as code points rather than passed to the PDF.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_reshaper = arabic_reshaper.ArabicReshaper(
    configuration={"delete_harakat": False, "support_ligatures": True}
)


def _ranges_class(code_points: frozenset[int]) -> str:
    """A regex character class body matching exactly ``code_points``."""
    parts: list[str] = []
    points = sorted(code_points)
    start = prev = points[0]
    for cp in [*points[1:], None]:
        if cp is not None and cp == prev + 1:
            prev = cp
            continue
        parts.append(re.escape(chr(start)) + ("-" + re.escape(chr(prev)) if prev > start else ""))
        if cp is not None:
            start = prev = cp
    return "".join(parts)


@lru_cache(maxsize=1)
def _outside_body() -> re.Pattern[str]:
    """Matches any character the body font lacks: the fast path skips text without one."""
    cov = fonts.register_fonts()
    return re.compile(f"[^{_ranges_class(cov.body - {0x0A})}\n]")


def clean(text: str) -> str:
    """NFC (so decomposed Vietnamese finds its precomposed glyphs), tabs as spaces, control
    characters made visible."""
    text = unicodedata.normalize("NFC", text).replace("\t", " ").replace("\r\n", "\n")
    return _CONTROL.sub(lambda m: f"[U+{ord(m.group()):04X}]", text.replace("\r", "\n"))


def _runs(text: str, bold: bool) -> Iterator[tuple[str | None, str]]:
    """Splits visual-order text into (font name or None for the body font, text) runs."""
    cov = fonts.register_fonts()
    current: str | None = None
    buf: list[str] = []
    for ch in text:
        cp = ord(ch)
        if cp in cov.body or ch == "\n":
            font = None
        elif cp in cov.arabic:
            font = fonts.ARABIC_BOLD if bold else fonts.ARABIC
        elif cp in cov.fallback:
            font = fonts.FALLBACK
        else:
            font, ch = None, f"[U+{cp:04X}]"
        if font != current and buf:
            yield current, "".join(buf)
            buf = []
        current = font
        buf.append(ch)
    if buf:
        yield current, "".join(buf)


def _markup_visual(text: str, bold: bool) -> str:
    """Markup for text already in visual order; newlines become line breaks."""
    if not _outside_body().search(text):
        return escape(text).replace("\n", "<br/>")
    out = []
    for font, run in _runs(text, bold):
        body = escape(run).replace("\n", "<br/>")
        out.append(body if font is None else f'<font name="{font}">{body}</font>')
    return "".join(out)


_ARABIC_RUN = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]+")


def _shape(line: str) -> str:
    """Arabic-script runs as presentation forms; letters join only within a run, and reshaping
    runs alone is much cheaper than reshaping whole paragraphs."""
    return _ARABIC_RUN.sub(lambda m: _reshape_run(m.group()), line)


@lru_cache(maxsize=4096)
def _reshape_run(run: str) -> str:
    """Names recur through a chronology; reshaping is slow pure Python."""
    return _reshaper.reshape(run)


def _visual(line: str, rtl_base: bool) -> str:
    return get_display(_shape(line), base_dir="R" if rtl_base else "L")


def _mostly_rtl(text: str) -> bool:
    return len(_RTL_LETTER.findall(text)) > len(_LTR_LETTER.findall(text))


def markup(text: str, *, bold: bool = False) -> str:
    """Paragraph markup for one piece of text, each line reordered for display as a whole
    (names, short values, left-to-right paragraphs)."""
    text = clean(text)
    if _RTL.search(text):
        text = "\n".join(_visual(line, _mostly_rtl(line)) if _RTL.search(line) else line
                         for line in text.split("\n"))
    return _markup_visual(text, bold)


def is_rtl(text: str) -> bool:
    """True for a paragraph to set right to left: most of its letters are."""
    return bool(_RTL.search(text)) and _mostly_rtl(text)


def _width(text: str, size: float, bold: bool) -> float:
    total = 0.0
    for font, run in _runs(text, bold):
        total += stringWidth(run, font or (fonts.BODY_BOLD if bold else fonts.BODY), size)
    return total


def rtl_markup(text: str, *, width: float, size: float, bold: bool = False) -> str:
    """Markup for a right-to-left paragraph: wrapped in logical order to ``width`` points, each
    line reordered on its own; the caller right-aligns it."""
    text = clean(text)
    space = stringWidth(" ", fonts.BODY_BOLD if bold else fonts.BODY, size)
    lines: list[str] = []
    for hard_line in text.split("\n"):
        # Arabic letters join only within a word, so shaping the line shapes every word.
        current: list[str] = []
        used = 0.0
        for word in _shape(hard_line).split():
            w = _width(word, size, bold)
            if current and used + space + w > width:
                lines.append(" ".join(current))
                current, used = [word], w
            else:
                used += (space if current else 0.0) + w
                current.append(word)
        lines.append(" ".join(current))
    return "<br/>".join(
        _markup_visual(get_display(line, base_dir="R"), bold) for line in lines
    )
