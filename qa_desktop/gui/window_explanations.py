"""The window's explanations: what the Inspector's qa_outputs and "Why this answer?" tabs show,
when it is computed, and what the exports include.

- qa_outputs is computed only while its tab is visible, for the chosen answer's start and end
  tokens and for the last token clicked in the plot or the passage (a click while the tab is
  hidden is remembered and explained when the tab is shown). The hidden states read for a window
  are kept for the answer, so clicking another token of the same window reads nothing again.
- Occlusion is planned when asked for (the window count is stated), and run on "Run".
Both run as BackgroundOperations with their tab's own progress and Cancel; a new answer cancels
them and clears what they showed. Nothing here touches the answer path.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal

from qa_desktop.engine.errors import Cancelled, QaDesktopError
from qa_desktop.gui.background_operation import BackgroundOperation
from qa_desktop.gui.failure_words import failure_message
from qa_desktop.gui.prepared_answer import PreparedAnswer

if TYPE_CHECKING:
    from qa_desktop.engine.occlusion import OcclusionPlan
    from qa_desktop.gui.explain_operations import HeadExplanation, ShownOcclusion


def _operations():
    """The explanation operations (and the engine modules behind them), loaded on first use:
    a window that never explains never imports them."""
    from qa_desktop.gui import explain_operations

    return explain_operations


class WindowExplanations(QObject):
    headShown = Signal(object)  # HeadExplanation, once on screen
    planShown = Signal(object)  # OcclusionPlan
    wordsShown = Signal(object)  # ShownOcclusion
    failed = Signal(str)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.head_tab = window.inspector.head_tab
        self.words_tab = window.inspector.words_tab
        self.head: "HeadExplanation | None" = None
        self.words: "ShownOcclusion | None" = None
        self.clicked: int | None = None  # passage token clicked in the plot or the passage
        self._head_op: BackgroundOperation | None = None
        self._words_op: BackgroundOperation | None = None
        self._head_again = False
        self._answer: PreparedAnswer | None = None  # the answer the tabs are about
        self._candidate = 0  # which of its candidates
        self._head_states: dict = {}  # window → hidden states read for this answer

        window.display.shown.connect(self._answer_shown)
        self.session.chosenChanged.connect(self._chosen_changed)
        window.plot.tokensPicked.connect(lambda first, _last: self.explain_token(first))
        window.passage.viewport().installEventFilter(self)
        self.head_tab.shown.connect(self._head_tab_shown)
        self.words_tab.runRequested.connect(self._words_requested)
        self.head_tab.progress.cancelRequested.connect(self.cancel)
        self.words_tab.progress.cancelRequested.connect(self.cancel)
        self.words_tab.clear(answered=False)

    # -- the answer changes ---------------------------------------------------------------------
    def _answer_shown(self, answer: PreparedAnswer) -> None:
        self.cancel()
        self._answer = answer
        self._candidate = self.session.chosen
        self.head = self.words = None
        self.clicked = None
        self.head_tab.clear()
        self.words_tab.clear(answered=bool(answer.prediction.candidates))
        self._head_states = {}
        if self.head_tab.isVisible():
            self.explain_head()

    def _chosen_changed(self, index: int, _scroll: bool, _highlight: bool) -> None:
        """Another candidate chosen: the tabs explain the answer the user is looking at."""
        if self._answer is None or index == self._candidate:
            return  # also a threshold change re-choosing the same candidate
        self._candidate = index
        self.words = None
        self.words_tab.clear(answered=True)  # a plan was for the previous candidate
        self.head = None
        if self.head_tab.isVisible():
            self.explain_head()

    def _head_tab_shown(self) -> None:
        if self._answer is not None and self.head is None and self._head_op is None:
            self.explain_head()

    # -- qa_outputs -----------------------------------------------------------------------------
    def explain_token(self, token: int) -> None:
        """Explain passage token `token` too (now if the qa_outputs tab is visible)."""
        if self._answer is None or not 0 <= token < len(self._answer.prediction.tokens):
            return
        self.clicked = token
        if self.head_tab.isVisible():
            self.explain_head()
        else:
            self.head = None  # computed when the tab is shown

    def show_head(self) -> None:
        """Bring the qa_outputs tab forward (its showing starts the explanation)."""
        self.window.tabs.setCurrentWidget(self.window.inspector)
        self.window.inspector.sections.setCurrentWidget(self.head_tab)
        if self._answer is None:
            self.window.statusBar().showMessage("Ask a question first: qa_outputs is explained for an answer.", 6000)

    def explain_head(self) -> BackgroundOperation | None:
        if self._answer is None:
            return None
        if self._head_op is not None:  # the newest request wins, once the running one has stopped
            self._head_again = True
            self._head_op.cancel()
            return None
        answer = self._answer
        candidate = self._candidate if answer.prediction.candidates else None
        known = self.head.states if self.head is not None else self._head_states
        try:
            op = _operations().explain_head(self.window, self.window.models, answer, candidate, self.clicked, known)
        except QaDesktopError as exc:
            self.head_tab.show_message(str(exc))
            return None

        def explained(explanation: "HeadExplanation") -> None:
            if answer is not self._answer:
                return
            self.head = explanation
            self._head_states = dict(explanation.states)
            clicked = next((i for i, t in enumerate(explanation.tokens) if t.role == _operations().CLICKED), 0)
            self.head_tab.show_explanation(explanation, clicked)
            self.headShown.emit(explanation)

        def finished() -> None:
            self._head_op = None
            self.head_tab.stop_busy()
            if self._head_again:
                self._head_again = False
                self.explain_head()

        self._head_op = op.success(explained).failure(lambda exc: self._failed(exc, self.head_tab, "Explaining qa_outputs"))
        op.progress(self.head_tab.progress.update_progress).finished(finished)
        self.head_tab.show_busy("Explaining qa_outputs…")
        return op.run_in_background()

    # -- word occlusion -------------------------------------------------------------------------
    def why_this_answer(self) -> BackgroundOperation | None:
        """The menu action: show the tab and state what occlusion will cost; "Run" runs it."""
        self.window.tabs.setCurrentWidget(self.window.inspector)
        self.window.inspector.sections.setCurrentWidget(self.words_tab)
        if self._answer is None or not self._answer.prediction.candidates:
            self.words_tab.show_message("Ask a question with an answer first: occlusion explains an answer span.")
            return None
        return self._plan()

    def _words_requested(self) -> None:
        if self.words_tab.plan is None:
            self._plan()
        else:
            self.run_occlusion()

    def _plan(self) -> BackgroundOperation | None:
        if self._words_op is not None or self._answer is None:
            return None
        answer = self._answer

        def planned(plan: "OcclusionPlan") -> None:
            if answer is self._answer:
                self.words_tab.show_plan(plan)
                self.planShown.emit(plan)

        return self._run_words(_operations().plan_words(self.window, self.window.models, answer, self._candidate),
                               planned, "Finding the words…")

    def run_occlusion(self) -> BackgroundOperation | None:
        plan, answer = self.words_tab.plan, self._answer
        if plan is None or answer is None or self._words_op is not None:
            return None

        def shown(result: "ShownOcclusion") -> None:
            if answer is self._answer:
                self.words = result
                self.words_tab.show_occlusion(result)
                self.wordsShown.emit(result)

        op = _operations().occlude_words(self.window, self.window.models, answer, plan, self.window.theme)
        return self._run_words(op, shown, f"Reading {plan.extra_windows} windows…")

    def _run_words(self, op: BackgroundOperation, success, text: str) -> BackgroundOperation:
        def finished() -> None:
            self._words_op = None
            self.words_tab.stop_busy()

        self._words_op = op.success(success).failure(lambda exc: self._failed(exc, self.words_tab, "Occlusion"))
        op.progress(self.words_tab.progress.update_progress).finished(finished)
        self.words_tab.show_busy(text)
        return op.run_in_background()

    # -- both -----------------------------------------------------------------------------------
    def cancel(self) -> None:
        self._head_again = False
        for op in (self._head_op, self._words_op):
            if op is not None:
                op.cancel()

    @property
    def running(self) -> bool:
        return self._head_op is not None or self._words_op is not None

    def _failed(self, exc: BaseException, tab, context: str) -> None:
        message = failure_message(exc, context)
        if not (isinstance(exc, Cancelled) and self._head_again):
            tab.show_message(message)
        self.failed.emit(message)

    def eventFilter(self, watched, event) -> bool:
        """A click (no selection) in the passage explains the token under it."""
        if (event.type() == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton
                and self.session.linked and self.session.answer is not None):
            passage = self.window.passage
            if passage.textCursor().hasSelection():
                return False
            position = passage.cursorForPosition(event.position().toPoint()).position()
            tokens = self.session.answer.tokens_at_qt(position, position + 1)
            if tokens is not None:
                self.explain_token(tokens[0])
        return False

    # -- export ---------------------------------------------------------------------------------
    def to_json(self) -> dict | None:
        """The explanations computed for the answer on screen, for the answers' JSON export."""
        from qa_desktop.gui.prediction_export import explanations_json

        if self._answer is None or (self.head is None and self.words is None):
            return None
        return explanations_json(self._answer.prediction, self.head,
                                 self.words.occlusion if self.words is not None else None)

    def export_plots(self, path: str | Path) -> list[Path]:
        """Beside the probability plot at `path`: the strips and the 2-D view, same format, when shown."""
        if self.head is None or self.head_tab.strips is None:
            return []
        path = Path(path)
        return [self.head_tab.strips.export(path.with_name(f"{path.stem}-qa_outputs-strips{path.suffix}")),
                self.head_tab.projection.export(path.with_name(f"{path.stem}-qa_outputs-projection{path.suffix}"))]
