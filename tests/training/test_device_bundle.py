"""The GPU pack: exact 4-bit weights, a compact base that tokenizes like the full one, and a
result that merges into the full-vocabulary model with the logits the trained compact model had."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qa_desktop.training.device_bundle import pack, q4_decode, q4_encode, train
from qa_desktop.training.device_result import merge


def test_q4_weights_round_trip_exactly():
    rng = np.random.default_rng(0)
    codes = rng.integers(-8, 8, size=(6, 64)).astype(np.float32)
    codes[:, 0] = -8  # Q4_0's largest value in each block has code -8
    codes[:, 32] = -8
    scales = rng.uniform(0.001, 0.1, size=(6, 2)).astype(np.float16).astype(np.float32)
    weight = (codes.reshape(6, 2, 32) * scales[..., None]).reshape(6, 64).astype(np.float32)
    packed, stored = q4_encode(weight)
    assert packed.dtype == np.uint8 and packed.shape == (6, 32) and stored.shape == (6, 2)
    assert np.array_equal(q4_decode(packed, stored), weight)


def test_weights_that_are_not_4_bit_are_refused():
    weight = np.random.default_rng(1).normal(size=(4, 64)).astype(np.float32)
    assert q4_encode(weight) is None
    assert q4_encode(np.zeros((3, 10), np.float32)) is None  # not whole blocks


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    from test_build_model import tiny_setup

    root = tmp_path_factory.mktemp("device")
    recipe, base = tiny_setup(root, epochs=2.0, batch_size=1, confirm_questions=8)
    plan = pack(recipe, root / "data", base, root / "pack")
    work = root / "device-work"
    # A budget no run fits: the plan is cut to the steps already taken when it is checked.
    train(root / "pack", root / "result", minutes=0.001, device="cpu", work=work)
    final = merge(root / "result", root / "pack", base, root / "run")
    return base, plan, work, final, root


def test_the_pack_keeps_only_the_pieces_its_text_uses(round_trip):
    base, plan, *_ = round_trip
    full = json.loads((base / "tokenizer.json").read_text())
    assert plan["pieces_in_base"] == len(full["model"]["vocab"])
    assert 0 < plan["pieces_kept"] < plan["pieces_in_base"]
    assert plan["windows_checked_against_full_tokenizer"] > 0
    assert plan["windows"] >= plan["examples"] > plan["unanswerable"] > 0


def test_the_result_travels_without_the_frozen_table(round_trip):
    from safetensors.numpy import load_file

    *_, root = round_trip
    names = [k for f in sorted((root / "result").glob("weights-*.safetensors")) for k in load_file(str(f))]
    assert "qa_outputs.weight" in names
    assert not any(k.endswith("word_embeddings.weight") for k in names)


def test_the_merged_model_answers_like_the_trained_compact_one(round_trip):
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    base, plan, work, final, root = round_trip
    run = json.loads((final / "training_run.json").read_text())
    assert run["device_pack"]["pieces_kept"] == plan["pieces_kept"]
    assert run["data"][0]["file"] == "train-v1.1.json"
    question, context = "Who built the bridge?", "The bridge in Place 3 was built in 1901 by Ada Brown."
    outputs = []
    for directory in (work / "run" / "final", final):
        tokenizer = AutoTokenizer.from_pretrained(directory)
        model = AutoModelForQuestionAnswering.from_pretrained(directory).eval()
        with torch.no_grad():
            out = model(**tokenizer(question, context, return_tensors="pt"))
        outputs.append(out.start_logits.numpy())
    assert len(AutoTokenizer.from_pretrained(final)) == plan["pieces_in_base"]
    # fp16 on the way back: equal to fp16 precision, not bit for bit.
    np.testing.assert_allclose(outputs[0], outputs[1], atol=2e-2)


def test_a_time_budget_cuts_the_plan_and_the_run_still_finishes(round_trip):
    *_, final, _root = round_trip
    run = json.loads((final / "training_run.json").read_text())
    budget = [h["time_budget"] for h in run["history"] if "time_budget" in h]
    assert len(budget) == 1 and budget[0]["steps"] < budget[0]["planned_steps"]
    assert run["steps"] == budget[0]["steps"]


def test_windows_drawn_with_another_seed_join_the_pack_and_say_so_in_the_record(english_style, windows_of_seed,
                                                                                 tmp_path):
    """A soup ingredient with other unanswerable questions: its windows travel beside the pack's,
    a run trains on them when asked, and its record (and the card's ingredient) names their seed."""
    import shutil

    from qa_desktop.training.device_bundle import add_windows
    from qa_desktop.training.weight_soup import ingredient_record

    root, base, _plan = english_style
    packed = tmp_path / "pack"
    shutil.copytree(root / "pack", packed)
    run = windows_of_seed(99)
    with np.load(run / "windows-cache.npz") as f:
        n = len(f["start_positions"])
    added = add_windows(packed, run)
    assert added["windows"] == n and (packed / added["file"]).is_file()
    assert json.loads((packed / "plan.json").read_text())["more_windows"]["99"] == added

    with pytest.raises(SystemExit, match="not the pack's windows"):
        add_windows(packed, windows_of_seed(98, **{"--max-seq-len": 80}))
    with pytest.raises(SystemExit, match="no windows for seed 77"):
        train(packed, tmp_path / "never", minutes=30, device="cpu", windows_seed=77)

    result = train(packed, tmp_path / "result", minutes=30, device="cpu", work=tmp_path / "work", windows_seed=99,
                   extra=["--seed", "5"])
    record = json.loads((result / "training_run.json").read_text())
    assert record["device_windows"]["seed"] == 99 and record["device_windows"]["windows"] == n
    assert record["hyperparameters"]["seed"] == 5
    final = merge(result, packed, base, tmp_path / "merged")
    merged = json.loads((final / "training_run.json").read_text())
    assert merged["device_pack"]["windows"] == n
    facts = ingredient_record(final)
    assert facts["seed"] == 5 and facts["windows_seed"] == 99
