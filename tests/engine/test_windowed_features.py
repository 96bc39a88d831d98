"""Windows: cover every passage character, cut only the passage, follow each tokenizer's template,
and an answer across every window boundary or at the very end is found."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_desktop.engine.model_directory import ModelDirectory
from qa_desktop.engine.question_answerer import QuestionAnswerer
from qa_desktop.engine.windowed_features import WindowedFeatures

WORDS = ("river bank city engine program paris capital france bridge trains 1890 ada lovelace "
         "committee minutes clerk report quick brown fox lazy dog").split()


def features(model_dir, **kwargs) -> WindowedFeatures:
    md = ModelDirectory.open(model_dir)
    return WindowedFeatures(md.load_tokenizer(), **kwargs)


@pytest.mark.parametrize("kind", ["bert", "xlmr"])
def test_template_follows_the_tokenizer(kind, tiny_bert_model, tiny_xlmr_model):
    model_dir = tiny_bert_model if kind == "bert" else tiny_xlmr_model
    f = features(model_dir)
    passage = f.tokenize_passage("Ada Lovelace wrote the program.")
    (window,) = f.build("Who wrote it?", passage)
    reference = f.tokenizer.encode("Who wrote it?", "Ada Lovelace wrote the program.")
    assert list(window.input_ids) == reference.ids
    assert list(window.token_type_ids) == reference.type_ids
    assert window.sequence_ids == tuple(reference.sequence_ids)
    if kind == "xlmr":
        assert window.token_strings[:1] == ("<s>",)
        assert list(window.sequence_ids).count(None) == 4  # <s> q </s></s> p </s>


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=300),
       max_seq_len=st.integers(34, 80), stride=st.integers(0, 16))
def test_windows_cover_every_passage_char(tiny_bert_model, words, max_seq_len, stride):
    f = features(tiny_bert_model, max_seq_len=max_seq_len, doc_stride=stride, max_question_len=16)
    text = " ".join(words)
    passage = f.tokenize_passage(text)
    windows = f.build("who wrote the report", passage)
    covered = np.zeros(len(passage), dtype=bool)
    for w in windows:
        assert w.seq_len <= max_seq_len
        covered[w.passage_token_start: w.passage_token_end] = True
        passage_positions = [i for i, s in enumerate(w.sequence_ids) if s == 1]
        assert passage_positions[0] == w.context_offset
        assert len(passage_positions) == w.passage_token_end - w.passage_token_start
        assert w.char_start == passage.offsets[w.passage_token_start, 0]
    assert covered.all()
    capacity = f.passage_capacity(len(f.question_ids("who wrote the report")[0]))
    for a, b in zip(windows, windows[1:]):
        assert a.passage_token_end - b.passage_token_start == min(stride, capacity - 1)
    assert windows[-1].passage_token_end == len(passage)
    # Every non-space character lies inside some window's character range.
    for i, ch in enumerate(text):
        if not ch.isspace():
            assert any(w.char_start <= i < w.char_end for w in windows)


def test_short_passages_are_not_padded(tiny_bert_model):
    f = features(tiny_bert_model)
    (window,) = f.build("who?", f.tokenize_passage("Paris is the capital."))
    assert window.seq_len < 20


def test_a_long_question_is_read_whole_while_half_the_window_stays_passage(tiny_bert_model):
    f = features(tiny_bert_model, max_seq_len=384, max_question_len=64)
    per_word = len(f.fit_question("why").ids)
    question = "why " * (100 // per_word)
    fitted = f.fit_question(question)
    n = fitted.length
    assert 64 < n <= f.question_room and len(fitted.ids) == n
    assert f"{n} tokens long" in fitted.note and "read whole" in fitted.note
    (window,) = f.build(question, f.tokenize_passage("A passage."))
    assert window.sequence_ids.count(0) == n
    assert f.fit_question("why is it").note is None


def test_a_question_longer_than_the_room_keeps_its_opening_and_end(tiny_bert_model):
    f = features(tiny_bert_model, max_seq_len=384, max_question_len=64)
    room = f.question_room
    assert 64 < room <= 384 // 2
    words = [f"w{i}" for i in range(400)]
    fitted = f.fit_question(" ".join(["when"] + words + ["opened"]))
    assert len(fitted.ids) == room and fitted.length > room
    assert fitted.tokens[0] == f.fit_question("when").tokens[0]
    assert fitted.tokens[-1] == f.fit_question("opened").tokens[-1]
    assert "left out" in fitted.note
    windows = f.build(" ".join(["when"] + words + ["opened"]), f.tokenize_passage("A passage. " * 200))
    assert all(w.seq_len <= 384 and w.sequence_ids.count(0) == room for w in windows)


def peaked_reader(answerer, passage_text, target_start, target_end):
    """Replace the ONNX run with logits that point at one character span, in every window
    that holds the whole span: the windowing and decoding must then find exactly it."""
    tokens = answerer.tokenized(passage_text)

    def run(windows, progress=None, cancelled=None):
        seq = max(w.seq_len for w in windows)
        start = np.full((len(windows), seq), -np.inf, np.float32)
        end = np.full((len(windows), seq), -np.inf, np.float32)
        for w in windows:
            start[w.index, : w.seq_len] = 0.0
            end[w.index, : w.seq_len] = 0.0
            for j in range(w.passage_token_start, w.passage_token_end):
                pos = w.context_offset + j - w.passage_token_start
                if tokens.offsets[j, 0] == target_start:
                    start[w.index, pos] = 10.0
                if tokens.offsets[j, 1] == target_end:
                    end[w.index, pos] = 10.0
        return start, end

    answerer.reader.run = run


def test_answer_across_every_window_boundary_and_at_the_end(tiny_bert_model):
    answerer = QuestionAnswerer.load(tiny_bert_model, max_seq_len=48, doc_stride=12, max_question_len=16)
    text = " ".join(WORDS[i % len(WORDS)] for i in range(240))
    passage = answerer.tokenized(text)
    windows = answerer.features.build("who wrote it", passage)
    assert len(windows) > 4
    targets = []
    for a, b in zip(windows, windows[1:]):
        # Three tokens ending just past the start of the next window's own part.
        first = b.passage_token_start - 1
        targets.append((first, first + 2))
    targets.append((len(passage) - 3, len(passage) - 1))  # the very end
    words = np.asarray(passage.word_ids)
    for first, last in targets:
        # Whole words: the decoder shows a span that ends inside a word as the whole word.
        first = int(np.flatnonzero(words == words[first])[0])
        last = int(np.flatnonzero(words == words[last])[-1])
        c0, c1 = int(passage.offsets[first, 0]), int(passage.offsets[last, 1])
        peaked_reader(answerer, text, c0, c1)
        prediction = answerer.answer("who wrote it", text, top_k=3)
        assert (prediction.best.start, prediction.best.end) == (c0, c1)
        assert prediction.best.text == text[c0:c1]


def test_passage_tokenization_is_reused(tiny_bert_model, monkeypatch):
    answerer = QuestionAnswerer.load(tiny_bert_model)
    calls = []
    real = answerer.features.tokenize_passage
    monkeypatch.setattr(answerer.features, "tokenize_passage", lambda text: calls.append(text) or real(text))
    for question in ("who?", "what?", "when?"):
        answerer.answer(question, "Ada Lovelace wrote the first program in 1843.")
    assert len(calls) == 1
