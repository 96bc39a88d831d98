"""The plot's word view: consecutive subword pieces of one word grouped into one point.

Built on the worker thread with the rest of PreparedAnswer, from the engine's token columns.
Qt's word-boundary finder (UAX #29) is why this lives in the GUI and not in the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QTextBoundaryFinder

from qa_desktop.engine.results import PassageTokens
from qa_desktop.gui.utf16_offsets import Utf16Offsets


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
    def group(cls, tokens: PassageTokens, text: str, offsets: Utf16Offsets) -> "WordArrays":
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
                start, previous_end = int(tokens.start[i]), int(tokens.end[i - 1])
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
            char_start=tokens.start[first], char_end=tokens.end[last],
            start_prob=np.add.reduceat(tokens.start_prob, first),
            end_prob=np.add.reduceat(tokens.end_prob, first),
            token_to_word=np.cumsum(new_word) - 1,
        )
