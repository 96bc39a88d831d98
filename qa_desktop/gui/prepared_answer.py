"""What the window shows for one answered question, prepared on the worker thread.

Everything here that costs time on a long passage (word groups, UTF-16 offsets) is computed
before the result reaches the GUI thread, which then only draws it. The per-token numbers are
the engine's own columns (prediction.tokens).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy, imported where an answer is built: not before the window's first paint
    from qa_desktop.engine.results import Answer, Prediction, RuntimeInfo
    from qa_desktop.gui.utf16_offsets import Utf16Offsets
    from qa_desktop.gui.word_groups import WordArrays


@dataclass(frozen=True)
class ModelInfo:
    """The model that answered, as the window describes it."""

    name: str
    path: Path
    runtime: RuntimeInfo
    can_abstain: bool
    null_threshold: float
    quantization: str | None
    languages: tuple[str, ...]
    max_seq_len: int
    doc_stride: int
    hidden_size: int
    inputs: tuple[str, ...] = ("input_ids", "attention_mask", "token_type_ids")  # what the graph is fed

    @classmethod
    def of(cls, answerer) -> "ModelInfo":
        m = answerer.model.manifest
        return cls(
            name=answerer.name, path=Path(answerer.model.path), runtime=answerer.runtime,
            can_abstain=bool(m.can_abstain), null_threshold=float(m.null_threshold),
            quantization=m.quantization, languages=tuple(m.languages), max_seq_len=int(m.max_seq_len),
            doc_stride=int(m.doc_stride), hidden_size=int(answerer.model.hidden_size),
            inputs=tuple(answerer.reader.input_names),
        )

    @property
    def description(self) -> str:
        quant = f", {self.quantization}" if self.quantization else ""
        return f"{self.name} ({self.runtime.device}{quant})"


@dataclass(frozen=True)
class PreparedAnswer:
    prediction: Prediction
    model: ModelInfo
    offsets: Utf16Offsets
    words: WordArrays

    @classmethod
    def build(cls, prediction: Prediction, model: ModelInfo) -> "PreparedAnswer":
        from qa_desktop.gui.utf16_offsets import Utf16Offsets
        from qa_desktop.gui.word_groups import WordArrays

        offsets = Utf16Offsets(prediction.passage)
        return cls(prediction=prediction, model=model, offsets=offsets,
                   words=WordArrays.group(prediction.tokens, prediction.passage, offsets))

    def judged(self, threshold: float | None) -> "PreparedAnswer":
        """The same run judged again by the engine's abstention rule (Prediction.judged)."""
        return replace(self, prediction=self.prediction.judged(threshold, self.model))

    def qt_tokens(self, first: int, last: int) -> tuple[int, int]:
        """Qt positions of the characters of passage tokens first..last (inclusive)."""
        t = self.prediction.tokens
        return self.offsets.to_qt(int(t.start[first])), self.offsets.to_qt(int(t.end[last]))

    def tokens_at_qt(self, start: int, end: int) -> tuple[int, int] | None:
        """The passage tokens a Qt selection [start, end) touches, or None."""
        return self.prediction.tokens.covering(self.offsets.to_python(start), self.offsets.to_python(end))

    def qt_span(self, answer: Answer) -> tuple[int, int]:
        return self.offsets.to_qt(answer.start), self.offsets.to_qt(answer.end)
