"""The inspector's gold-span loss equals BERT's question-answering loss computed by torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_desktop.engine.errors import InputError
from qa_desktop.engine.question_answerer import QuestionAnswerer
from qa_desktop.engine.span_loss import gold_token_span, span_loss

PASSAGE = " ".join(
    f"Sentence {i}: the committee met near the river bank and Ada Lovelace wrote program {i}."
    for i in range(12))


@pytest.fixture(scope="module")
def prediction(tiny_bert_model):
    # Short windows, so one passage gives many overlapping windows and gold tokens that some
    # windows contain and others do not.
    answerer = QuestionAnswerer.load(tiny_bert_model, max_seq_len=48, doc_stride=16, max_question_len=16)
    result = answerer.answer("Who wrote the program?", PASSAGE)
    assert len(result.windows) >= 5
    return result


def torch_qa_loss(prediction, start_token: int, end_token: int) -> tuple[float, float, float]:
    """BertForQuestionAnswering's loss, written as transformers does it."""
    start_logits = torch.from_numpy(prediction.start_logits.astype(np.float64))
    end_logits = torch.from_numpy(prediction.end_logits.astype(np.float64))
    ignored_index = start_logits.size(1)
    beyond = ignored_index + 1000  # a gold token outside a window has no position in it

    def positions(token):
        return torch.tensor([
            w.context_offset + token - w.passage_token_start
            if w.passage_token_start <= token < w.passage_token_end else beyond
            for w in prediction.windows])

    start_positions = positions(start_token).clamp(0, ignored_index)
    end_positions = positions(end_token).clamp(0, ignored_index)
    loss_fct = torch.nn.CrossEntropyLoss(ignore_index=ignored_index)
    start_loss = loss_fct(start_logits, start_positions)
    end_loss = loss_fct(end_logits, end_positions)
    return float(start_loss), float(end_loss), float((start_loss + end_loss) / 2)


def test_loss_equals_torch_for_a_span_inside_one_window_only(prediction):
    w = prediction.windows[0]
    first = w.passage_token_start + 1  # in window 0 only (windows overlap by 16 tokens)
    loss = span_loss(prediction, first, first + 2)
    expected = torch_qa_loss(prediction, first, first + 2)
    assert (loss.start_loss, loss.end_loss, loss.total_loss) == pytest.approx(expected, rel=1e-9, abs=1e-9)
    contributing = [wl.window for wl in loss.windows if wl.start_loss is not None]
    assert contributing == [0]
    ignored = [wl for wl in loss.windows if wl.start_loss is None]
    assert ignored and all(wl.start_position == loss.ignore_index == prediction.logits_shape[1]
                           for wl in ignored)


def test_loss_equals_torch_for_a_span_crossing_a_window_edge(prediction):
    w0, w1 = prediction.windows[0], prediction.windows[1]
    start = w1.passage_token_start - 1  # only window 0 holds the start...
    end = w0.passage_token_end  # ...only window 1 holds the end
    assert start < end
    loss = span_loss(prediction, start, end)
    assert loss.windows[0].start_loss is not None and loss.windows[0].end_loss is None
    assert loss.windows[1].start_loss is None and loss.windows[1].end_loss is not None
    expected = torch_qa_loss(prediction, start, end)
    assert (loss.start_loss, loss.end_loss, loss.total_loss) == pytest.approx(expected, rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_loss_equals_torch_for_any_gold_span(prediction, data):
    n = len(prediction.tokens)
    start = data.draw(st.integers(0, n - 1))
    end = data.draw(st.integers(start, min(n - 1, start + 40)))
    loss = span_loss(prediction, start, end)
    assert (loss.start_loss, loss.end_loss, loss.total_loss) == pytest.approx(
        torch_qa_loss(prediction, start, end), rel=1e-9, abs=1e-9)


def test_gold_token_span_takes_every_token_the_selection_touches(prediction):
    tokens = prediction.tokens
    t = tokens[10]
    # A selection starting inside token 10 and ending inside token 12 covers tokens 10..12.
    inside_start = t.start + (1 if t.end - t.start > 1 else 0)
    inside_end = tokens[12].end - (1 if tokens[12].end - tokens[12].start > 1 else 0)
    assert gold_token_span(tokens, inside_start, inside_end) == (10, 12)
    assert gold_token_span(tokens, t.start, t.end) == (10, 10)


def test_gold_token_span_refuses_empty_and_blank_selections(prediction):
    tokens = prediction.tokens
    with pytest.raises(InputError, match="Select the true answer"):
        gold_token_span(tokens, 5, 5)
    gap = next(i for i in range(1, len(tokens)) if tokens[i].start > tokens[i - 1].end)
    with pytest.raises(InputError, match="covers no token"):
        gold_token_span(tokens, tokens[gap - 1].end, tokens[gap].start)


def test_span_loss_refuses_spans_outside_the_passage(prediction):
    with pytest.raises(InputError):
        span_loss(prediction, 3, 2)
    with pytest.raises(InputError):
        span_loss(prediction, 0, len(prediction.tokens))
