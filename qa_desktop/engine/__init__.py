"""The question-answering engine: pure Python, never imports Qt.

tokenize into windows (windowed_features) → run ONNX (onnx_session) → decode spans
(span_decoder), tied together by QuestionAnswerer; model directories, the model store, export
and evaluation beside them.
"""

from qa_desktop.engine.errors import Cancelled, InputError, ModelError, QaDesktopError
from qa_desktop.engine.question_answerer import QuestionAnswerer
from qa_desktop.engine.results import Answer, PassageToken, Prediction, RuntimeInfo, Timings, Window

__all__ = [
    "Answer", "Cancelled", "InputError", "ModelError", "PassageToken", "Prediction",
    "QaDesktopError", "QuestionAnswerer", "RuntimeInfo", "Timings", "Window",
]
