"""The decoder against a brute-force search over every valid span of every window."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_desktop.engine.results import Window
from qa_desktop.engine.span_decoder import (NOT_PASSAGE, TOO_LONG, END_BEFORE_START, VALID, SpanDecoder,
                                            fold_overlapping)
from qa_desktop.engine.windowed_features import TokenizedPassage

PREFIX, MIDDLE = 1, 1  # [CLS] q [SEP] passage [SEP]


def make_passage(n_tokens: int, zero_width_every: int = 0) -> TokenizedPassage:
    """A passage of n one-character tokens separated by spaces; optionally some tokens have
    zero-width offsets (as tokenizers give for characters they drop)."""
    text = " ".join("abcdefghij"[i % 10] for i in range(n_tokens))
    offsets = np.array([[2 * i, 2 * i + 1] for i in range(n_tokens)], dtype=np.int64)
    if zero_width_every:
        for i in range(0, n_tokens, zero_width_every):
            offsets[i, 1] = offsets[i, 0]
    return TokenizedPassage(text=text, ids=np.arange(n_tokens) + 10, tokens=tuple(text.split()),
                            offsets=offsets, word_ids=tuple(range(n_tokens)))


def make_windows(n_tokens: int, capacity: int, stride: int, question_len: int = 3) -> list[Window]:
    step = max(1, capacity - stride)
    starts = [0]
    while starts[-1] + capacity < n_tokens:
        starts.append(starts[-1] + step)
    windows = []
    for index, first in enumerate(starts):
        last = min(first + capacity, n_tokens)
        seq = PREFIX + question_len + MIDDLE + (last - first) + 1
        seq_ids = (None,) + (0,) * question_len + (None,) + (1,) * (last - first) + (None,)
        windows.append(Window(
            index=index, input_ids=np.zeros(seq, np.int64), token_type_ids=None, sequence_ids=seq_ids,
            token_strings=("x",) * seq, passage_token_start=first, passage_token_end=last,
            char_start=2 * first, char_end=2 * last - 1, context_offset=PREFIX + question_len + MIDDLE,
        ))
    return windows


def random_logits(windows: list[Window], rng: np.random.Generator):
    seq = max(w.seq_len for w in windows)
    start = np.full((len(windows), seq), -np.inf, np.float32)
    end = np.full((len(windows), seq), -np.inf, np.float32)
    for w in windows:
        start[w.index, : w.seq_len] = rng.normal(0, 3, w.seq_len).round(1)  # ties on purpose
        end[w.index, : w.seq_len] = rng.normal(0, 3, w.seq_len).round(1)
    return start, end


def brute_force(passage, windows, start, end, max_len, k):
    best = {}
    for w in windows:
        for i in range(w.passage_token_start, w.passage_token_end):
            for j in range(i, min(i + max_len, w.passage_token_end)):
                c0, c1 = int(passage.offsets[i, 0]), int(passage.offsets[j, 1])
                if c1 <= c0:
                    continue
                pi = w.context_offset + i - w.passage_token_start
                pj = w.context_offset + j - w.passage_token_start
                score = float(start[w.index, pi] + end[w.index, pj])
                if (c0, c1) not in best or score > best[(c0, c1)]:
                    best[(c0, c1)] = score
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:k], len(best)


@settings(max_examples=60, deadline=None)
@given(
    n_tokens=st.integers(1, 90),
    capacity=st.integers(4, 40),
    stride=st.integers(0, 30),
    max_len=st.integers(1, 12),
    k=st.integers(1, 12),
    zero_width=st.sampled_from([0, 3, 5]),
    seed=st.integers(0, 2**31),
)
def test_matches_brute_force_top_k(n_tokens, capacity, stride, max_len, k, zero_width, seed):
    passage = make_passage(n_tokens, zero_width)
    windows = make_windows(n_tokens, capacity, min(stride, capacity - 1))
    start, end = random_logits(windows, np.random.default_rng(seed))
    decoded = SpanDecoder(max_answer_len=max_len, top_k=k, fold_overlapping=False,
                          trim_edges=False).decode(
        passage, windows, start, end)
    expected, n_valid = brute_force(passage, windows, start, end, max_len, k)

    # Exactly k distinct spans whenever k valid ones exist, in global score order.
    assert len(decoded.candidates) == min(k, n_valid)
    assert [(a.start, a.end) for a in decoded.candidates] == [span for span, _ in expected]
    for answer, (_, score) in zip(decoded.candidates, expected):
        assert abs(answer.score - score) < 1e-4
        assert answer.text == passage.text[answer.start: answer.end]
        assert answer.start_token <= answer.end_token < answer.start_token + max_len
        assert 0.0 <= answer.probability <= 1.0
    scores = [a.score for a in decoded.candidates]
    assert scores == sorted(scores, reverse=True)


@settings(max_examples=30, deadline=None)
@given(n_tokens=st.integers(1, 80), capacity=st.integers(4, 30), stride=st.integers(0, 20),
       seed=st.integers(0, 2**31))
def test_token_probabilities_cover_the_passage_once(n_tokens, capacity, stride, seed):
    passage = make_passage(n_tokens)
    windows = make_windows(n_tokens, capacity, min(stride, capacity - 1))
    start, end = random_logits(windows, np.random.default_rng(seed))
    decoded = SpanDecoder().decode(passage, windows, start, end)
    assert [t.index for t in decoded.tokens] == list(range(n_tokens))
    assert abs(sum(t.start_prob for t in decoded.tokens) - 1.0) < 1e-6
    assert abs(sum(t.end_prob for t in decoded.tokens) - 1.0) < 1e-6
    for token in decoded.tokens:
        # Max-context rule: the chosen window holds the token with the most context on both sides.
        contexts = {
            w.index: min(token.index - w.passage_token_start, w.passage_token_end - 1 - token.index)
            for w in windows if w.passage_token_start <= token.index < w.passage_token_end
        }
        assert contexts[token.window] == max(contexts.values())
        w = windows[token.window]
        assert token.start_logit == start[w.index, w.context_offset + token.index - w.passage_token_start]


def test_no_answer_score_is_the_lowest_cls_score_over_windows():
    passage = make_passage(60)
    windows = make_windows(60, 20, 5)
    start, end = random_logits(windows, np.random.default_rng(1))
    decoded = SpanDecoder().decode(passage, windows, start, end)
    assert decoded.no_answer_score == min(float(start[w.index, 0] + end[w.index, 0]) for w in windows)


def test_probabilities_with_null_form_one_distribution():
    passage = make_passage(8)
    windows = make_windows(8, 20, 5)
    start, end = random_logits(windows, np.random.default_rng(2))
    decoder = SpanDecoder(max_answer_len=30, top_k=100, temperature=1.7, fold_overlapping=False)
    decoded = decoder.decode(passage, windows, start, end)
    total = sum(a.probability for a in decoded.candidates) + decoded.no_answer_probability
    assert abs(total - 1.0) < 1e-6  # every valid span is a candidate here


def test_span_score_matrix_marks_the_search_space():
    windows = make_windows(10, 20, 5, question_len=2)
    start, end = random_logits(windows, np.random.default_rng(3))
    decoder = SpanDecoder(max_answer_len=3)
    w = windows[0]
    scores, kinds = decoder.span_score_matrix(w, start, end, 0, w.seq_len)
    assert scores.shape == kinds.shape == (w.seq_len, w.seq_len)
    p0 = w.context_offset
    assert kinds[p0, p0] == VALID and kinds[p0, p0 + 2] == VALID
    assert kinds[p0, p0 + 3] == TOO_LONG
    assert kinds[p0 + 1, p0] == END_BEFORE_START
    assert kinds[0, p0] == NOT_PASSAGE and kinds[p0, w.seq_len - 1] == NOT_PASSAGE
    assert scores[p0, p0 + 1] == pytest.approx(float(start[0, p0]) + float(end[0, p0 + 1]), abs=1e-5)


def test_spans_inside_a_word_widen_to_the_word_except_in_scripts_without_spaces():
    text = "uses spectroscopy 마크업 언어와"
    #        0    5   9  13   18 21  25
    offsets = np.array([[0, 4], [5, 9], [9, 13], [13, 17], [18, 21], [22, 24], [24, 25]])
    passage = TokenizedPassage(text=text, ids=np.arange(7) + 10,
                               tokens=("uses", "spec", "##tro", "##scopy", "마크업", "언어", "##와"),
                               offsets=offsets, word_ids=(0, 1, 1, 1, 2, 3, 3))
    (window,) = make_windows(7, 20, 5)
    start = np.full((1, window.seq_len), -10.0, np.float32)
    end = np.full((1, window.seq_len), -10.0, np.float32)
    p0 = window.context_offset
    start[0, p0 + 1], end[0, p0 + 1] = 5.0, 5.0  # "spec" alone: widened to "spectroscopy"
    start[0, p0 + 4], end[0, p0 + 5] = 4.0, 4.0  # "마크업 언어": Hangul, kept as the model said
    decoded = SpanDecoder(top_k=3, fold_overlapping=False).decode(passage, [window], start, end)
    texts = [a.text for a in decoded.candidates]
    assert texts[0] == "spectroscopy" and "마크업 언어" in texts
    assert not any(t.endswith("언어와") for t in texts)
    assert decoded.candidates[0].score == pytest.approx(10.0)
    # The tokens are the ones the model scored, and the numbers are theirs.
    assert (decoded.candidates[0].start_token, decoded.candidates[0].end_token) == (1, 1)
    assert decoded.candidates[0].start_prob == pytest.approx(decoded.tokens[1].start_prob)
    plain = SpanDecoder(top_k=1, align_to_words=False).decode(passage, [window], start, end)
    assert plain.candidates[0].text == "spec"


def brute_force_groups(passage, windows, start, end, max_len, k):
    """Every distinct span ranked, then each folded into the first better one it overlaps."""
    ranked, _ = brute_force(passage, windows, start, end, max_len, 10**6)
    groups = []
    for (c0, c1), score in ranked:
        for group in groups:
            h0, h1 = group[0][0]
            if c0 < h1 and h0 < c1:
                group.append(((c0, c1), score))
                break
        else:
            groups.append([((c0, c1), score)])
    return groups[:k]


@settings(max_examples=60, deadline=None)
@given(
    n_tokens=st.integers(1, 90), capacity=st.integers(4, 40), stride=st.integers(0, 30),
    max_len=st.integers(1, 12), k=st.integers(1, 8), seed=st.integers(0, 2**31),
)
def test_overlapping_spans_fold_into_the_better_one(n_tokens, capacity, stride, max_len, k, seed):
    passage = make_passage(n_tokens)
    windows = make_windows(n_tokens, capacity, min(stride, capacity - 1))
    start, end = random_logits(windows, np.random.default_rng(seed))
    decoded = SpanDecoder(max_answer_len=max_len, top_k=k).decode(passage, windows, start, end)
    expected = brute_force_groups(passage, windows, start, end, max_len, k)
    assert [(a.start, a.end) for a in decoded.candidates] == [g[0][0] for g in expected]
    # k different answers: no two overlap; every variant overlaps its answer and ranks below it.
    for i, a in enumerate(decoded.candidates):
        for b in decoded.candidates[i + 1:]:
            assert a.end <= b.start or b.end <= a.start
        for v in a.variants:
            assert v.start < a.end and a.start < v.end and v.score <= a.score
    # One order, one number: ranked by probability, which grows with the score.
    probabilities = [a.probability for a in decoded.candidates]
    assert probabilities == sorted(probabilities, reverse=True)


def test_probability_follows_the_score_across_windows():
    """A span read from a window where it has little context keeps its own score; its
    probability is that score's, so the list can never show a lower number above a higher."""
    passage = make_passage(60)
    windows = make_windows(60, 20, 10)
    for seed in range(20):
        start, end = random_logits(windows, np.random.default_rng(seed))
        decoded = SpanDecoder(top_k=10, temperature=1.3, fold_overlapping=False).decode(passage, windows, start, end)
        scores = [a.score for a in decoded.candidates]
        probabilities = [a.probability for a in decoded.candidates]
        assert scores == sorted(scores, reverse=True)
        assert probabilities == sorted(probabilities, reverse=True)


