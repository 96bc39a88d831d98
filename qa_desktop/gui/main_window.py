"""The qa-desktop window: paste or open a passage, ask, see the answer highlighted, look inside.

It wires the widgets together and owns the flows (ask, load a model, open a file, import,
export). Every flow that can take time runs as a BackgroundOperation; every error a user can
cause ends in the message banner, and nothing the user typed is ever cleared by an error.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (QApplication, QFileDialog, QHBoxLayout, QLabel, QMainWindow,
                               QMessageBox, QPushButton, QSplitter, QTabWidget, QToolBar,
                               QVBoxLayout, QWidget)

from qa_desktop.engine import model_store
from qa_desktop.engine.errors import Cancelled, InputError, ModelError, QaDesktopError
from qa_desktop.engine.model_directory import ModelDirectory
from qa_desktop.engine.passage_script import needs_multilingual
from qa_desktop.engine.span_loss import gold_token_span, span_loss
from qa_desktop.gui.answer_panel import AnswerPanel
from qa_desktop.gui.app_settings import AppSettings
from qa_desktop.gui.background_operation import BackgroundOperation, OperationContext
from qa_desktop.gui.interpreter_responsiveness import keep_gui_thread_responsive
from qa_desktop.gui.color_theme import ColorTheme, apply_system_theme, current_theme
from qa_desktop.gui.document_loader import OPEN_FILTER, LoadedDocument, load_document
from qa_desktop.gui.draft_autosave import DraftAutosave
from qa_desktop.gui.inspector_panel import InspectorPanel
from qa_desktop.gui.loaded_models import LoadedModels
from qa_desktop.gui.message_banner import MessageBanner
from qa_desktop.gui.model_import import ModelImportRequest, import_checkpoint
from qa_desktop.gui.model_import_dialog import ImportProgressDialog, ModelImportDialog
from qa_desktop.gui.model_selector import ModelSelector
from qa_desktop.gui.operation_progress import OperationProgress
from qa_desktop.gui.passage_editor import PassageEditor, local_files
from qa_desktop.gui.prediction_export import write_answers, write_token_probabilities
from qa_desktop.gui.prepared_answer import ModelInfo, PreparedAnswer
from qa_desktop.gui.probability_plot import ProbabilityPlot
from qa_desktop.gui.question_field import QuestionField
from qa_desktop.gui.runtime_status import RuntimeStatus
from qa_desktop.gui.span_heatmap import SpanHeatmap
from qa_desktop.gui.span_search_space import SpanSearchSpace

NO_MODEL_MESSAGE = ("No model loaded: open a model directory (Model ▸ Open model directory…) or import "
                    "a Hugging Face checkpoint. qa-desktop has no bundled model installed.")
AUTOSAVE_DELAY_MS = 800
TOP_K_DELAY_MS = 400
# Between display stages: a real timer (not a zero one, which Qt runs in the same batch of
# posted events) lets the repaint of one stage happen before the next stage starts.
STAGE_GAP_MS = 8


class MainWindow(QMainWindow):
    answerShown = Signal(object)  # PreparedAnswer, after it is on screen
    askFailed = Signal(str)  # the message shown
    modelLoaded = Signal(object)  # ModelInfo
    modelFailed = Signal(str)
    passageOpened = Signal(object)  # LoadedDocument

    def __init__(self, model: str | None = None, device: str | None = None,
                 settings: AppSettings | None = None, autosave: DraftAutosave | None = None,
                 persist: bool = True, restore_draft: bool = True):
        super().__init__()
        self.setObjectName("MainWindow")
        self.settings = settings or AppSettings()
        self.autosave = autosave or DraftAutosave()
        self.persist = persist  # False for --screenshot: leave the user's draft and settings alone
        self.theme: ColorTheme = current_theme()
        self.models = LoadedModels(device=device or self.settings.device)
        self.model_spec: str = model or self.settings.last_model or "auto"
        self.model_info: ModelInfo | None = None
        self.answer: PreparedAnswer | None = None  # as judged at the current threshold
        self._raw_answer: PreparedAnswer | None = None
        self.chosen = 0
        self._display_stage = 0  # how much of self.answer is on screen (see show_answer)
        self._display_generation = 0
        self._passage_stale = False
        self._answer_op: BackgroundOperation | None = None
        self._load_op: BackgroundOperation | None = None
        self._file_op: BackgroundOperation | None = None
        self._import_op: BackgroundOperation | None = None
        self._save_op: BackgroundOperation | None = None
        self._save_again = False
        self._pending_ask = False
        self._restoring = False
        self._autosave_warned = False
        self.document_path: Path | None = None

        self.setWindowTitle("qa-desktop")
        self.setAcceptDrops(True)
        self._build_widgets()
        self._build_actions()
        self._connect()
        self._restore_settings()
        if restore_draft:
            self._restore_draft()
        self.apply_theme()
        QGuiApplication.styleHints().colorSchemeChanged.connect(lambda *_: self.apply_theme())
        keep_gui_thread_responsive()
        QTimer.singleShot(0, self._initial_load)

    # ------------------------------------------------------------------------------------------
    # building
    def _build_widgets(self) -> None:
        self.banner = MessageBanner()
        self.passage = PassageEditor()
        self.passage_info = QLabel("0 characters")
        self.passage_info.setObjectName("PassageInfo")
        self.open_button = QPushButton("Open…")
        self.open_button.setToolTip("Open a .txt, .md or .pdf file (Ctrl+O), or drop one on the window")
        passage_header = QHBoxLayout()
        title = QLabel("<b>Passage</b>")
        passage_header.addWidget(title)
        passage_header.addWidget(self.passage_info, 1)
        passage_header.addWidget(self.open_button)
        passage_box = QWidget()
        passage_layout = QVBoxLayout(passage_box)
        passage_layout.setContentsMargins(0, 0, 0, 0)
        passage_layout.addLayout(passage_header)
        passage_layout.addWidget(self.passage, 1)

        self.question = QuestionField()
        self.ask_button = QPushButton("Ask")
        self.ask_button.setObjectName("AskButton")
        self.ask_button.setDefault(True)
        self.ask_button.setMinimumWidth(90)
        question_row = QHBoxLayout()
        question_row.addWidget(self.question, 1)
        question_row.addWidget(self.ask_button)
        self.answer_panel = AnswerPanel(top_k=self.settings.top_k, threshold=self.settings.threshold,
                                        threshold_enabled=self.settings.threshold_enabled)
        answer_box = QWidget()
        answer_layout = QVBoxLayout(answer_box)
        answer_layout.setContentsMargins(0, 0, 0, 0)
        answer_layout.addWidget(QLabel("<b>Question</b>"))
        answer_layout.addLayout(question_row)
        answer_layout.addWidget(self.answer_panel, 1)

        self.top_split = QSplitter(Qt.Orientation.Horizontal)
        self.top_split.addWidget(passage_box)
        self.top_split.addWidget(answer_box)
        self.top_split.setStretchFactor(0, 3)
        self.top_split.setStretchFactor(1, 2)

        self.plot = ProbabilityPlot(log_scale=self.settings.plot_log_scale,
                                    word_view=self.settings.plot_word_view)
        self.heatmap = SpanHeatmap()
        self.inspector = InspectorPanel()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.plot, "Start/end probabilities")
        self.tabs.addTab(self.heatmap, "Span scores")
        self.tabs.addTab(self.inspector, "Inspector")

        self.main_split = QSplitter(Qt.Orientation.Vertical)
        self.main_split.addWidget(self.top_split)
        self.main_split.addWidget(self.tabs)
        self.main_split.setStretchFactor(0, 1)
        self.main_split.setStretchFactor(1, 1)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 6, 8, 4)
        layout.addWidget(self.banner)
        layout.addWidget(self.main_split, 1)
        self.setCentralWidget(central)

        self.progress = OperationProgress()
        self.runtime_status = RuntimeStatus()
        self.statusBar().addWidget(self.progress)
        self.statusBar().addPermanentWidget(self.runtime_status)

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(AUTOSAVE_DELAY_MS)
        self.top_k_timer = QTimer(self)
        self.top_k_timer.setSingleShot(True)
        self.top_k_timer.setInterval(TOP_K_DELAY_MS)

    def _build_actions(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        self.open_action = QAction("&Open passage…", self, shortcut=QKeySequence.StandardKey.Open)
        self.export_answers_action = QAction("Export &answers (JSON/CSV)…", self)
        self.export_tokens_action = QAction("Export &token probabilities (CSV)…", self)
        self.export_plot_action = QAction("Export the &plot (PNG/SVG)…", self)
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        for action in (self.open_action, None, self.export_answers_action, self.export_tokens_action,
                       self.export_plot_action, None, quit_action):
            file_menu.addSeparator() if action is None else file_menu.addAction(action)

        model_menu = menu.addMenu("&Model")
        self.open_model_action = QAction("&Open model directory…", self)
        self.import_model_action = QAction("&Import a Hugging Face model…", self)
        model_menu.addAction(self.open_model_action)
        model_menu.addAction(self.import_model_action)
        self.recent_menu = model_menu.addMenu("&Recent models")
        device_menu = model_menu.addMenu("&Device")
        self.device_group = QActionGroup(self)
        for device, label in (("auto", "Auto (CUDA when available)"), ("cpu", "CPU"), ("cuda", "CUDA")):
            action = QAction(label, self, checkable=True)
            action.setData(device)
            action.setChecked(device == self.models.device)
            self.device_group.addAction(action)
            device_menu.addAction(action)
        self.device_group.triggered.connect(lambda action: self.set_device(action.data()))

        help_menu = menu.addMenu("&Help")
        about = QAction("&About qa-desktop", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

        toolbar = QToolBar("Main")
        toolbar.setObjectName("MainToolbar")
        toolbar.setMovable(False)
        toolbar.setIconSize(QSize(16, 16))
        toolbar.addAction(self.open_action)
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(" Model: "))
        self.model_selector = ModelSelector()
        toolbar.addWidget(self.model_selector)
        toolbar.addAction(self.open_model_action)
        toolbar.addAction(self.import_model_action)
        self.addToolBar(toolbar)

        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.ask)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.cancel_running)
        self._set_export_enabled(False)

    def _connect(self) -> None:
        self.ask_button.clicked.connect(self._ask_clicked)
        self.question.asked.connect(lambda _text: self.ask())
        self.question.textChanged.connect(self._question_changed)
        self.open_button.clicked.connect(self.choose_file)
        self.open_action.triggered.connect(self.choose_file)
        self.passage.textChanged.connect(self._passage_changed)
        self.passage.selectionChanged.connect(self._passage_selection_changed)
        self.passage.fileDropped.connect(self.open_file)
        self.answer_panel.answerChosen.connect(lambda i: self.choose_answer(i, scroll=True))
        self.answer_panel.thresholdChanged.connect(self._threshold_changed)
        self.answer_panel.topKChanged.connect(self._top_k_changed)
        self.top_k_timer.timeout.connect(self._top_k_settled)
        self.plot.tokensPicked.connect(self._plot_tokens_picked)
        self.plot.view_choice.currentIndexChanged.connect(self._plot_options_changed)
        self.plot.log_scale.toggled.connect(self._plot_options_changed)
        self.heatmap.spanPicked.connect(self._heatmap_span_picked)
        self.inspector.markRequested.connect(self.mark_true_answer)
        self.model_selector.specChosen.connect(self.choose_model)
        self.open_model_action.triggered.connect(self.choose_model_directory)
        self.import_model_action.triggered.connect(self.choose_import)
        self.export_answers_action.triggered.connect(self.choose_export_answers)
        self.export_tokens_action.triggered.connect(self.choose_export_tokens)
        self.export_plot_action.triggered.connect(self.choose_export_plot)
        self.progress.cancelRequested.connect(self.cancel_running)
        self.autosave_timer.timeout.connect(self.save_draft)

    def _restore_settings(self) -> None:
        geometry = self.settings.geometry
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1360, 880)
        for name, splitter in (("top_split", self.top_split), ("main_split", self.main_split)):
            state = self.settings.splitter_state(name)
            if state is not None:
                splitter.restoreState(state)
        self._rebuild_model_lists()

    def _restore_draft(self) -> None:
        draft = self.autosave.load()
        if draft is None:
            return
        self._restoring = True
        try:
            self.passage.setPlainText(draft.passage)
            self.question.setText(draft.question)
            self.question.history = list(draft.history)[-self.question.limit:]
            self.question.walk_reset()
        finally:
            self._restoring = False

    # ------------------------------------------------------------------------------------------
    # theme
    def apply_theme(self) -> None:
        app = QApplication.instance()
        self.theme = apply_system_theme(app) if app is not None else current_theme()
        for widget in (self.banner, self.passage, self.answer_panel, self.plot, self.heatmap,
                       self.inspector, self.runtime_status):
            widget.set_theme(self.theme)
        self.passage_info.setStyleSheet(f"QLabel {{ color: {self.theme.muted}; }}")

    # ------------------------------------------------------------------------------------------
    # messages
    def show_error(self, message: str, actions=None) -> None:
        self.banner.show_message(message, "error", actions)

    def show_warning(self, message: str, actions=None) -> None:
        self.banner.show_message(message, "warning", actions)

    def show_info(self, message: str) -> None:
        self.banner.show_message(message, "info")

    def _no_model_actions(self):
        return [("Open model directory…", self.choose_model_directory),
                ("Import…", self.choose_import)]

    def show_failure(self, exc: BaseException, context: str) -> str:
        """The one place an operation's failure becomes words in the window."""
        if isinstance(exc, Cancelled):
            self.statusBar().showMessage(str(exc), 5000)
            return str(exc)
        if isinstance(exc, ModelError):
            message = str(exc)
            self.show_error(message, self._no_model_actions())
            return message
        if isinstance(exc, QaDesktopError):
            message = str(exc)
            self.show_error(message)
            return message
        if isinstance(exc, MemoryError):
            message = f"{context} ran out of memory. Try a shorter passage or close other programs."
            self.show_error(message)
            return message
        # Not the user's doing: a short message here, the traceback on stderr.
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        detail = " ".join(str(exc).split())[:200]
        message = (f"{context} failed unexpectedly ({type(exc).__name__}: {detail}). The details were "
                   "written to the log (stderr); your passage and question are kept.")
        self.show_error(message)
        return message

    # ------------------------------------------------------------------------------------------
    # models
    def _rebuild_model_lists(self) -> None:
        recent = [p for p in self.settings.recent_models]
        self.model_selector.rebuild(recent, current=self.model_spec)
        self.recent_menu.clear()
        for spec in recent:
            action = self.recent_menu.addAction(spec)
            action.triggered.connect(lambda _=False, s=spec: self.choose_model(s))
        self.recent_menu.setEnabled(bool(recent))

    def _initial_load(self) -> None:
        self.load_model(self.model_spec, announce_missing=True)

    def resolve_model(self, spec: str, passage: str) -> Path:
        """Worker-thread safe: a model directory for the spec, or ModelError in the window's words.

        "auto" with no bundled model falls back to an imported one (the multilingual one for
        non-Latin passages), so a user who imported a model never sees "no model"."""
        try:
            return model_store.resolve(spec, passage)
        except ModelError:
            if spec not in model_store.MODEL_CHOICES:
                raise
            bundled, imported = model_store.bundled_models(), model_store.imported_models()
            if not bundled and not imported:
                raise ModelError(NO_MODEL_MESSAGE) from None
            if spec == "auto" and imported:
                multilingual = model_store.multilingual_model()
                if multilingual is not None and needs_multilingual(passage):
                    return multilingual
                return imported[0]
            if spec == "english" and not bundled:
                raise ModelError("No bundled English model is installed: choose an imported model in the "
                                 "Model list, open a model directory, or import one.") from None
            raise

    def choose_model(self, spec: str) -> None:
        self.model_spec = spec
        self.model_selector.select_spec(spec)
        self.load_model(spec)

    def load_model(self, spec: str, announce_missing: bool = True) -> None:
        """Load (or find loaded) the model for `spec` in the background; status bar follows."""
        passage = self.passage.toPlainText() if spec in model_store.MODEL_CHOICES else ""
        if self._load_op is not None and self._load_op.is_running:
            self._load_op.cancel()  # its result is ignored below; the newest choice wins

        def load(ctx: OperationContext) -> ModelInfo:
            path = self.resolve_model(spec, passage)
            ModelDirectory.open(path)  # the precise message for a broken directory
            ctx.say(f"Loading {path.name}…")
            return ModelInfo.of(self.models.get(path))

        self.runtime_status.show_loading(Path(spec).name if spec not in model_store.MODEL_CHOICES else spec)

        def loaded(info: ModelInfo) -> None:
            if op is not self._load_op:
                return
            self.model_info = info
            self.runtime_status.show_model(info)
            if self.banner.isVisible() and self.banner.level == "error" and (
                    "model" in self.banner.text.lower()):
                self.banner.dismiss()
            if info.runtime.fallback_reason:
                self.show_warning(info.runtime.fallback_reason)
            if self.persist:
                self.settings.last_model = spec  # the last model that worked opens next time
            if spec not in model_store.MODEL_CHOICES:
                self._remember_model_path(str(info.path))
            self.modelLoaded.emit(info)

        def failed(exc: BaseException) -> None:
            if op is not self._load_op:
                return
            self.model_info = None
            self.runtime_status.show_model(None, "No model loaded")
            if announce_missing or not isinstance(exc, ModelError):
                message = self.show_failure(exc, "Loading the model")
            else:
                message = str(exc)
            self.modelFailed.emit(message)

        # `loaded`/`failed` compare against `op`: an older load finishing late changes nothing.
        op = BackgroundOperation(self, load, success=loaded).failure(failed)
        self._load_op = op
        op.run_in_background()

    def _remember_model_path(self, path: str) -> None:
        if not self.persist:
            return
        imported = {str(p) for p in model_store.imported_models() + model_store.bundled_models()}
        if path not in imported:
            self.settings.add_recent_model(path)
        self._rebuild_model_lists()

    def choose_model_directory(self) -> None:
        start = self.settings.last_directory or str(Path.home())
        path = QFileDialog.getExistingDirectory(self, "Open a model directory (with model.onnx)", start)
        if path:
            self.settings.last_directory = str(Path(path).parent)
            self.open_model_directory(path)

    def open_model_directory(self, path: str | Path) -> None:
        path = str(Path(path).expanduser())
        self.choose_model(path)

    def set_device(self, device: str) -> None:
        self.models.set_device(device)
        if self.persist:
            self.settings.device = device
        for action in self.device_group.actions():
            action.setChecked(action.data() == device)
        self.load_model(self.model_spec)

    def choose_import(self) -> None:
        dialog = ModelImportDialog(self, start_dir=self.settings.last_directory)
        if dialog.exec() == ModelImportDialog.DialogCode.Accepted:
            self.import_model(dialog.request())

    def import_model(self, request: ModelImportRequest) -> BackgroundOperation:
        dialog = ImportProgressDialog(self, f"Importing {request.name}")

        def work(ctx: OperationContext) -> Path:
            return import_checkpoint(request, lambda text, done, total: ctx.report(done, total, text),
                                     ctx.cancelled)

        def imported(path: Path) -> None:
            dialog.accept()
            self.show_info(f"Imported {request.name} into {path}.")
            self._rebuild_model_lists()
            self.choose_model(str(path))

        def failed(exc: BaseException) -> None:
            dialog.reject()
            self.show_failure(exc, "Importing the model")

        op = BackgroundOperation(self, work, success=imported).failure(failed).progress(dialog.show_progress)
        dialog.cancel_button.clicked.connect(lambda: (op.cancel(), dialog.cancelling()))
        dialog.rejected.connect(op.cancel)  # Esc or closing the dialog cancels too
        self._import_op = op.run_in_background()
        dialog.show()
        self.import_dialog = dialog
        return op

    # ------------------------------------------------------------------------------------------
    # asking
    @property
    def busy(self) -> bool:
        return self._answer_op is not None and self._answer_op.is_running

    def _ask_clicked(self) -> None:
        if self.busy:
            self.cancel_answer()
        else:
            self.ask()

    def ask(self) -> None:
        """Answer the question about the passage. While an answer is running, that one is
        cancelled and this one starts as soon as it has stopped."""
        if self.busy:
            self._pending_ask = True
            self._answer_op.cancel()
            return
        self._start_answer()

    def cancel_answer(self) -> None:
        self._pending_ask = False
        if self._answer_op is not None:
            self._answer_op.cancel()

    def cancel_running(self) -> None:
        self.cancel_answer()
        for op in (self._file_op, self._import_op):
            if op is not None and op.is_running:
                op.cancel()

    def _start_answer(self) -> None:
        question = self.question.text().strip()
        passage = self.passage.toPlainText()
        spec = self.model_spec
        top_k = self.answer_panel.top_k.value()
        threshold = self.answer_panel.threshold_value()
        if question:
            # Kept with the autosaved draft, written on a worker: a settings write here would
            # sync the settings file on the GUI thread just as answering starts.
            self.question.remember(question)
            if self.persist:
                self.autosave_timer.start()

        def work(ctx: OperationContext) -> PreparedAnswer:
            path = self.resolve_model(spec, passage)
            answerer = self.models.loaded(path)
            if answerer is None:
                ModelDirectory.open(path)
                ctx.say(f"Loading {path.name}…")
                answerer = self.models.get(path)
            ctx.raise_if_cancelled()
            ctx.say("Reading the passage…")
            prediction = answerer.answer(
                question, passage, top_k=top_k, threshold=threshold,
                progress=lambda done, total: ctx.report(done, total, f"Reading window {done} of {total}"),
                cancelled=ctx.cancelled)
            ctx.say("Preparing the plots…")
            return PreparedAnswer.build(prediction, ModelInfo.of(answerer))

        op = (BackgroundOperation(self, work, success=self._answered)
              .failure(self._answer_failed).progress(self.progress.update_progress)
              .finished(self._answer_finished))
        self._answer_op = op
        self.ask_button.setText("Cancel")
        self.ask_button.setToolTip("Stop answering (Esc)")
        self.progress.start("Answering…")
        op.run_in_background()

    def _answered(self, answer: PreparedAnswer) -> None:
        if self._pending_ask:
            return  # a newer question is waiting; do not flash this answer
        self._raw_answer = answer
        self.model_info = answer.model
        self.runtime_status.show_model(answer.model)
        self.runtime_status.show_latency(answer.prediction.timings)
        if self.banner.isVisible() and self.banner.level == "error":
            self.banner.dismiss()
        self._passage_stale = False
        self.show_answer(answer.judged(self.answer_panel.threshold_value()))
        for warning in answer.prediction.warnings:
            self.show_warning(warning)

    def _answer_failed(self, exc: BaseException) -> None:
        if self._pending_ask and isinstance(exc, Cancelled):
            return
        message = self.show_failure(exc, "Answering")
        if isinstance(exc, ModelError):
            self.runtime_status.show_model(None, "No model loaded")
        self.askFailed.emit(message)

    def _answer_finished(self) -> None:
        self._answer_op = None
        self.ask_button.setText("Ask")
        self.ask_button.setToolTip("Answer the question (Enter in the question, Ctrl+Enter anywhere)")
        self.progress.stop()
        if self._pending_ask:
            self._pending_ask = False
            self._start_answer()

    def show_answer(self, answer: PreparedAnswer, chosen: int = 0) -> None:
        """Put an answer on screen in three event-loop turns (answer and highlight; plot;
        heatmap and inspector), so the window repaints between them and no single turn holds
        the GUI thread long, even for a quarter of a million tokens. answerShown follows the
        last one."""
        self.answer = answer
        self.chosen = chosen
        self._display_stage = 1
        self._display_generation += 1
        generation = self._display_generation
        p = answer.prediction
        self.answer_panel.show_answer(answer, chosen)
        self.passage.set_highlight("token", None)
        self.passage.set_highlight("gold", None)
        if p.candidates and not p.abstained:
            self.passage.set_highlight("answer", answer.qt_span(p.candidates[chosen]), scroll=True)
        else:
            self.passage.set_highlight("answer", None)
        self._set_export_enabled(True)

        def plots() -> None:
            if generation != self._display_generation:
                return  # a newer answer replaced this one meanwhile
            self.plot.set_answer(answer, self.chosen)
            self._display_stage = 2
            QTimer.singleShot(STAGE_GAP_MS, inside)

        def inside() -> None:
            if generation != self._display_generation:
                return
            self.inspector.set_answer(answer)
            self._display_stage = 3
            if p.candidates:
                self.choose_answer(self.chosen, scroll=False,
                                   highlight=self.passage.highlight("answer") is not None)
            else:
                self.heatmap.clear()
            self.answerShown.emit(answer)

        QTimer.singleShot(STAGE_GAP_MS, plots)

    def choose_answer(self, index: int, scroll: bool = True, highlight: bool = True) -> None:
        """Show candidate `index`: passage highlight, plot marks, heatmap, inspector window."""
        if self.answer is None or not (0 <= index < len(self.answer.prediction.candidates)):
            return
        self.chosen = index
        a = self.answer.prediction.candidates[index]
        if highlight and not self._passage_stale:
            self.passage.set_highlight("answer", self.answer.qt_span(a), scroll=scroll)
        elif not highlight:
            self.passage.set_highlight("answer", None)
        if self._display_stage < 3:
            return  # the later display stages read self.chosen
        if self.plot.answer_tokens != (a.start_token, a.end_token):
            self.plot.show_answer_tokens(a.start_token, a.end_token)
        self.heatmap.show_space(SpanSearchSpace.around(self.answer.prediction, a))
        self.inspector.show_answer_span(index)

    def _threshold_changed(self, threshold) -> None:
        if self.persist:
            self.settings.threshold_enabled = threshold is not None
            if threshold is not None:
                self.settings.threshold = threshold
        if self._raw_answer is None:
            return
        self.answer = self._raw_answer.judged(threshold)
        self.answer_panel.show_answer(self.answer, self.chosen)
        abstained = self.answer.prediction.abstained
        if self.answer.prediction.candidates:
            self.choose_answer(self.chosen if not abstained else 0, scroll=False, highlight=not abstained)

    def _top_k_changed(self, value: int) -> None:
        if self.persist:
            self.settings.top_k = value
        if self.answer is not None and not self._passage_stale:
            self.top_k_timer.start()

    def _top_k_settled(self) -> None:
        if self.answer is not None and not self._passage_stale and not self.busy:
            self.ask()

    # ------------------------------------------------------------------------------------------
    # passage and question edits
    def _passage_changed(self) -> None:
        count = self.passage.character_count()
        self.passage_info.setText(f"{count:,} characters")
        if self._restoring:
            return
        if self.persist:
            self.autosave_timer.start()
        if self.answer is not None and not self._passage_stale:
            # Offsets of the last answer no longer index this text: stop linking plot↔passage.
            self._passage_stale = True
            self.answer_panel.mark_stale()
            self.plot.clear_selection()

    def _question_changed(self, _text: str) -> None:
        if self._restoring:
            return
        if self.persist:
            self.autosave_timer.start()

    def save_draft(self, wait: bool = False) -> None:
        """Write the passage and question to the autosave file. The text is read here; the
        write (with fsync, which can take a disk hundreds of milliseconds) happens on a worker,
        one at a time: a save asked for while one runs follows it with the newest text."""
        self.autosave_timer.stop()
        if not self.persist:
            return
        if wait:
            if not self.autosave.save(self.passage.toPlainText(), self.question.text(), self.question.history):
                self._autosave_failed()
            return
        if self._save_op is not None and self._save_op.is_running:
            self._save_again = True
            return
        passage, question = self.passage.toPlainText(), self.question.text()
        history = list(self.question.history)

        def saved(ok: bool) -> None:
            if not ok:
                self._autosave_failed()

        def finished() -> None:
            self._save_op = None
            if self._save_again:
                self._save_again = False
                self.save_draft()

        self._save_op = (BackgroundOperation(self, lambda ctx: self.autosave.save(passage, question, history),
                                             success=saved)
                         .failure(lambda exc: self.show_failure(exc, "Autosave"))
                         .finished(finished))
        self._save_op.run_in_background()

    def _autosave_failed(self) -> None:
        if not self._autosave_warned:
            self._autosave_warned = True
            self.show_warning(self.autosave.last_error or "Autosave failed.")

    def _passage_selection_changed(self) -> None:
        if self.answer is None or self._passage_stale:
            return
        span = self.passage.selected_span()
        if span is None:
            self.plot.clear_selection()
            return
        offsets = self.answer.offsets
        tokens = self.answer.tokens.tokens_in(offsets.to_python(span[0]), offsets.to_python(span[1]))
        if tokens is None:
            self.plot.clear_selection()
        else:
            self.plot.show_selection(*tokens)

    def _plot_tokens_picked(self, first: int, last: int) -> None:
        if self.answer is None:
            return
        if self._passage_stale:
            self.statusBar().showMessage("The passage changed after this answer: ask again to link the "
                                         "plot to it.", 6000)
            return
        t = self.answer.tokens
        start, end = int(t.char_start[first]), int(t.char_end[last])
        offsets = self.answer.offsets
        self.passage.set_highlight("token", (offsets.to_qt(start), offsets.to_qt(end)), scroll=True)

    def _heatmap_span_picked(self, window: int, start_pos: int, end_pos: int) -> None:
        if self.answer is None or self._passage_stale:
            return
        w = self.answer.prediction.windows[window]
        first = w.passage_token_start + start_pos - w.context_offset
        last = w.passage_token_start + end_pos - w.context_offset
        self.plot.show_selection(first, last)
        self._plot_tokens_picked(first, last)

    def _plot_options_changed(self, *_):
        if self.persist:
            self.settings.plot_word_view = self.plot.word_view
            self.settings.plot_log_scale = self.plot.log_scaled

    def mark_true_answer(self) -> None:
        """The inspector's loss for the span selected in the passage."""
        if self.answer is None:
            self.inspector.show_loss_error("Ask a question first.")
            return
        prediction = self.answer.prediction
        if self._passage_stale and self.passage.toPlainText() != prediction.passage:
            self.inspector.show_loss_error("The passage changed after this answer: ask again, then mark "
                                           "the true answer.")
            return
        span = self.passage.selected_span()
        if span is None:
            self.inspector.show_loss_error("Select the true answer in the passage first, then press "
                                           "“Mark the true answer”.")
            return
        offsets = self.answer.offsets
        start, end = offsets.to_python(span[0]), offsets.to_python(span[1])
        try:
            first, last = gold_token_span(prediction.tokens, start, end)
            loss = span_loss(prediction, first, last)
        except InputError as exc:
            self.inspector.show_loss_error(str(exc))
            return
        t = self.answer.tokens
        gold_start, gold_end = int(t.char_start[first]), int(t.char_end[last])
        self.passage.set_highlight("gold", (offsets.to_qt(gold_start), offsets.to_qt(gold_end)))
        self.inspector.show_loss(loss, prediction.passage[gold_start:gold_end])
        self.tabs.setCurrentWidget(self.inspector)

    # ------------------------------------------------------------------------------------------
    # files
    def choose_file(self) -> None:
        start = self.settings.last_directory or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open a passage", start, OPEN_FILTER)
        if path:
            self.settings.last_directory = str(Path(path).parent)
            self.open_file(path)

    def open_file(self, path: str | Path) -> BackgroundOperation:
        path = Path(path)
        if self._file_op is not None and self._file_op.is_running:
            self._file_op.cancel()

        def work(ctx: OperationContext) -> LoadedDocument:
            ctx.say(f"Opening {path.name}…")
            return load_document(path, cancelled=ctx.cancelled)

        def opened(doc: LoadedDocument) -> None:
            self.set_passage(doc.text)
            self.document_path = doc.path
            self.setWindowTitle(f"{doc.path.name} — qa-desktop")
            self.statusBar().showMessage(f"Opened {doc.path.name} ({len(doc.text):,} characters). "
                                         "Ctrl+Z brings the previous passage back.", 8000)
            for warning in doc.warnings:
                self.show_warning(warning)
            self.passageOpened.emit(doc)

        op = (BackgroundOperation(self, work, success=opened)
              .failure(lambda exc: self.show_failure(exc, f"Opening {path.name}"))
              .progress(self.progress.update_progress)
              .finished(self.progress.stop))
        self._file_op = op
        self.progress.start(f"Opening {path.name}…")
        return op.run_in_background()

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

    # ------------------------------------------------------------------------------------------
    # exports
    def _set_export_enabled(self, on: bool) -> None:
        for action in (self.export_answers_action, self.export_tokens_action, self.export_plot_action):
            action.setEnabled(on)

    def _save_path(self, title: str, suggested: str, filters: str) -> Path | None:
        start = Path(self.settings.last_directory or Path.home()) / suggested
        path, chosen = QFileDialog.getSaveFileName(self, title, str(start), filters)
        if not path:
            return None
        path = Path(path)
        if not path.suffix:
            # The filter the user picked decides the format when no suffix was typed.
            for ext in (".json", ".csv", ".png", ".svg"):
                if ext[1:] in chosen.lower():
                    path = path.with_suffix(ext)
                    break
        self.settings.last_directory = str(path.parent)
        return path

    def choose_export_answers(self) -> None:
        path = self._save_path("Export answers", "answers.json", "JSON (*.json);;CSV (*.csv)")
        if path is not None:
            self.export_answers(path)

    def choose_export_tokens(self) -> None:
        path = self._save_path("Export token probabilities", "token-probabilities.csv", "CSV (*.csv)")
        if path is not None:
            self.export_tokens(path)

    def choose_export_plot(self) -> None:
        path = self._save_path("Export the plot", "probabilities.png", "PNG image (*.png);;SVG image (*.svg)")
        if path is not None:
            self.export_plot(path)

    def _export(self, what: str, work) -> BackgroundOperation | None:
        if self.answer is None:
            self.show_error("Nothing to export yet: ask a question first.")
            return None
        op = (BackgroundOperation(self, work,
                                  success=lambda path: self.statusBar().showMessage(f"Saved {path}", 8000))
              .failure(lambda exc: self.show_failure(exc, f"Exporting {what}")))
        return op.run_in_background()

    def export_answers(self, path: str | Path) -> BackgroundOperation | None:
        prediction = self.answer.prediction if self.answer else None
        return self._export("the answers", lambda ctx: write_answers(prediction, path))

    def export_tokens(self, path: str | Path) -> BackgroundOperation | None:
        prediction = self.answer.prediction if self.answer else None
        return self._export("the token probabilities",
                            lambda ctx: write_token_probabilities(prediction, path, ctx.cancelled))

    def export_plot(self, path: str | Path) -> Path | None:
        """Rendering happens on the GUI thread (it draws the scene); it takes milliseconds."""
        if self.answer is None:
            self.show_error("Nothing to export yet: ask a question first.")
            return None
        try:
            saved = self.plot.export(path)
        except QaDesktopError as exc:
            self.show_error(str(exc))
            return None
        except OSError as exc:
            self.show_error(f"Cannot write {path}: {exc.strerror or exc}.")
            return None
        self.statusBar().showMessage(f"Saved {saved}", 8000)
        return saved

    # ------------------------------------------------------------------------------------------
    # closing
    def _about(self) -> None:
        try:
            from importlib.metadata import version

            release = version("qa-desktop")
        except Exception:  # noqa: BLE001 - running from a source tree without metadata
            release = "development"
        model = self.model_info.description if self.model_info else "no model loaded"
        QMessageBox.about(self, "About qa-desktop",
                          f"<b>qa-desktop</b> {release}<br>Offline extractive question answering with "
                          f"ONNX Runtime, made visible.<br><br>Model: {model}")

    def closeEvent(self, event) -> None:
        self.cancel_running()
        if self._load_op is not None:
            self._load_op.cancel()
        if self.persist:
            self.save_draft(wait=True)
            self.settings.geometry = self.saveGeometry()
            self.settings.set_splitter_state("top_split", self.top_split.saveState())
            self.settings.set_splitter_state("main_split", self.main_split.saveState())
            self.settings.sync()
        super().closeEvent(event)
