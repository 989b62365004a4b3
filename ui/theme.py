"""Look: the Fusion style and a few named styles. Sizes follow the system font (no pixel fonts),
so text scales with the user's settings; states are always spelt out in words as well.

Every text colour reaches WCAG 2.2 AA contrast (4.5:1) against what it is drawn on: the style's
own palette is corrected where it falls short (placeholders, the selection), and the colours set
here are chosen to pass (tests/ui/test_accessibility.py measures them). A focused control gets a
ring two pixels wide in a colour that stands out from the window (3:1 at least)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen
from PySide6.QtWidgets import QApplication, QLabel, QProxyStyle, QStyle, QStyleOption, QWidget

AA = 4.5  # WCAG 2.2 AA, normal text
FOCUS = "#1a4fa0"
STYLE = """
#demoBanner { background: #7a1f00; color: #ffffff; font-weight: bold; padding: 4px; }
#messageBar { border: 1px solid #767676; border-radius: 4px; padding: 2px; color: #1b1b1b; }
#messageBar QLabel { color: #1b1b1b; }
#messageBar[kind="error"] { background: #fde7e7; border-color: #b00020; }
#messageBar[kind="success"] { background: #e6f4ea; border-color: #1e7b34; }
#messageBar[kind="info"] { background: #e8f0fe; border-color: #1a56b0; }
#fieldMessage { color: #9b0016; }
#doNotContact { background: #fde7e7; color: #7a0012; border: 1px solid #b00020;
                border-radius: 4px; padding: 4px; font-weight: bold; }
#lockPanel, #signinPanel { background: palette(base); border: 1px solid palette(mid);
                           border-radius: 6px; }
#navList { border: none; background: palette(window); }
#leaverCard { border: 1px solid #767676; border-left-width: 6px; border-radius: 4px;
              background: #eef2f8; border-left-color: #1a56b0; }
#leaverCard[level="amber"] { background: #fff4e0; border-left-color: #a35a00; }
#leaverCard[level="red"] { background: #fde7e7; border-left-color: #b00020; }
#leaverCard QLabel { color: #1b1b1b; }
#leaverBanner { background: #fff4e0; color: #1b1b1b; border: 1px solid #a35a00;
                border-radius: 4px; padding: 4px; }
QStatusBar QLabel { padding: 0 8px; }
"""


# -- contrast (WCAG 2.2 relative luminance) ---------------------------------------------------
def luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return (0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) +
            0.0722 * channel(colour.blueF()))


def over(colour: QColor, background: QColor) -> QColor:
    """A translucent colour as it shows on ``background``."""
    alpha = colour.alphaF()
    return QColor.fromRgbF(*(alpha * a + (1 - alpha) * b for a, b in
                             ((colour.redF(), background.redF()),
                              (colour.greenF(), background.greenF()),
                              (colour.blueF(), background.blueF()))))


def contrast(text: QColor, background: QColor) -> float:
    lighter, darker = sorted((luminance(over(text, background)), luminance(background)),
                             reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def mix(colour: QColor, toward: QColor, share: float) -> QColor:
    return QColor.fromRgbF(*((1 - share) * a + share * b for a, b in
                             ((colour.redF(), toward.redF()), (colour.greenF(), toward.greenF()),
                              (colour.blueF(), toward.blueF()))))


def readable(text: QColor, background: QColor, toward: QColor, ratio: float = AA) -> QColor:
    """``text`` moved toward ``toward`` just far enough to reach ``ratio`` on ``background``."""
    shown = over(text, background)
    for step in range(21):
        candidate = mix(shown, toward, step / 20)
        if contrast(candidate, background) >= ratio + 0.05:
            return candidate
    return QColor(toward)


def fixed_palette(palette: QPalette) -> QPalette:
    """The style's palette with placeholders, the selection and greyed-out text made readable
    (Fusion's are about 4.0:1, 3.7:1 and 1.6:1)."""
    fixed = QPalette(palette)
    role = QPalette.ColorRole
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        base, text = fixed.color(group, role.Base), fixed.color(group, role.Text)
        fixed.setColor(group, role.PlaceholderText,
                       readable(fixed.color(group, role.PlaceholderText), base, text))
        chosen = fixed.color(group, role.HighlightedText)
        away = QColor("black") if luminance(chosen) > 0.5 else QColor("white")
        # the selection's background moves away from its text until the text reads on it
        highlight = fixed.color(group, role.Highlight)
        for step in range(21):
            candidate = mix(highlight, away, step / 20)
            if contrast(chosen, candidate) >= AA + 0.05:
                break
        fixed.setColor(group, role.Highlight, candidate)
    # Greyed-out text stays readable: a read-only referral is content a DSL must read, and
    # Fusion's disabled grey is 1.6:1. It stays lighter than live text, so still looks "off".
    off = QPalette.ColorGroup.Disabled
    for text_role, background_role in ((role.Text, role.Base), (role.WindowText, role.Window),
                                       (role.ButtonText, role.Button)):
        toward = fixed.color(QPalette.ColorGroup.Active, text_role)
        fixed.setColor(off, text_role, readable(fixed.color(off, text_role),
                                                fixed.color(off, background_role), toward))
    return fixed


class FocusRingStyle(QProxyStyle):
    """Fusion, with a ring two pixels wide around whatever has the keyboard focus."""

    FRAMED = (QStyle.PrimitiveElement.PE_FrameFocusRect,
              QStyle.PrimitiveElement.PE_PanelButtonCommand,
              QStyle.PrimitiveElement.PE_FrameLineEdit,
              QStyle.PrimitiveElement.PE_PanelLineEdit)

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption,
                      painter: QPainter, widget: QWidget | None = None) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if element in self.FRAMED and option.state & QStyle.StateFlag.State_HasFocus:
            painter.save()
            painter.setPen(QPen(QColor(FOCUS), 2))
            painter.setBrush(QColor(0, 0, 0, 0))
            painter.drawRoundedRect(option.rect.adjusted(1, 1, -1, -1), 2, 2)
            painter.restore()


def apply(app: QApplication) -> None:
    app.setStyle(FocusRingStyle("Fusion"))
    app.setPalette(fixed_palette(app.palette()))  # the system's colours, made readable
    app.setStyleSheet(STYLE)


def year_label(year_group: str) -> str:
    """"Y4" for a roster's "4" or "Y4"; nursery and reception codes as they are."""
    return f"Y{year_group}" if year_group[:1].isdigit() else year_group


def heading(text: str, parent: QWidget | None = None, scale: float = 1.5) -> QLabel:
    """A heading sized relative to the system font, so it scales with it."""
    label = QLabel(text, parent)
    font = QFont(label.font())
    font.setPointSizeF(max(font.pointSizeF(), 8.0) * scale)
    font.setBold(True)
    label.setFont(font)
    label.setAccessibleName(text)
    return label


def muted(text: str, parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setForegroundRole(label.foregroundRole())
    return label
