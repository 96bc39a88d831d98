"""The answer: the best span in words, the top-k spans in a table, and the no-answer verdict
with its threshold.

Clicking a row picks that answer (the window moves the highlight). The threshold control
re-judges the same run (Prediction.with_threshold semantics) without running the model.
"""

from __future__ import annotations

import html
import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QDoubleSpinBox, QHBoxLayout,
                               QHeaderView, QLabel, QSpinBox, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from qa_desktop.gui.color_theme import ColorTheme, current_theme
from qa_desktop.gui.prepared_answer import PreparedAnswer

COLUMNS = ("#", "Answer", "Probability", "Score", "Start p", "End p", "Window", "Characters")


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_probability(p: float) -> str:
    if p >= 0.001:
        return f"{p:.1%}"
    return f"{p:.1e}" if p > 0 else "0"


class AnswerPanel(QWidget):
    answerChosen = Signal(int)  # index into prediction.candidates
    thresholdChanged = Signal(object)  # float, or None for the model's own behaviour
    topKChanged = Signal(int)

    def __init__(self, parent=None, top_k: int = 5, threshold: float = 0.0, threshold_enabled: bool = False):
        super().__init__(parent)
        self._theme = current_theme()
        self.answer: PreparedAnswer | None = None

        self.summary = QLabel("Ask a question to see the answer here.")
        self.summary.setObjectName("AnswerSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.no_answer = QLabel("No answer in this passage")
        self.no_answer.setObjectName("NoAnswer")
        font = QFont(self.no_answer.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.no_answer.setFont(font)
        self.no_answer.hide()
        self.verdict = QLabel()
        self.verdict.setObjectName("Verdict")
        self.verdict.setWordWrap(True)
        self.stale = QLabel("The passage or question changed after this answer: ask again to update it.")
        self.stale.setWordWrap(True)
        self.stale.hide()

        self.top_k = QSpinBox()
        self.top_k.setRange(1, 50)
        self.top_k.setValue(top_k)
        self.top_k.setToolTip("How many answer spans to list")
        self.top_k.valueChanged.connect(self.topKChanged)
        self.abstain = QCheckBox("Abstain when no-answer wins by more than")
        self.abstain.setChecked(threshold_enabled)
        self.abstain.setToolTip(
            "The model abstains when its no-answer score minus the best span's score exceeds this "
            "threshold. Unchecked: the model's own setting.")
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(-100.0, 100.0)
        self.threshold.setDecimals(2)
        self.threshold.setSingleStep(0.5)
        self.threshold.setValue(threshold)
        self.threshold.setEnabled(threshold_enabled)
        self.abstain.toggled.connect(self._threshold_edited)
        self.threshold.valueChanged.connect(self._threshold_edited)
        self.model_default = QLabel()
        self.model_default.setObjectName("ModelDefault")

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("AnswerTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._row_selected)

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Top"))
        controls.addWidget(self.top_k)
        controls.addWidget(QLabel("answers"))
        controls.addSpacing(16)
        controls.addWidget(self.abstain)
        controls.addWidget(self.threshold)
        controls.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.no_answer)
        layout.addWidget(self.verdict)
        layout.addWidget(self.stale)
        layout.addLayout(controls)
        layout.addWidget(self.model_default)
        layout.addWidget(self.table, 1)
        self._restyle()

    # -- threshold -----------------------------------------------------------------------------
    def threshold_value(self) -> float | None:
        return float(self.threshold.value()) if self.abstain.isChecked() else None

    def _threshold_edited(self, *_):
        self.threshold.setEnabled(self.abstain.isChecked())
        self.thresholdChanged.emit(self.threshold_value())

    # -- showing ---------------------------------------------------------------------------------
    def show_answer(self, answer: PreparedAnswer, chosen: int = 0) -> None:
        self.answer = answer
        p = answer.prediction
        self.stale.hide()
        model = answer.model
        default = (f"Model default: abstains when no-answer wins by more than {model.null_threshold:g}."
                   if model.can_abstain else
                   "Model default: never abstains (it was not trained with unanswerable questions).")
        self.model_default.setText(default)
        timing = f"{p.timings.total_ms:.0f} ms"
        by = f"answered by <b>{html.escape(model.name)}</b> on {model.runtime.device} in {timing}"
        if p.abstained:
            self.no_answer.show()
            best = p.best
            if best is not None:
                self.verdict.setText(
                    f"No-answer score {p.no_answer_score:.2f} beats the best span ({best.score:.2f}) "
                    f"by {p.no_answer_score - best.score:.2f} > threshold {p.threshold:g} "
                    f"(no-answer probability {format_probability(p.no_answer_probability)}). "
                    "The spans the model considered are listed below, greyed.")
            else:
                self.verdict.setText("The model found no span it may answer with.")
            self.verdict.show()
            self.summary.setText(f"<span>{by}.</span>")
        else:
            self.no_answer.hide()
            best = p.best
            self.summary.setText(
                f"<span style='font-size:large'><b>{html.escape(_short(best.text))}</b></span>"
                f"&nbsp;&nbsp;{format_probability(best.probability)}<br>"
                f"<span>{by}.</span>")
            if p.can_abstain and math.isfinite(p.no_answer_score):
                self.verdict.setText(
                    f"No-answer score {p.no_answer_score:.2f} vs best span {best.score:.2f} "
                    f"(threshold {p.threshold:g}; no-answer probability "
                    f"{format_probability(p.no_answer_probability)}).")
                self.verdict.show()
            else:
                self.verdict.hide()
        self._fill_table(p, chosen)

    def _fill_table(self, prediction, chosen: int) -> None:
        rejected = prediction.abstained
        muted = QColor(self._theme.muted)
        self.table.blockSignals(True)
        self.table.setRowCount(len(prediction.candidates))
        for row, a in enumerate(prediction.candidates):
            values = (str(row + 1), _short(a.text, 300), format_probability(a.probability), f"{a.score:.2f}",
                      format_probability(a.start_prob), format_probability(a.end_prob), str(a.window + 1),
                      f"{a.start}–{a.end}")
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                if col != 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if col == 1:
                    item.setToolTip(a.text[:2000])
                if rejected:
                    item.setForeground(muted)
                self.table.setItem(row, col, item)
        if prediction.candidates:
            self.table.selectRow(max(0, min(chosen, len(prediction.candidates) - 1)))
        self.table.blockSignals(False)

    def selected_index(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def _row_selected(self) -> None:
        index = self.selected_index()
        if index is not None:
            self.answerChosen.emit(index)

    def mark_stale(self) -> None:
        if self.answer is not None:
            self.stale.show()

    def clear(self, message: str = "Ask a question to see the answer here.") -> None:
        self.answer = None
        self.summary.setText(html.escape(message))
        self.no_answer.hide()
        self.verdict.hide()
        self.stale.hide()
        self.table.setRowCount(0)

    def set_theme(self, theme: ColorTheme) -> None:
        self._theme = theme
        self._restyle()
        if self.answer is not None:
            self._fill_table(self.answer.prediction, self.selected_index() or 0)

    def _restyle(self) -> None:
        t = self._theme
        self.no_answer.setStyleSheet(
            f"QLabel {{ background: {t.warning_bg}; color: {t.warning_fg}; padding: 6px 10px; border-radius: 4px; }}")
        self.stale.setStyleSheet(f"QLabel {{ color: {t.warning_fg}; background: {t.warning_bg}; padding: 3px 8px; }}")
        self.verdict.setStyleSheet(f"QLabel {{ color: {t.muted}; }}")
        self.model_default.setStyleSheet(f"QLabel {{ color: {t.muted}; }}")
