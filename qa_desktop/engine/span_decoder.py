"""Start/end logits of every window → ranked answer spans, token probabilities, no-answer score.

Unlike the transformers pipeline, which normalizes each window on its own, scores here are
comparable across windows: a span's raw score is its start + end logit, and probabilities come
from one softmax over the whole passage. So text appended to a passage cannot change the raw
score of an answer in a window it does not touch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa_desktop.engine.answer_edges import trimmed
from qa_desktop.engine.results import Answer, PassageTokens, Window
from qa_desktop.engine.windowed_features import TokenizedPassage, WordBounds

# Kinds of cell in the start×end search space (span_score_matrix).
VALID, END_BEFORE_START, TOO_LONG, NOT_PASSAGE = 0, 1, 2, 3

# At most this many lower-ranked spans are kept as an answer's variants.
MAX_VARIANTS = 8
def fold_overlapping(ranked: list[tuple]) -> list[list[tuple]]:
    """Spans ranked best first (…, c0, c1, …at indices 3, 4) → groups: each span joins the first
    better-ranked group whose own span it overlaps, or starts a group of its own."""
    groups: list[list[tuple]] = []
    for span in ranked:
        for group in groups:
            head = group[0]
            if span[3] < head[4] and head[3] < span[4]:
                group.append(span)
                break
        else:
            groups.append([span])
    return groups


def _logsumexp(values: np.ndarray) -> float:
    values = np.asarray(values, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("-inf")
    peak = values.max()
    return float(peak + np.log(np.exp(values - peak).sum()))


@dataclass(frozen=True)
class MergedLogits:
    """One start and one end logit per passage token, from its best-context window."""

    start: np.ndarray  # (passage tokens,)
    end: np.ndarray
    window: np.ndarray  # (passage tokens,) window index each came from


@dataclass(frozen=True)
class DecodedSpans:
    candidates: tuple[Answer, ...]
    tokens: PassageTokens
    no_answer_score: float
    no_answer_probability: float


class SpanDecoder:
    def __init__(self, max_answer_len: int = 30, top_k: int = 5, temperature: float = 1.0,
                 null_index: int | None = 0, align_to_words: bool = True, fold_overlapping: bool = True,
                 trim_edges: bool = True):
        if max_answer_len < 1 or top_k < 1 or temperature <= 0:
            raise ValueError("max_answer_len and top_k must be ≥ 1 and temperature > 0")
        self.max_answer_len = max_answer_len
        self.top_k = top_k
        self.temperature = temperature
        self.null_index = null_index  # position of [CLS] (or <s>) in every window
        # A span that starts or ends inside a word ("sp" of "spectroscopy") is widened to the
        # whole word, as the transformers pipeline does; its score stays the model's.
        self.align_to_words = align_to_words
        # "March 1890", "on 4 March 1890" and "1890" are one answer to a user: a span that
        # overlaps a better one is listed as that one's variant, so the top-k are k different
        # answers. False keeps every distinct character span (the pipeline's behaviour).
        self.fold_overlapping = fold_overlapping
        # "Thomas Reyburn," is answered as "Thomas Reyburn", "1911年に" as "1911年" (the
        # characters shrink, the model's tokens and score stay).
        self.trim_edges = trim_edges

    # -- merging overlapping windows ------------------------------------------------------
    @staticmethod
    def merge(windows: list[Window], start_logits: np.ndarray, end_logits: np.ndarray,
              passage_len: int) -> MergedLogits:
        start = np.full(passage_len, -np.inf)
        end = np.full(passage_len, -np.inf)
        source = np.zeros(passage_len, dtype=np.int64)
        best_context = np.full(passage_len, -1.0)
        for w in windows:
            j = np.arange(w.passage_token_start, w.passage_token_end)
            # Max-context rule; the tiny length term breaks ties toward longer windows.
            context = np.minimum(j - w.passage_token_start, w.passage_token_end - 1 - j) + 0.01 * (
                w.passage_token_end - w.passage_token_start)
            better = context > best_context[j]
            take = j[better]
            start[take] = start_logits[w.index, w.passage_positions][better]
            end[take] = end_logits[w.index, w.passage_positions][better]
            source[take] = w.index
            best_context[take] = context[better]
        return MergedLogits(start=start, end=end, window=source)

    def span_log_partition(self, merged: MergedLogits, null_score: float | None,
                           temperature: float | None = None) -> float:
        """log Σ exp(score/T) over every valid span of the passage (and "no answer")."""
        t = temperature or self.temperature
        s, e = merged.start / t, merged.end / t
        n = s.shape[0]
        terms = []
        for d in range(min(self.max_answer_len, n)):
            terms.append(s[: n - d] + e[d:])
        parts = [_logsumexp(np.concatenate(terms))] if terms else []
        if null_score is not None:
            parts.append(null_score / t)
        return _logsumexp(np.asarray(parts))

    # -- candidates ------------------------------------------------------------------------
    def _window_candidates(self, w: Window, ls: np.ndarray, le: np.ndarray, passage: TokenizedPassage,
                           words: WordBounds | None, want: int) -> tuple[list[tuple], bool]:
        """The window's `want` best distinct character spans, as (score, s_tok, e_tok, char_s,
        char_e), and whether it holds more."""
        s, e = ls[w.passage_positions], le[w.passage_positions]
        p = s.shape[0]
        width = min(self.max_answer_len, p)
        band = np.full((p, width), -np.inf)
        for d in range(width):
            band[: p - d, d] = s[: p - d] + e[d:]
        flat = band.ravel()
        finite = int(np.isfinite(flat).sum())
        fetch = min(finite, want * 2 + 8)
        while True:
            if fetch == 0:
                return [], False
            top = np.argpartition(-flat, fetch - 1)[:fetch]
            # Keep every span tied with the last one fetched, so ties break the same way
            # (by position) whichever of them argpartition happened to return.
            top = np.flatnonzero(flat >= flat[top].min())
            found: dict[tuple[int, int], tuple] = {}
            for flat_index in top:
                i, d = divmod(int(flat_index), width)
                s_tok = w.passage_token_start + i
                e_tok = s_tok + d
                first, last = s_tok, e_tok  # the characters shown: widened to whole words
                if words is not None and words.last[e_tok] - words.first[s_tok] < self.max_answer_len:
                    first, last = int(words.first[s_tok]), int(words.last[e_tok])
                c0, c1 = int(passage.offsets[first, 0]), int(passage.offsets[last, 1])
                if self.trim_edges:
                    c0, c1 = trimmed(passage.text, c0, c1)
                score = float(flat[flat_index])
                if c1 <= c0 or ((c0, c1) in found and found[(c0, c1)][0] >= score):
                    continue
                found[(c0, c1)] = (score, s_tok, e_tok, c0, c1)
            unseen = len(top) < finite
            if len(found) >= want or not unseen:
                ranked = sorted(found.values(), key=lambda c: (-c[0], c[3], c[4]))
                return ranked[:want], unseen or len(ranked) > want
            fetch = min(finite, fetch * 4)

    def _ranked_spans(self, passage: TokenizedPassage, windows: list[Window], start_logits: np.ndarray,
                      end_logits: np.ndarray) -> list[list[tuple]]:
        """The top-k answers, best first, each a list of spans (score, s_tok, e_tok, c0, c1,
        window): the answer's own span, then the lower-ranked spans folded into it."""
        words = passage.word_bounds if self.align_to_words else None
        want = self.top_k * 4 + 8 if self.fold_overlapping else self.top_k
        while True:
            best: dict[tuple[int, int], tuple] = {}
            more = False
            for w in windows:
                found, window_has_more = self._window_candidates(
                    w, start_logits[w.index], end_logits[w.index], passage, words, want)
                more = more or window_has_more
                for cand in found:
                    key = (cand[3], cand[4])
                    if key not in best or cand[0] > best[key][0]:
                        best[key] = cand + (w.index,)
            # Each window gave its `want` best, so the first `want` of the union are exactly
            # the passage's `want` best spans; beyond them, a window's next spans are unknown.
            ranked = sorted(best.values(), key=lambda c: (-c[0], c[3], c[4]))
            exact = ranked if not more else ranked[:want]
            groups = fold_overlapping(exact) if self.fold_overlapping else [[c] for c in exact]
            if len(groups) >= self.top_k or not more:
                return groups[: self.top_k]
            want *= 4

    def decode(self, passage: TokenizedPassage, windows: list[Window], start_logits: np.ndarray,
               end_logits: np.ndarray) -> DecodedSpans:
        merged = self.merge(windows, start_logits, end_logits, len(passage))
        z_start, z_end = _logsumexp(merged.start), _logsumexp(merged.end)
        start_prob = np.exp(merged.start - z_start)
        end_prob = np.exp(merged.end - z_end)

        if self.null_index is not None:
            null = float(min(start_logits[w.index, self.null_index] + end_logits[w.index, self.null_index]
                             for w in windows))
        else:
            null = None
        log_z = self.span_log_partition(merged, null)
        t = self.temperature

        def answer(span: tuple, variants: tuple[Answer, ...] = ()) -> Answer:
            score, s_tok, e_tok, c0, c1, w_index = span
            # The probability is the span's own score, calibrated: the number shown and the
            # order of the list are then one and the same (score ↑ ⇔ probability ↑).
            return Answer(
                text=passage.text[c0:c1], start=c0, end=c1, score=score,
                probability=float(min(1.0, np.exp(score / t - log_z))),
                start_prob=float(start_prob[s_tok]), end_prob=float(end_prob[e_tok]),
                window=w_index, start_token=s_tok, end_token=e_tok, variants=variants,
            )

        candidates = tuple(
            answer(group[0], tuple(answer(v) for v in group[1: 1 + MAX_VARIANTS]))
            for group in self._ranked_spans(passage, windows, start_logits, end_logits)
        )
        tokens = PassageTokens(
            text=passage.tokens, start=passage.offsets[:, 0], end=passage.offsets[:, 1],
            word=passage.word_ids, window=merged.window, start_logit=merged.start,
            end_logit=merged.end, start_prob=start_prob, end_prob=end_prob,
        )
        return DecodedSpans(
            candidates=candidates,
            tokens=tokens,
            no_answer_score=float(null) if null is not None else float("-inf"),
            no_answer_probability=float(np.exp(null / t - log_z)) if null is not None else 0.0,
        )

    # -- the search space, for the heatmap ----------------------------------------------------
    def span_score_matrix(self, window: Window, start_logits: np.ndarray, end_logits: np.ndarray,
                          lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Scores start+end for window positions [lo, hi) × [lo, hi), and each cell's kind
        (VALID, END_BEFORE_START, TOO_LONG, NOT_PASSAGE): the decoder's search space."""
        positions = np.arange(lo, hi)
        ls = start_logits[window.index, lo:hi].astype(np.float64)
        le = end_logits[window.index, lo:hi].astype(np.float64)
        scores = ls[:, None] + le[None, :]
        kinds = np.full(scores.shape, VALID, dtype=np.int8)
        length = positions[None, :] - positions[:, None] + 1
        kinds[length > self.max_answer_len] = TOO_LONG
        kinds[length < 1] = END_BEFORE_START
        is_passage = np.array([window.token_at(int(p)) is not None for p in positions], dtype=bool)
        kinds[~is_passage[:, None] | ~is_passage[None, :]] = NOT_PASSAGE
        return scores, kinds
