"""The Inspector's qa_outputs tab: for the answer's start and end tokens, or a token clicked in the
plot or the passage, h · w_start + b_start dimension by dimension (HeadDimensionStrips), and the
window's tokens in 2-D with w_start and w_end as arrows (HeadProjectionView).

A view only: WindowExplanations decides what to compute and when. The two pyqtgraph views are
built on first use, so a window that never opens this tab never pays for them.
"""

from __future__ import annotations

import html

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from qa_desktop.gui.color_theme import ColorTheme, current_theme
from qa_desktop.gui.operation_progress import OperationProgress

if TYPE_CHECKING:  # the engine's explanation modules load with the first explanation
    from qa_desktop.gui.explain_operations import HeadExplanation

IDLE_TEXT = ("Ask a question: this tab then shows how qa_outputs turns the answer's start and end tokens' "
             "hidden vectors into logits. Click any token in the plot or the passage to see its numbers.")


class HeadInspectorTab(QWidget):
    shown = Signal()  # the tab became visible (the explanation is computed only then)
    tokenChosen = Signal(int)  # index into the explanation's tokens

    def __init__(self, parent=None):
        super().__init__(parent)
        self._theme = current_theme()
        self.explanation: "HeadExplanation | None" = None
        self.strips = None  # HeadDimensionStrips, built on first use
        self.projection = None  # HeadProjectionView, likewise

        self.token_choice = QComboBox()
        self.token_choice.setObjectName("HeadTokenChoice")
        self.token_choice.setMinimumContentsLength(24)
        self.token_choice.currentIndexChanged.connect(self._token_chosen)
        self.message = QLabel(IDLE_TEXT)
        self.message.setObjectName("HeadMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.progress = OperationProgress()
        top = QHBoxLayout()
        top.addWidget(QLabel("Token:"))
        top.addWidget(self.token_choice)
        top.addWidget(self.progress)
        top.addStretch(1)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.split, 1)

    def ensure_views(self) -> None:
        if self.strips is not None:
            return
        from qa_desktop.gui.head_dimension_strips import HeadDimensionStrips
        from qa_desktop.gui.head_projection_view import HeadProjectionView

        self.strips = HeadDimensionStrips()
        self.projection = HeadProjectionView()
        self.split.addWidget(self.strips)
        self.split.addWidget(self.projection)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        self.strips.set_theme(self._theme)
        self.projection.set_theme(self._theme)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.shown.emit()

    # -- what the controller shows --------------------------------------------------------------
    def show_explanation(self, explanation: "HeadExplanation", selected: int = 0) -> None:
        self.ensure_views()
        self.explanation = explanation
        self.token_choice.blockSignals(True)
        self.token_choice.clear()
        for item in explanation.tokens:
            d = item.decomposition
            self.token_choice.addItem(f"{item.role}: {d.token} (token {item.passage_token}, window {d.window})")
        self.token_choice.setCurrentIndex(max(0, min(selected, len(explanation.tokens) - 1)))
        self.token_choice.blockSignals(False)
        self._show_token(self.token_choice.currentIndex())

    @property
    def selected(self) -> int:
        return self.token_choice.currentIndex()

    def _token_chosen(self, index: int) -> None:
        if self.explanation is not None and index >= 0:
            self._show_token(index)
            self.tokenChosen.emit(index)

    def _show_token(self, index: int) -> None:
        item = self.explanation.tokens[index]
        d, weights = item.decomposition, self.explanation.weights
        self.strips.set_decomposition(weights, d, item.which)
        projection = self.explanation.projections.get(d.window)
        if projection is None:
            self.projection.clear()
        else:
            self.projection.set_projection(projection, item.which)
        self.message.setText(self._summary(item))

    def _summary(self, item) -> str:
        """The sums in words; for int8 models the exact fp32 product beside the model's int8 logit."""
        d, w = item.decomposition, self.explanation.weights
        lines = [f"qa_outputs = Linear({w.hidden_size}, 2); cos(w_start, w_end) = {w.cosine:+.3f}."]
        for which in ("start", "end"):
            exact = d.start_sum if which == "start" else d.end_sum
            model = d.model_start_logit if which == "start" else d.model_end_logit
            line = f"<b>{which}</b>: h · w_{which} + b_{which} = {exact:+.4f} (exact, fp32)"
            int8 = d.quantized_start_sum if which == "start" else d.quantized_end_sum
            if int8 is not None:
                line += f"; with h quantized to uint8 as the int8 head does: {int8:+.4f}"
            line += f"; the model's {'int8 ' if w.quantized else ''}logit: {model:+.4f}."
            lines.append(line)
        lines.append(html.escape(d.difference_explained()))
        return "<br>".join(lines)

    def show_busy(self, text: str) -> None:
        self.progress.start(text, delay_ms=0)

    def stop_busy(self) -> None:
        self.progress.stop()

    def show_message(self, text: str) -> None:
        self.message.setText(html.escape(text))

    def clear(self) -> None:
        self.explanation = None
        self.token_choice.blockSignals(True)
        self.token_choice.clear()
        self.token_choice.blockSignals(False)
        if self.strips is not None:
            self.strips.clear()
            self.projection.clear()
        self.message.setText(IDLE_TEXT)

    def set_theme(self, theme: ColorTheme) -> None:
        self._theme = theme
        if self.strips is not None:
            self.strips.set_theme(theme)
            self.projection.set_theme(theme)
