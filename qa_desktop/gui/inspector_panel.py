"""The seed made visible: what went into the model, what came out, and the training loss.

For the current run: every window's tokens with ids, token type ids, attention mask and
segment; the live shapes along the question-answering head (hidden states (windows, seq,
hidden) → qa_outputs Linear(hidden, 2) → logits (windows, seq, 2) → start/end logits
(windows, seq)); and "Mark the true answer": the loss BERT would be trained with if the
passage selection were the gold span (engine.span_loss). Two more sections show qa_outputs with
the model's numbers (head_inspector_tab) and which words moved the answer (word_occlusion_tab);
WindowExplanations fills them.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QFrame, QGridLayout, QHBoxLayout, QHeaderView,
                               QLabel, QPushButton, QScrollArea, QSizePolicy, QSpinBox, QSplitter, QTableView,
                               QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from qa_desktop.engine.span_loss import SpanLoss
from qa_desktop.gui.color_theme import ColorTheme, current_theme
from qa_desktop.gui.head_inspector_tab import HeadInspectorTab
from qa_desktop.gui.prepared_answer import PreparedAnswer
from qa_desktop.gui.window_token_model import WindowTokenModel
from qa_desktop.gui.word_occlusion_tab import WordOcclusionTab

STAGES = ("inputs", "hidden", "qa_outputs", "logits", "start", "end")
LOSS_COLUMNS = ("window", "gold start position", "gold end position", "start loss", "end loss")


def _shape(values: tuple) -> str:
    return "(" + ", ".join(str(v) for v in values) + ")"


class InspectorPanel(QWidget):
    markRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._theme = current_theme()
        self.answer: PreparedAnswer | None = None
        self.loss: SpanLoss | None = None
        self.shapes: dict[str, tuple] = {}
        self._feeds_token_types = True
        self._answer_marks: dict[int, dict[int, str]] = {}
        self._gold_marks: dict[int, dict[int, str]] = {}

        # The head, stage by stage.
        self.stage_labels: dict[str, QLabel] = {}
        pipeline = QHBoxLayout()
        for i, stage in enumerate(STAGES):
            label = QLabel()
            label.setObjectName(f"stage_{stage}")
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setFrameShape(QFrame.Shape.StyledPanel)
            label.setMargin(4)
            label.setWordWrap(True)
            # Wrapping labels may shrink: the strip must never make the window wider.
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            label.setMinimumWidth(60)
            self.stage_labels[stage] = label
            if i:
                arrow = QLabel("→" if stage != "end" else "+")
                arrow.setAlignment(Qt.AlignmentFlag.AlignCenter)
                pipeline.addWidget(arrow)
            pipeline.addWidget(label, 1)

        # One window's rows.
        self.window_choice = QSpinBox()
        self.window_choice.setMinimum(1)
        self.window_choice.setMaximum(1)
        self.window_choice.setPrefix("window ")
        self.window_choice.valueChanged.connect(self._window_changed)
        self.window_info = QLabel()
        self.table_model = WindowTokenModel(self)
        self.table = QTableView()
        self.table.setObjectName("WindowTokens")
        self.table.setModel(self.table_model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        # Sizing columns to contents reads a sample of rows, not all 512 of every window.
        self.table.horizontalHeader().setResizeContentsPrecision(40)

        # The loss of a gold span.
        self.mark_button = QPushButton("Mark the true answer")
        self.mark_button.setToolTip("Select the true answer in the passage, then press this to see the "
                                    "training loss the model would get for it")
        self.mark_button.clicked.connect(self.markRequested)
        self.mark_button.setEnabled(False)
        self.loss_summary = QLabel("Select the true answer in the passage, then press “Mark the true answer”.")
        self.loss_summary.setObjectName("LossSummary")
        self.loss_summary.setWordWrap(True)
        self.loss_summary.setTextFormat(Qt.TextFormat.RichText)
        self.loss_table = QTableWidget(0, len(LOSS_COLUMNS))
        self.loss_table.setObjectName("LossTable")
        self.loss_table.setHorizontalHeaderLabels(LOSS_COLUMNS)
        self.loss_table.verticalHeader().hide()
        self.loss_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.loss_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.loss_table.itemSelectionChanged.connect(self._loss_row_selected)

        window_row = QHBoxLayout()
        window_row.addWidget(self.window_choice)
        window_row.addWidget(self.window_info, 1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(window_row)
        left_layout.addWidget(self.table, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        mark_row = QGridLayout()
        mark_row.addWidget(self.mark_button, 0, 0)
        mark_row.setColumnStretch(1, 1)
        right_layout.addLayout(mark_row)
        right_layout.addWidget(self.loss_summary)
        right_layout.addWidget(self.loss_table, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)

        # Sections: the window's tokens and the loss; qa_outputs with numbers; word occlusion.
        self.head_tab = HeadInspectorTab()
        self.words_tab = WordOcclusionTab()
        self.sections = QTabWidget()
        self.sections.setObjectName("InspectorSections")
        self.sections.setDocumentMode(True)
        self.sections.addTab(split, "Tokens and loss")
        self.sections.addTab(self.head_tab, "qa_outputs")
        self.sections.addTab(self.words_tab, "Why this answer?")

        # The sections scroll when the tab is short, so the Inspector never sets the window's
        # minimum height (the window must fit a 768-pixel-high laptop screen).
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.sections)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(pipeline)
        layout.addWidget(scroll, 1)
        self.clear()
        self.set_theme(self._theme)

    # -- run -----------------------------------------------------------------------------------
    def set_answer(self, answer: PreparedAnswer) -> None:
        self.answer = answer
        p = answer.prediction
        w, s, two = p.logits_shape
        h = p.hidden_size or answer.model.hidden_size
        hidden = h if h else "hidden"
        self.shapes = {
            "inputs": (w, s), "hidden": (w, s, hidden), "qa_outputs": (hidden, 2),
            "logits": (w, s, two), "start": tuple(p.start_logits.shape), "end": tuple(p.end_logits.shape),
        }
        self._feeds_token_types = "token_type_ids" in answer.model.inputs
        fed = " · ".join(name for name in ("input_ids", "token_type_ids", "attention_mask")
                         if name in answer.model.inputs)
        texts = {
            "inputs": f"{fed}<br><b>(windows, seq)</b> = {_shape((w, s))}",
            "hidden": f"encoder → hidden states<br><b>(windows, seq, hidden)</b> = {_shape((w, s, hidden))}",
            "qa_outputs": f"qa_outputs<br><b>Linear(hidden, 2)</b> = Linear({hidden}, 2)",
            "logits": f"logits<br><b>(windows, seq, 2)</b> = {_shape((w, s, two))}",
            "start": f"split → start_logits<br><b>(windows, seq)</b> = {_shape(p.start_logits.shape)}",
            "end": f"end_logits<br><b>(windows, seq)</b> = {_shape(p.end_logits.shape)}",
        }
        for stage, text in texts.items():
            self.stage_labels[stage].setText(text)
        self.loss = None
        self._gold_marks = {}
        self._answer_marks = {}
        self.loss_table.setRowCount(0)
        self.loss_summary.setText("Select the true answer in the passage, then press “Mark the true answer”.")
        self.mark_button.setEnabled(True)
        self.window_choice.blockSignals(True)
        self.window_choice.setMaximum(len(p.windows))
        self.window_choice.setSuffix(f" of {len(p.windows)}")
        self.window_choice.setValue(1)
        self.window_choice.blockSignals(False)
        self.table_model.set_window(p, 0, self._feeds_token_types)
        self._describe_window(0)
        if p.candidates:
            self.show_answer_span(0)
        self.table.resizeColumnsToContents()

    def clear(self) -> None:
        self.answer = None
        self.loss = None
        self.shapes = {}
        placeholder = {
            "inputs": "input_ids · token_type_ids · attention_mask<br><b>(windows, seq)</b>",
            "hidden": "encoder → hidden states<br><b>(windows, seq, hidden)</b>",
            "qa_outputs": "qa_outputs<br><b>Linear(hidden, 2)</b>",
            "logits": "logits<br><b>(windows, seq, 2)</b>",
            "start": "split → start_logits<br><b>(windows, seq)</b>",
            "end": "end_logits<br><b>(windows, seq)</b>",
        }
        for stage, text in placeholder.items():
            self.stage_labels[stage].setText(text)
        self.table_model.set_window(None)
        self.window_info.setText("No run yet.")
        self.mark_button.setEnabled(False)
        self.loss_table.setRowCount(0)

    @property
    def window_index(self) -> int:
        return self.window_choice.value() - 1

    def show_window(self, index: int) -> None:
        self.window_choice.setValue(index + 1)

    def _window_changed(self, value: int) -> None:
        if self.answer is None:
            return
        index = value - 1
        self.table_model.set_window(self.answer.prediction, index, self._feeds_token_types)
        self._describe_window(index)
        self._refresh_marks()

    def _describe_window(self, index: int) -> None:
        w = self.answer.prediction.windows[index]
        self.window_info.setText(
            f"seq_len {w.seq_len} of {self.answer.prediction.start_logits.shape[1]} · passage tokens "
            f"{w.passage_token_start}–{w.passage_token_end - 1} (positions {w.passage_positions.start}–"
            f"{w.passage_positions.stop - 1}) · chars "
            f"{w.char_start}–{w.char_end}")

    def _refresh_marks(self) -> None:
        index = self.window_index
        marks = dict(self._answer_marks.get(index, {}))
        for pos, text in self._gold_marks.get(index, {}).items():
            marks[pos] = f"{marks[pos]}; {text}" if pos in marks else text
        self.table_model.set_marks(marks)

    def show_answer_span(self, candidate: int) -> None:
        """Show the window an answer was read from, its start and end rows marked."""
        if self.answer is None or not self.answer.prediction.candidates:
            return
        p = self.answer.prediction
        a = p.candidates[candidate]
        w = p.windows[a.window]
        s, e = w.position_of(a.start_token), w.position_of(a.end_token)
        self._answer_marks = {a.window: {s: f"answer {candidate + 1} start"}}
        self._answer_marks[a.window][e] = (f"{self._answer_marks[a.window][s]} and end" if e == s
                                            else f"answer {candidate + 1} end")
        self.show_window(a.window)
        self._refresh_marks()
        self.table.scrollTo(self.table_model.index(s, 0), QAbstractItemView.ScrollHint.PositionAtCenter)

    # -- loss ------------------------------------------------------------------------------------
    def show_loss(self, loss: SpanLoss, gold_text: str) -> None:
        self.loss = loss
        self.sections.setCurrentIndex(0)
        p = self.answer.prediction
        best = p.best
        agree = ""
        if best is not None:
            same = best.start_token == loss.start_token and best.end_token == loss.end_token
            agree = (" The model's best answer is this span." if same else
                     f" The model's best answer is “{html.escape(best.text[:80])}” instead.")
        self.loss_summary.setText(
            f"Gold span “{html.escape(gold_text[:120])}” = passage tokens {loss.start_token}–{loss.end_token}. "
            f"<br><b>start loss {loss.start_loss:.4f} · end loss {loss.end_loss:.4f} · "
            f"total {loss.total_loss:.4f}</b> = (start + end) / 2.<br>"
            f"Cross-entropy over each window's positions; a gold position outside a window is clamped "
            f"to {loss.ignore_index} (the padded seq) and ignored, and each side is averaged over the "
            f"windows that contain it.{agree}")
        self.loss_table.setRowCount(len(loss.windows))
        muted = QColor(self._theme.muted)
        for row, wl in enumerate(loss.windows):
            values = (
                str(wl.window + 1),
                str(wl.start_position) if wl.start_loss is not None else f"{wl.start_position} (ignored)",
                str(wl.end_position) if wl.end_loss is not None else f"{wl.end_position} (ignored)",
                f"{wl.start_loss:.4f}" if wl.start_loss is not None else "—",
                f"{wl.end_loss:.4f}" if wl.end_loss is not None else "—",
            )
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if wl.start_loss is None and wl.end_loss is None:
                    item.setForeground(muted)
                self.loss_table.setItem(row, col, item)
        self._gold_marks = {}
        for wl in loss.windows:
            marks = {}
            if wl.start_loss is not None:
                marks[wl.start_position] = "gold start"
            if wl.end_loss is not None:
                marks[wl.end_position] = (marks.get(wl.end_position, "") + "; gold end").lstrip("; ")
            if marks:
                self._gold_marks[wl.window] = marks
        first = next((wl for wl in loss.windows if wl.start_loss is not None), loss.windows[0])
        self.show_window(first.window)
        self._refresh_marks()
        self.table.scrollTo(self.table_model.index(first.start_position, 0),
                            QAbstractItemView.ScrollHint.PositionAtCenter)

    def show_loss_error(self, message: str) -> None:
        self.loss_summary.setText(f"<span style='color:{self._theme.error_fg}'>{html.escape(message)}</span>")

    def _loss_row_selected(self) -> None:
        rows = self.loss_table.selectionModel().selectedRows()
        items = self.loss_table.selectedItems()
        row = rows[0].row() if rows else (items[0].row() if items else None)
        if row is not None and self.loss is not None:
            self.show_window(self.loss.windows[row].window)

    def set_theme(self, theme: ColorTheme) -> None:
        self._theme = theme
        self.table_model.mark_colour = QColor(theme.gold)
        self.table_model.padding_colour = QColor(theme.muted)
        self.window_info.setStyleSheet(f"QLabel {{ color: {theme.muted}; }}")
        self.head_tab.set_theme(theme)
        self.words_tab.set_theme(theme)
