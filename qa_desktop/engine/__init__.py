"""The question-answering engine: pure Python, never imports Qt.

tokenize into windows (windowed_features) → run ONNX (onnx_session) → decode spans
(span_decoder), tied together by QuestionAnswerer; model directories, the model store, export
and evaluation beside them.

The names below are loaded on first use (PEP 562): importing one light submodule (errors,
document_reader) must not pull in ONNX Runtime and numpy, which the window's start-up would pay
for before its first paint.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_HOMES = {
    "Cancelled": "errors", "InputError": "errors", "ModelError": "errors", "QaDesktopError": "errors",
    "QuestionAnswerer": "question_answerer",
    "Answer": "results", "PassageToken": "results", "Prediction": "results", "RuntimeInfo": "results",
    "Timings": "results", "Window": "results",
}

__all__ = sorted(_HOMES)

if TYPE_CHECKING:
    from qa_desktop.engine.errors import Cancelled, InputError, ModelError, QaDesktopError
    from qa_desktop.engine.question_answerer import QuestionAnswerer
    from qa_desktop.engine.results import Answer, PassageToken, Prediction, RuntimeInfo, Timings, Window


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
