"""Where the window's widgets go (as a Designer form's setupUi would): passage beside question
and answers on top, the plot, heatmap and inspector tabs below, progress and model status in
the status bar. Layout only: the window wires the widgets to each other."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QMainWindow, QPushButton, QSplitter, QTabWidget,
                               QVBoxLayout, QWidget)

from qa_desktop.gui.answer_panel import AnswerPanel
from qa_desktop.gui.app_settings import AppSettings
from qa_desktop.gui.example_offer import ExampleOffer
from qa_desktop.gui.inspector_panel import InspectorPanel
from qa_desktop.gui.message_banner import MessageBanner
from qa_desktop.gui.operation_progress import OperationProgress
from qa_desktop.gui.passage_editor import PassageEditor
from qa_desktop.gui.probability_plot import ProbabilityPlot
from qa_desktop.gui.question_field import QuestionField
from qa_desktop.gui.runtime_status import RuntimeStatus
from qa_desktop.gui.span_heatmap import SpanHeatmap


def _column(*rows) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    for row, stretch in rows:
        if isinstance(row, QHBoxLayout):
            layout.addLayout(row)
        else:
            layout.addWidget(row, stretch)
    return box


def _row(*widgets) -> QHBoxLayout:
    row = QHBoxLayout()
    for widget, stretch in widgets:
        row.addWidget(widget, stretch)
    return row


def build_widgets(window: QMainWindow, settings: AppSettings) -> None:
    w = window
    w.banner = MessageBanner()
    w.passage = PassageEditor()
    w.passage_info = QLabel("0 characters")
    w.passage_info.setObjectName("PassageInfo")
    w.open_button = QPushButton("Open…")
    w.open_button.setToolTip("Open a .txt, .md or .pdf file (Ctrl+O), or drop one on the window")
    w.examples = ExampleOffer(w.passage)  # shown while the passage is empty
    passage_box = _column(
        (_row((QLabel("<b>Passage</b>"), 0), (w.passage_info, 1), (w.open_button, 0)), 0),
        (w.examples, 0), (w.passage, 1))

    w.question = QuestionField()
    w.ask_button = QPushButton("Ask")
    w.ask_button.setObjectName("AskButton")
    w.ask_button.setDefault(True)
    w.ask_button.setMinimumWidth(90)
    w.answer_panel = AnswerPanel(top_k=settings.top_k, threshold=settings.threshold,
                                 threshold_enabled=settings.threshold_enabled)
    answer_box = _column((QLabel("<b>Question</b>"), 0), (_row((w.question, 1), (w.ask_button, 0)), 0),
                         (w.answer_panel, 1))

    w.top_split = QSplitter(Qt.Orientation.Horizontal)
    w.top_split.addWidget(passage_box)
    w.top_split.addWidget(answer_box)
    w.top_split.setStretchFactor(0, 3)
    w.top_split.setStretchFactor(1, 2)

    w.plot = ProbabilityPlot(log_scale=settings.plot_log_scale, word_view=settings.plot_word_view)
    w.heatmap = SpanHeatmap()
    w.inspector = InspectorPanel()
    w.tabs = QTabWidget()
    w.tabs.addTab(w.plot, "Start/end probabilities")
    w.tabs.addTab(w.heatmap, "Span scores")
    w.tabs.addTab(w.inspector, "Inspector")

    w.main_split = QSplitter(Qt.Orientation.Vertical)
    w.main_split.addWidget(w.top_split)
    w.main_split.addWidget(w.tabs)
    # The passage and the answers get most of the height; the tabs below are for looking inside.
    w.main_split.setStretchFactor(0, 3)
    w.main_split.setStretchFactor(1, 2)
    w.main_split.setSizes([560, 320])
    w.main_split.setChildrenCollapsible(False)

    central = QWidget()
    layout = QVBoxLayout(central)
    layout.setContentsMargins(8, 6, 8, 4)
    layout.addWidget(w.banner)
    layout.addWidget(w.main_split, 1)
    w.setCentralWidget(central)

    w.progress = OperationProgress()
    w.runtime_status = RuntimeStatus()
    w.statusBar().addWidget(w.progress)
    w.statusBar().addPermanentWidget(w.runtime_status)
