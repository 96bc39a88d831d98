"""The window's files in and out: the choosers where the user picks a passage, a model
directory, a checkpoint to import or a file to export to (each asks, remembers the folder and
hands the path on), and the exports themselves, written on a worker."""

from __future__ import annotations

from pathlib import Path

from qa_desktop.engine.errors import QaDesktopError
from qa_desktop.gui.background_operation import BackgroundOperation
from qa_desktop.gui.window_actions import EXPORT_ACTIONS

OPEN_FILTER = "Passages (*.txt *.md *.markdown *.text *.rst *.pdf);;Text (*.txt *.md);;PDF (*.pdf);;All files (*)"
SAVE_SUFFIXES = (".json", ".csv", ".png", ".svg")


def _file_dialog():
    # QFileDialog is imported when a chooser opens, not before the window's first paint.
    from PySide6.QtWidgets import QFileDialog

    return QFileDialog


class FileDialogs:
    """Mixed into MainWindow (which has `settings`, `answer` and the operations named above)."""

    def _start_directory(self) -> str:
        return self.settings.last_directory or str(Path.home())

    def choose_file(self) -> None:
        path, _ = _file_dialog().getOpenFileName(self, "Open a passage", self._start_directory(), OPEN_FILTER)
        if path:
            self.settings.last_directory = str(Path(path).parent)
            self.open_file(path)

    def choose_model_directory(self) -> None:
        path = _file_dialog().getExistingDirectory(self, "Open a model directory (with model.onnx)",
                                                self._start_directory())
        if path:
            self.settings.last_directory = str(Path(path).parent)
            self.open_model_directory(path)

    def choose_import(self) -> None:
        from qa_desktop.gui.model_import_dialog import ModelImportDialog  # dialogs load when first used

        dialog = ModelImportDialog(self, start_dir=self.settings.last_directory)
        if dialog.exec() == ModelImportDialog.DialogCode.Accepted:
            self.import_model(dialog.request())

    def _save_path(self, title: str, suggested: str, filters: str) -> Path | None:
        start = Path(self._start_directory()) / suggested
        path, chosen = _file_dialog().getSaveFileName(self, title, str(start), filters)
        if not path:
            return None
        path = Path(path)
        if not path.suffix:
            # The filter the user picked decides the format when no suffix was typed.
            for ext in SAVE_SUFFIXES:
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

    def _set_export_enabled(self, on: bool) -> None:
        for name in EXPORT_ACTIONS:
            getattr(self, name).setEnabled(on)

    def _export(self, what: str, work) -> BackgroundOperation | None:
        if self.answer is None:
            self.show_error("Nothing to export yet: ask a question first.")
            return None
        return (BackgroundOperation(self, work).success(lambda path: self.statusBar().showMessage(f"Saved {path}", 8000))
                .failure(lambda exc: self.show_failure(exc, f"Exporting {what}")).run_in_background())

    def export_answers(self, path: str | Path) -> BackgroundOperation | None:
        from qa_desktop.gui.prediction_export import write_answers  # numpy: not before the first paint

        prediction = self.answer.prediction if self.answer else None
        explanations = self.explanations.to_json()  # what the Inspector computed, if anything
        return self._export("the answers", lambda ctx: write_answers(prediction, path, explanations))

    def export_tokens(self, path: str | Path) -> BackgroundOperation | None:
        from qa_desktop.gui.prediction_export import write_token_probabilities

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
            # The qa_outputs views beside it, when they were computed for this answer.
            extra = self.explanations.export_plots(saved)
        except QaDesktopError as exc:
            self.show_error(str(exc))
            return None
        except OSError as exc:
            self.show_error(f"Cannot write {path}: {exc.strerror or exc}.")
            return None
        self.statusBar().showMessage(f"Saved {saved}" + "".join(f", {p.name}" for p in extra), 8000)
        return saved
