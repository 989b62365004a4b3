"""Contrast, size and names: every text colour reaches WCAG 2.2 AA (4.5:1) on what it is drawn
on, no font size ignores the system font, and every control a keyboard reaches has a name a
screen reader can say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from ui import theme
from ui.theme import AA, contrast

UI = Path(__file__).resolve().parents[2] / "ui"
ROLE = QPalette.ColorRole
# (text, drawn on) for every palette text a user reads
PAIRS = ((ROLE.WindowText, ROLE.Window), (ROLE.Text, ROLE.Base), (ROLE.Text, ROLE.AlternateBase),
         (ROLE.PlaceholderText, ROLE.Base), (ROLE.ButtonText, ROLE.Button),
         (ROLE.HighlightedText, ROLE.Highlight), (ROLE.ToolTipText, ROLE.ToolTipBase),
         (ROLE.Link, ROLE.Base), (ROLE.WindowText, ROLE.Base))


@pytest.fixture
def app(qapp):  # type: ignore[no-untyped-def]
    theme.apply(qapp)
    return qapp


def test_contrast_is_measured_the_wcag_way() -> None:
    assert contrast(QColor("black"), QColor("white")) == pytest.approx(21, abs=0.01)
    assert contrast(QColor("#767676"), QColor("white")) == pytest.approx(4.54, abs=0.01)
    assert contrast(QColor(0, 0, 0, 128), QColor("white")) == pytest.approx(4.0, abs=0.05)


def test_the_palette_texts_are_readable(app) -> None:  # type: ignore[no-untyped-def]
    palette = app.palette()
    poor = {}
    disabled = ((ROLE.Text, ROLE.Base), (ROLE.WindowText, ROLE.Window),
                (ROLE.ButtonText, ROLE.Button))  # a read-only form is still read
    for group, pairs in ((QPalette.ColorGroup.Active, PAIRS), (QPalette.ColorGroup.Inactive, PAIRS),
                         (QPalette.ColorGroup.Disabled, disabled)):
        for text, background in pairs:
            ratio = contrast(palette.color(group, text), palette.color(group, background))
            if ratio < AA:
                poor[f"{group.name} {text.name} on {background.name}"] = round(ratio, 2)
    assert poor == {}


def _rules(style: str) -> dict[str, dict[str, str]]:
    rules = {}
    for selector, body in re.findall(r"([^{}]+)\{([^}]*)\}", style):
        props = dict(re.findall(r"([\w-]+)\s*:\s*([^;]+);", body))
        rules[selector.strip()] = {k: v.strip() for k, v in props.items()}
    return rules


def test_the_stylesheet_colours_are_readable(app) -> None:  # type: ignore[no-untyped-def]
    palette = app.palette()
    window, text = palette.color(ROLE.Window), palette.color(ROLE.WindowText)
    rules = _rules(theme.STYLE)
    poor = {}
    for selector, props in rules.items():
        fg, bg = props.get("color"), props.get("background")
        if (fg is None and bg is None) or "palette(" in f"{fg}{bg}":
            continue
        # a bar's text may be coloured by its parent's rule (#messageBar QLabel)
        parent = rules.get(selector.split("[")[0].split()[0], {})
        fg_colour = QColor(fg or parent.get("color") or text.name())
        for background in ([QColor(bg)] if bg else [window, palette.color(ROLE.Base)]):
            ratio = contrast(fg_colour, background)
            if ratio < AA:
                poor[selector] = round(ratio, 2)
    assert poor == {}


def test_the_category_headings_are_readable(app) -> None:  # type: ignore[no-untyped-def]
    from ui.categories_widget import CategoryList

    listing = CategoryList()
    base = listing.palette().color(ROLE.Base)
    for row in range(listing.count()):
        item = listing.item(row)
        painted = item.foreground().style() != Qt.BrushStyle.NoBrush
        if painted:
            colour = item.foreground().color()
        elif item.flags() & Qt.ItemFlag.ItemIsEnabled:
            colour = listing.palette().color(ROLE.Text)
        else:  # drawn as disabled
            colour = listing.palette().color(QPalette.ColorGroup.Disabled, ROLE.Text)
        assert contrast(colour, base) >= AA, item.text()


def test_the_body_map_marks_are_readable(app) -> None:  # type: ignore[no-untyped-def]
    from ui.body_map import FIGURE_FILL, MARK_FILL, MARK_TEXT

    assert contrast(MARK_TEXT, MARK_FILL) >= AA
    assert contrast(app.palette().color(ROLE.Text), FIGURE_FILL) >= AA


def test_the_focus_ring_stands_out(app, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QLineEdit, QPushButton, QVBoxLayout

    palette = app.palette()
    for background in (ROLE.Window, ROLE.Base, ROLE.Button):
        assert contrast(QColor(theme.FOCUS), palette.color(background)) >= 3.0  # WCAG 1.4.11
    box = QWidget()
    qtbot.addWidget(box)
    layout = QVBoxLayout(box)
    button, edit = QPushButton("Press me", box), QLineEdit(box)
    layout.addWidget(button)
    layout.addWidget(edit)
    box.show()
    box.activateWindow()
    qtbot.waitExposed(box)
    ring = QColor(theme.FOCUS).rgb()
    for widget in (button, edit):
        widget.setFocus()
        qtbot.waitUntil(widget.hasFocus)
        image = widget.grab().toImage()
        edge = [image.pixel(x, image.height() // 2) for x in range(4)]
        assert ring in edge, type(widget).__name__


def test_no_font_size_ignores_the_system_font() -> None:
    fixed = re.compile(r"setPointSize\(\s*\d|setPixelSize\(|setPointSizeF\(\s*\d|font-size|"
                       r"QFont\(\s*\"[^\"]*\"\s*,\s*\d")
    found = [f"{path.name}: {line.strip()}" for path in UI.glob("*.py")
             for line in path.read_text(encoding="utf-8").splitlines() if fixed.search(line)]
    assert found == []


def test_every_focusable_control_has_a_name(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    from tests.ui.walk import shown, walk

    nameless: dict[str, list[str]] = {}

    def check(screen: str, window: QWidget) -> None:
        for widget in shown(window):
            if not widget.focusPolicy() & Qt.FocusPolicy.TabFocus or not widget.isEnabled():
                continue
            if widget.focusProxy() is not None:
                continue  # the proxy is the control that takes the focus
            face = QAccessible.queryAccessibleInterface(widget)
            name = face.text(QAccessible.Text.Name) if face is not None else ""
            if not name.strip():
                what = f"{type(widget).__name__} {widget.objectName()} in " \
                       f"{type(widget.parentWidget()).__name__}"
                nameless.setdefault(screen, []).append(what)

    walk(qtbot, make_window, check)
    assert nameless == {}, "\n".join(f"{k}: {v}" for k, v in nameless.items())
    QApplication.processEvents()
