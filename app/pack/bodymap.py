"""Body-map marks drawn as a front and a back child outline with numbered marks."""

from __future__ import annotations

from reportlab.graphics.shapes import Circle, Drawing, Ellipse, Line, Polygon, String
from reportlab.lib import colors

from app.pack import fonts
from app.pack.model import NumberedMark
from app.pack.styles import INK, MUTED, RULE

MARKS_PER_FIGURE = 30

# The right half of the silhouette below the head, in 0..1 box units (x right, y down),
# from the neck round the arm and leg to the crotch; the left half is its mirror image.
_HALF = [
    (0.55, 0.150), (0.56, 0.178), (0.72, 0.195), (0.79, 0.235), (0.84, 0.36), (0.88, 0.49),
    (0.915, 0.525), (0.905, 0.56), (0.87, 0.565), (0.845, 0.535), (0.825, 0.50), (0.775, 0.38),
    (0.73, 0.29), (0.70, 0.33), (0.685, 0.45), (0.70, 0.56), (0.685, 0.76), (0.665, 0.925),
    (0.71, 0.965), (0.70, 0.985), (0.565, 0.985), (0.555, 0.93), (0.54, 0.76), (0.505, 0.60),
]


def _silhouette(x0: float, y0: float, w: float, h: float) -> list:
    def pt(x: float, y: float) -> tuple[float, float]:
        return x0 + x * w, y0 + (1 - y) * h

    right = _HALF
    left = [(1 - x, y) for x, y in reversed(_HALF)]
    points: list[float] = []
    for x, y in [*right, *left]:
        points.extend(pt(x, y))
    hx, hy = pt(0.5, 0.085)
    return [
        Polygon(points, strokeColor=INK, strokeWidth=1, fillColor=colors.white),
        Ellipse(hx, hy, 0.105 * w, 0.066 * h, strokeColor=INK, strokeWidth=1,
                fillColor=colors.white),
    ]


def figure(marks: list[NumberedMark], *, width: float, height: float = 300) -> Drawing:
    """A drawing with the front and back views and the given marks on them."""
    drawing = Drawing(width, height)
    # Otherwise reportlab starts the drawing in Times-Roman, a font the PDF would not embed.
    drawing.initialFontName, drawing.initialFontSize = fonts.BODY, 10
    fig_w, fig_h = 150.0, height - 40
    gap = (width - 2 * fig_w) / 3
    for i, side in enumerate(("front", "back")):
        x0, y0 = gap + i * (fig_w + gap), 24.0
        for shape in _silhouette(x0, y0, fig_w, fig_h):
            drawing.add(shape)
        if side == "back":  # the spine, so the two views differ at a glance
            drawing.add(Line(x0 + fig_w / 2, y0 + 0.82 * fig_h, x0 + fig_w / 2, y0 + 0.45 * fig_h,
                             strokeColor=RULE, strokeWidth=0.8, strokeDashArray=[3, 2]))
        else:  # eyes and mouth on the front view
            for ex in (0.46, 0.54):
                drawing.add(Circle(x0 + ex * fig_w, y0 + 0.92 * fig_h, 1.3, fillColor=INK,
                                   strokeColor=None))
            drawing.add(Line(x0 + 0.47 * fig_w, y0 + 0.885 * fig_h, x0 + 0.53 * fig_w,
                             y0 + 0.885 * fig_h, strokeColor=INK, strokeWidth=0.8))
        title = "FRONT" if side == "front" else "BACK"
        drawing.add(String(x0 + fig_w / 2, height - 12, title, fontName=fonts.BODY_BOLD,
                           fontSize=10, textAnchor="middle", fillColor=INK))
        viewer_left, viewer_right = (
            ("child's right", "child's left") if side == "front"
            else ("child's left", "child's right")
        )
        drawing.add(String(x0, 6, viewer_left, fontName=fonts.BODY, fontSize=7,
                           textAnchor="start", fillColor=MUTED))
        drawing.add(String(x0 + fig_w, 6, viewer_right, fontName=fonts.BODY, fontSize=7,
                           textAnchor="end", fillColor=MUTED))
        for item in marks:
            if item.mark.side != side:
                continue
            mx = x0 + min(max(item.mark.x, 0.0), 1.0) * fig_w
            my = y0 + (1 - min(max(item.mark.y, 0.0), 1.0)) * fig_h
            drawing.add(Circle(mx, my, 6.5, fillColor=colors.white, strokeColor=INK,
                               strokeWidth=1.2))
            size = 7 if item.number < 100 else 5.5
            drawing.add(String(mx, my - size * 0.35, str(item.number), fontName=fonts.BODY_BOLD,
                               fontSize=size, textAnchor="middle", fillColor=INK))
    return drawing
