"""Models loaded so far, kept so switching back and forth does not reload them.

Called from worker threads (loading takes seconds); the lock makes a load that two operations
ask for at once happen only once. One QuestionAnswerer is never used by two answers at a time:
the main window runs one answer operation at a time.

The window's sessions do not spin-wait: by default ONNX Runtime's intra-op threads spin on a
core after each piece of work, and on a two-core machine the worker thread plus a spinning pool
thread leave the GUI thread no core. Measured on 2 cores (beside a busy training job), the
bundled MiniLM answering a 20k-character passage: spinning 2.7-3.1 s and 3.1-3.4 s of CPU,
without spinning 1.7-2.2 s and 1.6-2.1 s of CPU.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the engine (numpy, ONNX Runtime) is imported by the first load, on its worker
    from qa_desktop.engine.question_answerer import QuestionAnswerer


def without_spinning(options) -> None:
    """The window's onnxruntime.SessionOptions: idle intra-op threads sleep instead of spinning."""
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")


class LoadedModels:
    def __init__(self, device: str = "auto", threads: int | None = None):
        self.device = device
        self.threads = threads
        self._lock = threading.Lock()
        self._models: dict[tuple[Path, str], QuestionAnswerer] = {}

    @staticmethod
    def _key_path(path: str | Path) -> Path:
        return Path(path).expanduser().resolve()

    def get(self, path: str | Path) -> QuestionAnswerer:
        from qa_desktop.engine.question_answerer import QuestionAnswerer

        key = (self._key_path(path), self.device)
        with self._lock:
            if key not in self._models:
                self._models[key] = QuestionAnswerer.load(key[0], device=self.device, threads=self.threads,
                                                           configure_session=without_spinning)
            return self._models[key]

    def loaded(self, path: str | Path) -> QuestionAnswerer | None:
        with self._lock:
            return self._models.get((self._key_path(path), self.device))

    def set_device(self, device: str) -> None:
        """Later loads use `device`; loaded sessions stay cached under their own device."""
        with self._lock:
            self.device = device
