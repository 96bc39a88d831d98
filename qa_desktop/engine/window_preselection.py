"""Long passages: score every window against the question lexically, read only the best ones.

Reading every window is what makes a book-length passage slow. A first stage ranks windows by
BM25 (SQLite FTS5, the library's own index form from library.search_terms: case and diacritics
folded, Porter stems, CJK as character bigrams) and the model reads only the best `top` windows
(plus `neighbours` on each side of them, none by default); spans, global scores, top-k and
no-answer then work on those windows as on a full read.

Windows depend on the question (a longer question leaves less room for the passage), so the
index is over fixed passage *segments* of about `segment_tokens` tokens (ending at word ends), built once per passage and
reused for every question; a window's score is the best score of the segments it overlaps,
weighted by how central the segment lies in the window.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import numpy as np

from qa_desktop.engine.errors import InputError
from qa_desktop.engine.library.search_terms import TOKENIZER, index_form, match_expression
from qa_desktop.engine.results import Window, WindowSelection
from qa_desktop.engine.windowed_features import TokenizedPassage

MODES = ("all", "auto")
# "auto" preselects only above this many windows: below it a full read is fast anyway and
# misses nothing. Measured on whole SQuAD articles (README "Performance").
AUTO_ABOVE_WINDOWS = 12
# The best-scoring windows read, each with its `NEIGHBOURS` on both sides. Windows overlap, so a
# neighbour mostly re-reads text already read: on 2,514 questions over 12 whole held-out SQuAD
# articles, the gold answer lay in a window read for 96.5% of them with 4 windows and 1 neighbour
# (33% of the windows read) and for 97.9% with 8 windows and none (30% read)
# (preselection_bench --recall-articles 12).
TOP_WINDOWS = 8
NEIGHBOURS = 0
SEGMENT_TOKENS = 64


class WindowIndex:
    """An in-memory FTS5 index of one passage's segments (built once, asked many questions)."""

    def __init__(self, passage: TokenizedPassage, segment_tokens: int = SEGMENT_TOKENS):
        if segment_tokens < 1:
            raise ValueError("segment_tokens must be ≥ 1")
        self.text = passage.text
        self.tokens = len(passage)
        self.segment_tokens = segment_tokens
        # check_same_thread=False: the window builds it on one worker and may ask on another;
        # calls never overlap (one background operation at a time).
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(f"CREATE VIRTUAL TABLE segments USING fts5(body, tokenize='{TOKENIZER}')")
        offsets, words = passage.offsets, passage.word_ids
        rows, starts, first = [], [], 0
        while first < self.tokens:
            last = min(first + segment_tokens, self.tokens) - 1
            # A segment ends at a word's end: a word cut in two ("engine" | "s") matches nothing.
            while last + 1 < self.tokens and words[last + 1] == words[last]:
                last += 1
            body = passage.text[int(offsets[first, 0]): int(offsets[last, 1])]
            rows.append((len(rows) + 1, index_form(body)))  # FTS5 rowids start at 1
            starts.append(first)
            first = last + 1
        self._db.executemany("INSERT INTO segments(rowid, body) VALUES (?, ?)", rows)
        self.segments = len(rows)
        self._starts = np.asarray(starts)  # first token of each segment

    def matches(self, passage: TokenizedPassage) -> bool:
        return passage.text is self.text or passage.text == self.text

    def segment_scores(self, question: str) -> np.ndarray:
        """(segments,) BM25 relevance, higher is better; 0 where no question term occurs."""
        scores = np.zeros(self.segments, dtype=np.float64)
        expression = match_expression(question)
        if expression is None:
            return scores
        try:
            rows = self._db.execute(
                "SELECT rowid, bm25(segments) FROM segments WHERE segments MATCH ?", (expression,)
            ).fetchall()
        except sqlite3.OperationalError as exc:  # e.g. a term FTS5 cannot parse
            raise InputError(f"The question cannot be searched in the passage ({exc}).") from None
        for rowid, bm25 in rows:
            scores[rowid - 1] = -bm25  # FTS5's bm25() is lower-is-better
        return scores

    def window_scores(self, question: str, windows: list[Window]) -> np.ndarray:
        """(windows,) the best score among the segments each window overlaps, each weighted by
        how central it lies: 1 at the window's centre down to 0.5 at its edge. Overlapping windows
        share a matching segment; the one holding it in the middle also holds the text around it,
        where the answer is (recall on held-out articles: 97.6% unweighted, 97.9% weighted)."""
        segment = self.segment_scores(question)
        mids = (self._starts + np.append(self._starts[1:], self.tokens)) / 2
        out = np.zeros(len(windows), dtype=np.float64)
        for i, w in enumerate(windows):
            first = int(np.searchsorted(self._starts, w.passage_token_start, side="right")) - 1
            last = int(np.searchsorted(self._starts, w.passage_token_end - 1, side="right")) - 1
            half = max((w.passage_token_end - w.passage_token_start) / 2, 1.0)
            off_centre = np.abs(mids[first: last + 1] - (w.passage_token_start + half)) / half
            out[i] = (segment[first: last + 1] * (1.0 - 0.5 * np.minimum(off_centre, 1.0))).max()
        return out

    def close(self) -> None:
        self._db.close()


