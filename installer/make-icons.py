"""Renders resources/icons/concerndesk.svg to the PNG, ICO and ICNS files the installers use.

Run from the repository root when the SVG changes (the outputs are committed):
    QT_QPA_PLATFORM=offscreen .venv/bin/python installer/make-icons.py
Qt's SVG renderer draws the PNGs (QtSvg is in pyside6-essentials); Pillow, already installed
with reportlab, packs them into the Windows .ico and the macOS .icns.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "concerndesk.svg"))
    if not renderer.isValid():
        print("the SVG did not load", file=sys.stderr)
        return 1
    pngs = []
    for size in SIZES:
        path = ICONS / f"concerndesk-{size}.png"
        if not render(renderer, size).save(str(path)):
            print(f"could not write {path}", file=sys.stderr)
            return 1
        pngs.append(path)
    big = Image.open(ICONS / "concerndesk-256.png")
    big.save(ICONS / "concerndesk.ico", sizes=[(s, s) for s in SIZES])
    big.save(ICONS / "concerndesk.icns")
    print("\n".join(str(p) for p in [*pngs, ICONS / "concerndesk.ico", ICONS / "concerndesk.icns"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
