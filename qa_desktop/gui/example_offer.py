"""What an empty window offers a new user: "Try an example", a few sample passages with their
questions, each one click to load and ask. It shows itself while the passage is empty."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout

from qa_desktop.gui.color_theme import ColorTheme, current_theme, tint
from qa_desktop.gui.sample_passage import SAMPLES


class ExampleOffer(QFrame):
    chosen = Signal(object, str)  # Sample, the question to ask

    def __init__(self, editor: QPlainTextEdit, parent=None):
        super().__init__(parent)
        self.setObjectName("ExampleOffer")
        self.editor = editor
        # The label above the buttons, not beside them: one row of both made the passage side
        # (and so the window) wider than a small laptop screen.
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 4, 8, 4)
        outer.addWidget(QLabel("<b>New here?</b> Try an example:"))
        layout = QHBoxLayout()
        outer.addLayout(layout)
        self.buttons: list[QPushButton] = []
        for sample in SAMPLES:
            button = QPushButton(sample.title)
            button.setToolTip(f"Load this passage and ask “{sample.questions[0]}”. Also try: "
                              + " · ".join(sample.questions[1:]))
            button.clicked.connect(lambda _=False, s=sample: self.chosen.emit(s, s.questions[0]))
            layout.addWidget(button)
            self.buttons.append(button)
        layout.addStretch(1)
        editor.textChanged.connect(self._passage_changed)
        self.set_theme(current_theme())
        self._passage_changed()

    def _passage_changed(self) -> None:
        self.setVisible(self.editor.document().isEmpty())

    def set_theme(self, theme: ColorTheme) -> None:
        tint(self, theme.info_fg, theme.info_bg)
