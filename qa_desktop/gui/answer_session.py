"""What the window is about right now: the model, the answer on screen, the chosen candidate and
whether the passage changed since. Widgets subscribe to its signals (as napari binds widgets to
an evented model); nothing here draws, and no widget keeps its own copy of this state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:  # annotations only: one module fewer before the window's first paint
    from qa_desktop.gui.prepared_answer import ModelInfo, PreparedAnswer


class AnswerSession(QObject):
    answerChanged = Signal(object)  # PreparedAnswer judged at the current threshold: a new run
    rejudged = Signal(object)  # the same run judged at another threshold (PreparedAnswer)
    # Index into the answer's candidates; whether to scroll the passage to it; whether to
    # highlight it (an answer the model abstains on is listed but not highlighted).
    chosenChanged = Signal(int, bool, bool)
    staleChanged = Signal(bool)  # True: the passage was edited after the answer
    # A text saying why the answer on screen belongs to a previous question (the question was
    # edited, or asking again was cancelled or failed), or "" when it is current again.
    outdatedChanged = Signal(str)
    modelChanged = Signal(object)  # ModelInfo, or None when no model is loaded

    def __init__(self, model_spec: str, parent: QObject | None = None):
        super().__init__(parent)
        self.model_spec = model_spec  # what the user chose: a directory, a name, auto/english/...
        self.model_info: ModelInfo | None = None
        self.answer: PreparedAnswer | None = None  # as judged at `threshold`
        self.chosen = 0
        self.stale = False
        self.outdated = ""  # why the answer is not the current question's, or ""
        self._unjudged: PreparedAnswer | None = None
        self.threshold: float | None = None  # None: the model's own abstention rule

    # -- what was asked ---------------------------------------------------------------------------
    @property
    def question(self) -> str | None:
        return self.answer.prediction.question if self.answer else None

    @property
    def passage(self) -> str | None:
        """The passage the answer's offsets index (the editor may hold newer text: see stale)."""
        return self.answer.prediction.passage if self.answer else None

    @property
    def linked(self) -> bool:
        """The answer's offsets still index the editor's text."""
        return self.answer is not None and not self.stale

    # -- changes ----------------------------------------------------------------------------------
    def set_model(self, info: ModelInfo | None) -> None:
        self.model_info = info
        self.modelChanged.emit(info)

    def set_answer(self, answer: PreparedAnswer) -> None:
        self._unjudged = answer
        self.answer = answer.judged(self.threshold)
        self.chosen = 0
        if self.stale:
            self.stale = False
            self.staleChanged.emit(False)
        self._set_outdated("")
        self.set_model(answer.model)
        self.answerChanged.emit(self.answer)

    def set_threshold(self, threshold: float | None) -> None:
        self.threshold = threshold
        if self._unjudged is not None:
            self.answer = self._unjudged.judged(threshold)
            self.rejudged.emit(self.answer)

    def choose(self, index: int, scroll: bool = True, highlight: bool = True) -> bool:
        if self.answer is None or not 0 <= index < len(self.answer.prediction.candidates):
            return False
        self.chosen = index
        self.chosenChanged.emit(index, scroll, highlight)
        return True

    def passage_edited(self) -> None:
        """Offsets of the answer no longer index the editor's text."""
        if self.answer is not None and not self.stale:
            self.stale = True
            self.staleChanged.emit(True)

    def question_edited(self, question: str) -> None:
        """The question box now holds `question`: the answer is outdated unless it is the same."""
        if self.answer is None:
            return
        same = question.strip() == self.answer.prediction.question.strip()
        self._set_outdated("" if same else "The question changed after this answer.")

    def ask_ended_without_answer(self, question: str, passage: str, cancelled: bool) -> None:
        """Asking `question` about `passage` was cancelled or failed: the answer on screen stays,
        marked as the previous question's when it is not this one's."""
        if self.answer is None:
            return
        p = self.answer.prediction
        if question.strip() != p.question.strip() or passage != p.passage:
            self._set_outdated("Answering was cancelled." if cancelled else "Answering failed.")

    def _set_outdated(self, reason: str) -> None:
        if reason != self.outdated:
            self.outdated = reason
            self.outdatedChanged.emit(reason)
