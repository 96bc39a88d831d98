"""What an answered question looks like: frozen dataclasses that cross the engine boundary.

The GUI, the CLI and the benchmark draw these and nothing else. Arrays are numpy (read-only by
convention); everything else is plain Python so a Prediction can be turned into JSON or CSV.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterator, Protocol

import numpy as np


@dataclass(frozen=True)
class Answer:
    """One answer span. `text == passage[start:end]` (character offsets, end exclusive)."""

    text: str
    start: int
    end: int
    score: float  # raw: start logit + end logit in the window the span was read from
    probability: float  # calibrated: softmax over every valid span and "no answer", at the manifest's temperature
    start_prob: float  # global start probability of the first token (one softmax over the whole passage)
    end_prob: float  # global end probability of the last token
    window: int  # window the span was read from (the best-scoring one when several found it)
    # The tokens the model scored (indices into Prediction.tokens, inclusive). The characters
    # start:end may reach further: a span ending inside a word is shown as the whole word.
    start_token: int
    end_token: int
    # Lower-ranked spans that overlap this one ("March 1890" under "4 March 1890"), best first:
    # the same answer said differently, folded into it (empty with SpanDecoder(fold_overlapping=False)).
    variants: tuple["Answer", ...] = ()


@dataclass(frozen=True)
class PassageToken:
    """One passage token, read out of PassageTokens' columns on demand (hover text, a test)."""

    index: int
    text: str  # the tokenizer's token string (e.g. "##ing", "▁위키")
    start: int  # character offsets into the passage
    end: int
    word: int  # index of the word this piece belongs to (from the tokenizer, no space assumption)
    window: int  # the window its logits come from
    start_logit: float
    end_logit: float
    start_prob: float
    end_prob: float


@dataclass(frozen=True, eq=False)
class PassageTokens:
    """Every passage token's numbers as numpy columns, one row per token (a 1 MB passage has a
    quarter of a million: no object per token is made unless someone indexes one).

    Merge rule for tokens that several overlapping windows contain: the logits come from the
    window in which the token has the most context on both sides (min(left, right) largest, as
    in the original BERT SQuAD code); the probabilities are one softmax of those merged logits
    over all passage tokens, so they sum to 1 over the passage."""

    text: tuple[str, ...]  # the tokenizer's token strings
    start: np.ndarray  # (n,) int64 character offsets into the passage (Python string indices)
    end: np.ndarray
    word: np.ndarray  # (n,) int64 word index from the tokenizer, dense 0..W-1
    window: np.ndarray  # (n,) int64 window the merged logits come from
    start_logit: np.ndarray  # (n,) float64
    end_logit: np.ndarray
    start_prob: np.ndarray
    end_prob: np.ndarray

    def __len__(self) -> int:
        return int(self.start.shape[0])

    def __getitem__(self, index: int | slice) -> PassageToken | tuple[PassageToken, ...]:
        n = len(self)
        if isinstance(index, slice):
            return tuple(self[j] for j in range(*index.indices(n)))
        if not -n <= index < n:
            raise IndexError(f"token {index} of {n}")
        j = int(index) % n
        return PassageToken(
            index=j, text=self.text[j], start=int(self.start[j]), end=int(self.end[j]),
            word=int(self.word[j]), window=int(self.window[j]),
            start_logit=float(self.start_logit[j]), end_logit=float(self.end_logit[j]),
            start_prob=float(self.start_prob[j]), end_prob=float(self.end_prob[j]),
        )

    def __iter__(self) -> Iterator[PassageToken]:
        return (self[j] for j in range(len(self)))

    def covering(self, start_char: int, end_char: int) -> tuple[int, int] | None:
        """The first and last token the characters [start_char, end_char) touch, or None.

        The one characters → tokens rule: a token is touched when it overlaps the characters;
        tokens with empty offsets (rare specials) never are."""
        if end_char <= start_char or len(self) == 0:
            return None
        first = int(np.searchsorted(self.end, start_char, side="right"))  # first ending after start
        last = int(np.searchsorted(self.start, end_char, side="left")) - 1  # last starting before end
        while first <= last and self.end[first] <= self.start[first]:
            first += 1
        return (first, last) if first <= last else None


@dataclass(frozen=True)
class Window:
    """One model input: [CLS] question [SEP] passage slice [SEP] (or the model's own template)."""

    index: int
    input_ids: np.ndarray  # (seq,) int64, unpadded
    token_type_ids: np.ndarray | None  # (seq,) or None for models without segment ids
    sequence_ids: tuple[int | None, ...]  # None for special tokens, 0 question, 1 passage
    token_strings: tuple[str, ...]
    passage_token_start: int  # passage tokens [passage_token_start, passage_token_end) are in this window
    passage_token_end: int
    char_start: int  # passage characters this window covers
    char_end: int
    context_offset: int  # position in input_ids of the first passage token

    @property
    def seq_len(self) -> int:
        return int(self.input_ids.shape[0])

    @property
    def passage_positions(self) -> slice:
        """The window positions holding passage tokens, in passage order."""
        return slice(self.context_offset, self.context_offset + self.passage_token_end - self.passage_token_start)

    def position_of(self, token: int) -> int | None:
        """Position in this window's input of passage token `token`, or None when outside it."""
        if self.passage_token_start <= token < self.passage_token_end:
            return self.context_offset + token - self.passage_token_start
        return None

    def token_at(self, position: int) -> int | None:
        """The passage token at window position `position`, or None (question, special, padding)."""
        offset = position - self.context_offset
        if 0 <= offset < self.passage_token_end - self.passage_token_start:
            return self.passage_token_start + offset
        return None


