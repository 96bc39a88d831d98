"""The qa-desktop window: paste or open a passage, ask, see the answer highlighted, look inside.

It lays the widgets out (window_layout, window_actions) and wires them: the AnswerSession holds
what the window is about and AnswerDisplay draws it; each user operation is a function of
window_operations run in the background. Every error a user can cause ends in the message
banner, and nothing the user typed is ever cleared by an error.

Start-up shows a light window first (window_startup.LightStart): the plot, heatmap, inspector
and the model come after the first paint.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QMainWindow

from qa_desktop.engine.errors import Cancelled, InputError, ModelError
from qa_desktop.gui.answer_session import AnswerSession
from qa_desktop.gui.app_settings import AppSettings
from qa_desktop.gui.background_operation import BackgroundOperation
from qa_desktop.gui.color_theme import ColorTheme, apply_system_theme, current_theme, tint
from qa_desktop.gui.draft_autosave import DraftAutosave
from qa_desktop.gui.failure_words import failure_message
from qa_desktop.gui.draft_keeping import DraftKeeping
from qa_desktop.gui.file_dialogs import FileDialogs
from qa_desktop.gui.first_run import FirstRun
from qa_desktop.gui.model_choosing import ModelChoosing
from qa_desktop.gui.passage_editor import local_files
from qa_desktop.gui.window_actions import build_menus
from qa_desktop.gui.window_layout import build_widgets
from qa_desktop.gui.window_startup import LightStart
from qa_desktop.gui.library_dock import WindowLibrary

if TYPE_CHECKING:  # reading files is needed only once one is opened (after the first paint)
    from qa_desktop.engine.document_reader import Document
    from qa_desktop.gui.prepared_answer import ModelInfo, PreparedAnswer

# Modules a method needs only when it runs (the operations, the coverage offer, QMessageBox) are
# imported there: each module imported before the first paint costs start-up time (PySide6 also
# reads every imported module's source, PYSIDE-2029), and the window must paint within 2× of a
# bare PySide6 window (`qa-desktop bench`).

AUTOSAVE_DELAY_MS = 800
TOP_K_DELAY_MS = 400
ASK_TIP = "Answer the question (Enter in the question, Ctrl+Enter anywhere)"


def _timer(parent, interval_ms: int, slot) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(interval_ms)
    timer.timeout.connect(slot)
    return timer


class MainWindow(LightStart, ModelChoosing, FileDialogs, DraftKeeping, QMainWindow):
    answerShown = Signal(object)  # PreparedAnswer, after it is on screen
    askFailed = Signal(str)  # the message shown
    modelLoaded = Signal(object)  # ModelInfo
    modelFailed = Signal(str)
    passageOpened = Signal(object)  # engine.document_reader.Document

    def __init__(self, model: str | None = None, device: str | None = None,
                 settings: AppSettings | None = None, autosave: DraftAutosave | None = None,
                 persist: bool = True, restore_draft: bool = True):
        super().__init__()
        self.setObjectName("MainWindow")
        self.settings = settings or AppSettings()
        self.autosave = autosave or DraftAutosave()
        self.persist = persist  # False for --screenshot: leave the user's draft and settings alone
        self.theme: ColorTheme = current_theme()
        self._device = device or self.settings.device
        self.light_start_fields()
        self.session = AnswerSession(model or self.settings.last_model or "auto", self)
        self.session.set_threshold(None)
        self.document_path: Path | None = None
        self._running: dict[str, BackgroundOperation] = {}  # operation kind → the one in flight
        self._pending_ask = False
        self._windows_mode_next = "auto"  # "all" once, after "Read everything"
        self._save_again = False
        self._restoring = False
        self._autosave_warned = False

        self.setWindowTitle("qa-desktop")
        self.setAcceptDrops(True)
        build_widgets(self, self.settings)
        build_menus(self, self._device)
        self.first_run = FirstRun(self)
        self.library = WindowLibrary(self)  # File → Library…: the dock, made on first use
        self.autosave_timer = _timer(self, AUTOSAVE_DELAY_MS, self.save_draft)
        self.top_k_timer = _timer(self, TOP_K_DELAY_MS, self._top_k_settled)
        self._connect()
        self._restore_settings()
        if restore_draft:
            self._restore_draft()
        self.apply_theme()
        QGuiApplication.styleHints().colorSchemeChanged.connect(lambda *_: self.apply_theme())
        self.start_after_first_paint()

    def _connect(self) -> None:
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.ask)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.cancel_running)
        self._set_export_enabled(False)
        self.ask_button.clicked.connect(lambda: self.cancel_answer() if self.busy else self.ask())
        self.question.asked.connect(lambda _text: self.ask())
        self.question.textChanged.connect(self._question_changed)
        self.question.textChanged.connect(self.session.question_edited)
        self.passage.markRequested.connect(self.mark_true_answer)
        self.open_button.clicked.connect(self.choose_file)
        self.passage.textChanged.connect(self._passage_changed)
        self.passage.fileDropped.connect(self.open_file)
        self.answer_panel.thresholdChanged.connect(self._threshold_changed)
        self.answer_panel.topKChanged.connect(self._top_k_changed)
        self.model_selector.specChosen.connect(self.choose_model)
        self.progress.cancelRequested.connect(self.cancel_running)
        self.session.answerChanged.connect(lambda _answer: self._set_export_enabled(True))
        self.session.modelChanged.connect(
            lambda info: self.runtime_status.show_model(info) if info else self.runtime_status.show_model(
                None, "No model loaded"))

    def _restore_settings(self) -> None:
        geometry = self.settings.geometry
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1360, 880)
        for name, splitter in (("top_split", self.top_split), ("main_split", self.main_split)):
            state = self.settings.splitter_state(name)
            if state is not None:
                splitter.restoreState(state)
        self.session.set_threshold(self.answer_panel.threshold_value())
        self._rebuild_model_lists()

    # -- the session's state, as the window's --------------------------------------------------------
    @property
    def answer(self) -> PreparedAnswer | None:
        return self.session.answer

    @property
    def model_info(self) -> ModelInfo | None:
        return self.session.model_info

    @property
    def busy(self) -> bool:
        return self._is_running("answer")

    def _is_running(self, kind: str) -> bool:
        op = self._running.get(kind)
        return op is not None and op.is_running

    def _run(self, kind: str, op: BackgroundOperation) -> BackgroundOperation:
        """Start `op` as the one operation of its kind in flight."""
        self._running[kind] = op
        return op.run_in_background()

    def choose_answer(self, index: int) -> None:
        self.session.choose(index)

    def apply_theme(self) -> None:
        app = QApplication.instance()
        self.theme = apply_system_theme(app) if app is not None else current_theme()
        views = () if self._views is None else (self._views.plot, self._views.heatmap, self._views.inspector)
        for widget in (self.banner, self.examples, self.passage, self.answer_panel, *views, self.runtime_status):
            widget.set_theme(self.theme)
        tint(self.passage_info, self.theme.muted)

    # -- messages -----------------------------------------------------------------------------------
    def show_error(self, message: str, actions=None) -> None:
        self.banner.show_message(message, "error", actions)

    def show_warning(self, message: str, actions=None) -> None:
        self.banner.show_message(message, "warning", actions)

    def show_failure(self, exc: BaseException, context: str) -> str:
        """An operation's failure in the window: cancelling in the status bar, the rest in the
        banner (with the ways to get a model when the model is the problem)."""
        message = failure_message(exc, context)
        if isinstance(exc, Cancelled):
            self.statusBar().showMessage(message, 5000)
        elif isinstance(exc, ModelError):
            self.show_error(message, [("Open model directory…", self.choose_model_directory),
                                      ("Import…", self.choose_import)])
        else:
            self.show_error(message)
        return message

    # -- asking -------------------------------------------------------------------------------------
    def ask(self) -> None:
        """Answer the question about the passage. While an answer is running, that one is
        cancelled and this one starts as soon as it has stopped."""
        if self.busy:
            self._pending_ask = True
            self._running["answer"].cancel()
            return
        question = self.question.text().strip()
        if question:
            # Kept with the autosaved draft, written on a worker: a settings write here would
            # sync the settings file on the GUI thread just as answering starts.
            self.question.remember(question)
            if self.persist:
                self.autosave_timer.start()
        windows_mode, self._windows_mode_next = self._windows_mode_next, "auto"
        from qa_desktop.gui import window_operations as operations

        op = operations.answer_question(self, self.models, self.session.model_spec, question,
                                        self.passage.toPlainText(), self.answer_panel.top_k.value(),
                                        self.answer_panel.threshold_value(), windows_mode)
        (op.success(self._answered).failure(self._answer_failed).progress(self.progress.update_progress)
         .finished(self._answer_finished))
        self.ask_button.setText("Cancel")
        self.ask_button.setToolTip("Stop answering (Esc)")
        self.progress.start("Answering…")
        self._run("answer", op)

    def read_everything(self) -> None:
        """Ask again with the model reading every window, not only those matching the question."""
        self._windows_mode_next = "all"
        self.ask()

    def cancel_answer(self) -> None:
        self._pending_ask = False
        if self._is_running("answer"):
            self._running["answer"].cancel()

    def cancel_running(self) -> None:
        self.cancel_answer()
        for kind in ("file", "import"):
            if self._is_running(kind):
                self._running[kind].cancel()
        if self._explanations is not None:
            self._explanations.cancel()

    def _answered(self, answer: PreparedAnswer) -> None:
        if self._pending_ask:
            return  # a newer question is waiting; do not flash this answer
        self._ensure_views()  # an answer that arrives before the first paint's follow-up
        self.runtime_status.show_latency(answer.prediction.timings)
        if self.banner.isVisible() and (self.banner.level == "error" or self.banner.source == "answer"):
            self.banner.dismiss()  # an error, or a warning about the previous answer
        self.session.set_answer(answer)
        from qa_desktop.gui.coverage_offer import coverage_actions

        for warning in answer.prediction.warnings:
            self.banner.show_message(warning, "warning", coverage_actions(self, warning), source="answer")
        selection = answer.prediction.selection
        if selection is not None and selection.preselected and not answer.prediction.warnings:
            self.banner.show_message(
                f"This long passage was read where its words match the question: {len(selection.read)} of "
                f"{selection.total} windows (shaded in the plot). An answer worded differently elsewhere "
                "can be missed.", "info", [("Read everything", self.read_everything)], source="answer")

    def _answer_failed(self, exc: BaseException) -> None:
        if self._pending_ask and isinstance(exc, Cancelled):
            return
        message = self.show_failure(exc, "Answering")
        self.session.ask_ended_without_answer(self.question.text(), self.passage.toPlainText(),
                                              isinstance(exc, Cancelled))
        if isinstance(exc, ModelError):
            self.session.set_model(None)
        self.askFailed.emit(message)

    def _answer_finished(self) -> None:
        self.ask_button.setText("Ask")
        self.ask_button.setToolTip(ASK_TIP)
        self.progress.stop()
        if self._pending_ask:
            self._pending_ask = False
            self.ask()

    def _threshold_changed(self, threshold) -> None:
        if self.persist:
            self.settings.threshold_enabled = threshold is not None
            if threshold is not None:
                self.settings.threshold = threshold
        self.session.set_threshold(threshold)

    def _top_k_changed(self, value: int) -> None:
        if self.persist:
            self.settings.top_k = value
        if self.session.linked:
            self.top_k_timer.start()

    def _top_k_settled(self) -> None:
        if self.session.linked and not self.busy:
            self.ask()

    def mark_true_answer(self) -> None:
        """The inspector's loss for the span selected in the passage."""
        answer = self.session.answer
        if answer is None:
            self.inspector.show_loss_error("Ask a question first.")
            return
        if self.session.stale and self.passage.toPlainText() != answer.prediction.passage:
            self.inspector.show_loss_error("The passage changed after this answer: ask again, then mark "
                                           "the true answer.")
            return
        selection = self.passage.selected_span()
        if selection is None:
            self.inspector.show_loss_error("Select the true answer in the passage first, then press "
                                           "“Mark the true answer”.")
            return
        from qa_desktop.gui import window_operations as operations

        try:
            gold = operations.gold_span(answer, selection)
        except InputError as exc:
            self.inspector.show_loss_error(str(exc))
            return
        self.passage.set_highlight("gold", gold.qt_span)
        self.inspector.show_loss(gold.loss, gold.text)
        self.tabs.setCurrentWidget(self.inspector)

    # -- passage and question edits, the draft -------------------------------------------------------
    def _passage_changed(self) -> None:
        self.passage_info.setText(f"{self.passage.character_count():,} characters")
        if self._restoring:
            return
        if self.persist:
            self.autosave_timer.start()
        self.session.passage_edited()

    def _question_changed(self, _text: str) -> None:
        if not self._restoring and self.persist:
            self.autosave_timer.start()

    def _plot_options_changed(self, *_) -> None:
        if self.persist:
            self.settings.plot_word_view = self.plot.word_view
            self.settings.plot_log_scale = self.plot.log_scaled

    # -- files --------------------------------------------------------------------------------------
    def open_file(self, path: str | Path) -> BackgroundOperation:
        path = Path(path)
        if self._is_running("file"):
            self._running["file"].cancel()

        def opened(doc: Document) -> None:
            self.set_passage(doc.text)
            self.document_path = doc.path
            self.setWindowTitle(f"{doc.path.name} — qa-desktop")
            self.statusBar().showMessage(f"Opened {doc.path.name} ({len(doc.text):,} characters). "
                                         "Ctrl+Z brings the previous passage back.", 8000)
            for warning in doc.warnings:
                self.show_warning(warning)
            self.passageOpened.emit(doc)

        from qa_desktop.gui import window_operations as operations

        op = (operations.open_document(self, path).success(opened)
              .failure(lambda exc: self.show_failure(exc, f"Opening {path.name}"))
              .progress(self.progress.update_progress).finished(self.progress.stop))
        self.progress.start(f"Opening {path.name}…")
        return self._run("file", op)

    def set_passage(self, text: str) -> None:
        """Replace the passage (undoable with Ctrl+Z)."""
        self.passage.replace_text(text)

    def dragEnterEvent(self, event) -> None:
        if local_files(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = local_files(event.mimeData())
        if files:
            event.acceptProposedAction()
            self.open_file(files[0])

    # -- about and closing ---------------------------------------------------------------------------
    def show_about(self) -> None:
        try:
            from importlib.metadata import version

            release = version("qa-desktop")
        except Exception:  # noqa: BLE001 - running from a source tree without metadata
            release = "development"
        from PySide6.QtWidgets import QMessageBox

        model = self.model_info.description if self.model_info else "no model loaded"
        QMessageBox.about(self, "About qa-desktop",
                          f"<b>qa-desktop</b> {release}<br>Offline extractive question answering with "
                          f"ONNX Runtime, made visible.<br><br>Model: {model}")

    def closeEvent(self, event) -> None:
        self.cancel_running()
        if self._is_running("load"):
            self._running["load"].cancel()
        if self.persist:
            self.save_draft(wait=True)
            self.settings.geometry = self.saveGeometry()
            self.settings.set_splitter_state("top_split", self.top_split.saveState())
            self.settings.set_splitter_state("main_split", self.main_split.saveState())
            self.settings.sync()
        super().closeEvent(event)
