"""Where the window's widgets go (as a Designer form's setupUi would): passage beside question
and answers on top, the plot, heatmap and inspector tabs below, progress and model status in
the status bar. Layout only: the window wires the widgets to each other.

In two steps, so the window paints before the heavy part is imported: `build_widgets` lays out
everything a user reads and types into first, with a "Loading…" page in each lower tab;
`build_views` (after the first paint) makes the plot, heatmap and inspector, whose modules
import pyqtgraph and numpy (most of the start-up time), and puts them in those tabs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QMainWindow, QPushButton, QSplitter, QTabWidget,
                               QVBoxLayout, QWidget)

from qa_desktop.gui.answer_panel import AnswerPanel
from qa_desktop.gui.app_settings import AppSettings
from qa_desktop.gui.example_offer import ExampleOffer
from qa_desktop.gui.message_banner import MessageBanner
from qa_desktop.gui.operation_progress import OperationProgress
from qa_desktop.gui.passage_editor import PassageEditor
from qa_desktop.gui.question_field import QuestionField
from qa_desktop.gui.runtime_status import RuntimeStatus

if TYPE_CHECKING:
    from qa_desktop.gui.inspector_panel import InspectorPanel
    from qa_desktop.gui.probability_plot import ProbabilityPlot
    from qa_desktop.gui.span_heatmap import SpanHeatmap

TAB_TITLES = ("Start/end probabilities", "Span scores", "Inspector")
LOADING_TEXT = "Loading…"


@dataclass(frozen=True)
class LowerViews:
    """The lower tabs' widgets, made by build_views."""
    plot: ProbabilityPlot
    heatmap: SpanHeatmap
    inspector: InspectorPanel


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

    w.tabs = QTabWidget()
    for title in TAB_TITLES:
        loading = QLabel(LOADING_TEXT)
        loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        w.tabs.addTab(loading, title)

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


def build_views(tabs: QTabWidget, settings: AppSettings) -> LowerViews:
    """The plot, heatmap and inspector, in place of the "Loading…" pages (the tab shown stays)."""
    from qa_desktop.gui.inspector_panel import InspectorPanel
    from qa_desktop.gui.probability_plot import ProbabilityPlot
    from qa_desktop.gui.span_heatmap import SpanHeatmap

    views = LowerViews(ProbabilityPlot(log_scale=settings.plot_log_scale, word_view=settings.plot_word_view),
                       SpanHeatmap(), InspectorPanel())
    current = tabs.currentIndex()
    for index, (widget, title) in enumerate(zip((views.plot, views.heatmap, views.inspector), TAB_TITLES)):
        loading = tabs.widget(index)
        tabs.removeTab(index)
        tabs.insertTab(index, widget, title)
        loading.deleteLater()
    tabs.setCurrentIndex(current)
    return views