class WindowPreselector:
    """Chooses the windows to read: all of them, or (mode "auto", long passages) the best."""

    def __init__(self, mode: str = "all", auto_above: int = AUTO_ABOVE_WINDOWS, top: int = TOP_WINDOWS,
                 neighbours: int = NEIGHBOURS, segment_tokens: int = SEGMENT_TOKENS):
        if mode not in MODES:
            raise InputError(f"Unknown window choice {mode!r}: use {' or '.join(MODES)}.")
        if top < 1 or neighbours < 0 or auto_above < 1:
            raise ValueError("top and auto_above must be ≥ 1, neighbours ≥ 0")
        self.mode = mode
        self.auto_above = auto_above
        self.top = top
        self.neighbours = neighbours
        self.segment_tokens = segment_tokens
        self._index: WindowIndex | None = None

    def index_for(self, passage: TokenizedPassage) -> WindowIndex:
        """The passage's index, built on first use and kept while the passage stays the same."""
        if self._index is None or not self._index.matches(passage):
            if self._index is not None:
                self._index.close()
            self._index = WindowIndex(passage, self.segment_tokens)
        return self._index

    def forget(self) -> None:
        if self._index is not None:
            self._index.close()
        self._index = None

    def select(self, question: str, passage: TokenizedPassage, windows: list[Window],
               mode: str | None = None) -> WindowSelection:
        mode = mode or self.mode
        if mode not in MODES:
            raise InputError(f"Unknown window choice {mode!r}: use {' or '.join(MODES)}.")
        total = len(windows)
        everything = tuple(range(total))
        if mode == "all":
            return WindowSelection("all", total, everything, np.zeros(total), "every window read (--windows all)")
        if total <= self.auto_above:
            return WindowSelection("auto", total, everything, np.zeros(total),
                                   f"every window read ({total} ≤ {self.auto_above})")
        scores = self.index_for(passage).window_scores(question, windows)
        matched = np.flatnonzero(scores > 0)
        if matched.size == 0:
            return WindowSelection("auto", total, everything, scores,
                                   "every window read: no question word occurs in the passage")
        # Best first; ties by position so the choice does not depend on the sort's whims.
        best = sorted(matched.tolist(), key=lambda i: (-scores[i], i))[: self.top]
        chosen = set()
        for i in best:
            chosen.update(range(max(0, i - self.neighbours), min(total, i + self.neighbours + 1)))
        read = tuple(sorted(chosen))
        return WindowSelection("auto", total, read, scores,
                               f"{len(read)} of {total} windows read: the {len(best)} that best match "
                               f"the question (BM25)" + (" and their neighbours" if self.neighbours else ""))


def windows_to_read(windows: list[Window], selection: WindowSelection) -> list[Window]:
    """The selected windows renumbered 0..k-1, so that `window.index` is the row of the logits
    the model returns for them, as everywhere else in the engine."""
    if not selection.preselected:
        return windows
    return [replace(windows[i], index=k) for k, i in enumerate(selection.read)]
