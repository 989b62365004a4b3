"""The fonts shipped under resources/fonts, registered with reportlab once per process."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from app.errors import ConcernDeskError
from app.paths import resource_path

# Names the pack's styles use; prefixed so they never clash with fonts someone else registers.
BODY = "CD-Sans"
BODY_BOLD = "CD-Sans-Bold"
ARABIC = "CD-Arabic"
ARABIC_BOLD = "CD-Arabic-Bold"
FALLBACK = "CD-Fallback"

_FILES = {
    BODY: "NotoSans-Regular.ttf",
    BODY_BOLD: "NotoSans-Bold.ttf",
    ARABIC: "NotoSansArabic-Regular.ttf",
    ARABIC_BOLD: "NotoSansArabic-Bold.ttf",
    FALLBACK: "DejaVuSans.ttf",
}


@dataclass(frozen=True)
class Coverage:
    """Which code points each shipped font can draw (its cmap)."""

    body: frozenset[int]
    arabic: frozenset[int]
    fallback: frozenset[int]


def _bmp(font: TTFont) -> frozenset[int]:
    """The font's characters up to U+FFFF. reportlab writes a malformed ToUnicode entry for
    characters beyond (e.g. emoji), so those are printed as code points instead."""
    return frozenset(cp for cp in font.face.charToGlyph if cp <= 0xFFFF)


_lock = threading.Lock()
_coverage: Coverage | None = None


def register_fonts() -> Coverage:
    """Registers the family with reportlab (idempotent, thread-safe) and returns its coverage."""
    global _coverage
    with _lock:
        if _coverage is not None:
            return _coverage
        folder = resource_path("fonts")
        fonts: dict[str, TTFont] = {}
        for name, filename in _FILES.items():
            path = folder / filename
            try:
                fonts[name] = TTFont(name, str(path))
            except (OSError, TTFError) as error:
                raise ConcernDeskError(
                    f"the pack's font {filename} is missing from {folder}: reinstall ConcernDesk"
                ) from error
            pdfmetrics.registerFont(fonts[name])
        pdfmetrics.registerFontFamily(
            BODY, normal=BODY, bold=BODY_BOLD, italic=BODY, boldItalic=BODY_BOLD
        )
        pdfmetrics.registerFontFamily(
            ARABIC, normal=ARABIC, bold=ARABIC_BOLD, italic=ARABIC, boldItalic=ARABIC_BOLD
        )
        _coverage = Coverage(
            body=_bmp(fonts[BODY]), arabic=_bmp(fonts[ARABIC]), fallback=_bmp(fonts[FALLBACK]),
        )
        return _coverage
