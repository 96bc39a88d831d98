"""Ensemble distillation on one pack: teachers whose heads start apart (never a soup), the mean of
their probabilities as soft targets for the windows they trained on, and students of one head
seed trained toward them, whose records say what taught them."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from qa_desktop.training import ensemble_targets, side_by_side, teacher_targets, window_cache
from qa_desktop.training.device_bundle import pack_seed
from qa_desktop.training.training_features import TrainingWindows, padded_batch


class FixedLogits(torch.nn.Module):
    """A stand-in QA model whose logits are given, for the arithmetic of the mean."""

    def __init__(self, start, end):
        super().__init__()
        self.start, self.end = torch.tensor(start), torch.tensor(end)

    def forward(self, **inputs):
        return SimpleNamespace(start_logits=self.start, end_logits=self.end)


def test_the_mean_of_probabilities_leaves_padding_out():
    a = FixedLogits([[2.0, 0.0, 1.0, 9.0]], [[0.0, 3.0, 0.0, 9.0]])
    b = FixedLogits([[0.0, 2.0, 1.0, 9.0]], [[0.0, 0.0, 3.0, 9.0]])
    inputs = {"input_ids": torch.zeros(1, 4, dtype=torch.long), "attention_mask": torch.tensor([[1, 1, 1, 0]])}
    start, end = ensemble_targets.mean_probabilities([a, b], inputs)
    real = torch.tensor([[2.0, 0.0, 1.0]])
    expected = (torch.softmax(real, -1) + torch.softmax(real[:, [1, 0, 2]], -1)) / 2
    torch.testing.assert_close(start[:, :3], expected)
    assert float(start[0, 3]) == 0.0 and float(end[0, 3]) == 0.0  # the padded token's 9.0 counts nowhere
    assert float(end.sum()) == pytest.approx(1.0)
    scored = ensemble_targets.ensemble_module([a, b])(**inputs)  # what heldout_f1 reads
    torch.testing.assert_close(scored.start_logits.exp(), start)


def test_the_largest_positions_are_kept_renormalized_and_short_windows_padded():
    positions, values = ensemble_targets.top_k(torch.tensor([[0.1, 0.5, 0.2, 0.2], [0.7, 0.3, 0.0, 0.0]]), 2)
    assert positions[0, 0] == 1 and set(positions[0].tolist()) <= {1, 2, 3}
    assert values.astype(np.float64).sum(axis=1) == pytest.approx([1.0, 1.0], abs=1e-3)
    assert values[0, 0] == pytest.approx(0.5 / 0.7, abs=1e-3)
    positions, values = ensemble_targets.top_k(torch.tensor([[0.6, 0.4]]), 4)
    assert positions.shape == (1, 4) and values[0, 2:].tolist() == [0.0, 0.0]


def test_a_batch_is_padded_to_the_multiple():
    windows = TrainingWindows([np.array([101, 7, 102]), np.array([101, 8, 9, 10, 102])],
                              [np.array([0, 0, 1]), np.array([0, 1, 1, 1, 1])], np.zeros(2), np.zeros(2))
    batch = padded_batch(windows, np.array([1, 0]), 4, pad_id=0)
    assert batch["input_ids"].shape == (2, 8)
    assert batch["attention_mask"].sum(axis=1).tolist() == [5, 3]
    assert batch["token_type_ids"][0].tolist() == [0, 1, 1, 1, 1, 0, 0, 0]


def test_teachers_then_targets_then_students_that_learn_from_their_mean(english_style, tmp_path, capsys):
    root, _base, plan = english_style
    pack, teachers, students = root / "pack", tmp_path / "teachers", tmp_path / "students"
    side_by_side.main([str(pack), "--seeds", "3", "4", "--own-heads", "--minutes", "30", "--root", str(teachers),
                       "--device", "cpu"])
    finals = [teachers / f"w{s}" / "run" / "final" for s in (3, 4)]
    records = [json.loads((f / "training_run.json").read_text()) for f in finals]
    assert [r["hyperparameters"]["head_seed"] for r in records] == [None, None]  # each head from its own seed

    windows_file = teachers / "w3" / "windows.npz"
    targets = tmp_path / "targets.npz"
    ensemble_targets.main(["--windows", str(windows_file), *[a for f in finals for a in ("--model", str(f))],
                           "--out", str(targets), "--device", "cpu", "--score-pack", str(pack)])
    assert "F1 on 4 confirmation questions" in capsys.readouterr().out
    windows, _summary = window_cache.load(windows_file, key=None)
    loaded = teacher_targets.load(targets, window_cache.stored_key(windows_file), len(windows))
    np.testing.assert_array_equal(loaded["has_target"], windows.start_positions > 0)
    kept = loaded["start_p"][loaded["has_target"]].astype(np.float64).sum(axis=1)
    np.testing.assert_allclose(kept, 1.0, atol=2e-3)
    facts = teacher_targets.describe(targets)
    assert [t.split(",")[:2] for t in facts["teachers"]] == [["run seed 3", " head seed 3"],
                                                             ["run seed 4", " head seed 4"]]
    assert facts["windows_with_targets"] == int((windows.start_positions > 0).sum())
    assert len(facts["teacher_scores"]["models"]) == 2 and "ensemble" in facts["teacher_scores"]

    side_by_side.main([str(pack), "--seeds", "5", "6", "--minutes", "30", "--root", str(students), "--device", "cpu",
                       "--soup-to", str(tmp_path / "out"), "--extra", "--teacher-targets", str(targets),
                       "--distill-weight", "0.8"])
    soup = json.loads((tmp_path / "out" / "training_run.json").read_text())["soup"]
    assert [i["head_seed"] for i in soup] == [pack_seed(plan)] * 2  # students share one head: they average
    assert all(i["distilled"] and i["distillation"]["teachers"] == facts["teachers"] for i in soup)
    assert all(i["distillation"]["weight"] == 0.8 for i in soup)


def test_targets_fit_only_the_windows_they_were_made_for(english_style, tmp_path):
    root, _base, _plan = english_style
    windows_file = root / "work" / "windows.npz"
    model = root / "work" / "run" / "final"
    targets = tmp_path / "one.npz"
    ensemble_targets.build([model], windows_file, targets, device="cpu")
    windows, _summary = window_cache.load(windows_file, key=None)
    with pytest.raises(SystemExit, match="other training windows"):
        teacher_targets.load(targets, "another key", len(windows))
    # One teacher: its own most likely start is the first kept position of every window it teaches.
    loaded = teacher_targets.load(targets, window_cache.stored_key(windows_file), len(windows))
    from transformers import AutoModelForQuestionAnswering

    net = AutoModelForQuestionAnswering.from_pretrained(model).eval()
    first = int(np.flatnonzero(loaded["has_target"])[0])
    batch = {k: torch.from_numpy(v) for k, v in padded_batch(windows, np.array([first]), 64, 0).items()}
    with torch.no_grad():
        logits = net(**batch).start_logits[0, :len(windows.input_ids[first])]
    assert int(loaded["start_pos"][first, 0]) == int(logits.argmax())


def test_earlier_teachers_known_by_their_top_k_weigh_as_one_teacher_each():
    new_mean = torch.tensor([[0.1, 0.6, 0.3, 0.0]])
    mixed = ensemble_targets.joined(new_mean, np.array([[2, 0]], np.int16), np.array([[0.75, 0.25]], np.float16),
                                    earlier=2, new=1)
    torch.testing.assert_close(mixed, (2 * torch.tensor([[0.25, 0.0, 0.75, 0.0]]) + new_mean) / 3)


def test_joining_a_targets_file_adds_its_teachers_and_names_which_means_were_scored(english_style, tmp_path):
    root, _base, _plan = english_style
    windows_file, model = root / "work" / "windows.npz", root / "work" / "run" / "final"
    first, both = tmp_path / "first.npz", tmp_path / "both.npz"
    ensemble_targets.build([model], windows_file, first, device="cpu", score_pack=root / "pack")
    ensemble_targets.build([model], windows_file, both, device="cpu", score_pack=root / "pack", join=first)
    key = window_cache.stored_key(windows_file)
    windows, _summary = window_cache.load(windows_file, key=None)
    one, two = (teacher_targets.load(f, key, len(windows)) for f in (first, both))
    has = one["has_target"]
    # The same model twice: the joined mean is that model's own, up to the top-K cut and fp16.
    np.testing.assert_array_equal(two["start_pos"][has][:, 0], one["start_pos"][has][:, 0])
    np.testing.assert_allclose(two["end_p"][has].astype(np.float64), one["end_p"][has].astype(np.float64), atol=5e-3)
    facts = teacher_targets.describe(both)
    assert len(facts["teachers"]) == 2
    scores = facts["teacher_scores"]
    assert len(scores["models"]) == 2 and scores["ensemble"] is None
    assert "the mean of all was not scored" in teacher_targets.mean_scores(scores)
    assert teacher_targets.mean_scores(teacher_targets.describe(first)["teacher_scores"]).startswith("their mean ")
