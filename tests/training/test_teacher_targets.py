"""Distillation targets: teacher probabilities land on the right student tokens, the loss is the
seed's where there is nothing to distill, and a run trains toward targets built for its own
windows only."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from qa_desktop.training.teacher_targets import (build, character_distributions, distillation_loss, load,
                                                 window_targets)

# A window: [CLS] q q [SEP] then passage tokens covering characters 0-3, 4-9, 10-12, [SEP].
OFFSETS = np.array([(-1, -1), (-1, -1), (-1, -1), (-1, -1), (0, 3), (4, 9), (10, 12), (-1, -1)], np.int32)


def masses(length: int, **at: float) -> np.ndarray:
    row = np.zeros(length + 1)
    for key, value in at.items():
        row[int(key[1:])] = value
    return row


def test_character_mass_goes_to_the_token_that_holds_it():
    starts = masses(20, c4=0.5, c6=0.2)  # 4 starts token 5; 6 lies inside it
    ends = masses(20, c9=0.6, c12=0.1)  # 9 ends token 5; 12 ends token 6
    sp, spp, ep, epp = window_targets(OFFSETS, starts, ends, top_k=3)
    start = dict(zip(sp.tolist(), spp.astype(float)))
    end = dict(zip(ep.tolist(), epp.astype(float)))
    assert start[5] == pytest.approx(0.7, abs=1e-3) and start[0] == pytest.approx(0.3, abs=1e-3)
    assert end[5] == pytest.approx(0.6, abs=1e-3) and end[6] == pytest.approx(0.1, abs=1e-3)
    assert end[0] == pytest.approx(0.3, abs=1e-3)


def test_a_gap_between_tokens_and_text_outside_the_window():
    # 3 is the space after token 4: a start there belongs to the next token, an end at 10
    # (exclusive, i.e. after the space) to the token before; 15 lies past the window: [CLS].
    starts = masses(20, c3=0.4, c15=0.6)
    ends = masses(20, c10=0.5, c15=0.5)
    sp, spp, ep, epp = window_targets(OFFSETS, starts, ends, top_k=8)
    start = {p: float(v) for p, v in zip(sp.tolist(), spp) if v > 0}
    end = {p: float(v) for p, v in zip(ep.tolist(), epp) if v > 0}
    assert start == pytest.approx({5: 0.4, 0: 0.6}, abs=1e-3)
    assert end == pytest.approx({5: 0.5, 0: 0.5}, abs=1e-3)


def test_kept_positions_are_renormalized():
    starts = masses(20, c0=0.25, c4=0.25, c10=0.25)
    ends = masses(20, c3=0.25, c9=0.25, c12=0.25)
    sp, spp, ep, epp = window_targets(OFFSETS, starts, ends, top_k=2)
    assert len(sp) == 2 and float(spp.astype(np.float64).sum()) == pytest.approx(1.0, abs=1e-3)
    assert float(epp.astype(np.float64).sum()) == pytest.approx(1.0, abs=1e-3)


def test_a_window_without_passage_tokens_is_all_no_answer():
    sp, spp, ep, epp = window_targets(OFFSETS[:4], masses(20, c4=1.0), masses(20, c9=1.0), top_k=3)
    assert sp.tolist() == [0, 0, 0] and spp.astype(float).tolist() == [1.0, 0.0, 0.0]
    assert ep.tolist() == [0, 0, 0] and epp.astype(float).tolist() == [1.0, 0.0, 0.0]


def test_a_window_shorter_than_top_k_is_padded_without_mass():
    sp, spp, ep, epp = window_targets(OFFSETS, masses(20, c4=1.0), masses(20, c9=1.0), top_k=12)
    assert len(sp) == len(spp) == len(ep) == len(epp) == 12
    assert sp[0] == 5 and float(spp[0]) == 1.0 and not spp[len(OFFSETS):].any()


def test_a_real_teacher_gives_distributions_that_sum_to_one(tiny_bert_model):
    from qa_desktop.engine.question_answerer import QuestionAnswerer

    passage = "The Forth Bridge was opened on 4 March 1890 by the Prince of Wales."
    prediction = QuestionAnswerer.load(tiny_bert_model).answer("When was the bridge opened?", passage, top_k=1)
    starts, ends, null = character_distributions(prediction, len(passage))
    assert 0.0 <= null <= 1.0
    assert starts.sum() + null == pytest.approx(1.0, abs=1e-6)
    assert ends.sum() + null == pytest.approx(1.0, abs=1e-6)
    assert starts[0] > 0 and ends[len("The")] > 0  # the first token starts at 0 and ends at 3


def test_the_loss_is_the_gold_loss_where_nothing_is_distilled():
    torch.manual_seed(0)
    start, end = torch.randn(3, 10), torch.randn(3, 10)
    gold_s, gold_e = torch.tensor([0, 4, 6]), torch.tensor([0, 5, 8])
    seed_loss = (torch.nn.functional.cross_entropy(start, gold_s) + torch.nn.functional.cross_entropy(end, gold_e)) / 2
    none = {"has_target": np.zeros(3, bool), "start_pos": np.zeros((3, 2), np.int16),
            "start_p": np.zeros((3, 2), np.float16), "end_pos": np.zeros((3, 2), np.int16),
            "end_p": np.zeros((3, 2), np.float16)}
    assert float(distillation_loss(start, end, gold_s, gold_e, none, 0.5)) == pytest.approx(float(seed_loss), rel=1e-6)
    # Soft targets that put everything on the gold positions give the gold loss at any weight.
    one_hot = {"has_target": np.ones(3, bool),
               "start_pos": np.stack([gold_s.numpy(), np.zeros(3, int)], 1).astype(np.int16),
               "start_p": np.tile(np.array([1.0, 0.0], np.float16), (3, 1)),
               "end_pos": np.stack([gold_e.numpy(), np.zeros(3, int)], 1).astype(np.int16),
               "end_p": np.tile(np.array([1.0, 0.0], np.float16), (3, 1))}
    assert float(distillation_loss(start, end, gold_s, gold_e, one_hot, 0.7)) == pytest.approx(float(seed_loss), rel=1e-5)
    # And soft targets elsewhere move the loss.
    elsewhere = dict(one_hot, start_pos=np.full((3, 2), 9, np.int16))
    assert float(distillation_loss(start, end, gold_s, gold_e, elsewhere, 0.7)) != pytest.approx(float(seed_loss), rel=1e-3)


def test_a_run_distills_targets_built_for_its_own_windows(tmp_path, tiny_bert_checkpoint, tiny_bert_model):
    from test_build_model import synthetic_squad

    from qa_desktop.training.train_reader import main as train

    data = tmp_path / "train-v1.1.json"
    synthetic_squad(data, articles=12)
    run = tmp_path / "student"
    flags = ["--data", str(data), "--base", str(tiny_bert_checkpoint), "--out", str(run), "--epochs", "1",
             "--batch-size", "8", "--max-seq-len", "64", "--doc-stride", "32", "--max-question-len", "16",
             "--threads", "1", "--curve-questions", "0", "--unanswerable-fraction", "0.3", "--seed", "5"]
    train(flags + ["--windows-only"])
    assert (run / "args.json").is_file() and not (run / "final").exists()

    targets = build(run, [str(tiny_bert_model)], run / "teacher-targets.npz", log=lambda _m: None)
    with np.load(targets) as f:
        has, start_p = f["has_target"], f["start_p"].astype(np.float64)
        assert 0 < has.sum() < len(has)  # answerable windows only
        assert np.allclose(start_p[has].sum(axis=1), 1.0, atol=1e-2)
        assert json.loads(str(f["teachers"])) == [str(tiny_bert_model)]

    train(flags + ["--teacher-targets", str(targets), "--distill-weight", "0.5"])
    run_card = json.loads((run / "final" / "training_run.json").read_text())
    assert run_card["hyperparameters"]["teacher_targets"] == str(targets)

    with pytest.raises(SystemExit, match="other training windows"):
        load(targets, "another key", int(has.size))
