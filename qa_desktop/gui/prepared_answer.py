"""What the window shows for one answered question, prepared on the worker thread.

Everything here that costs time on a long passage (token columns, word groups, UTF-16
offsets) is computed before the result reaches the GUI thread, which then only draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from qa_desktop.engine.results import Answer, Prediction, RuntimeInfo
from qa_desktop.gui.token_arrays import TokenArrays, WordArrays
from qa_desktop.gui.utf16_offsets import Utf16Offsets


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
    tokens: TokenArrays
    words: WordArrays

    @classmethod
    def build(cls, prediction: Prediction, model: ModelInfo) -> "PreparedAnswer":
        offsets = Utf16Offsets(prediction.passage)
        tokens = TokenArrays.from_tokens(prediction.tokens)
        return cls(prediction=prediction, model=model, offsets=offsets, tokens=tokens,
                   words=WordArrays.group(tokens, prediction.passage, offsets))

    def judged(self, threshold: float | None) -> "PreparedAnswer":
        """The same run judged again: `threshold` switches abstention on at that margin; None
        restores the model's own behaviour. Never runs the model."""
        if threshold is None:
            prediction = replace(self.prediction, threshold=self.model.null_threshold,
                                 can_abstain=self.model.can_abstain)
        else:
            prediction = replace(self.prediction, threshold=float(threshold), can_abstain=True)
        return replace(self, prediction=prediction)

    def qt_span(self, answer: Answer) -> tuple[int, int]:
        return self.offsets.to_qt(answer.start), self.offsets.to_qt(answer.end)
