"""The decoder's start×end search space around one answer, ready to draw as a heatmap."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa_desktop.engine.results import Answer, Prediction
from qa_desktop.engine.span_decoder import VALID, SpanDecoder

# Positions shown beyond the longest allowed answer, so the TOO_LONG band is visible too.
MARGIN = 12
SPECIALS = ("[CLS]", "[SEP]", "<s>", "</s>", "[PAD]", "<pad>")


@dataclass(frozen=True)
class SpanSearchSpace:
    window: int
    lo: int  # window positions [lo, hi) on both axes: the whole window
    hi: int
    scores: np.ndarray  # (hi-lo, hi-lo): start logit (row) + end logit (column)
    kinds: np.ndarray  # VALID / END_BEFORE_START / TOO_LONG / NOT_PASSAGE per cell
    labels: tuple[str, ...]  # token string at each position
    # The passage token at each position (as the plot and inspector number them), -1 for the
    # question and special tokens.
    passage_tokens: np.ndarray
    answer_cell: tuple[int, int] | None  # (row, column) of the span the model scored, relative to lo
    answer_span: tuple[int, int] | None  # (row, column) of the answer as shown, widened to whole words
    max_answer_len: int
    focus: tuple[int, int]  # the positions [first, last) to show first (around the answer)

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.scores.shape)

    def position_name(self, row: int) -> str:
        """How a position is numbered on screen: its passage token number, or "q" / the special."""
        token = int(self.passage_tokens[row])
        return str(token) if token >= 0 else ("q" if self.labels[row] not in SPECIALS else "·")

    @classmethod
    def of_window(cls, prediction: Prediction, index: int, answer: Answer | None = None) -> "SpanSearchSpace":
        """The whole window's search space; `answer` (read from this window) is outlined."""
        window = prediction.windows[index]
        decoder = SpanDecoder(max_answer_len=prediction.max_answer_len)
        scores, kinds = decoder.span_score_matrix(window, prediction.start_logits, prediction.end_logits,
                                                  0, window.seq_len)
        numbers = np.array([-1 if window.token_at(i) is None else window.token_at(i)
                            for i in range(window.seq_len)], dtype=np.int64)
        s = e = None
        if answer is not None and answer.window == index:
            s, e = window.position_of(answer.start_token), window.position_of(answer.end_token)
        if s is None or e is None:
            centre, cell, span = window.context_offset + prediction.max_answer_len // 2, None, None
        else:
            centre = (s + e) // 2
            cell, span = cls._scored_cell(scores, kinds, s, e, answer.score), (s, e)
        size = min(window.seq_len, max(prediction.max_answer_len + MARGIN, (e - s + 1 + MARGIN) if span else 0))
        first = max(0, min(centre - size // 2, window.seq_len - size))
        return cls(
            window=window.index, lo=0, hi=window.seq_len, scores=scores, kinds=kinds,
            labels=tuple(window.token_strings), passage_tokens=numbers, answer_cell=cell, answer_span=span,
            max_answer_len=prediction.max_answer_len, focus=(first, first + size),
        )

    @classmethod
    def around(cls, prediction: Prediction, answer: Answer) -> "SpanSearchSpace":
        return cls.of_window(prediction, answer.window, answer)

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
