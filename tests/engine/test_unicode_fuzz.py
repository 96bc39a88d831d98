"""Hypothesis over passages and questions from every Unicode category, very long tokens,
zero-width and right-to-left characters, \\r\\n, and an answer string that occurs several times:
never an unexpected exception, and every answer is exactly passage[start:end]."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_desktop.engine.errors import InputError
from qa_desktop.engine.question_answerer import QuestionAnswerer

SPECIAL = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u202d", "\u200f", "\u061c",
           "\r\n", "\r", "\t", "\u3000", "\u0301", "\u0308", "👩‍👩‍👧", "🇰🇷", "ﷺ", "ǅ", "\U0001d400"]
SCRIPTS = ["위키는 마크업 언어를 이용한다", "東京は日本の首都です", "مرحبا بالعالم", "שלום עולם",
           "Привет мир", "नमस्ते दुनिया", "café naïve", "x" * 300, "ａｂｃ１２３"]

text_pieces = st.one_of(
    st.text(st.characters(codec=None, exclude_categories=("Cs",)), max_size=40),
    st.sampled_from(SPECIAL),
    st.sampled_from(SCRIPTS),
)
passages = st.lists(text_pieces, min_size=1, max_size=25).map("".join)
questions = st.lists(text_pieces, min_size=1, max_size=4).map("".join).filter(lambda q: len(q) < 120)

ALLOWED_MESSAGES = ("passage is empty", "question is empty", "no text the model can read",
                    "Shorten the question")


def check(answerer: QuestionAnswerer, question: str, passage: str) -> None:
    try:
        prediction = answerer.answer(question, passage, top_k=3)
    except InputError as exc:
        assert any(m in str(exc) for m in ALLOWED_MESSAGES), str(exc)
        return
    for answer in prediction.candidates:
        assert 0 <= answer.start < answer.end <= len(passage)
        assert answer.text == passage[answer.start: answer.end]
    for token in prediction.tokens:
        assert 0 <= token.start <= token.end <= len(passage)


@pytest.mark.parametrize("fixture", ["tiny_bert_model", "tiny_xlmr_model"])
def test_fuzzed_unicode(fixture, request):
    answerer = QuestionAnswerer.load(request.getfixturevalue(fixture), max_seq_len=64, doc_stride=16,
                                     max_question_len=32)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(question=questions, passage=passages)
    def run(question, passage):
        check(answerer, question, passage)

    run()


@pytest.mark.parametrize("fixture", ["tiny_bert_model", "tiny_xlmr_model"])
def test_repeated_answer_string_keeps_distinct_offsets(fixture, request):
    answerer = QuestionAnswerer.load(request.getfixturevalue(fixture))
    passage = "Paris is in France.\r\nParis is big. Paris, Paris! 위키 Paris"
    prediction = answerer.answer("Where?", passage, top_k=20, overlapping=True)
    spans = [(a.start, a.end) for a in prediction.candidates]
    assert len(spans) == len(set(spans)) == 20
    for answer in prediction.candidates:
        assert answer.text == passage[answer.start: answer.end]
