"""Passage files for the window: the engine's document reader (the CLI reads files the same
way), plus what the editor needs on top.

Runs on a worker thread (a long PDF takes seconds). Line endings become "\\n" because that is
what the passage editor holds and highlights are placed by character offset; an empty file is
refused rather than silently clearing the passage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from qa_desktop.engine.document_reader import read_document
from qa_desktop.engine.errors import Cancelled, InputError

OPEN_FILTER = "Passages (*.txt *.md *.markdown *.text *.rst *.pdf);;Text (*.txt *.md);;PDF (*.pdf);;All files (*)"


@dataclass(frozen=True)
class LoadedDocument:
    path: Path
    text: str
    warnings: tuple[str, ...] = ()


def load_document(path: str | Path, cancelled: Callable[[], bool] | None = None) -> LoadedDocument:
    document = read_document(path)
    if cancelled is not None and cancelled():
        raise Cancelled()
    text = document.text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if not text.strip():
        raise InputError(f"{document.path.name} is empty.")
    return LoadedDocument(path=document.path, text=text, warnings=tuple(document.warnings))
