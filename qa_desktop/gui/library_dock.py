"""The library in the window: the LibraryPanel as a dock (File → Library…), made on first use so a
window that never opens it never opens the database.

The panel shares the window's loaded models (LoadedModels) and follows its model choice. An
answer clicked in the panel opens its document's text (as the library extracted it: answer
offsets index that text, not the file's bytes) in the passage editor, and the window asks the
question about it with its normal ask operation. That keeps one answering path: the plot,
heatmap and inspector show a Prediction of QuestionAnswerer.answer as for any question, rather
than a second kind of result built from the library's ranges. The library's own span is then
chosen among the window's candidates, or highlighted as it is when reading the whole document
ranks it outside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal

from qa_desktop.gui.background_operation import BackgroundOperation

if TYPE_CHECKING:  # annotations only: fewer imports before the window's first paint
    from PySide6.QtWidgets import QDockWidget

    from qa_desktop.gui.prepared_answer import PreparedAnswer


@dataclass(frozen=True)
class ChosenLibraryAnswer:
    document: str
    text: str  # the document's text as the library read it
    start: int  # the library answer's characters in `text`
    end: int


class WindowLibrary(QObject):
    documentOpened = Signal(object)  # ChosenLibraryAnswer, once the document is in the passage editor
    answerHighlighted = Signal(object)  # the same, once the window's answer shows it highlighted

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.dock: QDockWidget | None = None
        self.panel = None  # LibraryPanel
        self.chosen: ChosenLibraryAnswer | None = None  # waiting for the window's answer
        window.session.modelChanged.connect(self._model_changed)
        window.answerShown.connect(self._answer_shown)

    def show(self) -> None:
        """Open (or bring forward) the library dock."""
        if self.dock is None:
            from PySide6.QtWidgets import QDockWidget

            from qa_desktop.gui.library_panel import LibraryPanel

            self.panel = LibraryPanel(model=self.window.session.model_spec, models=self.window.models)
            self.panel.answer_chosen.connect(self.open_answer)
            self.dock = QDockWidget("Library", self.window)
            self.dock.setObjectName("LibraryDock")
            self.dock.setWidget(self.panel)
            self.window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.show()
        self.dock.raise_()
        self.panel.question.setFocus()

    def _model_changed(self, _info) -> None:
        if self.panel is not None:
            self.panel.model = self.window.session.model_spec

    def open_answer(self, document: str, text: str, start: int, end: int) -> BackgroundOperation:
        """Open `document` with the answer [start, end) and ask the library's question about it."""
        panel, question = self.panel, self.panel.question.text()

        def read(ctx) -> ChosenLibraryAnswer:
            ctx.say(f"Opening {Path(document).name}…")
            return ChosenLibraryAnswer(document, panel.document_text(document), start, end)

        def opened(chosen: ChosenLibraryAnswer) -> None:
            if chosen.text[chosen.start:chosen.end] != text:
                self.window.show_error(f"{Path(document).name} changed since the library indexed it: "
                                       "refresh the library and ask again.")
                return
            w = self.window
            w.set_passage(chosen.text)
            w.document_path = Path(document)
            w.setWindowTitle(f"{Path(document).name} — qa-desktop")
            w.question.setText(question)
            self.chosen = chosen
            self.documentOpened.emit(chosen)
            w.ask()

        op = (BackgroundOperation(self.window, read).success(opened)
              .failure(lambda exc: self.window.show_failure(exc, f"Opening {Path(document).name}")))
        return op.run_in_background()

    def _answer_shown(self, answer: PreparedAnswer) -> None:
        chosen, self.chosen = self.chosen, None
        if chosen is None or answer.prediction.passage != chosen.text:
            return
        candidates = answer.prediction.candidates
        index = next((i for i, a in enumerate(candidates) if (a.start, a.end) == (chosen.start, chosen.end)), None)
        if index is not None and not answer.prediction.abstained:
            self.window.session.choose(index)
        else:
            # Reading the whole document, the model ranks other spans above the library's (or
            # abstains): show the library's answer anyway, and say so.
            span = answer.offsets.to_qt(chosen.start), answer.offsets.to_qt(chosen.end)
            self.window.passage.set_highlight("answer", span, scroll=True)
            self.window.statusBar().showMessage(
                "The library's answer is highlighted; reading the whole document, the model ranks it "
                "below its top answers.", 10000)
        self.answerHighlighted.emit(chosen)
