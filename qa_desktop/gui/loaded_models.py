"""Models loaded so far, kept so switching back and forth does not reload them.

Called from worker threads (loading takes seconds); the lock makes a load that two operations
ask for at once happen only once. One QuestionAnswerer is never used by two answers at a time:
the main window runs one answer operation at a time.
"""

from __future__ import annotations

import threading
from pathlib import Path

from qa_desktop.engine.question_answerer import QuestionAnswerer


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
        key = (self._key_path(path), self.device)
        with self._lock:
            if key not in self._models:
                self._models[key] = QuestionAnswerer.load(key[0], device=self.device, threads=self.threads)
            return self._models[key]

    def loaded(self, path: str | Path) -> QuestionAnswerer | None:
        with self._lock:
            return self._models.get((self._key_path(path), self.device))

    def set_device(self, device: str) -> None:
        """Later loads use `device`; loaded sessions stay cached under their own device."""
        with self._lock:
            self.device = device
