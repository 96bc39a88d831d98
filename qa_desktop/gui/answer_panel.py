"""The answer: the best span in words, the top-k answers in a table, and the no-answer verdict
in plain words ("The passage probably does not answer this (no-answer 87%)"), with the raw
scores one click away.

Clicking a row picks that answer (the window moves the highlight). Each answer may carry its
variants (overlapping spans folded into it by the decoder), listed on demand. The abstention
control shows the model's own rule until the user changes it, and re-judges the same run
(Prediction.judged) without running the model.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QDoubleSpinBox, QHBoxLayout,
                               QHeaderView, QLabel, QPushButton, QSpinBox, QTableWidget,
                               QTableWidgetItem, QToolButton, QVBoxLayout, QWidget)

from qa_desktop.gui.color_theme import ColorTheme, current_theme, tint

if TYPE_CHECKING:  # annotations only: one module fewer before the window's first paint
    from qa_desktop.gui.prepared_answer import PreparedAnswer


def _escape(text: str) -> str:
    import html  # here: html pulls in html.entities, which the first paint does not need

    return html.escape(text)


COLUMNS = ("#", "Answer", "Probability", "Score", "Start p", "End p", "Window", "Characters", "Variants")
VARIANTS_COLUMN = 8
MIN_VISIBLE_ROWS = 5
NEVER = math.inf  # the threshold that never abstains (the user unticked a model's abstention)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_probability(p: float) -> str:
    """A probability as people read it; the exact value stays in the Inspector and the export."""
    if p > 0.999:
        return ">99.9%"  # never "100.0%": the model is not certain
    if p >= 0.001:
        return f"{p:.1%}"
    return "<0.1%" if p > 0 else "0%"  # not "1.6e-07": a reader wants "almost none"


def plain_verdict(prediction) -> str:
    """The verdict in words, with the calibrated no-answer probability."""
    no_answer = format_probability(prediction.no_answer_probability)
    if prediction.abstained:
        if prediction.best is None:
            return "The model found no span it may answer with."
        return f"The passage probably does not answer this (no-answer {no_answer})."
    return f"Chance that the passage holds no answer: {no_answer}."


class AnswerPanel(QWidget):
    answerChosen = Signal(int)  # index into prediction.candidates
    thresholdChanged = Signal(object)  # float (NEVER: never abstain), or None for the model's own rule
    topKChanged = Signal(int)

    def __init__(self, parent=None, top_k: int = 5, threshold: float = 0.0, threshold_enabled: bool = False):
        super().__init__(parent)
        self._theme = current_theme()
        self.answer: PreparedAnswer | None = None
        # The model's own abstention rule is shown (and used) until the user changes it.
        self._following_model = not threshold_enabled
        self._model_rule: tuple[bool, float] | None = None  # (can_abstain, threshold) of the model

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
        self.no_answer.setContentsMargins(10, 6, 10, 6)
        self.no_answer.hide()
        self.plain = QLabel()  # the verdict in words
        self.plain.setObjectName("PlainVerdict")
        self.plain.setWordWrap(True)
        self.plain.hide()
        self.raw_toggle = QToolButton()
        self.raw_toggle.setText("Raw scores")
        self.raw_toggle.setCheckable(True)
        self.raw_toggle.setAutoRaise(True)
        self.raw_toggle.setToolTip("Show the logits the verdict was decided by")
        self.raw_toggle.toggled.connect(self._show_raw)
        self.raw_toggle.hide()
        self.verdict = QLabel()  # the raw scores, one click away
        self.verdict.setObjectName("Verdict")
        self.verdict.setWordWrap(True)
        self.verdict.hide()
        self.stale = QLabel("The passage or question changed after this answer: ask again to update it.")
        self.stale.setWordWrap(True)
        self.stale.setContentsMargins(8, 3, 8, 3)
        self.stale.hide()

        self.top_k = QSpinBox()
        self.top_k.setRange(1, 50)
        self.top_k.setValue(top_k)
        self.top_k.setToolTip("How many different answers to list")
        self.top_k.valueChanged.connect(self.topKChanged)
        self.abstain = QCheckBox("Abstain when no-answer wins by more than")
        self.abstain.setChecked(threshold_enabled and math.isfinite(threshold))
        self.abstain.setToolTip(
            "The model abstains when its no-answer score minus the best span's score exceeds this "
            "threshold. Until you change it, this shows the model's own setting.")
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(-100.0, 100.0)
        self.threshold.setDecimals(2)
        self.threshold.setSingleStep(0.5)
        self.threshold.setValue(threshold if math.isfinite(threshold) else 0.0)
        self.threshold.setEnabled(self.abstain.isChecked())
        self.abstain.toggled.connect(self._threshold_edited)
        self.threshold.valueChanged.connect(self._threshold_edited)
        self.model_default = QLabel()
        self.model_default.setObjectName("ModelDefault")
        self.model_default.setWordWrap(True)
        self.reset_rule = QPushButton("Use the model's setting")
        self.reset_rule.setObjectName("ResetAbstention")
        self.reset_rule.clicked.connect(self.follow_model)
        self.reset_rule.setVisible(not self._following_model)

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
        row_height = self.table.verticalHeader().defaultSectionSize()
        self.table.setMinimumHeight(header.sizeHint().height() + MIN_VISIBLE_ROWS * row_height
                                    + 2 * self.table.frameWidth() + 4)
        self.show_variants = QCheckBox("Show variants")
        self.show_variants.setToolTip("Overlapping spans folded into the chosen answer "
                                      "(e.g. “March 1890” under “4 March 1890”)")
        self.show_variants.toggled.connect(lambda _on: self._update_variants())
        self.variants = QLabel()
        self.variants.setObjectName("AnswerVariants")
        self.variants.setWordWrap(True)
        self.variants.hide()

        # Two rows, not one: a single row set the panel's (and the window's) minimum width past
        # a small laptop screen.
        controls = QVBoxLayout()
        count_row, rule_row = QHBoxLayout(), QHBoxLayout()
        count_row.addWidget(QLabel("Top"))
        count_row.addWidget(self.top_k)
        count_row.addWidget(QLabel("answers"))
        count_row.addStretch(1)
        count_row.addWidget(self.reset_rule)
        rule_row.addWidget(self.abstain)
        rule_row.addWidget(self.threshold)
        rule_row.addStretch(1)
        controls.addLayout(count_row)
        controls.addLayout(rule_row)
        verdict_row = QHBoxLayout()
        verdict_row.addWidget(self.plain, 1)
        verdict_row.addWidget(self.raw_toggle, 0, Qt.AlignmentFlag.AlignTop)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.no_answer)
        layout.addLayout(verdict_row)
        layout.addWidget(self.verdict)
        layout.addWidget(self.stale)
        layout.addLayout(controls)
        layout.addWidget(self.model_default)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.show_variants)
        layout.addWidget(self.variants)
        self._restyle()

    # -- threshold -----------------------------------------------------------------------------
    @property
    def following_model(self) -> bool:
        return self._following_model

    def threshold_value(self) -> float | None:
        """None: the model's own rule; NEVER: never abstain; else abstain at that margin."""
        if self._following_model:
            return None
        return float(self.threshold.value()) if self.abstain.isChecked() else NEVER

    def _threshold_edited(self, *_):
        self.threshold.setEnabled(self.abstain.isChecked())
        self._following_model = False
        self.reset_rule.show()
        self.thresholdChanged.emit(self.threshold_value())

    def set_model_rule(self, can_abstain: bool, threshold: float) -> None:
        """The loaded model's abstention rule: shown in the controls while the user follows it."""
        self._model_rule = (bool(can_abstain), float(threshold))
        self.model_default.setText(
            f"Model default: abstains when no-answer wins by more than {threshold:.2f}." if can_abstain else
            "Model default: never abstains (it was not trained with unanswerable questions).")
        if self._following_model:
            self._show_rule(*self._model_rule)

    def follow_model(self) -> None:
        """Back to the model's own rule."""
        self._following_model = True
        self.reset_rule.hide()
        if self._model_rule is not None:
            self._show_rule(*self._model_rule)
        self.thresholdChanged.emit(None)

    def _show_rule(self, can_abstain: bool, threshold: float) -> None:
        for widget in (self.abstain, self.threshold):
            widget.blockSignals(True)
        self.abstain.setChecked(can_abstain)
        self.threshold.setValue(threshold)
        self.threshold.setEnabled(can_abstain)
        for widget in (self.abstain, self.threshold):
            widget.blockSignals(False)

    # -- showing ---------------------------------------------------------------------------------
    def show_answer(self, answer: PreparedAnswer, chosen: int = 0) -> None:
        self.answer = answer
        p = answer.prediction
        self.unmark_stale()
        model = answer.model
        self.set_model_rule(model.can_abstain, model.null_threshold)
        timing = f"{p.timings.total_ms:.0f} ms"
        by = f"answered by <b>{_escape(model.name)}</b> on {model.runtime.device} in {timing}"
        best = p.best
        self.plain.setText(plain_verdict(p))
        self.plain.show()
        if p.abstained:
            self.no_answer.show()
            if best is not None:
                self.verdict.setText(
                    f"No-answer score {p.no_answer_score:.2f} beats the best span ({best.score:.2f}) "
                    f"by {p.no_answer_score - best.score:.2f} > threshold {p.threshold:g}. "
                    "The spans the model considered are listed below, greyed.")
            else:
                self.verdict.setText("No span of the passage fits the model's limits.")
            self.summary.setText(f"<span>{by}.</span>")
        else:
            self.no_answer.hide()
            self.summary.setText(
                f"<span style='font-size:large'><b>{_escape(_short(best.text))}</b></span>"
                f"&nbsp;&nbsp;{format_probability(best.probability)}<br>"
                f"<span>{by}.</span>")
            if math.isfinite(p.no_answer_score):
                rule = (f"threshold {p.threshold:g}" if p.can_abstain and math.isfinite(p.threshold)
                        else "never abstains")
                self.verdict.setText(f"No-answer score {p.no_answer_score:.2f} vs best span {best.score:.2f} "
                                     f"({rule}; temperature {p.temperature:g}).")
            else:
                self.verdict.setText(f"Best span score {best.score:.2f}; this model has no no-answer score.")
        self.raw_toggle.show()
        self._show_raw(self.raw_toggle.isChecked())
        self._fill_table(p, chosen)
        self.table.scrollToTop()
        self._update_variants()

    def _show_raw(self, on: bool) -> None:
        self.verdict.setVisible(on and self.answer is not None)

    def _fill_table(self, prediction, chosen: int) -> None:
        rejected = prediction.abstained
        muted = QColor(self._theme.muted)
        self.table.blockSignals(True)
        self.table.setRowCount(len(prediction.candidates))
        for row, a in enumerate(prediction.candidates):
            values = (str(row + 1), _short(a.text, 300), format_probability(a.probability), f"{a.score:.2f}",
                      format_probability(a.start_prob), format_probability(a.end_prob), str(a.window + 1),
                      f"{a.start}–{a.end}", f"+{len(a.variants)}" if a.variants else "")
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                if col != 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if col == 1:
                    item.setToolTip(a.text[:2000])
                if col == VARIANTS_COLUMN and a.variants:
                    item.setToolTip("Also read as: " + " · ".join(_short(v.text, 80) for v in a.variants))
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
            self._update_variants()
            self.answerChosen.emit(index)

    def _update_variants(self) -> None:
        index = self.selected_index()
        candidates = self.answer.prediction.candidates if self.answer is not None else ()
        chosen = candidates[index] if index is not None and index < len(candidates) else None
        if not self.show_variants.isChecked() or chosen is None:
            self.variants.hide()
            return
        if chosen.variants:
            listed = " · ".join(f"“{_escape(_short(v.text, 80))}” {format_probability(v.probability)}"
                                for v in chosen.variants)
            self.variants.setText(f"Also read as: {listed}")
        else:
            self.variants.setText("No other span overlaps this answer.")
        self.variants.show()

    def mark_stale(self, reason: str = "The passage changed after this answer.") -> None:
        """The answer belongs to a previous passage or question: said above it, and greyed."""
        if self.answer is not None:
            self.stale.setText(f"{reason} What is shown belongs to the previous question "
                               f"(“{_escape(_short(self.answer.prediction.question, 60))}”): ask again to update it.")
            self.stale.show()
            self.summary.setEnabled(False)

    def unmark_stale(self) -> None:
        self.stale.hide()
        self.summary.setEnabled(True)

    def clear(self, message: str = "Ask a question to see the answer here.") -> None:
        self.answer = None
        self.summary.setText(_escape(message))
        self.summary.setEnabled(True)
        for widget in (self.no_answer, self.verdict, self.plain, self.raw_toggle, self.stale, self.variants):
            widget.hide()
        self.table.setRowCount(0)

    def set_theme(self, theme: ColorTheme) -> None:
        self._theme = theme
        self._restyle()
        if self.answer is not None:
            self._fill_table(self.answer.prediction, self.selected_index() or 0)

    def _restyle(self) -> None:
        t = self._theme
        for label in (self.no_answer, self.stale):
            tint(label, t.warning_fg, t.warning_bg)
        for label in (self.verdict, self.variants, self.model_default):
            tint(label, t.muted)
