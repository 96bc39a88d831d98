"""Asking what to import, and showing the import as it runs (log, progress, Cancel)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QProgressBar,
                               QPushButton, QVBoxLayout, QWidget)

from qa_desktop.engine.errors import InputError
from qa_desktop.engine.model_store import user_models_dir
from qa_desktop.gui.background_operation import ProgressUpdate
from qa_desktop.gui.model_import import ModelImportRequest, suggested_name, validate


class ModelImportDialog(QDialog):
    """Source (directory or hub id), name, int8. Accepting validates, and says what is wrong
    inside the dialog instead of closing it."""

    def __init__(self, parent=None, start_dir: str = ""):
        super().__init__(parent)
        self.setWindowTitle("Import a Hugging Face model")
        self.setMinimumWidth(560)
        self._start_dir = start_dir
        self._name_edited = False
        self.source = QLineEdit()
        self.source.setPlaceholderText("checkpoint directory, or hub id such as deepset/roberta-base-squad2")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        source_row = QHBoxLayout()
        source_row.addWidget(self.source, 1)
        source_row.addWidget(browse)
        self.name = QLineEdit()
        self.quantize = QCheckBox("Quantize to int8 (about 4× smaller, faster on the CPU)")
        self.error = QLabel()
        self.error.setObjectName("ImportError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("QLabel { color: #c62828; }")
        self.error.hide()
        note = QLabel(f"The model is exported to ONNX and stored in {user_models_dir()}. A hub id needs "
                      "network access; a local directory needs none.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Checkpoint", source_row)
        form.addRow("Name", self.name)
        form.addRow("", self.quantize)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.source.textChanged.connect(self._suggest)
        self.quantize.toggled.connect(self._suggest)
        self.name.textEdited.connect(self._name_typed)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Checkpoint directory", self._start_dir)
        if path:
            self.source.setText(path)

    def _name_typed(self, _text: str) -> None:
        self._name_edited = True

    def _suggest(self, *_):
        if not self._name_edited:
            quantize = "int8" if self.quantize.isChecked() else None
            self.name.setText(suggested_name(self.source.text(), quantize) if self.source.text().strip() else "")

    def request(self) -> ModelImportRequest:
        return ModelImportRequest(source=self.source.text().strip(), name=self.name.text().strip(),
                                  quantize="int8" if self.quantize.isChecked() else None)

    def accept(self) -> None:
        try:
            validate(self.request())
        except InputError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        super().accept()


class ImportProgressDialog(QDialog):
    """The export's steps as they happen; Cancel stops it at the next step."""

    def __init__(self, parent=None, title: str = "Importing"):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(560)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(500)
        self.cancel_button = QPushButton("Cancel")
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        layout.addWidget(self.log, 1)
        holder = QWidget()
        holder.setLayout(row)
        layout.addWidget(holder)

    def show_progress(self, update: ProgressUpdate) -> None:
        if update.total > 0:
            self.bar.setRange(0, update.total)
            self.bar.setValue(update.done)
        for line in update.lines:
            self.log.appendPlainText(line)

    def cancelling(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")
        self.log.appendPlainText("Cancelling after the current step…")