def test_trimmed_answers_keep_text_equal_to_the_passage_slice():
    text = "designed by Thomas Reyburn, a Scot"
    words = text.split(" ")
    offsets, at = [], 0
    for w in words:
        offsets.append([at, at + len(w)])
        at += len(w) + 1
    passage = TokenizedPassage(text=text, ids=np.arange(len(words)) + 10, tokens=tuple(words),
                               offsets=np.array(offsets), word_ids=tuple(range(len(words))))
    (window,) = make_windows(len(words), 20, 5)
    start = np.full((1, window.seq_len), -10.0, np.float32)
    end = np.full((1, window.seq_len), -10.0, np.float32)
    p0 = window.context_offset
    start[0, p0 + 2], end[0, p0 + 3] = 6.0, 6.0  # "Thomas Reyburn,"
    best = SpanDecoder(top_k=1).decode(passage, [window], start, end).candidates[0]
    assert best.text == "Thomas Reyburn" == text[best.start:best.end]
    assert (best.start_token, best.end_token) == (2, 3)


def test_a_span_ending_inside_a_glued_piece_is_answered_without_the_particle():
    # XLM-R's pieces of "1911年に建てられた": the model can only end its span after "年に".
    text = "1911年に建てられた"
    pieces = [("1911", 0, 4), ("年に", 4, 6), ("建て", 6, 8), ("られた", 8, 11)]
    passage = TokenizedPassage(text=text, ids=np.arange(len(pieces)) + 10, tokens=tuple(p for p, _, _ in pieces),
                               offsets=np.array([[a, b] for _, a, b in pieces]), word_ids=tuple(range(len(pieces))))
    (window,) = make_windows(len(pieces), 20, 5)
    start = np.full((1, window.seq_len), -10.0, np.float32)
    end = np.full((1, window.seq_len), -10.0, np.float32)
    start[0, window.context_offset], end[0, window.context_offset + 1] = 6.0, 6.0
    best = SpanDecoder(top_k=1).decode(passage, [window], start, end).candidates[0]
    assert best.text == "1911年" == text[best.start:best.end]
    assert (best.start_token, best.end_token) == (0, 1)  # the model's tokens are kept


def test_fold_overlapping_keeps_order_and_groups():
    spans = [(5.0, 0, 0, 10, 20), (4.0, 0, 0, 12, 20), (3.0, 0, 0, 30, 40), (2.0, 0, 0, 0, 11)]
    groups = fold_overlapping(spans)
    assert [[s[0] for s in g] for g in groups] == [[5.0, 4.0, 2.0], [3.0]]
