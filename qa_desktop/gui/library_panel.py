"""The library panel: documents added once, a question asked across all of them.

A standalone widget (the main window decides where it goes). Every database and model call
runs in a BackgroundOperation, each opening its own connection to the library (SQLite
connections belong to one thread), so the window stays responsive while a folder is indexed:
the progress bar counts files and Cancel stops between files, keeping what was indexed.
Choosing an answer emits `answer_chosen(document_path, text, start, end)`; offsets are into
the document's text as the library read it (`document_text(path)`), which for .html and .docx is
the extracted text, not the file's bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QProgressBar, QPushButton, QTreeWidget, QTreeWidgetItem,
                               QVBoxLayout, QWidget)

from qa_desktop.engine.errors import Cancelled, QaDesktopError
from qa_desktop.engine.library.library_index import DocumentRecord, SkippedFile
from qa_desktop.engine.library.library_sync import Library, SyncReport
from qa_desktop.gui.background_operation import BackgroundOperation, OperationContext, ProgressUpdate

LIBRARY_FILTER = "Documents (*.txt *.md *.markdown *.text *.pdf *.html *.htm *.docx);;All files (*)"
ANSWER_ROLE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True)
class LibrarySnapshot:
    """What the panel shows, read on the worker thread."""

    documents: tuple[DocumentRecord, ...]
    skipped: tuple[SkippedFile, ...]
    report: SyncReport | None = None
    recovered: str | None = None


class LibraryPanel(QWidget):
    answer_chosen = Signal(str, str, int, int)  # document path, answer text, start, end
    operation_finished = Signal()  # after every add / refresh / remove / ask (for tests and the window)

    def __init__(self, library_dir: str | Path | None = None, model: str | None = None, parent=None,
                 models=None):
        """`models` (a gui.loaded_models.LoadedModels): share the window's loaded models instead
        of loading a model of the panel's own."""
        super().__init__(parent)
        self.library_dir = Path(library_dir) if library_dir is not None else None
        self.model = model
        self.models = models
        self._answerers: dict[Path, object] = {}
        self._operation: BackgroundOperation | None = None
        self._reload_after = False
        self.setAcceptDrops(True)

        self.add_files_button = QPushButton("Add files…")
        self.add_folder_button = QPushButton("Add folder…")
        self.refresh_button = QPushButton("Refresh")
        self.remove_button = QPushButton("Remove")
        self.add_files_button.clicked.connect(self._choose_files)
        self.add_folder_button.clicked.connect(self._choose_folder)
        self.refresh_button.clicked.connect(self.refresh)
        self.remove_button.clicked.connect(self._remove_selected)
        buttons = QHBoxLayout()
        for button in (self.add_files_button, self.add_folder_button, self.refresh_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.documents = QTreeWidget()
        self.documents.setHeaderLabels(["Document", "Status"])
        self.documents.setRootIsDecorated(False)
        self.documents.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.documents.setToolTip("Drop files or folders here to add them")

        self.progress_bar = QProgressBar()
        self.progress_label = QLabel()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        progress = QHBoxLayout()
        progress.addWidget(self.progress_label)
        progress.addWidget(self.progress_bar, 1)
        progress.addWidget(self.cancel_button)
        self._progress_widgets = (self.progress_bar, self.progress_label, self.cancel_button)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.question = QLineEdit()
        self.question.setPlaceholderText("Ask the whole library…")
        self.question.returnPressed.connect(self.ask)
        self.ask_button = QPushButton("Ask")
        self.ask_button.clicked.connect(self.ask)
        ask = QHBoxLayout()
        ask.addWidget(self.question, 1)
        ask.addWidget(self.ask_button)
        self.results = QListWidget()
        self.results.itemActivated.connect(self._choose_answer)
        self.results.itemClicked.connect(self._choose_answer)

        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.documents, 2)
        layout.addLayout(progress)
        layout.addWidget(self.message)
        layout.addLayout(ask)
        layout.addWidget(self.results, 1)
        self._show_progress(False)
        self.reload()

    # -- public actions --------------------------------------------------------------------------
    def add_paths(self, paths: list[str | Path]) -> BackgroundOperation | None:
        paths = [str(p) for p in paths]
        return self._sync(lambda library, ctx: library.add(paths, progress=self._reporter(ctx),
                                                           cancelled=ctx.cancelled), "Adding")

    def refresh(self) -> BackgroundOperation | None:
        return self._sync(lambda library, ctx: library.refresh(progress=self._reporter(ctx),
                                                               cancelled=ctx.cancelled), "Refreshing")

    def remove_path(self, path: str | Path) -> BackgroundOperation | None:
        return self._sync(lambda library, ctx: library.remove(path) and None, "Removing")

    def reload(self) -> BackgroundOperation | None:
        return self._sync(lambda library, ctx: None, "")

    def ask(self) -> BackgroundOperation | None:
        question = self.question.text()
        if not question.strip():
            self._say("Type a question to ask the library.")
            return None
        model, answerers, directory, models = self.model, self._answerers, self.library_dir, self.models

        def work(ctx: OperationContext):
            from qa_desktop.engine import model_store
            from qa_desktop.engine.library.library_answerer import ask_library, find_passages
            from qa_desktop.engine.question_answerer import QuestionAnswerer

            with Library(directory) as library:
                ctx.say("Searching the library…")
                ranges = find_passages(library.index, question)
                sample = question + " " + " ".join(
                    library.index.text_range(r.document_id, r.start, min(r.end, r.start + 2000)) for r in ranges[:3])
                path = model_store.resolve(model, sample)
                if models is not None:
                    if models.loaded(path) is None:
                        ctx.say(f"Loading {path.name}…")
                    answerer = models.get(path)
                else:
                    if path not in answerers:
                        ctx.say(f"Loading {path.name}…")
                        answerers[path] = QuestionAnswerer.load(path)
                    answerer = answerers[path]
                ctx.say("Reading the best passages…")
                # ask_library keeps no state in the answerer (its own tokenization, the reader's
                # thread-safe session), so it may share the window's model while the window answers.
                return ask_library(library.index, answerer, question, ranges=ranges,
                                   progress=lambda d, t: ctx.report(d, t, "Reading the best passages…"),
                                   cancelled=ctx.cancelled)

        self.results.clear()
        return self._start(BackgroundOperation(self, work).success(self._show_answers), busy="Asking")

    def cancel(self) -> None:
        if self._operation is not None:
            self._operation.cancel()

    @property
    def busy(self) -> bool:
        return self._operation is not None

    def document_text(self, path: str) -> str:
        """The text the library read from `path` (what answer offsets refer to)."""
        with Library(self.library_dir) as library:
            return library.index.document_text(path)

    # -- drag and drop ---------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)

    # -- running ---------------------------------------------------------------------------------
    @staticmethod
    def _reporter(ctx: OperationContext):
        return lambda done, total: ctx.report(done, total, f"Indexing {done}/{total}")

    def _sync(self, change, busy: str) -> BackgroundOperation | None:
        directory = self.library_dir

        def work(ctx: OperationContext) -> LibrarySnapshot:
            with Library(directory) as library:
                recovered = library.recovered
                report = None
                if recovered:
                    ctx.say("Rebuilding the library from its sources…")
                    report = library.refresh(progress=self._reporter(ctx), cancelled=ctx.cancelled)
                report = change(library, ctx) or report
                return LibrarySnapshot(tuple(library.documents()), tuple(library.skipped()), report, recovered)

        return self._start(BackgroundOperation(self, work).success(self._show_library), busy)

    def _start(self, operation: BackgroundOperation, busy: str) -> BackgroundOperation | None:
        if self._operation is not None:
            self._say("Wait for the current operation to finish, or cancel it.")
            return None
        self._operation = operation
        self._set_enabled(False)
        self._show_progress(bool(busy))
        self.progress_label.setText(f"{busy}…" if busy else "")
        self.progress_bar.setRange(0, 0)
        operation.progress(self._on_progress).failure(self._on_failure).finished(self._on_finished)
        return operation.run_in_background()

    def _on_progress(self, update: ProgressUpdate) -> None:
        if update.total > 0:
            self.progress_bar.setRange(0, update.total)
            self.progress_bar.setValue(update.done)
        else:
            self.progress_bar.setRange(0, 0)
        if update.text:
            self.progress_label.setText(update.text)

    def _on_failure(self, exc: BaseException) -> None:
        if isinstance(exc, QaDesktopError):  # Cancelled included: its message says what was kept
            self._say(str(exc))
            self._reload_after = isinstance(exc, Cancelled)  # show what was indexed before the cancel
            return
        from qa_desktop.gui.background_operation import report_unexpected

        report_unexpected(exc)
        self._say(f"Something went wrong ({type(exc).__name__}: {exc}).")

    def _on_finished(self) -> None:
        self._operation = None
        self._set_enabled(True)
        self._show_progress(False)
        self.operation_finished.emit()
        if self._reload_after:
            self._reload_after = False
            message = self.message.text()
            self.reload()
            self._say(message)

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.add_files_button, self.add_folder_button, self.refresh_button,
                       self.remove_button, self.ask_button):
            widget.setEnabled(enabled)

    def _show_progress(self, visible: bool) -> None:
        for widget in self._progress_widgets:
            widget.setVisible(visible)

    def _say(self, text: str) -> None:
        self.message.setText(text)

    # -- showing ---------------------------------------------------------------------------------
    def _show_library(self, snapshot: LibrarySnapshot) -> None:
        self.documents.clear()
        for d in snapshot.documents:
            status = f"indexed: {d.characters:,} characters"
            if d.warnings:
                status += f" ({d.warnings[0]})"
            item = QTreeWidgetItem([d.path, status])
            item.setToolTip(0, d.path)
            self.documents.addTopLevelItem(item)
        for s in snapshot.skipped:
            item = QTreeWidgetItem([s.path, f"skipped: {s.reason}"])
            item.setToolTip(1, s.reason)
            self.documents.addTopLevelItem(item)
        words = []
        if snapshot.recovered:
            words.append(snapshot.recovered)
        if snapshot.report is not None:
            words.append(snapshot.report.summary().capitalize() + ".")
        if words:
            self._say(" ".join(words))

    def _show_answers(self, prediction) -> None:
        self.results.clear()
        if not prediction.answers:
            self._say("No passage in the library matches the question.")
            return
        for answer in prediction.answers:
            item = QListWidgetItem(f"{answer.text} — {Path(answer.document).name}")
            item.setToolTip(f"{answer.document}, characters {answer.start}–{answer.end}, score {answer.score:.2f}")
            item.setData(ANSWER_ROLE, (answer.document, answer.text, answer.start, answer.end))
            self.results.addItem(item)
        self._say(f"{len(prediction.answers)} answer(s) from {len(prediction.ranges)} passage(s), "
                  f"{prediction.search_ms + prediction.read_ms:.0f} ms.")

    def _choose_answer(self, item: QListWidgetItem) -> None:
        document, text, start, end = item.data(ANSWER_ROLE)
        self.answer_chosen.emit(document, text, int(start), int(end))

    # -- dialogs ---------------------------------------------------------------------------------
    def _choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add files to the library", "", LIBRARY_FILTER)
        if files:
            self.add_paths(files)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder to the library")
        if folder:
            self.add_paths([folder])

    def _remove_selected(self) -> None:
        item = self.documents.currentItem()
        if item is None:
            self._say("Select a document to remove.")
            return
        self.remove_path(item.text(0))
