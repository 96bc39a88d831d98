"""The answer on screen: the widgets that show an AnswerSession, and the links between them
(a selection in the passage marks tokens in the plot; a point or a heatmap cell highlights its
characters in the passage). It subscribes to the session and draws; it decides nothing.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from qa_desktop.gui.answer_panel import AnswerPanel
from qa_desktop.gui.answer_session import AnswerSession
from qa_desktop.gui.inspector_panel import InspectorPanel
from qa_desktop.gui.passage_editor import PassageEditor
from qa_desktop.gui.prepared_answer import PreparedAnswer
from qa_desktop.gui.probability_plot import ProbabilityPlot
from qa_desktop.gui.span_heatmap import SpanHeatmap
from qa_desktop.gui.span_search_space import SpanSearchSpace

# Between display stages: a real timer (not a zero one, which Qt runs in the same batch of
# posted events) lets the repaint of one stage happen before the next stage starts.
STAGE_GAP_MS = 8
# How much of the answer is on screen: nothing, answer and highlight, plot, everything.
NONE, ANSWER, PLOT, ALL = 0, 1, 2, 3


class AnswerDisplay(QObject):
    shown = Signal(object)  # PreparedAnswer, once every stage is on screen

    def __init__(self, session: AnswerSession, passage: PassageEditor, answer_panel: AnswerPanel,
                 plot: ProbabilityPlot, heatmap: SpanHeatmap, inspector: InspectorPanel,
                 status: Callable[[str], None], parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.passage, self.answer_panel = passage, answer_panel
        self.plot, self.heatmap, self.inspector = plot, heatmap, inspector
        self.status = status
        self.stage = NONE
        self._generation = 0
        session.answerChanged.connect(self._show)
        session.rejudged.connect(self._rejudged)
        session.chosenChanged.connect(self._show_chosen)
        session.staleChanged.connect(self._stale_changed)
        session.outdatedChanged.connect(lambda _reason: self._mark_previous())
        session.modelChanged.connect(
            lambda info: answer_panel.set_model_rule(info.can_abstain, info.null_threshold) if info else None)
        answer_panel.answerChosen.connect(session.choose)
        passage.selectionChanged.connect(self._passage_selection_changed)
        plot.tokensPicked.connect(self.highlight_tokens)
        heatmap.spanPicked.connect(self._heatmap_span_picked)
        heatmap.windowChosen.connect(self._heatmap_window_chosen)

    # -- the session's changes ----------------------------------------------------------------------
    def _show(self, answer: PreparedAnswer) -> None:
        """In four event-loop turns (answer and highlight; plot; inspector; heatmap), so the
        window repaints between them and no single turn holds the GUI thread long, even for a
        quarter of a million tokens. `shown` follows the last one."""
        self.stage = ANSWER
        self._generation += 1
        generation = self._generation
        p = answer.prediction
        self.answer_panel.show_answer(answer, self.session.chosen)
        self.passage.set_highlight("token", None)
        self.passage.set_highlight("gold", None)
        if p.candidates and not p.abstained:
            self.passage.set_highlight("answer", answer.qt_span(p.candidates[self.session.chosen]), scroll=True)
        else:
            self.passage.set_highlight("answer", None)

        def plots() -> None:
            if generation != self._generation:
                return  # a newer answer replaced this one meanwhile
            self.plot.set_answer(answer, self.session.chosen)
            self.stage = PLOT
            QTimer.singleShot(STAGE_GAP_MS, self.inspector, inspector)

        def inspector() -> None:
            if generation != self._generation:
                return
            self.inspector.set_answer(answer)
            QTimer.singleShot(STAGE_GAP_MS, self.heatmap, inside)

        def inside() -> None:
            if generation != self._generation:
                return
            self.heatmap.set_window_count(len(p.windows))
            self.stage = ALL
            if p.candidates:
                self._show_chosen(self.session.chosen, False, self.passage.highlight("answer") is not None)
            else:
                self.heatmap.clear()
            self.shown.emit(answer)

        # Each stage's timer has the widget it draws as context: a window closed meanwhile drops
        # the stage instead of drawing into deleted widgets.
        QTimer.singleShot(STAGE_GAP_MS, self.plot, plots)

    def _rejudged(self, answer: PreparedAnswer) -> None:
        self.answer_panel.show_answer(answer, self.session.chosen)
        self._mark_previous()
        abstained = answer.prediction.abstained
        if answer.prediction.candidates:
            self.session.choose(self.session.chosen if not abstained else 0, scroll=False,
                                highlight=not abstained)

    def _show_chosen(self, index: int, scroll: bool, highlight: bool) -> None:
        """Candidate `index`: passage highlight, plot marks, heatmap, inspector window."""
        answer = self.session.answer
        a = answer.prediction.candidates[index]
        if highlight and not self.session.stale:
            self.passage.set_highlight("answer", answer.qt_span(a), scroll=scroll)
        elif not highlight:
            self.passage.set_highlight("answer", None)
        if self.stage < ALL:
            return  # the later stages read the session's choice
        if self.plot.answer_tokens != (a.start_token, a.end_token):
            self.plot.show_answer_tokens(a.start_token, a.end_token)
        self.heatmap.show_space(SpanSearchSpace.around(answer.prediction, a))
        self.inspector.show_answer_span(index)

    def _stale_changed(self, stale: bool) -> None:
        if stale:  # offsets of the answer no longer index the text: stop linking plot↔passage
            self.plot.clear_selection()
            # The highlights would land on whatever text now sits at the old offsets.
            self.passage.clear_highlights()
        self._mark_previous()

    def _mark_previous(self) -> None:
        """Mark (or unmark) everything on screen as the previous question's."""
        s = self.session
        reason = "The passage changed after this answer." if s.stale else s.outdated
        if s.answer is None:
            return
        if reason:
            self.answer_panel.mark_stale(reason)
        else:
            self.answer_panel.unmark_stale()
        note = f"{reason} This belongs to the previous question: ask again to update it." if reason else None
        self.plot.mark_outdated(note)
        self.heatmap.mark_outdated(note)

    # -- links between the widgets ------------------------------------------------------------------
    def _passage_selection_changed(self) -> None:
        if not self.session.linked:
            return
        span = self.passage.selected_span()
        tokens = None if span is None else self.session.answer.tokens_at_qt(*span)
        if tokens is None:
            self.plot.clear_selection()
        else:
            self.plot.show_selection(*tokens)

    def highlight_tokens(self, first: int, last: int) -> None:
        """Highlight passage tokens first..last (inclusive) in the passage."""
        if self.session.answer is None:
            return
        if self.session.stale:
            self.status("The passage changed after this answer: ask again to link the plot to it.")
            return
        self.passage.set_highlight("token", self.session.answer.qt_tokens(first, last), scroll=True)

    def _heatmap_window_chosen(self, window: int) -> None:
        answer = self.session.answer
        if answer is None or not 0 <= window < len(answer.prediction.windows):
            return
        chosen = answer.prediction.candidates[self.session.chosen] if answer.prediction.candidates else None
        self.heatmap.show_space(SpanSearchSpace.of_window(answer.prediction, window, chosen))

    def _heatmap_span_picked(self, window: int, start_pos: int, end_pos: int) -> None:
        if not self.session.linked:
            return
        w = self.session.answer.prediction.windows[window]
        first, last = w.token_at(start_pos), w.token_at(end_pos)
        if first is None or last is None:
            return  # a question or special token: no passage characters to show
        self.plot.show_selection(first, last)
        self.highlight_tokens(first, last)
