"""Start-up shows a light window first, mixed into MainWindow.

The window's passage, question and answer list paint at once. After that first paint
(`_finish_start`) the model loads: ONNX Runtime, numpy and the tokenizer are imported by the
load's worker, never on this thread. Only when the load has finished (or after VIEWS_AFTER_MS,
whichever comes first) are the plot, heatmap and inspector made: their modules import pyqtgraph,
most of the start-up time, and making them on this thread while the worker imports would slow
both (one GIL). So the window can be asked a question as early as possible; the views are
needed only when an answer is shown. Anything that needs them sooner makes them then: an
answer arriving first (`--screenshot`), or code reaching for `window.plot`. A question asked
before the model is ready waits for that load, saying "Loading <model>…" in the progress bar.
A window that is never shown (scripts, tests) starts at its first event-loop turn.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer

from qa_desktop.gui.window_layout import LowerViews, build_views

if TYPE_CHECKING:
    from qa_desktop.gui.answer_display import AnswerDisplay
    from qa_desktop.gui.inspector_panel import InspectorPanel
    from qa_desktop.gui.loaded_models import LoadedModels
    from qa_desktop.gui.probability_plot import ProbabilityPlot
    from qa_desktop.gui.span_heatmap import SpanHeatmap
    from qa_desktop.gui.window_explanations import WindowExplanations

# A shown window whose first paint never comes (a platform without paint events) starts anyway.
FIRST_PAINT_FALLBACK_MS = 1000
# After the first paint: a real timer, not a zero one (which Qt runs in the same batch of posted
# events, before anything else waiting), so what is queued behind the paint (the flush, input,
# other timers) runs before the heavy imports hold this thread.
AFTER_PAINT_MS = 10
# The views wait for the first model load, but no longer than this (a slow first load, e.g. a
# model whose CPU copy is being prepared, should not leave the tabs empty).
VIEWS_AFTER_MS = 1500


class LightStart:
    """Mixed into MainWindow (which has `session`, `settings`, `tabs`, the light widgets and
    `load_model`); `_device` is the device the models load on."""

    def light_start_fields(self) -> None:
        self._models: LoadedModels | None = None
        self._views: LowerViews | None = None
        self._display: AnswerDisplay | None = None
        self._explanations: WindowExplanations | None = None
        self._started = False

    def start_after_first_paint(self) -> None:
        self.centralWidget().installEventFilter(self)  # its first paint starts the rest
        QTimer.singleShot(0, self._start_unless_painting)

    def _start_unless_painting(self) -> None:
        """A window never shown (tests, scripts) starts now; a shown one at its first paint."""
        if self.isVisible():
            QTimer.singleShot(FIRST_PAINT_FALLBACK_MS, self._finish_start)
        else:
            self._finish_start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and watched is self.centralWidget() and not self._started:
            watched.removeEventFilter(self)
            QTimer.singleShot(AFTER_PAINT_MS, self._finish_start)  # after this paint, not inside it
        return super().eventFilter(watched, event)

    def _finish_start(self) -> None:
        if self._started:
            return
        self._started = True
        self.modelLoaded.connect(self._views_after_load)
        self.modelFailed.connect(self._views_after_load)
        QTimer.singleShot(VIEWS_AFTER_MS, self._ensure_views)
        self.load_model(self.session.model_spec)

    def _views_after_load(self, *_) -> None:
        self.modelLoaded.disconnect(self._views_after_load)
        self.modelFailed.disconnect(self._views_after_load)
        # A turn later: whoever else listens to this load (and the first paint of its result) first.
        QTimer.singleShot(AFTER_PAINT_MS, self._ensure_views)

    def _ensure_views(self) -> LowerViews:
        """The plot, heatmap and inspector, with the display and explanations that draw on them."""
        if self._views is None:
            from qa_desktop.gui.answer_display import AnswerDisplay
            from qa_desktop.gui.window_explanations import WindowExplanations

            views = self._views = build_views(self.tabs, self.settings)
            self._display = AnswerDisplay(self.session, self.passage, self.answer_panel, views.plot, views.heatmap,
                                          views.inspector, lambda text: self.statusBar().showMessage(text, 6000),
                                          self)
            self._explanations = WindowExplanations(self)  # the Inspector's qa_outputs and occlusion tabs
            views.plot.view_choice.currentIndexChanged.connect(self._plot_options_changed)
            views.plot.log_scale.toggled.connect(self._plot_options_changed)
            views.inspector.markRequested.connect(self.mark_true_answer)
            self._display.shown.connect(self.answerShown.emit)
            for widget in (views.plot, views.heatmap, views.inspector):
                widget.set_theme(self.theme)
            if self.session.model_info is not None:  # loaded before the display subscribed
                self.answer_panel.set_model_rule(self.session.model_info.can_abstain,
                                                 self.session.model_info.null_threshold)
            # The views change the window's minimum size: apply it now, not at a later layout
            # pass, so a resize straight after this sees the window's real constraints.
            QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
            # Start-up's objects (modules, Qt wrappers, pyqtgraph) live as long as the window:
            # freezing them keeps Python's full collections from walking them again. Such a
            # collection, triggered while an answer is drawn, stalled the event loop 50-64 ms
            # (tests/gui/test_responsiveness.py, a heap that also held torch).
            gc.freeze()
        return self._views

    @property
    def views_ready(self) -> bool:
        """The plot, heatmap and inspector exist (they follow the first model load)."""
        return self._views is not None

    @property
    def models(self) -> LoadedModels:
        """The models loaded so far (made on first use: its module imports the engine)."""
        if self._models is None:
            from qa_desktop.gui.loaded_models import LoadedModels

            self._models = LoadedModels(device=self._device)
        return self._models

    @property
    def plot(self) -> ProbabilityPlot:
        return self._ensure_views().plot

    @property
    def heatmap(self) -> SpanHeatmap:
        return self._ensure_views().heatmap

    @property
    def inspector(self) -> InspectorPanel:
        return self._ensure_views().inspector

    @property
    def display(self) -> AnswerDisplay:
        self._ensure_views()
        return self._display

    @property
    def explanations(self) -> WindowExplanations:
        self._ensure_views()
        return self._explanations
