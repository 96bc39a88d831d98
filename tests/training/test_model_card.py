"""What a card says about a run's lineage: the pack it travelled in, the weights it continued
from, and the teachers it was distilled toward, each only when the run did it."""

from __future__ import annotations

from qa_desktop.training.model_card import _device_pack_lines, _distillation_lines

DISTILLATION = {"teachers": ["resources/models/minilm-l6-squad-en", "resources/models/e5-small-qa-multilingual"],
                "windows_with_targets": 61_000, "windows": 114_610}


def test_a_distilled_run_names_its_teachers_weight_and_coverage():
    training = {"device_pack": {"run": "runs/kd", "windows": 114_610, "distillation": DISTILLATION}}
    [line] = _distillation_lines(training, {"teacher_targets": "/tmp/t.npz", "distill_weight": 0.5})
    assert "`resources/models/e5-small-qa-multilingual`" in line
    assert "61,000 of 114,610 windows" in line and "0.5 × the gold loss" in line


def test_a_gold_only_run_says_nothing_of_distillation():
    training = {"device_pack": {"run": "runs/kd", "windows": 114_610, "distillation": DISTILLATION}}
    assert _distillation_lines(training, {"teacher_targets": None, "distill_weight": 0.5}) == []
    assert _distillation_lines({}, {"teacher_targets": "/tmp/t.npz", "distill_weight": 0.5}) == []


def test_each_kind_of_pack_is_described_as_what_it_was():
    run_pack = {"run": "runs/kd", "windows": 114_610}
    whole = {"pieces_kept": 30_522, "pieces_in_base": 30_522, "windows_checked_against_full_tokenizer": 0}
    cut = {"pieces_kept": 42_800, "pieces_in_base": 250_002, "windows_checked_against_full_tokenizer": 500}
    assert "pack-run" in _device_pack_lines({"device_pack": run_pack})[0]
    assert "whole vocabulary (30,522 pieces, word embeddings trained)" in _device_pack_lines({"device_pack": whole})[0]
    assert "42,800 pieces" in _device_pack_lines({"device_pack": cut})[0]
    assert _device_pack_lines({}) == []


def test_a_pack_says_where_it_trained():
    whole = {"pieces_kept": 30_522, "pieces_in_base": 30_522, "windows_checked_against_full_tokenizer": 0}
    on_cpu = _device_pack_lines({"device_pack": whole, "devices": ["CPU, 2 threads, bf16 autocast"]})[0]
    on_gpu = _device_pack_lines({"device_pack": whole, "devices": ["NVIDIA H200, bf16 autocast"]})[0]
    mixed = _device_pack_lines({"device_pack": whole, "devices": ["CPU, 2 threads, fp32", "NVIDIA H200, bf16 autocast"]})[0]
    assert on_cpu.startswith("- Trained on a CPU from a pack")
    assert on_gpu.startswith("- Trained on a lent GPU from a pack") and mixed.startswith("- Trained on a lent GPU")


def test_a_soup_lists_every_ingredient_and_how_it_was_trained():
    from qa_desktop.training.model_card import _soup_lines

    ingredient = {"file": "runs/a/final/model.safetensors", "sha256": "ab" * 32, "epochs_trained": 2.87,
                  "steps": 10241, "lr": 1e-4, "seed": 13, "devices": ["NVIDIA H200, bf16 autocast"],
                  "init_weights": None, "distilled": False}
    distilled = {**ingredient, "file": "runs/b/final/model.safetensors", "distilled": True,
                 "init_weights": {"sha256": "cd" * 32}}
    lines = _soup_lines({"soup": [ingredient, distilled]})
    assert "mean of 2 runs" in lines[0] and "weight_soup RUN RUN_1/final RUN_2/final" in lines[0]
    assert "2.87 epochs (10241 steps, lr 0.0001, seed 13) on NVIDIA H200" in lines[1]
    assert lines[2].endswith("continued from sha256 cdcdcdcdcdcdcdcd…, distilled.")
    assert _soup_lines({}) == []


def test_an_ingredient_says_where_its_head_and_unanswerables_came_from_when_not_from_its_seed():
    from qa_desktop.training.model_card import _soup_lines

    own = {"file": "f", "sha256": "ab" * 32, "epochs_trained": 2.0, "steps": 7138, "lr": 1e-4, "seed": 13,
           "devices": ["CPU"], "init_weights": None, "distilled": False, "head_seed": 13, "windows_seed": 13}
    lent = {**own, "seed": 31, "windows_seed": 15}
    older = {**own, "seed": 32, "head_seed": 32, "windows_seed": None}  # a pack's windows, seed not recorded
    lines = _soup_lines({"soup": [own, lent, older]})
    assert "seed 13) on CPU" in lines[1]
    assert "seed 31, head drawn with seed 13, unanswerables drawn with seed 15) on CPU" in lines[2]
    assert "seed 32, unanswerables from its pack's windows) on CPU" in lines[3]


def test_a_distilled_ingredient_names_its_teachers_and_coverage():
    from qa_desktop.training.model_card import _soup_lines

    ingredient = {"file": "f", "sha256": "ab" * 32, "epochs_trained": 0.68, "steps": 2424, "lr": 5e-5, "seed": 14,
                  "devices": ["NVIDIA H200"], "init_weights": None, "distilled": True,
                  "distillation": {"weight": 0.8, **DISTILLATION}}
    line = _soup_lines({"soup": [ingredient, ingredient]})[1]
    assert "distilled (weight 0.8) toward `minilm-l6-squad-en` + `e5-small-qa-multilingual`" in line
    assert "on 61,000 of 114,610 windows" in line


def test_students_of_one_ensemble_name_it_once_with_its_scores():
    from qa_desktop.training.model_card import _soup_lines

    ensemble = {"weight": 0.8, "teachers": ["run seed 13, head seed 13, 5346 steps", "run seed 42, head seed 42, 6824 steps"],
                "windows_with_targets": 81_194, "windows": 114_124,
                "teacher_scores": {"questions": 1500, "seed": 13, "models": [75.23, 76.0], "ensemble": 76.91}}
    student = {"file": "f", "sha256": "ab" * 32, "epochs_trained": 1.42, "steps": 5068, "lr": 1e-4, "seed": 51,
               "devices": ["NVIDIA H200"], "init_weights": None, "distilled": True, "distillation": ensemble}
    lines = _soup_lines({"soup": [student, {**student, "seed": 52}]})
    assert all("toward ensemble 1 below on 81,194 of 114,124 windows" in line for line in lines[1:3])
    [described] = [line for line in lines if line.startswith("- Ensemble")]
    assert "run seed 42, head seed 42" in described and "F1 75.23, 76.00, their mean 76.91" in described
