"""Look: the Fusion style and a few named styles. Sizes follow the system font (no pixel fonts),
so text scales with the user's settings; states are always spelt out in words as well."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QLabel, QWidget

STYLE = """
#demoBanner { background: #7a1f00; color: white; font-weight: bold; padding: 4px; }
#messageBar { border: 1px solid #888; border-radius: 4px; padding: 2px; }
#messageBar[kind="error"] { background: #fde7e7; border-color: #b00020; }
#messageBar[kind="success"] { background: #e6f4ea; border-color: #1e7b34; }
#messageBar[kind="info"] { background: #e8f0fe; border-color: #1a56b0; }
#fieldMessage { color: #9b0016; }
#lockPanel, #signinPanel { background: palette(base); border: 1px solid palette(mid);
                           border-radius: 6px; }
#navList { border: none; background: palette(window); }
QStatusBar QLabel { padding: 0 8px; }
"""


def apply(app: QApplication) -> None:
    app.setStyle("Fusion")
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
