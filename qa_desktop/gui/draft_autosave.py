"""The passage and question the user is working on (and the questions asked before), kept on
disk so nothing typed is lost.

Saved a moment after every edit (the main window debounces) and on close, by writing a new
file and renaming it over the old one: a process killed mid-write leaves the previous draft
whole, never a truncated one.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from qa_desktop.gui.app_settings import data_dir


@dataclass(frozen=True)
class Draft:
    passage: str
    question: str
    saved_at: float = 0.0
    history: tuple[str, ...] = ()  # questions asked before, oldest first (↑ in the question field)


class DraftAutosave:
    def __init__(self, path: Path | None = None):
        self.path = path or data_dir() / "autosave" / "draft.json"
        self.last_error: str | None = None

    def save(self, passage: str, question: str, history: list[str] | tuple[str, ...] = ()) -> bool:
        """False (and `last_error` set) when the disk refuses; the caller says so in the window."""
        data = json.dumps({"passage": passage, "question": question, "history": list(history),
                           "saved_at": time.time()}, ensure_ascii=False)
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            self.last_error = f"Autosave failed: cannot write {self.path} ({exc.strerror or exc})."
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass  # the directory itself is the problem; there is nothing to clean up
            return False
        self.last_error = None
        return True

    def load(self) -> Draft | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            print(f"qa-desktop: ignoring an unreadable autosave {self.path}: {exc}", file=sys.stderr)
            return None
        if not isinstance(data, dict):
            return None
        history = data.get("history")
        return Draft(passage=str(data.get("passage") or ""), question=str(data.get("question") or ""),
                     saved_at=float(data.get("saved_at") or 0.0),
                     history=tuple(str(q) for q in history) if isinstance(history, list) else ())
