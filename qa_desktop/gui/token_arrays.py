"""Per-token numbers of a Prediction as numpy columns, and the word view that groups pieces.

Built on the worker thread (a 1 MB passage has a quarter of a million tokens: turning the
PassageToken tuple into columns on the GUI thread would freeze it), then only read by the plot,
the passage↔plot links and the exports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QTextBoundaryFinder

from qa_desktop.engine.results import PassageToken
from qa_desktop.gui.utf16_offsets import Utf16Offsets


@dataclass(frozen=True)
class TokenArrays:
    """One row per passage token; char offsets are Python string indices."""

    char_start: np.ndarray
    char_end: np.ndarray
    start_prob: np.ndarray
    end_prob: np.ndarray
    start_logit: np.ndarray
    end_logit: np.ndarray
    window: np.ndarray  # window the merged logits came from
    word: np.ndarray  # the tokenizer's word index

    @classmethod
    def from_tokens(cls, tokens: tuple[PassageToken, ...]) -> "TokenArrays":
        n = len(tokens)

        def column(name: str, dtype) -> np.ndarray:
            return np.fromiter((getattr(t, name) for t in tokens), dtype=dtype, count=n)

        return cls(
            char_start=column("start", np.int64), char_end=column("end", np.int64),
            start_prob=column("start_prob", np.float64), end_prob=column("end_prob", np.float64),
            start_logit=column("start_logit", np.float64), end_logit=column("end_logit", np.float64),
            window=column("window", np.int64), word=column("word", np.int64),
        )

    def __len__(self) -> int:
        return int(self.char_start.shape[0])

    def tokens_in(self, start_char: int, end_char: int) -> tuple[int, int] | None:
        """First and last token overlapping characters [start_char, end_char), or None."""
        if end_char <= start_char or len(self) == 0:
            return None
        first = int(np.searchsorted(self.char_end, start_char, side="right"))
        last = int(np.searchsorted(self.char_start, end_char, side="left")) - 1
        return (first, last) if first <= last else None

    def token_at(self, char: int) -> int | None:
        """The token containing character `char`, or None (a space between tokens)."""
        i = int(np.searchsorted(self.char_start, char, side="right")) - 1
        return i if 0 <= i < len(self) and self.char_start[i] <= char < self.char_end[i] else None


@dataclass(frozen=True)
class WordArrays:
    """The word view: consecutive pieces of one word merged; a word's start (end) probability is
    the sum over its pieces, the probability that the answer starts (ends) inside the word."""

    first_token: np.ndarray  # (words,) first piece of each word
    last_token: np.ndarray  # (words,) last piece, inclusive
    char_start: np.ndarray
    char_end: np.ndarray
    start_prob: np.ndarray
    end_prob: np.ndarray
    token_to_word: np.ndarray  # (tokens,) the word each piece belongs to

    def __len__(self) -> int:
        return int(self.first_token.shape[0])

    @classmethod
    def group(cls, tokens: TokenArrays, text: str, offsets: Utf16Offsets) -> "WordArrays":
        """A piece joins the previous one when the tokenizer put both in one word AND no
        Unicode word boundary (UAX #29) lies between them. The second test is what makes this
        work without spaces: a SentencePiece tokenizer calls a whole unspaced Japanese sentence
        one "word", but 東京|は is a word boundary; "Love"+"##lace" has none."""
        n = len(tokens)
        if n == 0:
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, empty, empty, empty, np.zeros(0), np.zeros(0), empty)
        new_word = np.ones(n, dtype=bool)
        same_tokenizer_word = tokens.word[1:] == tokens.word[:-1]
        candidates = np.nonzero(same_tokenizer_word)[0] + 1  # pieces that may continue a word
        if candidates.size:
            finder = QTextBoundaryFinder(QTextBoundaryFinder.BoundaryType.Word, text)
            for i in candidates:
                start, previous_end = int(tokens.char_start[i]), int(tokens.char_end[i - 1])
                if start < previous_end:
                    new_word[i] = False  # overlapping pieces ("▁" + "東" both cover 東) share characters
                    continue
                if start > previous_end:
                    continue  # a gap (space, skipped character) always separates words
                finder.setPosition(offsets.to_qt(start))
                new_word[i] = finder.isAtBoundary()
        first = np.nonzero(new_word)[0]
        last = np.concatenate([first[1:] - 1, [n - 1]])
        return cls(
            first_token=first, last_token=last,
            char_start=tokens.char_start[first], char_end=tokens.char_end[last],
            start_prob=np.add.reduceat(tokens.start_prob, first),
            end_prob=np.add.reduceat(tokens.end_prob, first),
            token_to_word=np.cumsum(new_word) - 1,
        )
