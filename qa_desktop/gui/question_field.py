"""The question: Enter asks, ↑/↓ walk through the questions asked before (like a shell).

What the user was typing before walking the history is kept and comes back after the newest
entry, so browsing the history never loses a half-written question.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLineEdit


class QuestionField(QLineEdit):
    asked = Signal(str)

    def __init__(self, parent=None, history: list[str] | None = None, limit: int = 100):
        super().__init__(parent)
        self.setObjectName("QuestionField")
        self.setPlaceholderText("Ask a question about the passage and press Enter")
        self.setClearButtonEnabled(True)
        self.limit = limit
        self.history: list[str] = list(history or [])[-limit:]
        self._cursor = len(self.history)  # == len(history): editing the draft
        self._draft = ""
        self.returnPressed.connect(self._ask)

    def remember(self, question: str) -> None:
        question = question.strip()
        if not question:
            return
        if question in self.history:
            self.history.remove(question)
        self.history.append(question)
        self.history = self.history[-self.limit:]
        self._cursor = len(self.history)
        self._draft = ""

    def walk_reset(self) -> None:
        """Back to editing the draft (after the history was replaced)."""
        self._cursor = len(self.history)
        self._draft = ""

    def _ask(self) -> None:
        self.asked.emit(self.text())

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Up and not event.modifiers():
            self.walk(-1)
            return
        if event.key() == Qt.Key.Key_Down and not event.modifiers():
            self.walk(+1)
            return
        super().keyPressEvent(event)

    def walk(self, step: int) -> None:
        if not self.history:
            return
        if self._cursor == len(self.history):
            self._draft = self.text()
        target = max(0, min(len(self.history), self._cursor + step))
        if target == self._cursor:
            return
        self._cursor = target
        self.setText(self._draft if target == len(self.history) else self.history[target])
