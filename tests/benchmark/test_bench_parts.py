"""The benchmark's pure parts, without running a model: the pipeline's answer selection, the
agreement classes, the workload builder, FLOP counting and argument checks."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from qa_desktop.benchmark import answer_agreement, bench_inputs
from qa_desktop.benchmark.bench_command import make_plan
from qa_desktop.benchmark.model_flops import EncoderShape
from qa_desktop.benchmark.pipeline_decoding import Chunk, chunk_spans, select_answers
from qa_desktop.engine.errors import QaDesktopError


def _chunk(start, end, answerable, spans):
    return Chunk(np.asarray(start, np.float32), np.asarray(end, np.float32),
                 np.asarray(answerable, bool), lambda s, e: spans[(s, e)] if (s, e) in spans else (s, e))


def test_pipeline_masks_cls_and_question_and_limits_length():
    # tokens: CLS q q SEP p p p SEP; only 4..6 may be answers (CLS is kept in the softmax).
    answerable = [1, 0, 0, 0, 1, 1, 1, 0]
    start = [9, 50, 50, 50, 1, 3, 2, 50]
    end = [9, 50, 50, 50, 1, 2, 4, 50]
    spans = chunk_spans(_chunk(start, end, answerable, {}), top_k=3, max_answer_len=2)
    assert spans[0][:2] == (5, 6)  # 3 + 4, within 2 tokens
    assert all(4 <= s <= e <= 6 and e - s < 2 for s, e, _ in spans)
    whole = chunk_spans(_chunk(start, end, answerable, {}), top_k=1, max_answer_len=30)
    assert whole[0][:2] == (5, 6)


def test_pipeline_normalizes_per_window_and_merges_same_text():
    # Window A: a sharp answer; window B: logits far higher everywhere but flat.
    a = _chunk([0, 0, 8, 0], [0, 0, 8, 0], [1, 0, 1, 1], {(2, 2): (10, 15)})
    b = _chunk([0, 0, 20, 20], [0, 0, 20, 20], [1, 0, 1, 1], {(2, 2): (30, 35), (2, 3): (30, 40),
                                                               (3, 3): (36, 40)})
    context = "x" * 10 + "Paris" + "x" * 15 + "flat1 flat2" + "x" * 10
    best = select_answers(context, [a, b], top_k=1, max_answer_len=5)[0]
    # Per-window softmax: A's answer has P≈1, B's spans share their mass, so A wins although
    # B's raw logits are much larger (global scoring would pick B).
    assert best.text == "Paris"
    same = _chunk([0, 0, 5, 5], [0, 0, 5, 5], [1, 0, 1, 1], {(2, 2): (10, 15), (2, 3): (10, 15),
                                                              (3, 3): (10, 15)})
    merged = select_answers(context, [same], top_k=1, max_answer_len=5)[0]
    assert merged.text == "Paris" and merged.score == pytest.approx(3 * 0.4983 ** 2, abs=1e-3)


def test_agreement_classes():
    peer = {"answer": "the Eiffel Tower", "start": 10, "end": 26}
    assert answer_agreement.classify({"answer": "Eiffel Tower", "start": 14, "end": 26}, peer) == "agree"
    words = {"answer": "Eiffel Tow", "start": 14, "end": 24, "words": {"answer": "Eiffel Tower", "start": 14, "end": 26}}
    assert answer_agreement.classify(words, peer) == "word_alignment"
    global_ = {"answer": "Paris", "start": 0, "end": 5, "windows": 3,
               "per_chunk": {"answer": "the Eiffel Tower", "start": 10, "end": 26}}
    assert answer_agreement.classify(global_, peer) == "global_scoring"
    assert answer_agreement.classify({**global_, "windows": 1}, peer) == "word_alignment"
    assert answer_agreement.classify({"answer": "Paris", "start": 0, "end": 5, "windows": 1}, peer) == "other"

    ours = [{"id": "a", **peer}, {"id": "b", **global_}]
    peers = [{"id": "a", **peer}, {"id": "b", **peer}]
    summary = answer_agreement.compare(ours, peers, {"a": {"question": "?"}, "b": {"question": "where?"}})
    assert summary["agree"] == 1 and summary["differ"]["global_scoring"] == 1
    assert summary["agreement_pct"] == 50.0 and summary["agreement_or_global_scoring_pct"] == 100.0
    assert summary["examples"]["global_scoring"][0]["question"] == "where?"


def test_workload_from_builtin_passages():
    items = bench_inputs.builtin_items()
    count = lambda texts: [len(t.split()) for t in texts]  # noqa: E731 - words stand in for tokens
    w = bench_inputs.build_workload(items, "built-in", count, sample=7, long_tokens=3000,
                                    max_question_len=64, held_out_first=False)
    assert len(w.sample) == 7 and len({q.id for q in w.sample}) == 7
    assert w.long_tokens >= 3000 and w.long_paragraphs > len(bench_inputs.builtin_items()) // 4
    assert w.long.question in {i.question for i in items}
    assert all(a in w.long.context for a in w.long.answers)
    assert w.short.context in {i.context for i in items}
    short = bench_inputs.build_workload(items, "built-in", count, sample=100, long_tokens=10,
                                        max_question_len=5, held_out_first=False)
    assert short.dropped_long_questions > 0
    assert all(len(q.question.split()) <= 5 for q in short.sample)


def test_flops_of_minilm_window():
    shape = EncoderShape.from_config({"hidden_size": 384, "num_hidden_layers": 6, "intermediate_size": 1536})
    assert shape.flops(384) / 1e9 == pytest.approx(9.51, abs=0.01)
    assert shape.total_flops([384, 384]) == pytest.approx(2 * shape.flops(384))


def _args(**overrides):
    base = dict(skip="", repeats=20, long_tokens=20_000, sample=200, threads=None, quick=False)
    base.update(overrides)
    return argparse.Namespace(**base)


def test_plan_checks_arguments():
    plan = make_plan(_args(skip="startup,memory", quick=True))
    assert "startup" not in plan.parts and "short" in plan.parts
    assert plan.repeats <= 3 and plan.sample <= 12 and plan.threads >= 1
    assert "agreement" not in make_plan(_args(sample=0)).parts
    with pytest.raises(QaDesktopError, match="unknown part"):
        make_plan(_args(skip="shrt"))
    with pytest.raises(QaDesktopError):
        make_plan(_args(repeats=0))


def test_lever_sweep_runs_each_lever_in_its_own_process(tiny_bert_model, capsys):
    import json

    from qa_desktop.benchmark import lever_sweep

    code = lever_sweep.main(["--quick", "--threads", "1", "--model", str(tiny_bert_model), "--json",
                             "--lever", "engine defaults", "--lever", "batch 1",
                             "--lever", "saved optimized graph"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    rows = {r["lever"]: r for r in out["rows"]}
    assert set(rows) == {"engine defaults", "batch 1", "saved optimized graph"}
    assert rows["batch 1"]["batch_size"] == 1 and rows["engine defaults"]["batch_size"] > 1
    for r in rows.values():
        assert r["short_ms"] > 0 and r["long_s"] > 0 and r["rss_long_mb"] > 0 and r["windows"] > 1
