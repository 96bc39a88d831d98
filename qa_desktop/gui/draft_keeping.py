"""Keeping what the user typed: the passage, question and question history are restored at
start and saved (on a worker, debounced by the window's autosave timer) as they change."""

from __future__ import annotations


class DraftKeeping:
    """Mixed into MainWindow (which has `autosave`, `persist`, the editors and autosave_timer)."""

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

    def save_draft(self, wait: bool = False) -> None:
        """Write the passage and question to the autosave file, on a worker and one at a time:
        a save asked for while one runs follows it with the newest text."""
        self.autosave_timer.stop()
        if not self.persist:
            return
        if wait:
            if not self.autosave.save(self.passage.toPlainText(), self.question.text(), self.question.history):
                self._autosave_failed()
            return
        if self._is_running("save"):
            self._save_again = True
            return

        def finished() -> None:
            if self._save_again:
                self._save_again = False
                self.save_draft()

        from qa_desktop.gui import window_operations as operations  # not before the first paint

        op = operations.save_draft(self, self.autosave, self.passage.toPlainText(), self.question.text(),
                                   list(self.question.history))
        self._run("save", op.success(lambda ok: ok or self._autosave_failed())
                  .failure(lambda exc: self.show_failure(exc, "Autosave")).finished(finished))

    def _autosave_failed(self) -> None:
        if not self._autosave_warned:
            self._autosave_warned = True
            self.show_warning(self.autosave.last_error or "Autosave failed.")
