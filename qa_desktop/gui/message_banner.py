"""A message strip at the top of the window: what went wrong (or what to do next), in words.

Errors a user can cause are shown here rather than in modal dialogs, so they never interrupt
typing and never hide the passage. Optional buttons offer the fix ("Open model directory…").
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QToolButton

from qa_desktop.gui.color_theme import ColorTheme, current_theme

LEVELS = ("error", "warning", "info")


class MessageBanner(QFrame):
    closed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("MessageBanner")
        self.level = "info"
        self.source = ""  # who showed the message ("answer": a warning about the answer on screen)
        self._theme = current_theme()
        self._label = QLabel()
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._buttons: list[QPushButton] = []
        self._close = QToolButton()
        self._close.setText("✕")
        self._close.setToolTip("Dismiss")
        self._close.setAutoRaise(True)
        self._close.clicked.connect(self.dismiss)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 6, 6)
        self._layout.addWidget(self._label, 1)
        self._layout.addWidget(self._close)
        self.hide()

    @property
    def text(self) -> str:
        return self._label.text()

    def show_message(self, text: str, level: str = "error",
                     actions: list[tuple[str, Callable[[], None]]] | None = None, source: str = "") -> None:
        if level not in LEVELS:
            level = "error"
        self.level = level
        self.source = source
        self._label.setText(text)
        for button in self._buttons:
            self._layout.removeWidget(button)
            button.deleteLater()
        self._buttons = []
        for label, callback in actions or []:
            button = QPushButton(label)
            button.clicked.connect(callback)
            self._layout.insertWidget(self._layout.count() - 1, button)
            self._buttons.append(button)
        self._restyle()
        self.show()

    def dismiss(self) -> None:
        self.source = ""
        self.hide()
        self.closed.emit()

    def set_theme(self, theme: ColorTheme) -> None:
        self._theme = theme
        if self.isVisible():  # a hidden banner is styled as it shows (a style sheet before the
            self._restyle()  # first paint would cost start-up time: color_theme.tint)

    def _restyle(self) -> None:
        t = self._theme
        bg, fg = {"error": (t.error_bg, t.error_fg), "warning": (t.warning_bg, t.warning_fg),
                  "info": (t.info_bg, t.info_fg)}[self.level]
        self.setStyleSheet(
            f"#MessageBanner {{ background: {bg}; border: 1px solid {fg}; border-radius: 4px; }}"
            f"#MessageBanner QLabel {{ color: {fg}; }}"
            f"#MessageBanner QToolButton {{ color: {fg}; }}"
        )
