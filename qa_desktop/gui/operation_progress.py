"""Progress of the running operation in the status bar, with Cancel.

It appears only when an operation outlasts a short delay, so quick answers do not flicker a
progress bar; long documents show "Reading window 12 of 80" and a bar that can be cancelled.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from qa_desktop.gui.background_operation import ProgressUpdate

SHOW_AFTER_MS = 250


class OperationProgress(QWidget):
    cancelRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setObjectName("OperationProgressBar")
        self.bar.setFixedWidth(180)
        self.bar.setTextVisible(True)
        self.cancel = QToolButton()
        self.cancel.setText("Cancel")
        self.cancel.setToolTip("Stop this operation (Esc)")
        self.cancel.clicked.connect(self._cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.show)
        self._active = False
        self.hide()

    @property
    def active(self) -> bool:
        return self._active

    def start(self, text: str, cancellable: bool = True, delay_ms: int = SHOW_AFTER_MS) -> None:
        self._active = True
        self.label.setText(text)
        self.bar.setRange(0, 0)  # busy until the first numbers arrive
        self.cancel.setEnabled(cancellable)
        self.cancel.setVisible(cancellable)
        self.cancel.setText("Cancel")
        if delay_ms <= 0:
            self.show()
        else:
            self._timer.start(delay_ms)

    def update_progress(self, update: ProgressUpdate) -> None:
        if not self._active:
            return
        if update.text:
            self.label.setText(update.text)
        if update.total > 0:
            self.bar.setRange(0, update.total)
            self.bar.setValue(update.done)
        else:
            self.bar.setRange(0, 0)

    def stop(self) -> None:
        self._active = False
        self._timer.stop()
        self.hide()

    def _cancel(self) -> None:
        self.cancel.setEnabled(False)
        self.cancel.setText("Cancelling…")
        self.cancelRequested.emit()