@dataclass(frozen=True)
class Timings:
    tokenize_ms: float
    inference_ms: float
    decode_ms: float

    @property
    def total_ms(self) -> float:
        return self.tokenize_ms + self.inference_ms + self.decode_ms


@dataclass(frozen=True)
class RuntimeInfo:
    """Which execution provider the ONNX Runtime session really uses, and why."""

    providers: tuple[str, ...]  # session.get_providers(), in priority order
    requested: str  # "auto", "cpu" or "cuda"
    fallback_reason: str | None = None  # set when CUDA was wanted but is not in use

    @property
    def device(self) -> str:
        return "CUDA" if self.providers and self.providers[0] == "CUDAExecutionProvider" else "CPU"


class AbstentionDefaults(Protocol):
    """A model's own abstention rule (its manifest, or the window's ModelInfo)."""

    null_threshold: float
    can_abstain: bool


@dataclass(frozen=True)
class WindowSelection:
    """Which of a question's windows the model read, and why."""

    mode: str  # "all" or "auto"
    total: int  # windows a full read has
    read: tuple[int, ...]  # indices (into the full read's windows) read, in passage order
    scores: np.ndarray = field(repr=False)  # (total,) BM25 score of every window, 0 when no term matched
    reason: str  # one line: why these windows

    @property
    def preselected(self) -> bool:
        return len(self.read) < self.total


@dataclass(frozen=True)
class Prediction:
    question: str
    passage: str
    candidates: tuple[Answer, ...]  # top-k distinct answers, best (most probable) first, whatever the threshold
    no_answer_score: float  # lowest [CLS] start+end logit over all windows
    no_answer_probability: float
    threshold: float  # abstain when no_answer_score - best span score > threshold
    can_abstain: bool
    tokens: PassageTokens
    windows: tuple[Window, ...]
    start_logits: np.ndarray  # (windows, seq) padded with -inf past each window's length
    end_logits: np.ndarray
    timings: Timings
    runtime: RuntimeInfo
    model: str
    hidden_size: int
    max_answer_len: int
    temperature: float
    warnings: tuple[str, ...] = field(default=())
    # Which windows the model read (engine/window_preselection); None: every one.
    selection: WindowSelection | None = None

    @property
    def abstained(self) -> bool:
        if not self.candidates:
            return True
        return self.can_abstain and self.no_answer_score - self.candidates[0].score > self.threshold

    @property
    def answers(self) -> tuple[Answer, ...]:
        """The answers to show: empty when the model says the passage does not answer."""
        return () if self.abstained else self.candidates

    @property
    def best(self) -> Answer | None:
        return self.candidates[0] if self.candidates else None

    @property
    def provider(self) -> str:
        return self.runtime.providers[0] if self.runtime.providers else ""

    def judged(self, threshold: float | None, model: AbstentionDefaults) -> "Prediction":
        """The one abstention rule: `threshold` switches abstention on at that margin; None
        keeps the model's own (abstain only if trained to, at its calibrated threshold). The
        same run judged again: the model is not run."""
        if threshold is None:
            return replace(self, threshold=float(model.null_threshold), can_abstain=bool(model.can_abstain))
        return replace(self, threshold=float(threshold), can_abstain=True)

    @property
    def logits_shape(self) -> tuple[int, int, int]:
        """(windows, seq, 2): what qa_outputs produced before the start/end split."""
        return (int(self.start_logits.shape[0]), int(self.start_logits.shape[1]), 2)

    def to_json(self) -> dict:
        return {
            "answers": [
                {"text": a.text, "start": a.start, "end": a.end, "score": round(a.score, 6),
                 "probability": round(a.probability, 6),
                 **({"variants": [{"text": v.text, "start": v.start, "end": v.end,
                                   "probability": round(v.probability, 6)} for v in a.variants]}
                    if a.variants else {})}
                for a in self.answers
            ],
            "no_answer_score": round(self.no_answer_score, 6),
            "no_answer_probability": round(self.no_answer_probability, 6),
            "abstained": self.abstained,
            "threshold": self.threshold if np.isfinite(self.threshold) else None,  # None: never abstains
            "provider": self.provider,
            "model": self.model,
            "windows": len(self.windows),
            "timings_ms": {
                "tokenize": round(self.timings.tokenize_ms, 3),
                "inference": round(self.timings.inference_ms, 3),
                "decode": round(self.timings.decode_ms, 3),
            },
            "warnings": list(self.warnings),
        }
