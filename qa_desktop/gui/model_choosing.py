"""Choosing the model: the toolbar list, the recent-models menu, the device, importing a
checkpoint, and loading in the background. Which directory a choice means is decided by
engine.model_store.resolve (inside window_operations), for the window as for the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from qa_desktop.engine import model_store
from qa_desktop.gui.background_operation import BackgroundOperation

if TYPE_CHECKING:  # annotations only: neither is needed before the first paint
    from qa_desktop.gui.model_import import ModelImportRequest
    from qa_desktop.gui.prepared_answer import ModelInfo


class ModelChoosing:
    """Mixed into MainWindow (which has `session`, `models`, `settings` and the widgets)."""

    def _rebuild_model_lists(self) -> None:
        recent = list(self.settings.recent_models)
        self.model_selector.rebuild(recent, current=self.session.model_spec)
        self.recent_menu.clear()
        for spec in recent:
            action = self.recent_menu.addAction(spec)
            action.triggered.connect(lambda _=False, s=spec: self.choose_model(s))
        self.recent_menu.setEnabled(bool(recent))

    def choose_model(self, spec: str) -> None:
        """Switch to `spec` once it has loaded: a folder that is not a model never becomes the
        chosen model (nor a recent one), and the model in use stays."""
        self.load_model(spec)

    def open_model_directory(self, path: str | Path) -> None:
        self.choose_model(str(Path(path).expanduser()))

    def load_model(self, spec: str) -> None:
        """Load (or find loaded) the model for `spec` in the background; the newest choice wins."""
        chosen = spec in model_store.MODEL_CHOICES
        previous_spec, previous_model = self.session.model_spec, self.session.model_info
        if self._is_running("load"):
            self._running["load"].cancel()
        from qa_desktop.gui import window_operations as operations  # after the first paint

        op = operations.load_model(self, self.models, spec, self.passage.toPlainText() if chosen else "")

        def loaded(info: ModelInfo) -> None:
            if op is not self._running.get("load"):
                return  # an older load finishing late changes nothing
            self.session.model_spec = spec
            self.model_selector.select_spec(spec)
            self.session.set_model(info)
            if self.banner.isVisible() and self.banner.level == "error" and "model" in self.banner.text.lower():
                self.banner.dismiss()
            if info.runtime.fallback_reason:
                self.show_warning(info.runtime.fallback_reason)
            if self.persist:
                self.settings.last_model = spec  # the last model that worked opens next time
                if not chosen:
                    self._remember_model_path(str(info.path))
            self.modelLoaded.emit(info)

        def failed(exc: BaseException) -> None:
            if op is not self._running.get("load"):
                return
            message = self.show_failure(exc, "Loading the model")
            if previous_model is not None and spec != previous_spec:
                # The model in use stays chosen and loaded; the list shows it again.
                self.session.model_spec = previous_spec
                self.model_selector.select_spec(previous_spec)
                self.session.set_model(previous_model)
                self.banner.show_message(f"{message} Still using {previous_model.name}.", "error",
                                         [("Open model directory…", self.choose_model_directory),
                                          ("Import…", self.choose_import)])
            else:
                self.session.set_model(None)
            self.modelFailed.emit(message)

        self.runtime_status.show_loading(spec if chosen else Path(spec).name)
        self._run("load", op.success(loaded).failure(failed))

    def _remember_model_path(self, path: str) -> None:
        if path not in {str(p) for p in model_store.imported_models() + model_store.bundled_models()}:
            self.settings.add_recent_model(path)
        self._rebuild_model_lists()

    def set_device(self, device: str) -> None:
        self.models.set_device(device)
        if self.persist:
            self.settings.device = device
        for action in self.device_group.actions():
            action.setChecked(action.data() == device)
        self.load_model(self.session.model_spec)

    def import_model(self, request: ModelImportRequest) -> BackgroundOperation:
        from qa_desktop.gui.model_import_dialog import ImportProgressDialog  # dialogs load when first used

        dialog = ImportProgressDialog(self, f"Importing {request.name}")

        def imported(path: Path) -> None:
            dialog.accept()
            self.banner.show_message(f"Imported {request.name} into {path}.", "info")
            self._rebuild_model_lists()
            self.choose_model(str(path))

        def failed(exc: BaseException) -> None:
            dialog.reject()
            self.show_failure(exc, "Importing the model")

        from qa_desktop.gui import window_operations as operations

        op = operations.import_model(self, request).success(imported).failure(failed).progress(dialog.show_progress)
        dialog.cancel_button.clicked.connect(lambda: (op.cancel(), dialog.cancelling()))
        dialog.rejected.connect(op.cancel)  # Esc or closing the dialog cancels too
        self._run("import", op)
        dialog.show()
        self.import_dialog = dialog
        return op
