"""A weight soup is the mean of its ingredients, records each of them, and refuses runs of other bases."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from qa_desktop.training.weight_soup import make_soup


def _run(tmp_path, name, seed, hidden=32, related_head=True):
    from tiny_models import build_tiny_checkpoint

    final = build_tiny_checkpoint(tmp_path / name / "final", "bert", seed=seed)
    state = load_file(str(final / "model.safetensors"))
    if hidden != 32:  # another base: a different head size
        state["qa_outputs.weight"] = torch.zeros(2, hidden)
    elif related_head:  # as runs whose heads started from one seed's weights: close to them
        state["qa_outputs.weight"] = torch.ones(2, hidden) + 0.1 * state["qa_outputs.weight"]
    save_file(state, str(final / "model.safetensors"), metadata={"format": "pt"})
    history = [{"step": 10, "time_budget": {"minutes": 1, "planned_steps": 40, "steps": 30}}] if seed == 2 else []
    (final / "training_run.json").write_text(json.dumps({
        "steps": 30 if seed == 2 else 20, "final_step": 20, "seed": seed, "devices": [f"device {seed}"],
        "train_seconds": 60 * seed, "windows": 100, "history": history,
        "hyperparameters": {"epochs": 2.0, "lr": 1e-4, "teacher_targets": None}}))
    return final


def test_the_soup_is_the_mean_and_says_what_went_in(tmp_path):
    a, b = _run(tmp_path, "a", 1), _run(tmp_path, "b", 2)
    final = make_soup(tmp_path / "soup", [a, b])
    soup = load_file(str(final / "model.safetensors"))
    wa, wb = load_file(str(a / "model.safetensors")), load_file(str(b / "model.safetensors"))
    for key in wa:
        torch.testing.assert_close(soup[key], (wa[key] + wb[key]) / 2)
    assert not torch.equal(soup["qa_outputs.weight"], wa["qa_outputs.weight"])
    run = json.loads((final / "training_run.json").read_text())
    assert [i["seed"] for i in run["soup"]] == [1, 2]
    assert run["soup"][1]["epochs_trained"] == 1.5  # 30 of 40 planned steps of 2 epochs
    assert run["train_seconds"] == 180 and run["devices"] == ["device 1", "device 2"]
    assert (final / "tokenizer.json").exists() and (final / "config.json").exists()

    from transformers import AutoModelForQuestionAnswering
    AutoModelForQuestionAnswering.from_pretrained(final)  # a loadable checkpoint


def test_runs_whose_heads_started_apart_make_no_soup_unless_asked(tmp_path):
    a, b = _run(tmp_path, "a", 1, related_head=False), _run(tmp_path, "b", 2, related_head=False)
    with pytest.raises(SystemExit, match="heads did not start from"):
        make_soup(tmp_path / "soup", [a, b])
    assert not (tmp_path / "soup").exists()
    final = make_soup(tmp_path / "soup", [a, b], allow_unrelated_heads=True)
    assert (final / "model.safetensors").exists()


def test_runs_of_other_bases_make_no_soup(tmp_path):
    with pytest.raises(SystemExit):
        make_soup(tmp_path / "soup", [_run(tmp_path, "a", 1), _run(tmp_path, "c", 3, hidden=16)])
    with pytest.raises(SystemExit):
        make_soup(tmp_path / "soup", [_run(tmp_path, "d", 1)])


def test_a_soup_made_on_a_lent_machine_goes_back_as_one_model_with_its_embeddings(tmp_path):
    """Runs trained side by side on a GPU are averaged there and returned as one result: the soup
    keeps its ingredients' settings, so a trained embedding table is not dropped on the way."""
    from qa_desktop.training.device_result import read_returned, write_result

    a, b = _run(tmp_path, "a", 1), _run(tmp_path, "b", 2)
    (a.parent / "args.json").write_text(json.dumps({"freeze_word_embeddings": False}))
    soup_run = tmp_path / "soup"
    make_soup(soup_run, [a, b])
    files = write_result(soup_run, tmp_path / "returned")
    returned = read_returned(files)
    soup = load_file(str(soup_run / "final" / "model.safetensors"))
    assert set(returned) == set(soup)
    assert any(name.endswith("word_embeddings.weight") for name in returned)
    for name in soup:
        torch.testing.assert_close(returned[name], soup[name].to(torch.float16))
    record = json.loads((tmp_path / "returned" / "training_run.json").read_text())
    assert [i["seed"] for i in record["soup"]] == [1, 2]
