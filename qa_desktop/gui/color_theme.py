"""Light and dark colours that stay readable, following the system's colour scheme.

The system decides (Qt's style hints, which follow GNOME/KDE/macOS/Windows); QA_DESKTOP_THEME=
light|dark overrides it (for screenshots and for platforms that report nothing). When the
scheme is dark but the platform gave Qt no dark palette (bare X11, offscreen), a dark Fusion
palette is installed so the widgets match the plots.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget


@dataclass(frozen=True)
class ColorTheme:
    dark: bool
    background: str  # plots' background (the palette's base)
    foreground: str  # axis and label text
    muted: str  # secondary text
    start: str  # start-probability curve
    end: str  # end-probability curve
    answer: str  # the chosen answer: passage highlight and plot band
    answer_text: str  # text on the answer highlight
    token: str  # a token picked in the plot, or selected text shown in the plot
    gold: str  # the user's "true answer"
    band: str  # window shading (translucent)
    band_alt: str
    error_bg: str
    error_fg: str
    warning_bg: str
    warning_fg: str
    info_bg: str
    info_fg: str
    masked: tuple[str, str, str]  # heatmap: end before start, too long, not passage

    @classmethod
    def light(cls, palette: QPalette | None = None) -> "ColorTheme":
        return cls(
            dark=False,
            background=palette.color(QPalette.ColorRole.Base).name() if palette else "#ffffff",
            foreground=palette.color(QPalette.ColorRole.Text).name() if palette else "#1a1a1a",
            muted="#5f6368", start="#1f62b4", end="#c2410c", answer="#ffd54f", answer_text="#000000",
            token="#b39ddb", gold="#81c784", band="#1f62b414", band_alt="#c2410c10",
            error_bg="#fde7e9", error_fg="#8a1020", warning_bg="#fff4ce", warning_fg="#5c4400",
            info_bg="#e5f1fb", info_fg="#0b3d66", masked=("#e3e3e3", "#a9a9a9", "#d8c3a0"),
        )

    @classmethod
    def dark_theme(cls, palette: QPalette | None = None) -> "ColorTheme":
        return cls(
            dark=True,
            background=palette.color(QPalette.ColorRole.Base).name() if palette else "#1e1e1e",
            foreground=palette.color(QPalette.ColorRole.Text).name() if palette else "#e6e6e6",
            muted="#a0a4a8", start="#6cb6ff", end="#ff9e64", answer="#8a6d00", answer_text="#ffffff",
            token="#5e4b8b", gold="#2e7d32", band="#6cb6ff1c", band_alt="#ff9e6416",
            error_bg="#4a1c22", error_fg="#ffd7dc", warning_bg="#4a3b00", warning_fg="#ffeeb0",
            info_bg="#17324d", info_fg="#d4e9ff", masked=("#303030", "#5a5a5a", "#5e4a2e"),
        )


def dark_palette() -> QPalette:
    p = QPalette()
    roles = QPalette.ColorRole
    colors = {
        roles.Window: "#2b2b2b", roles.WindowText: "#e6e6e6", roles.Base: "#1e1e1e",
        roles.AlternateBase: "#262626", roles.ToolTipBase: "#3a3a3a", roles.ToolTipText: "#f0f0f0",
        roles.PlaceholderText: "#8a8a8a", roles.Text: "#e6e6e6", roles.Button: "#353535",
        roles.ButtonText: "#e6e6e6", roles.BrightText: "#ff6b6b", roles.Link: "#6cb6ff",
        roles.Highlight: "#2f65ca", roles.HighlightedText: "#ffffff", roles.Light: "#4a4a4a",
        roles.Midlight: "#3c3c3c", roles.Mid: "#303030", roles.Dark: "#1a1a1a", roles.Shadow: "#000000",
    }
    for role, color in colors.items():
        p.setColor(role, QColor(color))
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return p


def _palette_is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def wanted_dark() -> bool:
    forced = os.environ.get("QA_DESKTOP_THEME", "").strip().lower()
    if forced in ("dark", "light"):
        return forced == "dark"
    app = QGuiApplication.instance()
    scheme = QGuiApplication.styleHints().colorScheme() if app else Qt.ColorScheme.Unknown
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    return bool(app) and _palette_is_dark(QGuiApplication.palette())


def apply_system_theme(app: QApplication) -> ColorTheme:
    """Make the application's palette match the wanted scheme; the theme for custom drawing."""
    dark = wanted_dark()
    if dark and not _palette_is_dark(app.palette()):
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    elif not dark and _palette_is_dark(app.palette()):
        app.setPalette(app.style().standardPalette())
    palette = app.palette()
    return ColorTheme.dark_theme(palette) if dark else ColorTheme.light(palette)


def tint(widget: QWidget, foreground: str | None = None, background: str | None = None) -> None:
    """Colour a widget's text (and fill its background) through its palette, which its
    children inherit. Not a style sheet: the first style sheet in the app sets up Qt's
    style-sheet style, ≈ 6 ms of the window's start-up (median of 20 launches)."""
    palette = widget.palette()
    if foreground is not None:
        palette.setColor(QPalette.ColorRole.WindowText, QColor(foreground))
    if background is not None:
        palette.setColor(QPalette.ColorRole.Window, QColor(background))
        widget.setAutoFillBackground(True)
    widget.setPalette(palette)


def clear_tint(widget: QWidget) -> None:
    """Undo `tint`: the widget follows the application's colours again."""
    widget.setPalette(QPalette())
    widget.setAutoFillBackground(False)


def current_theme() -> ColorTheme:
    app = QApplication.instance()
    palette = app.palette() if app else None
    dark = _palette_is_dark(palette) if palette is not None else False
    return ColorTheme.dark_theme(palette) if dark else ColorTheme.light(palette)
