"""The training loss of a gold answer span, as BERT's question-answering head computes it.

For every window: the gold start and end become window positions; a side whose token is not in
the window gets position seq_len (the padded row length) and is ignored, exactly as
`BertForQuestionAnswering` clamps positions to `ignored_index = start_logits.size(1)` and gives
that to `CrossEntropyLoss(ignore_index=...)`. Each side's loss is the mean cross-entropy over
the windows that contain its token (over that window's real positions only: the -inf padding
past a window's end is not a position); total = (start + end) / 2. Pure numpy, no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa_desktop.engine.errors import InputError
from qa_desktop.engine.results import PassageTokens, Prediction


@dataclass(frozen=True)
class WindowLoss:
    window: int
    start_position: int  # window position of the gold start, or ignore_index when not in the window
    end_position: int
    start_loss: float | None  # None: this window contributes nothing for that side
    end_loss: float | None


@dataclass(frozen=True)
class SpanLoss:
    start_token: int  # gold span as passage token indices (inclusive)
    end_token: int
    ignore_index: int  # the padded row length every out-of-window position is clamped to
    windows: tuple[WindowLoss, ...]
    start_loss: float
    end_loss: float

    @property
    def total_loss(self) -> float:
        return (self.start_loss + self.end_loss) / 2.0


def gold_token_span(tokens: PassageTokens, start_char: int, end_char: int) -> tuple[int, int]:
    """The passage tokens a character selection [start_char, end_char) touches, or InputError
    in the user's words (PassageTokens.covering decides which tokens)."""
    if end_char <= start_char:
        raise InputError("Select the true answer in the passage first.")
    span = tokens.covering(start_char, end_char)
    if span is None:
        raise InputError("The selection covers no token the model reads (only spaces?). "
                         "Select the words of the true answer.")
    return span


def _cross_entropy(row: np.ndarray, target: int) -> float:
    row = row.astype(np.float64)
    peak = row.max()
    return float(peak + np.log(np.exp(row - peak).sum()) - row[target])


def span_loss(prediction: Prediction, start_token: int, end_token: int) -> SpanLoss:
    """Loss of the gold span [start_token, end_token] (passage token indices, inclusive)."""
    n = len(prediction.tokens)
    if not (0 <= start_token <= end_token < n):
        raise InputError(f"The gold span must lie within the passage's {n} tokens, start before end.")
    ignore_index = int(prediction.start_logits.shape[1])
    rows = []
    for w in prediction.windows:
        s_pos, e_pos = w.position_of(start_token), w.position_of(end_token)
        valid = w.seq_len
        s_loss = _cross_entropy(prediction.start_logits[w.index, :valid], s_pos) if s_pos is not None else None
        e_loss = _cross_entropy(prediction.end_logits[w.index, :valid], e_pos) if e_pos is not None else None
        rows.append(WindowLoss(
            window=w.index,
            start_position=ignore_index if s_pos is None else s_pos,
            end_position=ignore_index if e_pos is None else e_pos,
            start_loss=s_loss, end_loss=e_loss,
        ))
    start_losses = [r.start_loss for r in rows if r.start_loss is not None]
    end_losses = [r.end_loss for r in rows if r.end_loss is not None]
    # Every passage token is in at least one window, so neither list is empty.
    return SpanLoss(
        start_token=start_token, end_token=end_token, ignore_index=ignore_index, windows=tuple(rows),
        start_loss=float(np.mean(start_losses)), end_loss=float(np.mean(end_losses)),
    )
