"""The decoder's start×end search space around one answer, ready to draw as a heatmap."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa_desktop.engine.results import Answer, Prediction
from qa_desktop.engine.span_decoder import VALID, SpanDecoder

# Positions shown beyond the longest allowed answer, so the TOO_LONG band is visible too.
MARGIN = 12


@dataclass(frozen=True)
class SpanSearchSpace:
    window: int
    lo: int  # window positions [lo, hi) on both axes
    hi: int
    scores: np.ndarray  # (hi-lo, hi-lo): start logit (row) + end logit (column)
    kinds: np.ndarray  # VALID / END_BEFORE_START / TOO_LONG / NOT_PASSAGE per cell
    labels: tuple[str, ...]  # token string at each position
    answer_cell: tuple[int, int] | None  # (row, column) of the span the model scored, relative to lo
    answer_span: tuple[int, int] | None  # (row, column) of the answer as shown, widened to whole words
    max_answer_len: int

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.scores.shape)

    @classmethod
    def around(cls, prediction: Prediction, answer: Answer) -> "SpanSearchSpace":
        window = prediction.windows[answer.window]
        s = window.position_of(answer.start_token)
        e = window.position_of(answer.end_token)
        if s is None or e is None:  # cannot happen for a span the decoder read from this window
            s = e = window.context_offset
        size = min(window.seq_len, max(prediction.max_answer_len + MARGIN, e - s + 1 + MARGIN))
        centre = (s + e) // 2
        lo = max(0, min(centre - size // 2, window.seq_len - size))
        hi = lo + size
        decoder = SpanDecoder(max_answer_len=prediction.max_answer_len)
        scores, kinds = decoder.span_score_matrix(window, prediction.start_logits,
                                                  prediction.end_logits, lo, hi)
        return cls(
            window=window.index, lo=lo, hi=hi, scores=scores, kinds=kinds,
            labels=tuple(window.token_strings[lo:hi]),
            answer_cell=cls._scored_cell(scores, kinds, s - lo, e - lo, answer.score),
            answer_span=(s - lo, e - lo), max_answer_len=prediction.max_answer_len,
        )

    @staticmethod
    def _scored_cell(scores: np.ndarray, kinds: np.ndarray, row: int, col: int,
                     score: float) -> tuple[int, int]:
        """The decoder widens a span that starts or ends inside a word to the whole word and
        keeps the score of the span the model actually scored: that span is a valid cell inside
        the widened one whose score is the answer's."""
        inside = np.zeros(scores.shape, dtype=bool)
        inside[row:col + 1, row:col + 1] = True
        candidates = inside & (kinds == VALID) & np.isfinite(scores)
        if not candidates.any():
            return row, col
        distance = np.where(candidates, np.abs(scores - score), np.inf)
        r, c = np.unravel_index(int(np.argmin(distance)), scores.shape)
        return int(r), int(c)
