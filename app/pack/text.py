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
- The glyphs' own text is presentation forms in visual order. So that copy and paste, search
  and screen readers get the letters as recorded, in logical order, each right-to-left run is
  drawn inside a marked-content span whose ``/ActualText`` holds its base letters (see
  ``install`` and ``_spanned``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

import arabic_reshaper
from bidi import get_display
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

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


# -- /ActualText for right-to-left runs ---------------------------------------------------
# reportlab has no marked-content support in paragraphs, but its markup has ``<onDraw>``: a
# zero-width fragment that calls a named canvas callback, in the middle of the text object,
# while the line is being drawn. A run is bracketed by two of them; the first notes where in
# the text object the run starts, the second inserts ``/Span <</ActualText …>> BDC`` there and
# appends ``EMC``. Nothing else in the content stream changes: the glyphs, their fonts and
# positions are those of a pack without the spans, and the markup knows which text is which.
# (A pypdf pass over the finished content streams was the alternative: it would have to find
# the runs again among subset-encoded glyph strings, by position or by a side table, and
# decompress, rewrite and recompress every page: slower, and more ways to go wrong.)
_BEGIN = "cd_rtl_begin"
_END = "cd_rtl_end"
_BEGIN_TAG = f'<onDraw name="{_BEGIN}"/>'
# Strong right-to-left characters, and one right-to-left run in a left-to-right line: from a
# right-to-left character to the last one before a left-to-right letter (what is between, such
# as spaces, digits and punctuation, is part of the run when the bidi algorithm agrees).
_RTL_RUN = re.compile(
    r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]"
    r"(?:[^A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u052f\u1e00-\u1fff\n]*"
    r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff])?"
)


def _end_tag(actual: str) -> str:
    """The closing marker, carrying the span's ActualText as a PDF text string (UTF-16BE with
    its byte-order mark) in hex, which needs no escaping in the markup or the PDF."""
    label = ("\ufeff" + actual).encode("utf-16-be").hex().upper()
    return f'<onDraw name="{_END}" label="{label}"/>'


def _spanned(logical: str, visual: str, bold: bool, base: str = "R") -> str:
    """``visual`` as markup in one span whose ActualText is ``logical``'s letters (as recorded,
    not presentation forms) in the glyphs' order. The readers that order text (poppler, mupdf,
    pdfium) take a span's characters to stand left to right like its glyphs and run the bidi
    algorithm over the line, which gives logical order back; an ActualText in logical order came
    out reversed from all three (docs/pack.md)."""
    return _BEGIN_TAG + _markup_visual(visual, bold) + _end_tag(get_display(logical, base_dir=base))


@lru_cache(maxsize=4096)
def _line_markup(line: str, bold: bool) -> str:
    """Markup for one logical line (no newline) holding right-to-left text; names recur."""
    rtl = _mostly_rtl(line)
    if rtl:
        return _rtl_markup_line(line, _visual(line, True), bold)
    return _spans(line, _visual(line, False), {m.group() for m in _RTL_RUN.finditer(line)},
                  bold, "L")


def _rtl_markup_line(logical: str, visual: str, bold: bool) -> str:
    """A right-to-left line; a span for each word's right-to-left stretch (pdfium orders the
    words of a right-to-left line itself: from one span over several words it gets them
    backwards, and punctuation inside a span lands on the wrong side)."""
    runs = {m.group() for word in logical.split() for m in _RTL_RUN.finditer(word)}
    return _spans(logical, visual, runs, bold, "R")


def _spans(logical: str, visual: str, runs: set[str], bold: bool, base: str) -> str:
    """Markup for ``visual``, the line ``logical`` in visual order, with each of ``runs`` (its
    right-to-left runs, as recorded) in a span where its glyphs are. A run is found by its
    reordered, shaped form, longest first, so identical glyphs get identical text; if that
    leaves a right-to-left character outside every span, the whole line is one span instead:
    coarser, and still the right text."""
    found: dict[int, tuple[int, str]] = {}  # start in visual -> (end, run)
    taken = bytearray(len(visual))
    forms = sorted(((_visual(run, True), run) for run in runs), key=lambda f: (-len(f[0]), f))
    for form, run in forms:
        start = visual.find(form) if form else -1
        while start != -1:
            end = start + len(form)
            if not any(taken[start:end]):
                found[start] = (end, run)
                taken[start:end] = b"\x01" * len(form)
            start = visual.find(form, start + 1)
    if not all(taken[m.start()] for m in _RTL.finditer(visual)):
        return _spanned(logical, visual, bold, base)
    out: list[str] = []
    done = 0
    for start in sorted(found):
        end, run = found[start]
        if start > done:
            out.append(_markup_visual(visual[done:start], bold))
        out.append(_spanned(run, visual[start:end], bold))
        done = end
    if done < len(visual):
        out.append(_markup_visual(visual[done:], bold))
    return "".join(out)


def markup(text: str, *, bold: bool = False) -> str:
    """Paragraph markup for one piece of text, each line reordered for display as a whole
    (names, short values, left-to-right paragraphs)."""
    text = clean(text)
    if not _RTL.search(text):
        return _markup_visual(text, bold)
    return "<br/>".join(_line_markup(line, bold) if _RTL.search(line)
                        else _markup_visual(line, bold) for line in text.split("\n"))


def install(canvas: Canvas) -> None:
    """Registers the callbacks that put each right-to-left run drawn on ``canvas`` in a
    ``/Span`` with its ``/ActualText``; every canvas that draws this module's markup needs it.

    The opening marker may be drawn in another text object than the closing one (a line broken
    just before the run, and the paragraph split there across pages): that run then gets no
    span rather than an unbalanced one.
    """
    opened: list[tuple[Any, int]] = []

    def begin(canv: Canvas, _kind: str, _label: str | None) -> None:
        tx = canv._curr_tx_info["tx"]
        opened[:] = [(tx, len(tx._code))]

    def end(canv: Canvas, _kind: str, label: str | None) -> None:
        tx = canv._curr_tx_info["tx"]
        if opened and opened[0][0] is tx:
            tx._code.insert(opened[0][1], f"/Span <</ActualText <{label}>>> BDC")
            tx._code.append("EMC")
        opened.clear()

    canvas.setNamedCB(_BEGIN, begin)
    canvas.setNamedCB(_END, end)


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
    lines: list[tuple[str, str]] = []  # (as recorded, shaped), each in logical order
    for hard_line in text.split("\n"):
        # Arabic letters join only within a word, so shaping each word shapes the line.
        current: list[str] = []
        shaped: list[str] = []
        used = 0.0
        for word in hard_line.split():
            form = _shape(word)
            w = _width(form, size, bold)
            if current and used + space + w > width:
                lines.append((" ".join(current), " ".join(shaped)))
                current, shaped, used = [word], [form], w
            else:
                used += (space if current else 0.0) + w
                current.append(word)
                shaped.append(form)
        lines.append((" ".join(current), " ".join(shaped)))
    return "<br/>".join(
        _rtl_markup_line(logical, get_display(form, base_dir="R"), bold) if logical
        else _markup_visual("", bold)
        for logical, form in lines
    )
