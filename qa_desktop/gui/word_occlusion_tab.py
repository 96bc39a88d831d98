"""The Inspector's "Why this answer?" tab: what occlusion will cost (stated before it runs), then
the question and the passage with every word shaded by how much masking it lowered the answer's
score, and the words sorted by that drop (OcclusionWordList).

A view only: WindowExplanations plans and runs the occlusion in the background.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QTextBrowser, QVBoxLayout, QWidget

from qa_desktop.gui.color_theme import ColorTheme, current_theme
from qa_desktop.gui.occlusion_words import OcclusionWordList
from qa_desktop.gui.operation_progress import OperationProgress

if TYPE_CHECKING:
    from qa_desktop.engine.occlusion import OcclusionPlan
    from qa_desktop.gui.explain_operations import ShownOcclusion

IDLE_TEXT = ("“Why this answer?” masks each word of the answer's window in turn and measures how much the "
             "answer's score (start logit + end logit) drops. Ask a question, then press the button or use "
             "Explain → Why this answer?")


class WordOcclusionTab(QWidget):
    runRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._theme = current_theme()
        self.plan: "OcclusionPlan | None" = None
        self.shown_occlusion: "ShownOcclusion | None" = None

        self.message = QLabel(IDLE_TEXT)
        self.message.setObjectName("OcclusionMessage")
        self.message.setWordWrap(True)
        self.run_button = QPushButton("Why this answer?")
        self.run_button.setObjectName("OcclusionRun")
        self.run_button.setEnabled(False)
        self.run_button.clicked.connect(self.runRequested)
        self.progress = OperationProgress()
        top = QHBoxLayout()
        top.addWidget(self.run_button)
        top.addWidget(self.progress)
        top.addStretch(1)

        self.question_view = QLabel()
        self.question_view.setObjectName("OcclusionQuestion")
        self.question_view.setTextFormat(Qt.TextFormat.RichText)
        self.question_view.setWordWrap(True)
        self.passage_view = QTextBrowser()
        self.passage_view.setObjectName("OcclusionPassage")
        self.words = OcclusionWordList()
        texts = QWidget()
        texts_layout = QVBoxLayout(texts)
        texts_layout.setContentsMargins(0, 0, 0, 0)
        texts_layout.addWidget(self.question_view)
        texts_layout.addWidget(self.passage_view, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(texts)
        split.addWidget(self.words)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)

    def show_plan(self, plan: "OcclusionPlan") -> None:
        """The cost, stated before anything runs."""
        self.plan = plan
        questions = int((plan.side == 0).sum())
        self.message.setText(
            f"Masking {len(plan.texts)} words ({questions} of the question, {len(plan.texts) - questions} of "
            f"window {plan.window + 1} of the passage) with {plan.mask_token} reads {plan.extra_windows} extra "
            f"windows (each word once, plus the unmasked window). Press “Run” to start.")
        self.run_button.setText(f"Run ({plan.extra_windows} windows)")
        self.run_button.setEnabled(True)

    def show_occlusion(self, shown: "ShownOcclusion") -> None:
        self.shown_occlusion = shown
        occlusion = shown.occlusion
        self.question_view.setText("<b>Question:</b> " + shown.question_html)
        self.passage_view.setHtml(shown.passage_html)
        self.words.set_occlusion(occlusion)
        top = occlusion.ranked()[:3]
        words = ", ".join(f"“{html.escape(occlusion.texts[i])}” ({occlusion.drop[i]:+.2f})" for i in top)
        self.message.setText(f"The answer's score unmasked: {occlusion.base_score:.3f}. "
                             f"Masking these lowered it most: {words}.")
        self.run_button.setText("Run again")

    def show_busy(self, text: str) -> None:
        self.run_button.setEnabled(False)
        self.progress.start(text, delay_ms=0)

    def stop_busy(self) -> None:
        self.progress.stop()
        self.run_button.setEnabled(True)

    def show_message(self, text: str) -> None:
        self.message.setText(text)

    def clear(self, answered: bool = False) -> None:
        """Nothing shown; the button asks for a plan when there is an answer to explain."""
        self.plan = None
        self.shown_occlusion = None
        self.message.setText(IDLE_TEXT)
        self.question_view.clear()
        self.passage_view.clear()
        self.words.setRowCount(0)
        self.run_button.setText("Why this answer?")
        self.run_button.setEnabled(answered)

    def set_theme(self, theme: ColorTheme) -> None:
        self._theme = theme
        self.words._theme = theme  # the next list drawn uses it
