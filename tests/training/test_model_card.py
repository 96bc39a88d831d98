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
